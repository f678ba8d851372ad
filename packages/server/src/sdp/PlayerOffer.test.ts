import { describe, expect, it } from 'vitest';
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

  it("numbers the router's codecs with the player's payload types, leaving out RTX and what it does not decode", async () => {
    const offer = new PlayerOffer(await playerOffer(['audio', 'video']));
    const codecs = playerCodecs(FAKE_CODECS, offer.slots);
    const offered = (mime: string) =>
      offer.slots
        .flatMap((s) => s.rtpCapabilities.codecs)
        .find((c) => c.mimeType.toLowerCase() === mime)?.preferredPayloadType;
    const opus = codecs.find((c) => c.mimeType === 'audio/opus');
    expect(opus?.preferredPayloadType).toBe(offered('audio/opus'));
    expect(opus?.preferredPayloadType).not.toBe(100);
    const vp8 = codecs.find((c) => c.mimeType === 'video/VP8');
    expect(vp8?.preferredPayloadType).toBe(offered('video/vp8'));
    expect(codecs.some((c) => /rtx/i.test(c.mimeType))).toBe(false);
    // What to consume for the video slot: the router's video codecs the player has, no RTX.
    const caps = slotCapabilities({ codecs, headerExtensions: [] }, offer.slots[1]!);
    expect(caps.codecs.every((c) => c.kind === 'video')).toBe(true);
    expect(caps.codecs.map((c) => c.preferredPayloadType)).toContain(offered('video/vp8'));
  });
});

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
