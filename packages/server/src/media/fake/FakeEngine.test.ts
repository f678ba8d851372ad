/**
 * The fake engine keeps the MediaEngine contract the real one keeps (media/MediaEngine.ts,
 * media/mediasoup/): close reasons, when and whether `workerlost` is told, and refusals.
 * Room tests lean on these; a fake that drifts would let them pass for the wrong reason.
 */
import { describe, expect, it } from 'vitest';
import type { CloseReason, RtpParameters } from '../types.js';
import type { TypedEmitter } from '../../util/TypedEmitter.js';
import type { ClosableEvents, MediaRouter } from '../MediaEngine.js';
import { FakeEngine, type FakeRouter } from './FakeEngine.js';

const OPUS: RtpParameters = {
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
  headerExtensions: [],
  encodings: [{ ssrc: 1111 }],
  rtcp: {},
};

/** A router with a publisher (one producer) and a subscriber (one consumer of it). */
async function call(engine = new FakeEngine()) {
  const router = (await engine.createRouter()) as FakeRouter;
  const publisher = await router.createTransport('publisher');
  const producer = await publisher.produce({ kind: 'audio', rtpParameters: OPUS });
  const subscriber = await router.createTransport('subscriber');
  const consumer = await subscriber.consume({
    producerId: producer.id,
    rtpCapabilities: router.rtpCapabilities,
  });
  const closes = new Map<string, CloseReason>();
  const objects: Record<string, TypedEmitter<ClosableEvents>> = {
    publisher,
    producer,
    subscriber,
    consumer,
  };
  for (const [name, object] of Object.entries(objects)) {
    object.once('close', (reason) => closes.set(name, reason));
  }
  return { engine, router, publisher, producer, subscriber, consumer, closes };
}

function workerLost(router: MediaRouter) {
  const told: { transportIds: string[]; producerIds: string[] }[] = [];
  router.on('workerlost', (lost) => told.push(lost));
  return told;
}

describe('FakeEngine', () => {
  it('a dead worker closes everything with worker-died at once, and tells the room a turn later', async () => {
    const { engine, router, publisher, producer, subscriber, closes } = await call();
    const told = workerLost(router);
    const died: number[] = [];
    engine.on('workerdied', ({ pid }) => died.push(pid));
    const killed = engine.killWorker();
    expect(Object.fromEntries(closes)).toEqual({
      publisher: 'worker-died',
      producer: 'worker-died',
      subscriber: 'worker-died',
      consumer: 'worker-died',
    });
    expect(engine.load).toBe(0);
    // Not yet: the real engine reports after it spawned a replacement.
    expect(told).toEqual([]);
    expect(died).toEqual([]);
    await killed;
    expect(died).toHaveLength(1);
    expect(told).toEqual([
      { transportIds: [publisher.id, subscriber.id], producerIds: [producer.id] },
    ]);
    expect(router.closed).toBe(false);
  });

  it('a room that lost nothing is not told', async () => {
    const engine = new FakeEngine();
    const told = workerLost(await engine.createRouter());
    await engine.killWorker();
    expect(told).toEqual([]);
  });

  it('a closed router closes its objects with parent-closed', async () => {
    const { router, closes } = await call();
    router.close();
    expect(Object.fromEntries(closes)).toEqual({
      publisher: 'parent-closed',
      producer: 'parent-closed',
      subscriber: 'parent-closed',
      consumer: 'parent-closed',
    });
  });

  it('a lost satellite takes only its subscriber transports; the producers stay', async () => {
    const { engine, router, subscriber, producer, closes } = await call();
    const told = workerLost(router);
    await expect(router.loseSatellite([await router.createTransport('publisher')])).rejects.toThrow(
      /home worker/,
    );
    await router.loseSatellite([subscriber]);
    expect(Object.fromEntries(closes)).toEqual({
      subscriber: 'worker-died',
      consumer: 'worker-died',
    });
    expect(producer.closed).toBe(false);
    expect(told).toEqual([{ transportIds: [subscriber.id], producerIds: [] }]);
    // The other publisher transport, the first one and its producer.
    expect(engine.load).toBe(3);
  });

  it('consume refuses a subscriber that cannot decode the codec, and an unknown producer', async () => {
    const { router, producer, subscriber } = await call();
    const vp8Only = { codecs: router.rtpCapabilities.codecs.filter((c) => c.kind === 'video') };
    await expect(
      subscriber.consume({
        producerId: producer.id,
        rtpCapabilities: { ...vp8Only, headerExtensions: [] },
      }),
    ).rejects.toThrow(/cannot decode/);
    await expect(
      subscriber.consume({ producerId: 'nope', rtpCapabilities: router.rtpCapabilities }),
    ).rejects.toThrow(/unknown producer/);
  });

  it('latencyMs: calls answer later and change state only then; failNext fails one call', async () => {
    const engine = new FakeEngine({ latencyMs: 0 });
    const { producer } = await call(engine);
    const paused = producer.pause();
    expect(producer.paused).toBe(false);
    await paused;
    expect(producer.paused).toBe(true);
    engine.failNext('resume');
    await expect(producer.resume()).rejects.toThrow(/resume failed/);
    expect(producer.paused).toBe(true);
    await producer.resume();
    expect(producer.paused).toBe(false);
  });
});
