import { describe, expect, it } from 'vitest';
import type { RoomEngine } from '../../engine/RoomEngine.js';
import type { LocalMedia } from '../LocalMedia.js';
import { PluginRegistry, type PluginHost } from './registry.js';

/** A host whose parts fail the test if a rejected call reached them. */
function host(): PluginHost {
  const untouched = (): never => {
    throw new Error('a rejected call must change nothing');
  };
  return {
    engine: {} as RoomEngine,
    local: { setAudioProcessor: untouched } as unknown as LocalMedia,
    autoplayFailed: untouched,
    createProbe: untouched,
  };
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: { code: number; extraCode?: number; name: string; message: string }) => ({
      code: e.code,
      extraCode: e.extraCode,
      name: e.name,
      message: e.message,
    }),
  );

describe('v5 plugin registry', () => {
  it('refuses a plugin Parley does not run with ENV_NOT_SUPPORTED / 5210, naming it', async () => {
    const plugins = new PluginRegistry(host());
    // 'constructor' and 'toString' name no plugin, though every object has them.
    for (const plugin of [
      'VirtualBackground',
      { Name: 'Beauty' },
      { getName: () => 'Chorus' },
      'constructor',
      'toString',
    ]) {
      const error = await rejection(plugins.call('start', plugin, {}));
      expect(error).toMatchObject({ code: 5200, extraCode: 5210, name: 'ENV_NOT_SUPPORTED' });
      expect(error!.message).toMatch(/VirtualBackground|Beauty|Chorus|constructor|toString/);
    }
    expect(await rejection(plugins.call('stop', 42, {}))).toMatchObject({ code: 5200 });
  });

  it("checks AudioMixer's options as v5 (5000 and the rule's extraCode) before touching anything", async () => {
    const plugins = new PluginRegistry(host());
    const start = (options: unknown) => rejection(plugins.call('start', 'AudioMixer', options));
    expect(await start(undefined)).toMatchObject({ code: 5000, extraCode: 5001 });
    expect(await start({ url: 'a.mp3' })).toMatchObject({ code: 5000, extraCode: 5001 });
    expect(await start({ id: 7, url: 'a.mp3' })).toMatchObject({ code: 5000, extraCode: 5002 });
    // v5 takes mp3/ogg/wav/flac by name (query string allowed), blob: and data: URLs.
    expect(await start({ id: 'a', url: 'https://cdn/x.txt' })).toMatchObject({ code: 5000 });
    expect((await start({ id: 'a', url: 'https://cdn/x.txt' }))!.extraCode).toBeUndefined();
    expect(await start({ id: 'a' })).toMatchObject({ code: 5000 });
    expect(await start({ id: 'a', url: 'x.mp3', volume: -0.1 })).toMatchObject({ extraCode: 5007 });
    expect(await start({ id: 'a', url: 'x.mp3', volume: 1.5 })).toMatchObject({ extraCode: 5008 });
    expect(await start({ id: 'a', url: 'x.wav?v=2', loop: 1 })).toMatchObject({ extraCode: 5002 });
    expect(await start({ id: 'a', url: 'x.ogg', onEnded: 'no' })).toMatchObject({ code: 5000 });
    const update = (options: unknown) => rejection(plugins.call('update', 'AudioMixer', options));
    expect(await update({ id: 'a', operation: 'rewind' })).toMatchObject({ extraCode: 5005 });
    expect(await update({ id: 'a', seekFrom: -1 })).toMatchObject({ extraCode: 5007 });
    // Updating an id that is not mixed does nothing (v5 only warns).
    expect(await update({ id: 'nothing', volume: 0.5 })).toBeNull();
    expect(await rejection(plugins.call('stop', 'AudioMixer', {}))).toMatchObject({
      extraCode: 5001,
    });
  });

  it("checks DeviceDetector's options as v5", async () => {
    const plugins = new PluginRegistry(host());
    const start = (options: unknown) => rejection(plugins.call('start', 'DeviceDetector', options));
    expect(await start({ allowSkip: 'yes' })).toMatchObject({ code: 5000, extraCode: 5002 });
    expect(await start({ language: 'fr' })).toMatchObject({ code: 5000, extraCode: 5005 });
    expect(await start({ cameraDetect: { mirror: 1 } })).toMatchObject({ extraCode: 5002 });
    expect(await start({ networkDetect: { sdkAppId: 1, userId: 'u' } })).toMatchObject({
      code: 5000,
      extraCode: 5001,
    });
    expect(
      await start({ networkDetect: { sdkAppId: '1', userId: 'u', userSig: 's' } }),
    ).toMatchObject({ extraCode: 5002 });
  });
});
