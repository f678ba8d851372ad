import { describe, expect, it } from 'vitest';
import { checkMixConfig, defaultStreamId, PublishCdnSchema } from './mediaOut.js';

const alice = {
  userId: 'alice',
  pureAudio: false,
  width: 320,
  height: 240,
  locationX: 0,
  locationY: 0,
  zOrder: 1,
};

function message(config: unknown, caller = 'alice'): string {
  const check = checkMixConfig(config, caller);
  if (check.ok) throw new Error('expected a refusal');
  return check.message;
}

describe('checkMixConfig', () => {
  it("applies v4's defaults: 640×480, 15 fps, GOP 2, 48 kHz, 64 kbit/s, 1 channel, black, manual", () => {
    const check = checkMixConfig({ mixUsers: [alice] }, 'alice');
    expect(check).toEqual({
      ok: true,
      config: {
        mode: 'manual',
        streamId: '',
        videoWidth: 640,
        videoHeight: 480,
        videoBitrate: 800,
        videoFramerate: 15,
        videoGOP: 2,
        audioSampleRate: 48000,
        audioBitrate: 64,
        audioChannels: 1,
        backgroundColor: 0,
        backgroundImage: '',
        mixUsers: [{ ...alice, streamType: 'main', renderMode: 0 }],
      },
    });
  });

  it('refuses, naming the field: caller missing, zOrder, box larger than the canvas, fps, GOP, audio bitrate', () => {
    expect(message({ mixUsers: [{ ...alice, userId: 'bob' }] })).toBe(
      'config.mixUsers must include the caller (alice)',
    );
    expect(message({ mixUsers: [{ ...alice, zOrder: undefined }] })).toMatch(
      /^config\.mixUsers\[0\]\.zOrder must be an integer from 1 to 15/,
    );
    expect(message({ mixUsers: [{ ...alice, zOrder: 16 }] })).toMatch(/mixUsers\[0\]\.zOrder/);
    expect(message({ mixUsers: [{ ...alice, width: 700 }] })).toMatch(
      /mixUsers\[0\].*does not fit the canvas/,
    );
    // v4 checks where the box reaches, not only its size: 320 wide at x 400 > 640.
    expect(message({ mixUsers: [{ ...alice, locationX: 400 }] })).toMatch(
      /^config\.mixUsers\[0\]: its box \(320×240 at 400,0, reaching 720×240\) does not fit/,
    );
    expect(message({ mixUsers: [{ ...alice, locationY: 241 }] })).toMatch(/reaching 320×481/);
    // renderMode: v4's list is 0, 1, 2, 4.
    expect(message({ mixUsers: [{ ...alice, renderMode: 3 }] })).toMatch(
      /^config\.mixUsers\.0\.renderMode/,
    );
    expect(message({ backgroundImage: 'x'.repeat(65), mixUsers: [alice] })).toMatch(
      /^config\.backgroundImage/,
    );
    expect(message({ videoFramerate: 0, mixUsers: [alice] })).toMatch(/^config\.videoFramerate/);
    expect(message({ videoFramerate: 31, mixUsers: [alice] })).toMatch(/^config\.videoFramerate/);
    expect(message({ videoGOP: 9, mixUsers: [alice] })).toMatch(/^config\.videoGOP/);
    expect(message({ videoGOP: 0, mixUsers: [alice] })).toMatch(/^config\.videoGOP/);
    expect(message({ audioBitrate: 31, mixUsers: [alice] })).toMatch(/^config\.audioBitrate/);
    expect(message({ audioBitrate: 193, mixUsers: [alice] })).toMatch(/^config\.audioBitrate/);
    expect(message({ audioChannels: 3, mixUsers: [alice] })).toMatch(/^config\.audioChannels/);
    expect(message({ mixUsers: 'x' })).toMatch(/^config\.mixUsers/);
    expect(message({ streamId: 'a b', mixUsers: [alice] })).toMatch(/^config\.streamId/);
  });

  it('takes the limits themselves and pure-audio users without a box or zOrder', () => {
    const check = checkMixConfig(
      {
        videoFramerate: 30,
        videoGOP: 8,
        audioBitrate: 192,
        mixUsers: [
          { ...alice, width: 640, height: 480 },
          { userId: 'bob', pureAudio: true },
        ],
      },
      'alice',
    );
    expect(check.ok).toBe(true);
    const lower = checkMixConfig({ videoGOP: 1, audioBitrate: 32, mixUsers: [alice] }, 'alice');
    expect(lower.ok).toBe(true);
    // A box touching the canvas's far edges fits; renderMode 4 passes as in v4.
    const edge = checkMixConfig(
      { mixUsers: [{ ...alice, locationX: 320, locationY: 240, renderMode: 4 }] },
      'alice',
    );
    expect(edge.ok && edge.config.mixUsers[0]!.renderMode).toBe(4);
  });

  it('a preset layout need not name the caller (placeholders stand for users)', () => {
    const check = checkMixConfig(
      { mode: 'preset-layout', mixUsers: [{ ...alice, userId: '$PLACE_HOLDER_REMOTE$' }] },
      'alice',
    );
    expect(check.ok).toBe(true);
  });
});

describe('startPublishCDNStream options', () => {
  it('accepts rtmp:// and rtmps:// URLs as given, with appId and bizId', () => {
    expect(
      PublishCdnSchema.safeParse({
        streamType: 'main',
        appId: 1,
        bizId: 2,
        url: 'rtmps://live.example.com/app/key?x=1',
      }).success,
    ).toBe(true);
    expect(PublishCdnSchema.safeParse({ streamType: 'main', url: 'http://x/y' }).success).toBe(
      false,
    );
    expect(PublishCdnSchema.safeParse({ streamType: 'main', url: 'rtmp://host' }).success).toBe(
      false,
    );
  });

  it("default stream ids are v4's, safe as RTMP stream names", () => {
    expect(defaultStreamId(1400000001, 1234, 'alice')).toBe('1400000001_1234_alice_main');
    expect(defaultStreamId(1400000001, 'room a', 'bob', 'auxiliary')).toBe(
      '1400000001_room_a_bob_aux',
    );
  });
});
