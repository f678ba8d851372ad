import { describe, expect, it } from 'vitest';
import type { MediaEngine, RtpPacketLike } from '../media/MediaEngine.js';
import { Router } from './Router.js';

/** The packet path of an engine: incoming listeners, what was sent, keyframe requests. */
function fakeEngine() {
  const listeners = new Map<string, (packet: RtpPacketLike) => void>();
  const sent: Array<{ sinkId: string; seq: number; keyframe: boolean }> = [];
  const keyframeRequests: string[] = [];
  const engine = {
    onRtp(trackId: string, listener: (packet: RtpPacketLike) => void) {
      listeners.set(trackId, listener);
      return () => listeners.delete(trackId);
    },
    sendRtp(sinkId: string, packet: RtpPacketLike) {
      sent.push({
        sinkId,
        seq: packet.header.sequenceNumber,
        keyframe: (packet.payload[1]! & 0x01) === 0,
      });
    },
    requestKeyframe(trackId: string) {
      keyframeRequests.push(trackId);
    },
  } as unknown as MediaEngine;
  let seq = 100;
  /** One packet from the publisher; VP8 payload descriptor + first byte of the frame. */
  const publish = (sourceId: string, keyframe = false, timestamp?: number): void => {
    seq++;
    listeners.get(sourceId)?.({
      header: {
        payloadType: 96,
        sequenceNumber: seq & 0xffff,
        timestamp: timestamp ?? seq * 3000,
        ssrc: 1,
        marker: true,
      },
      payload: Buffer.from([0x10, keyframe ? 0x00 : 0x01]),
    });
  };
  return { engine, sent, keyframeRequests, publish };
}

const VP8 = { mimeType: 'video/VP8', clockRate: 90000 };
const OPUS = { mimeType: 'audio/opus', clockRate: 48000, channels: 2 };

function connectedRouter(kind: 'audio' | 'video', clock: () => number = Date.now) {
  const fake = fakeEngine();
  const router = new Router(fake.engine, clock);
  router.addSource('src', kind, kind === 'video' ? VP8 : OPUS);
  router.setTransportConnected('sub', true);
  return { ...fake, router };
}

describe('Router mute', () => {
  it('drops every packet of a muted source and forwards again after unmute without a sequence gap', () => {
    const { router, sent, publish } = connectedRouter('audio');
    router.addSink('sink', 'src', 'sub');
    publish('src');
    publish('src');
    router.setSourceMuted('src', true);
    expect(router.isSourceMuted('src')).toBe(true);
    // A client that only disabled its track keeps sending silence: none of it goes out.
    for (let i = 0; i < 5; i++) publish('src');
    expect(sent).toHaveLength(2);
    router.setSourceMuted('src', false);
    publish('src');
    expect(sent).toHaveLength(3);
    // The receiver sees consecutive numbers: the muted stretch is no loss to NACK.
    expect(sent.map((p) => p.seq)).toEqual([sent[0]!.seq, sent[0]!.seq + 1, sent[0]!.seq + 2]);
    expect(router.sourceStats()[0]).toMatchObject({ kind: 'audio', forwardedPackets: 3, sinks: 1 });
  });

  it('restarts a video sink on a keyframe after unmute and asks the publisher for one at once', () => {
    let now = 1_000;
    const { router, sent, keyframeRequests, publish } = connectedRouter('video', () => now);
    router.addSink('sink', 'src', 'sub');
    publish('src', true);
    publish('src');
    expect(sent).toHaveLength(2);
    router.setSourceMuted('src', true);
    publish('src');
    now += 100; // well inside the keyframe request rate limit
    const requestsBefore = keyframeRequests.length;
    router.setSourceMuted('src', false);
    expect(keyframeRequests.length).toBe(requestsBefore + 1);
    publish('src'); // a delta frame referencing what the sink never got
    expect(sent).toHaveLength(2);
    publish('src', true);
    publish('src');
    expect(sent.slice(2).map((p) => p.keyframe)).toEqual([true, false]);
  });

  it('shows a subscriber added during the mute no picture from before it', () => {
    const { router, sent, publish } = connectedRouter('video');
    publish('src', true);
    publish('src');
    router.setSourceMuted('src', true);
    router.addSink('late', 'src', 'sub');
    expect(sent).toHaveLength(0);
    router.setSourceMuted('src', false);
    publish('src', true);
    expect(sent).toEqual([expect.objectContaining({ sinkId: 'late', keyframe: true })]);
  });
});

describe('Router keyframe cache', () => {
  it('sends a fresh GOP to a new subscriber at once, with no keyframe request', () => {
    const { router, sent, keyframeRequests, publish } = connectedRouter('video');
    publish('src', true);
    publish('src');
    publish('src');
    const requestsBefore = keyframeRequests.length;
    router.addSink('late', 'src', 'sub');
    expect(sent.filter((p) => p.sinkId === 'late')).toHaveLength(3);
    expect(sent.find((p) => p.sinkId === 'late')?.keyframe).toBe(true);
    expect(keyframeRequests.length).toBe(requestsBefore);
  });

  it('stays bounded when a publisher sends endless packets of one "keyframe"', () => {
    const { router, sent, publish } = connectedRouter('video');
    // Same timestamp every time: one keyframe that never ends.
    for (let i = 0; i < 5000; i++) publish('src', true, 90_000);
    router.addSink('late', 'src', 'sub');
    const burst = sent.filter((p) => p.sinkId === 'late').length;
    expect(burst).toBeGreaterThan(0);
    expect(burst).toBeLessThanOrEqual(600);
  });
});

describe('Router afterNextFrame (SEI travels with the next frame)', () => {
  it('runs the work right after the end of the next frame has been forwarded, in order', () => {
    const { router, sent, publish } = connectedRouter('video');
    router.addSink('sink', 'src', 'sub');
    publish('src', true);
    const ran: Array<{ id: number; sentBefore: number }> = [];
    router.afterNextFrame('src', () => ran.push({ id: 1, sentBefore: sent.length }));
    router.afterNextFrame('src', () => ran.push({ id: 2, sentBefore: sent.length }));
    expect(ran).toEqual([]);
    publish('src'); // one-packet frame: marker set
    expect(ran).toEqual([
      { id: 1, sentBefore: 2 },
      { id: 2, sentBefore: 2 },
    ]);
    router.close();
  });

  it('does not wait forever when no frame comes (muted or stalled publisher)', async () => {
    const { router } = connectedRouter('video');
    let ran = false;
    router.afterNextFrame('src', () => (ran = true), 30);
    expect(ran).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(ran).toBe(true);
    router.close();
  });

  it('runs at once for a source it does not know', () => {
    const { router } = connectedRouter('video');
    let ran = false;
    router.afterNextFrame('unknown', () => (ran = true));
    expect(ran).toBe(true);
  });
});
