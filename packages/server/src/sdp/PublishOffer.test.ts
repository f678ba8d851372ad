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
