import { readFileSync } from 'node:fs';
import * as sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import type { MediaTransport } from '../media/MediaEngine.js';
import { MEDIA_CODECS } from '../media/mediasoup/MediasoupEngine.js';
import type { CodecCapability, RtpParameters } from '../media/types.js';
import { PublishOffer } from './PublishOffer.js';
import { readSubscriberAnswer, subscriberOffer } from './SubscriberOffer.js';

/** A real offer: Chromium 156, camera + microphone, sendonly, max-bundle. */
const CHROMIUM_OFFER = readFileSync(
  new URL('./fixtures/chromium-publish-offer.sdp', import.meta.url),
  'utf8',
);
const CODECS: CodecCapability[] = MEDIA_CODECS.map((c) => ({
  kind: c.kind,
  mimeType: c.mimeType,
  clockRate: c.clockRate,
  ...(c.channels !== undefined ? { channels: c.channels } : {}),
  parameters: (c.parameters ?? {}) as Record<string, string | number>,
}));

const transport = {
  iceParameters: { usernameFragment: 'srvufrag', password: 'srvpassword0123456789', iceLite: true },
  iceCandidates: [
    {
      foundation: 'udpcandidate',
      priority: 1076302079,
      address: '127.0.0.1',
      protocol: 'udp',
      port: 40123,
      type: 'host',
    },
  ],
  dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] },
} as unknown as MediaTransport;

describe('PublishOffer', () => {
  it('reads a Chromium offer into RTP parameters: Opus, VP8 with its RTX, SSRCs, known extensions', () => {
    const offer = new PublishOffer(CHROMIUM_OFFER, CODECS);
    expect(offer.dtlsParameters.role).toBe('client');
    expect(offer.dtlsParameters.fingerprints[0]?.algorithm).toBe('sha-256');
    const [audio, video] = offer.tracks;
    expect(audio?.kind).toBe('audio');
    expect(audio?.rtpParameters.codecs.map((c) => c.mimeType)).toEqual(['audio/opus']);
    expect(audio?.rtpParameters.codecs[0]?.rtcpFeedback).toContainEqual({ type: 'transport-cc' });
    expect(video?.rtpParameters.codecs.map((c) => c.mimeType)).toEqual(['video/VP8', 'video/rtx']);
    expect(video?.rtpParameters.codecs[1]?.parameters?.apt).toBe(
      video?.rtpParameters.codecs[0]?.payloadType,
    );
    const [encoding] = video!.rtpParameters.encodings;
    expect(encoding?.ssrc).toBeGreaterThan(0);
    expect(encoding?.rtx?.ssrc).toBeGreaterThan(0);
    const uris = video!.rtpParameters.headerExtensions.map((e) => e.uri);
    expect(uris).toContain(
      'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    );
    expect(uris).not.toContain('http://www.webrtc.org/experiments/rtp-hdrext/video-content-type');
  });

  it('takes H264 when the offer has no VP8, with a profile the router carries', () => {
    const noVp8 = CHROMIUM_OFFER.replace(/a=rtpmap:(\d+) VP8\/90000/g, 'a=rtpmap:$1 VP9X/90000');
    const video = new PublishOffer(noVp8, CODECS).tracks[1]!;
    const h264 = video.rtpParameters.codecs[0]!;
    expect(h264.mimeType).toBe('video/H264');
    expect(h264.parameters?.['packetization-mode']).toBe(1);
    expect(String(h264.parameters?.['profile-level-id']).slice(0, 4)).toMatch(/^(42e0|4d00)$/);
  });

  it('answers ICE-lite, recvonly for accepted sections, rejected otherwise, bundled', () => {
    const offer = new PublishOffer(CHROMIUM_OFFER, CODECS);
    const answer = sdpTransform.parse(offer.answer(transport, new Set(['1']), 1));
    expect(answer.icelite).toBe('ice-lite');
    expect(answer.groups).toEqual([{ type: 'BUNDLE', mids: '0 1' }]);
    const [audio, video] = answer.media;
    // Not accepted but kept open by the client: parked in the bundle, not rejected.
    expect(audio?.direction).toBe('inactive');
    expect(video?.direction).toBe('recvonly');
    expect(video?.setup).toBe('passive');
    expect(video?.candidates?.[0]).toMatchObject({ ip: '127.0.0.1', port: 40123, type: 'host' });
    expect(video?.rtp.map((r) => r.codec)).toEqual(['VP8', 'rtx']);
    // The publisher's video starts at 1 Mbit/s rather than Chrome's ~300 kbit/s.
    expect(video?.fmtp.find((f) => f.payload === video.rtp[0]!.payload)?.config).toMatch(
      /x-google-start-bitrate=1000/,
    );
    expect(offer.tracks[1]!.rtpParameters.codecs[0]!.parameters).not.toHaveProperty(
      'x-google-start-bitrate',
    );
  });

  it('refuses what is not SDP, and sections without SSRCs', () => {
    expect(() => new PublishOffer('hello', CODECS)).toThrow(/no media|not valid/);
    expect(() => new PublishOffer(CHROMIUM_OFFER.replace(/a=ssrc.*\r\n/g, ''), CODECS)).toThrow(
      /names no SSRC/,
    );
  });
});

describe('subscriberOffer', () => {
  const rtp = (ssrc: number): RtpParameters => ({
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: 101,
        clockRate: 90000,
        rtcpFeedback: [{ type: 'nack' }],
      },
      { mimeType: 'video/rtx', payloadType: 102, clockRate: 90000, parameters: { apt: 101 } },
    ],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
    encodings: [{ ssrc, rtx: { ssrc: ssrc + 1 } }],
    rtcp: { cname: 'alice' },
  });

  it('offers one sendonly section per consumer with its SSRCs; idle sections stay out of the way', () => {
    const sdp = subscriberOffer(
      transport,
      [
        { mid: '0', kind: 'audio', sending: null },
        {
          mid: '3',
          kind: 'video',
          sending: { rtpParameters: rtp(1000), streamId: 'alice-main', trackId: 'c1' },
        },
        { mid: '2', kind: 'video', sending: null },
      ],
      '42',
      3,
    );
    const parsed = sdpTransform.parse(sdp);
    expect(parsed.groups).toEqual([{ type: 'BUNDLE', mids: '0 3' }]);
    const [first, video, closed] = parsed.media;
    expect(first).toMatchObject({ mid: 0, direction: 'inactive', port: 7, setup: 'actpass' });
    expect(closed).toMatchObject({ mid: 2, port: 0 });
    expect(video).toMatchObject({
      mid: 3,
      direction: 'sendonly',
      msid: [{ id: 'alice-main', appdata: 'c1' }],
    });
    expect(video?.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: '1000 1001' }]);
    expect(video?.rtcpFb).toContainEqual({ payload: 101, type: 'nack' });
  });

  it('reads the DTLS role and the refused sections of an answer', () => {
    const answer = [
      'v=0',
      'o=- 1 2 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      'm=video 9 UDP/TLS/RTP/SAVPF 101',
      'a=mid:3',
      'a=setup:active',
      'a=fingerprint:sha-256 AA:BB',
      'm=video 0 UDP/TLS/RTP/SAVPF 101',
      'a=mid:4',
      '',
    ].join('\r\n');
    const read = readSubscriberAnswer(answer);
    expect(read.dtlsParameters).toEqual({
      role: 'client',
      fingerprints: [{ algorithm: 'sha-256', value: 'AA:BB' }],
    });
    expect([...read.rejected]).toEqual(['4']);
  });
});
