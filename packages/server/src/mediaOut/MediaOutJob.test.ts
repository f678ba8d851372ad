import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { FakePlainConsumer } from '../media/fake/FakeEngine.js';
import { publishOffer } from '../test/offers.js';
import { roomKit } from '../test/roomTestKit.js';
import { MediaOutJob } from './MediaOutJob.js';
import { relayJobLayout } from './mixLayout.js';
import { PortPool } from './PortPool.js';

describe('MediaOutJob', () => {
  it('a start that runs out of ports midway gives back the ports and consumers it took', async () => {
    const kit = roomKit();
    const alice = await kit.join('alice');
    await kit.room.publish(alice.participant, {
      sdp: await publishOffer(['audio', 'video']),
      tracks: [
        { mid: '0', kind: 'audio', streamType: 'main', muted: false },
        { mid: '1', kind: 'video', streamType: 'main', muted: false },
      ],
    });
    // One port pair only: the audio input takes it, the video input finds none.
    const ports = new PortPool(38100, 38102);
    let made = 0;
    const job = new MediaOutJob(
      {
        id: 'relay:test',
        router: async () => {
          const router = await kit.room.ensureMedia();
          const create = router.createPlainConsumer.bind(router);
          router.createPlainConsumer = (options) => {
            made++;
            return create(options);
          };
          return router;
        },
        sink: { kind: 'rtmp', url: 'rtmp://127.0.0.1:1935/live/x' },
        lookup: (userId, streamType, kind) =>
          kit.room.participants.get(userId)?.streams.get(streamType)?.tracks.get(kind)?.producer
            ?.id ?? null,
        ports,
        log: pino({ level: 'silent' }),
        command: '/nonexistent/gst-launch-1.0',
      },
      relayJobLayout('alice', 'main'),
    );
    await expect(job.start()).rejects.toThrow('no free media-out port pair in 38100-38102');
    expect(job.stopped).toBe(true);
    expect(ports.inUse).toBe(0);
    // The audio input's plain consumer was made, then closed (a closed one leaves its producer).
    expect(made).toBe(1);
    const plain: FakePlainConsumer[] = [...kit.engine.routers].flatMap((r) =>
      [...r.transports].flatMap((t) => [...t.producers].flatMap((p) => [...p.plainConsumers])),
    );
    expect(plain).toEqual([]);
  });
});
