import { checkMixConfig } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { checkCdnOptions, checkTarget } from './cdnStreamingOptions.js';

const layout = (userId: string, x: number, extra: Record<string, unknown> = {}) => ({
  fixedVideoUser: { userId },
  fixedVideoStreamType: 'main',
  width: 320,
  height: 180,
  locationX: x,
  locationY: 0,
  zOrder: 1,
  ...extra,
});

const mixOptions = (extra: Record<string, unknown> = {}) => ({
  target: { publishMode: 'publish-mix-stream-to-cdn', streamId: 'm1' },
  encoding: { videoWidth: 640, videoHeight: 360 },
  mix: {
    audioMixUserList: [{ userId: 'alice' }, { userId: 'carol' }],
    videoLayoutList: [layout('alice', 0), layout('bob', 320, { fixedVideoStreamType: 'sub' })],
  },
  ...extra,
});

function errorOf(run: () => unknown): { code?: number; extraCode?: number; message: string } {
  try {
    run();
  } catch (error) {
    return error as { code: number; extraCode?: number; message: string };
  }
  throw new Error('did not throw');
}

describe('CDNStreaming options', () => {
  it('takes v5 runtime publish modes and the d.ts enum names', () => {
    expect(checkTarget({ target: { publishMode: 'publish-main-stream-to-cdn' } }, 'f').mode).toBe(
      'main',
    );
    expect(checkTarget({ target: { publishMode: 'PublishSubStreamToCDN' } }, 'f').mode).toBe('sub');
    const bad = errorOf(() => checkTarget({ target: { publishMode: 'toString' } }, 'startPlugin'));
    expect(bad).toMatchObject({ code: 5000 });
    expect(bad.message).toContain('target.publishMode');
  });

  it('names the field with v5 codes: streamId 5011, encoding and mix required 5001, zOrder range', () => {
    expect(
      errorOf(() =>
        checkTarget({ target: { publishMode: 'PublishMainStreamToCDN', streamId: 'a b' } }, 'f'),
      ),
    ).toMatchObject({ code: 5000, extraCode: 5011 });
    const noEncoding = errorOf(() =>
      checkCdnOptions(
        { target: { publishMode: 'PublishMixStreamToCDN' }, mix: {} },
        'f',
        'alice',
        true,
      ),
    );
    expect(noEncoding).toMatchObject({ code: 5000, extraCode: 5001 });
    expect(noEncoding.message).toContain("'encoding'");
    const zOrder = errorOf(() =>
      checkCdnOptions(
        mixOptions({ mix: { videoLayoutList: [layout('alice', 0, { zOrder: 16 })] } }),
        'f',
        'alice',
        true,
      ),
    );
    expect(zOrder).toMatchObject({ code: 5000 });
    expect(zOrder.message).toContain('mix.videoLayoutList[0].zOrder');
    const notSelf = errorOf(() => checkCdnOptions(mixOptions(), 'f', 'zoe', true));
    expect(notSelf.message).toContain('must include the caller');
    const small = errorOf(() =>
      checkCdnOptions(
        mixOptions({ encoding: { videoWidth: 600, videoHeight: 360 } }),
        'f',
        'alice',
        true,
      ),
    );
    expect(small.message).toContain('encompass');
  });

  it("becomes v4's mix: sub as auxiliary, sound only from audioMixUserList, audio-only users added", () => {
    const { mix } = checkCdnOptions(mixOptions(), 'f', 'alice', true);
    expect(mix).toMatchObject({ streamId: 'm1', videoWidth: 640, videoHeight: 360 });
    expect(mix!.mixUsers).toEqual([
      expect.objectContaining({ userId: 'alice', streamType: 'main', locationX: 0 }),
      expect.objectContaining({ userId: 'bob', streamType: 'auxiliary', pureVideo: true }),
      { userId: 'carol', pureAudio: true },
    ]);
    expect(mix!.mixUsers[0]).not.toHaveProperty('pureVideo');
    // The server's own check accepts it.
    expect(checkMixConfig(mix, 'alice')).toMatchObject({ ok: true });
  });
});
