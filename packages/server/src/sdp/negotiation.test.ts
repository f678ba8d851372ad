/**
 * Both legs of a call negotiated through the real engine (a mediasoup worker): what a
 * Chromium simulcast offer becomes (a two-layer producer), and what its subscribers are
 * offered (transport-wide congestion control, NACK/RTX, PLI/FIR, Opus in-band FEC).
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import * as sdpTransform from 'sdp-transform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaRouter, MediaTransport } from '../media/MediaEngine.js';
import { MediasoupEngine } from '../media/mediasoup/MediasoupEngine.js';
import { PublishOffer } from './PublishOffer.js';
import { subscriberOffer } from './SubscriberOffer.js';

/** Chromium 156: microphone + camera with two encodings (rid s at 1/8 size, rid b). */
const SIMULCAST_OFFER = readFileSync(
  new URL('./fixtures/chromium-simulcast-offer.sdp', import.meta.url),
  'utf8',
);
const TRANSPORT_CC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

describe('negotiation through the engine', () => {
  const engine = new MediasoupEngine({
    workers: 1,
    listenIps: ['127.0.0.1'],
    log: pino({ level: 'silent' }),
  });
  let router: MediaRouter;
  let publisher: MediaTransport;

  beforeAll(async () => {
    await engine.start();
    router = await engine.createRouter();
    publisher = await router.createTransport('publisher');
  });
  afterAll(() => engine.close());

  it('answers a simulcast offer with both rids and produces a two-layer video, smallest first', async () => {
    const offer = new PublishOffer(SIMULCAST_OFFER, router.rtpCapabilities.codecs);
    const video = offer.tracks.find((t) => t.kind === 'video')!;
    expect(video.rtpParameters.encodings).toEqual([
      { rid: 's', scalabilityMode: 'L1T3' },
      { rid: 'b', scalabilityMode: 'L1T3' },
    ]);
    const answer = sdpTransform.parse(
      offer.answer(publisher, new Set(offer.tracks.map((t) => t.mid)), 1),
    );
    const answered = answer.media.find((m) => m.type === 'video')!;
    expect(answered.rids).toEqual([
      { id: 's', direction: 'recv' },
      { id: 'b', direction: 'recv' },
    ]);
    expect(answered.simulcast).toMatchObject({ dir1: 'recv', list1: 's;b' });
    // Uplink estimation: the publisher learns what the path carries from our feedback.
    expect(answered.ext?.map((e) => e.uri)).toContain(TRANSPORT_CC);
    expect(answered.rtcpFb).toContainEqual(expect.objectContaining({ type: 'transport-cc' }));
    const audio = answer.media.find((m) => m.type === 'audio')!;
    expect(audio.fmtp.find((f) => f.payload === audio.rtp[0]!.payload)?.config).toMatch(
      /useinbandfec=1/,
    );

    const producer = await publisher.produce({ kind: 'video', rtpParameters: video.rtpParameters });
    expect(producer.kind).toBe('video');
  });

  it('offers each subscriber video with transport-cc, NACK/RTX, PLI/FIR, and Opus FEC', async () => {
    const offer = new PublishOffer(SIMULCAST_OFFER, router.rtpCapabilities.codecs);
    const pub = await router.createTransport('publisher');
    const producers = await Promise.all(
      offer.tracks.map((t) => pub.produce({ kind: t.kind, rtpParameters: t.rtpParameters })),
    );
    const sub = await router.createTransport('subscriber');
    const consumers = await Promise.all(
      producers.map((p) =>
        sub.consume({ producerId: p.id, rtpCapabilities: router.rtpCapabilities, paused: true }),
      ),
    );
    const sdp = sdpTransform.parse(
      subscriberOffer(
        sub,
        consumers.map((c, i) => ({
          mid: String(i),
          kind: c.kind,
          sending: { rtpParameters: c.rtpParameters, streamId: 'alice', trackId: c.id },
        })),
        '1',
        1,
      ),
    );
    const [audio, video] = sdp.media;
    // Downlink estimation runs on video (mediasoup sends transport-wide sequence numbers on
    // video consumers only; audio is small and always sent first).
    expect(video!.ext?.map((e) => e.uri)).toContain(TRANSPORT_CC);
    expect(video!.rtcpFb).toContainEqual(expect.objectContaining({ type: 'transport-cc' }));
    const fb = (video!.rtcpFb ?? []).map((f) => `${f.type} ${f.subtype ?? ''}`.trim());
    expect(fb).toEqual(expect.arrayContaining(['nack', 'nack pli', 'ccm fir']));
    expect(video!.rtp.map((r) => r.codec)).toEqual(['VP8', 'rtx']);
    // One SSRC pair whatever layer is sent: the engine switches layers inside it.
    expect(video!.ssrcGroups?.[0]?.semantics).toBe('FID');
    expect(audio!.fmtp.find((f) => f.payload === audio!.rtp[0]!.payload)?.config).toMatch(
      /useinbandfec=1/,
    );
  });
});
