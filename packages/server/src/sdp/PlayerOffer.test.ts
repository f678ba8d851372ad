import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediasoupEngine } from '../media/mediasoup/MediasoupEngine.js';
import { playerOffer } from '../test/offers.js';
import { FAKE_CODECS } from '../media/fake/FakeEngine.js';
import { PlayerOffer, playerCodecs, slotCapabilities } from './PlayerOffer.js';
import { SdpError } from './PublishOffer.js';

describe('PlayerOffer (WHEP)', () => {
  it('takes the first receiving audio and video sections with what the player decodes', async () => {
    const offer = new PlayerOffer(await playerOffer(['audio', 'video']));
    expect(offer.slots.map((s) => [s.mid, s.kind])).toEqual([
      ['0', 'audio'],
      ['1', 'video'],
    ]);
    const video = offer.slots[1]!.rtpCapabilities.codecs.find((c) => c.mimeType === 'video/VP8');
    expect(video?.preferredPayloadType).toBeTypeOf('number');
  });

  it('refuses what is no player offer with an SdpError saying why', async () => {
    expect(() => new PlayerOffer('hello')).toThrow(SdpError);
    expect(() => new PlayerOffer('v=0\r\n')).toThrow(/not an SDP offer/);
    expect(() => new PlayerOffer(sendOnlyOffer)).toThrow(/no audio or video section/);
  });

  it("gives the session's router the codec each stream is sent in, numbered as the player offers it: no RTX, nothing else", async () => {
    const offer = new PlayerOffer(await playerOffer(['audio', 'video']));
    const sent = [FAKE_CODECS[0]!, FAKE_CODECS[1]!];
    const codecs = playerCodecs(FAKE_CODECS, offer.slots, sent);
    const offered = (mime: string) =>
      offer.slots
        .flatMap((s) => s.rtpCapabilities.codecs)
        .find((c) => c.mimeType.toLowerCase() === mime)?.preferredPayloadType;
    expect(codecs.map((c) => [c.mimeType, c.preferredPayloadType])).toEqual([
      ['audio/opus', offered('audio/opus')],
      ['video/VP8', offered('video/vp8')],
    ]);
    // What to consume for the video slot: the router's video codecs the player has, no RTX.
    const caps = slotCapabilities({ codecs, headerExtensions: [] }, offer.slots[1]!);
    expect(caps.codecs.map((c) => [c.kind, c.preferredPayloadType])).toEqual([
      ['video', offered('video/vp8')],
    ]);
    // A stream in a codec the player does not decode: nothing for its slot.
    const h264Only = playerCodecs(FAKE_CODECS, offer.slots.slice(1), [
      { ...FAKE_CODECS[2]!, parameters: { 'packetization-mode': 1, 'profile-level-id': '640032' } },
    ]);
    expect(h264Only).toEqual([]);
  });

  it('refuses payload types outside 0-127 (SdpError naming the section)', () => {
    const offer = vp8H264Offer.replaceAll(' 100', ' 300').replace('a=rtpmap:100', 'a=rtpmap:300');
    expect(() => new PlayerOffer(offer)).toThrow(/payload type 300; RTP payload types are 0-127/);
  });
});

describe('a WHEP session router through the engine (mediasoup)', () => {
  const engine = new MediasoupEngine({
    workers: 1,
    listenIps: ['127.0.0.1'],
    log: pino({ level: 'silent' }),
  });
  beforeAll(() => engine.start());
  afterAll(() => engine.close());

  it('is made for an offer with VP8 at 96 and H264 at 100 (where the engine would number VP8 RTX 100)', async () => {
    const room = await engine.createRouter();
    const offer = new PlayerOffer(vp8H264Offer);
    const vp8 = room.rtpCapabilities.codecs.find((c) => c.mimeType === 'video/VP8')!;
    const codecs = playerCodecs(room.rtpCapabilities.codecs, offer.slots, [vp8]);
    const router = await engine.createRouter(codecs);
    expect(codecs.map((c) => [c.mimeType, c.preferredPayloadType])).toEqual([['video/VP8', 96]]);
    expect(
      router.rtpCapabilities.codecs.find((c) => c.mimeType === 'video/VP8')?.preferredPayloadType,
    ).toBe(96);
    router.close();
    room.close();
  });
});

/** A player's offer: one recvonly video section with VP8 at 96 and H264 at 100. */
const vp8H264Offer = [
  'v=0',
  'o=- 1 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 100',
  'c=IN IP4 0.0.0.0',
  'a=setup:actpass',
  'a=recvonly',
  'a=mid:0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:100 H264/90000',
  'a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=fingerprint:sha-256 0C:5A:4E:3A:78:BC:91:AA:7E:01:B9:20:8C:C3:AB:9F:E3:96:54:16:F3:31:EB:47:BB:55:72:F8:FB:C3:E2:C9',
  '',
].join('\r\n');

/** A valid offer whose only section sends: nothing a player receives on. */
const sendOnlyOffer = [
  'v=0',
  'o=- 1 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=setup:actpass',
  'a=sendonly',
  'a=mid:0',
  'a=rtpmap:96 VP8/90000',
  'a=fingerprint:sha-256 0C:5A:4E:3A:78:BC:91:AA:7E:01:B9:20:8C:C3:AB:9F:E3:96:54:16:F3:31:EB:47:BB:55:72:F8:FB:C3:E2:C9',
  '',
].join('\r\n');
