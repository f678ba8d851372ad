import { describe, expect, it } from 'vitest';
import { publishOffer } from '../test/offers.js';
import { MAX_PUBLISH_SECTIONS, PublishOffer } from './PublishOffer.js';

describe('PublishOffer.problem()', () => {
  it('passes a browser offer', async () => {
    expect(PublishOffer.problem(await publishOffer(['audio', 'video']))).toBeNull();
  });

  it('names what is not a publish offer, before anything parses it', () => {
    const refusal = 'publish sdp is not an SDP offer with audio or video sections';
    expect(PublishOffer.problem('hello')).toBe(refusal);
    expect(PublishOffer.problem('v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel')).toBe(
      refusal,
    );
  });

  it('refuses more media sections than any publisher needs', async () => {
    const one = await publishOffer(['audio']);
    const section = one.slice(one.indexOf('m=audio'));
    const many = one + section.repeat(MAX_PUBLISH_SECTIONS);
    expect(PublishOffer.problem(many)).toBe(
      `publish sdp has ${MAX_PUBLISH_SECTIONS + 1} media sections; at most ${MAX_PUBLISH_SECTIONS} are accepted`,
    );
  });
});

describe('PublishOffer: offers from non-browser WHIP clients', () => {
  const caps = [
    {
      kind: 'audio' as const,
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      preferredPayloadType: 100,
    },
    {
      kind: 'video' as const,
      mimeType: 'video/H264',
      clockRate: 90000,
      preferredPayloadType: 102,
      parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
    },
  ];
  /** What GStreamer's webrtcbin offers with max-bundle: the second section is bundle-only. */
  const gstreamerOffer = (profileLevelId: string) =>
    [
      'v=0',
      'o=- 1 0 IN IP4 0.0.0.0',
      's=-',
      't=0 0',
      'a=group:BUNDLE video0 audio1',
      'm=video 9 UDP/TLS/RTP/SAVPF 102',
      'c=IN IP4 0.0.0.0',
      'a=setup:actpass',
      'a=ice-ufrag:u1',
      'a=ice-pwd:p1p1p1p1p1p1p1p1p1p1p1p1',
      'a=rtcp-mux',
      'a=sendonly',
      'a=rtpmap:102 H264/90000',
      `a=fmtp:102 packetization-mode=1;profile-level-id=${profileLevelId}`,
      'a=ssrc:1111 cname:gst',
      'a=mid:video0',
      'a=fingerprint:sha-256 0C:5A:4E:3A:78:BC:91:AA:7E:01:B9:20:8C:C3:AB:9F:E3:96:54:16:F3:31:EB:47:BB:55:72:F8:FB:C3:E2:C9',
      'm=audio 0 UDP/TLS/RTP/SAVPF 111',
      'c=IN IP4 0.0.0.0',
      'a=setup:actpass',
      'a=bundle-only',
      'a=rtcp-mux',
      'a=sendonly',
      'a=rtpmap:111 OPUS/48000/2',
      'a=ssrc:2222 cname:gst',
      'a=mid:audio1',
      '',
    ].join('\r\n');

  it('reads a bundle-only section (port 0 + a=bundle-only) as a track, not a closed section', () => {
    const offer = new PublishOffer(gstreamerOffer('42e01f'), caps);
    expect(offer.tracks.map((t) => [t.mid, t.kind])).toEqual([
      ['video0', 'video'],
      ['audio1', 'audio'],
    ]);
  });

  it('takes constrained baseline H264 written 42c0.. (x264) as the router’s 42e0..; refuses High', () => {
    expect(new PublishOffer(gstreamerOffer('42c00d'), caps).tracks[0]?.kind).toBe('video');
    expect(new PublishOffer(gstreamerOffer('640028'), caps).tracks.map((t) => t.kind)).toEqual([
      'audio',
    ]);
  });
});
