/**
 * MediaStatsSource over the media engine: each participant's producers (what it sends) and
 * consumers (what it receives), read from the engine's RTP stream stats. Engine stats are
 * asynchronous and `collect()` is not, so a poller refreshes a snapshot every second and
 * `collect()` returns the latest one. Counters stay cumulative for the whole session: the
 * last reading of a producer or consumer that closed is kept in its participant's base.
 */
import type { MediaConsumer, MediaProducer } from '../media/MediaEngine.js';
import type { RtpStreamStats } from '../media/types.js';
import type { Participant } from '../room/Participant.js';
import type { RoomManager } from '../room/RoomManager.js';
import type {
  MediaStatsSource,
  ParticipantMediaStats,
  RoomMediaStats,
} from './MediaStatsSource.js';

const POLL_MS = 1000;

type Totals = Omit<ParticipantMediaStats, 'userId' | 'subscribedTracks'>;

const zero = (): Totals => ({
  bytesIn: 0,
  packetsIn: 0,
  packetsLost: 0,
  bytesOut: 0,
  nackCount: 0,
  pliCount: 0,
});

interface Tracked {
  /** What closed objects had counted, kept so totals never go down. */
  base: Totals;
  /** The last reading of each live object, by id. */
  last: Map<string, Totals>;
}

const fromProducer = (s: RtpStreamStats): Totals => ({
  ...zero(),
  bytesIn: s.bytes,
  packetsIn: s.packets,
  packetsLost: s.packetsLost,
});

// A consumer's NACK/PLI counts are the requests its subscriber sent.
const fromConsumer = (s: RtpStreamStats): Totals => ({
  ...zero(),
  bytesOut: s.bytes,
  nackCount: s.nackCount,
  pliCount: s.pliCount + s.firCount,
});

function add(a: Totals, b: Totals): Totals {
  return {
    bytesIn: a.bytesIn + b.bytesIn,
    packetsIn: a.packetsIn + b.packetsIn,
    packetsLost: a.packetsLost + b.packetsLost,
    bytesOut: a.bytesOut + b.bytesOut,
    nackCount: a.nackCount + b.nackCount,
    pliCount: a.pliCount + b.pliCount,
  };
}

export class EngineMediaStats implements MediaStatsSource {
  readonly #tracked = new WeakMap<Participant, Tracked>();
  #snapshot: RoomMediaStats[] = [];
  #timer: NodeJS.Timeout;
  #polling = false;

  constructor(private readonly rooms: RoomManager) {
    this.#timer = setInterval(() => void this.#poll(), POLL_MS);
    this.#timer.unref();
  }

  collect(): RoomMediaStats[] {
    return this.#snapshot;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const snapshot: RoomMediaStats[] = [];
      for (const room of [...this.rooms.rooms()]) {
        const participants: ParticipantMediaStats[] = [];
        for (const participant of [...room.participants.values()]) {
          participants.push(await this.#read(participant));
        }
        snapshot.push({ sdkAppId: room.sdkAppId, room: room.ref, participants });
      }
      this.#snapshot = snapshot;
    } finally {
      this.#polling = false;
    }
  }

  async #read(participant: Participant): Promise<ParticipantMediaStats> {
    let tracked = this.#tracked.get(participant);
    if (!tracked) {
      tracked = { base: zero(), last: new Map() };
      this.#tracked.set(participant, tracked);
    }
    const producers: MediaProducer[] = [];
    for (const stream of participant.streams.values()) {
      for (const track of stream.tracks.values())
        if (track.producer) producers.push(track.producer);
    }
    const consumers: MediaConsumer[] = [];
    for (const sub of participant.subscriptions.values()) consumers.push(...sub.consumers.values());
    const now = new Map<string, Totals>();
    const reads = [
      ...producers.map(async (p) => {
        if (!p.closed) now.set(p.id, fromProducer(await p.stats()));
      }),
      ...consumers.map(async (c) => {
        if (!c.closed) now.set(c.id, fromConsumer(await c.stats()));
      }),
    ];
    await Promise.all(reads.map((r) => r.catch(() => undefined)));
    // Objects gone since the last poll: their last reading moves into the base.
    for (const [id, last] of tracked.last) {
      if (!now.has(id)) tracked.base = add(tracked.base, last);
    }
    tracked.last = now;
    let totals = tracked.base;
    for (const reading of now.values()) totals = add(totals, reading);
    return {
      userId: participant.userId,
      ...totals,
      subscribedTracks: consumers.filter((c) => !c.closed).length,
    };
  }
}
