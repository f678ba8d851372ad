import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { fakeGst, isAlive, publishAV } from '../test/mediaOutTestKit.js';
import { roomKit, type RoomKit } from '../test/roomTestKit.js';
import { MediaOutService } from './MediaOutService.js';

function service(kit: RoomKit, eosMs = 0) {
  const gst = fakeGst({ eosMs });
  const out = new MediaOutService({
    log: pino({ level: 'silent' }),
    urlTemplate: () => 'rtmp://cdn.example.com/live/{streamId}',
    command: gst.command,
    availability: { available: true, missing: [] },
    portRange: [38200, 38999],
    // The tests' RTMP server is on loopback, beside the template's host.
    allowedHosts: () => ['127.0.0.1', 'cdn.example.com'],
  });
  return { gst, out, media: out.forRoom(kit.room) };
}

const mixOfAlice = {
  streamId: 'm1',
  mixUsers: [
    {
      userId: 'alice',
      pureAudio: false,
      width: 320,
      height: 240,
      locationX: 0,
      locationY: 0,
      zOrder: 1,
    },
  ],
};

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RoomMediaOut lifecycle', () => {
  it('the owner leaving ends its relayed mix without first restarting it to the template URL', async () => {
    const kit = roomKit();
    const { media, gst } = service(kit);
    const alice = await publishAV(kit, 'alice');
    await kit.join('bob');
    await media.startMix(alice.participant, mixOfAlice);
    await media.startRelay(alice.participant, {
      streamType: 'main',
      streamId: 'm1',
      url: 'rtmp://127.0.0.1:1935/live/r',
    });
    expect(gst.runs()).toHaveLength(2);
    expect(gst.runs()[1]).toContain('location=rtmp://127.0.0.1:1935/live/r');
    await kit.room.leave(alice.participant, 'leave');
    // Queued after the leave's work (one operation at a time): its mix is gone by then.
    await expect(media.stopMix(alice.participant)).rejects.toThrow('no mix is running');
    expect(media.jobs()).toEqual([]);
    expect(gst.pids().filter(isAlive)).toEqual([]);
    // No third run pushing to rtmp://cdn.example.com/live/m1 on the way out.
    expect(gst.runs()).toHaveLength(2);
  });

  it('a stop while a stream change restarts the mix (slow EOS) leaves no pipeline running', async () => {
    const kit = roomKit();
    const { media, gst } = service(kit, 300);
    const alice = await publishAV(kit, 'alice');
    await media.startMix(alice.participant, {
      mode: 'preset-layout',
      mixUsers: [
        { userId: '$PLACE_HOLDER_LOCAL_MAIN$', ...mixOfAlice.mixUsers[0] },
        { ...mixOfAlice.mixUsers[0], userId: '$PLACE_HOLDER_REMOTE$', locationX: 320 },
      ],
    });
    expect(gst.runs()).toHaveLength(1);
    // Bob's stream makes the mix restart: its old pipeline takes 300 ms to finish EOS.
    await publishAV(kit, 'bob');
    await waitUntil(gst.eosSent);
    await media.stopMix(alice.participant);
    expect(media.jobs()).toEqual([]);
    expect(gst.pids().filter(isAlive)).toEqual([]);
  });

  it('the service’s close waits for a closed room’s pipelines to finish EOS', async () => {
    const kit = roomKit();
    const { media, gst, out } = service(kit, 300);
    const alice = await publishAV(kit, 'alice');
    await media.startRelay(alice.participant, {
      streamType: 'main',
      url: 'rtmp://127.0.0.1/live/a',
    });
    // The last leave closes the room: its media out starts ending (EOS takes 300 ms).
    await kit.room.leave(alice.participant, 'leave');
    expect(kit.room.closed).toBe(true);
    // What a server shutdown does before the media engine goes.
    await out.close();
    expect(gst.eosSent()).toBe(true);
    expect(gst.pids().filter(isAlive)).toEqual([]);
  });
});
