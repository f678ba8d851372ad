import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MediaConsumer } from '../media/MediaEngine.js';
import type { RtpStreamStats } from '../media/types.js';
import type { Participant } from '../room/Participant.js';
import { EngineMediaStats, type StatsRooms } from './EngineMediaStats.js';

const reading = (bytes: number): RtpStreamStats => ({
  packets: bytes / 100,
  bytes,
  packetsLost: 0,
  nackCount: 1,
  pliCount: 0,
  firCount: 0,
  bitrate: 0,
  score: 10,
});

/** A consumer whose byte counter grows by 1000 at every reading; counts its readings. */
function fakeConsumer(id: string) {
  let bytes = 0;
  const consumer = {
    id,
    closed: false,
    reads: 0,
    stats: () => {
      consumer.reads++;
      bytes += 1000;
      return Promise.resolve(reading(bytes));
    },
  };
  return consumer;
}

function fakeRooms(consumers: ReturnType<typeof fakeConsumer>[]): StatsRooms {
  const participant = {
    userId: 'viewer',
    streams: new Map(),
    subscriptions: new Map([
      ['alice|main', { consumers: new Map(consumers.map((c, i) => [i ? 'audio' : 'video', c])) }],
    ]),
  } as unknown as Participant;
  return {
    rooms: () => [
      {
        sdkAppId: 1,
        ref: { kind: 'number' as const, id: 7 },
        participants: new Map([['viewer', participant]]),
      },
    ],
  };
}

describe('EngineMediaStats', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the engine every intervalMs, and every second only while someone watches', async () => {
    const consumer = fakeConsumer('c1');
    const stats = new EngineMediaStats(fakeRooms([consumer]), {
      intervalMs: 10_000,
      liveIntervalMs: 1000,
      liveForMs: 5000,
    });
    try {
      await vi.advanceTimersByTimeAsync(1000);
      expect(consumer.reads).toBe(1);
      expect(stats.collectedAt).toBeGreaterThan(0);
      await vi.advanceTimersByTimeAsync(8000);
      expect(consumer.reads, 'nobody watches: no reading before 10 s').toBe(1);
      await vi.advanceTimersByTimeAsync(2000);
      expect(consumer.reads).toBe(2);

      stats.watch();
      await vi.advanceTimersByTimeAsync(1000);
      expect(consumer.reads, 'watch() reads at the next tick').toBe(3);
      await vi.advanceTimersByTimeAsync(4000);
      expect(consumer.reads, 'then every second while watched').toBe(7);
      // The live window is over: back to every 10 s.
      await vi.advanceTimersByTimeAsync(8000);
      expect(consumer.reads).toBe(7);
      await vi.advanceTimersByTimeAsync(3000);
      expect(consumer.reads).toBe(8);
    } finally {
      stats.close();
    }
  });

  it('keeps counters cumulative when a consumer closes between readings', async () => {
    const video = fakeConsumer('v');
    const audio = fakeConsumer('a');
    const stats = new EngineMediaStats(fakeRooms([video, audio]), { intervalMs: 1000 });
    try {
      await vi.advanceTimersByTimeAsync(1000);
      expect(stats.collect()[0]!.participants[0]).toMatchObject({
        bytesOut: 2000,
        nackCount: 2,
        subscribedTracks: 2,
      });
      audio.closed = true;
      await vi.advanceTimersByTimeAsync(1000);
      // video: 2000 now; audio's last reading (1000) stays counted.
      expect(stats.collect()[0]!.participants[0]).toMatchObject({
        bytesOut: 3000,
        subscribedTracks: 1,
      });
    } finally {
      stats.close();
    }
  });
});

// Keeps the fake honest: it must look like the engine's consumer where it is read.
const _shape: Pick<MediaConsumer, 'id' | 'closed' | 'stats'> = fakeConsumer('x');
void _shape;
