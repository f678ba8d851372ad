/**
 * The v5 build as a page loads it: `<script src="/sdk/trtc-v5.js">` gives the global `TRTC`
 * class with trtc-sdk-v5's constant tables (compared with Tencent's own trtc-sdk-v5 5.17.1
 * bundle loaded in Chromium), `TRTC.isSupported()` probing this Chromium, the device lists
 * with labels, `/sdk/trtc-v5.esm.js` as an ES module with the same default export, the
 * d.ts served, and `TRTC.create()` making instances with v5's methods.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newPage, useE2eEnvironment } from '../harness.js';

const env = useE2eEnvironment();

/** Tencent's UMD bundle of trtc-sdk-v5 (an e2e devDependency). */
const TENCENT_BUNDLE = join(
  dirname(createRequire(import.meta.url).resolve('trtc-sdk-v5/package.json')),
  'trtc.js',
);

interface Tables {
  EVENT: Record<string, string>;
  TYPE: Record<string, string>;
  ERROR_CODE: Record<string, number>;
}

interface V5Statics extends Tables {
  VERSION: string;
  create(options?: object): unknown;
  isSupported(): Promise<{ result: boolean; detail: Record<string, boolean> }>;
  getCameraList(requestPermission?: boolean): Promise<MediaDeviceInfo[]>;
  getMicrophoneList(requestPermission?: boolean): Promise<MediaDeviceInfo[]>;
  getSpeakerList(requestPermission?: boolean): Promise<MediaDeviceInfo[]>;
}

async function openV5(): Promise<Page> {
  const { page } = await newPage(env.browser);
  await page.goto(`${env.app.origin}/v5.html`);
  return page;
}

const tables = (page: Page): Promise<Tables> =>
  page.evaluate(() => {
    const T = (window as unknown as { TRTC: Tables }).TRTC;
    return { EVENT: { ...T.EVENT }, TYPE: { ...T.TYPE }, ERROR_CODE: { ...T.ERROR_CODE } };
  });

describe('/sdk/trtc-v5.js', () => {
  it("TRTC.EVENT, TRTC.TYPE and TRTC.ERROR_CODE equal trtc-sdk-v5 5.17.1's at run time", async () => {
    const ours = await tables(await openV5());
    const { page: tencent } = await newPage(env.browser);
    await tencent.goto(`${env.app.origin}/v5.html`);
    // Replace Parley's global with Tencent's bundle (UMD: no loader on the page → global).
    await tencent.evaluate(() => {
      (window as unknown as { TRTC?: unknown }).TRTC = undefined;
    });
    await tencent.addScriptTag({ path: TENCENT_BUNDLE });
    const theirs = await tables(tencent);
    expect(Object.keys(theirs.EVENT).length).toBeGreaterThan(25);
    expect(ours).toEqual(theirs);
  });

  it('TRTC.VERSION names the v5 API; isSupported() probes this Chromium', async () => {
    const page = await openV5();
    const { version, support } = await page.evaluate(async () => {
      const T = (window as unknown as { TRTC: V5Statics }).TRTC;
      return { version: T.VERSION, support: await T.isSupported() };
    });
    expect(version).toMatch(/^5\.\d+\.\d+-parley\./);
    expect(support.result).toBe(true);
    expect(support.detail).toMatchObject({
      isBrowserSupported: true,
      isWebRTCSupported: true,
      isMediaDevicesSupported: true,
      isScreenShareSupported: true,
      isSmallStreamSupported: true,
      isH264EncodeSupported: true,
      isH264DecodeSupported: true,
      isVp8EncodeSupported: true,
      isVp8DecodeSupported: true,
    });
  });

  it('lists the fake camera, microphone and speakers with their labels', async () => {
    const page = await openV5();
    const lists = await page.evaluate(async () => {
      const T = (window as unknown as { TRTC: V5Statics }).TRTC;
      const shape = (list: MediaDeviceInfo[]) =>
        list.map((d) => ({ kind: d.kind, labelled: d.label !== '', id: d.deviceId !== '' }));
      return {
        cameras: shape(await T.getCameraList()),
        microphones: shape(await T.getMicrophoneList()),
        speakers: shape(await T.getSpeakerList()),
      };
    });
    expect(lists.cameras.length).toBeGreaterThanOrEqual(1);
    expect(lists.microphones.length).toBeGreaterThanOrEqual(1);
    for (const d of lists.cameras)
      expect(d).toEqual({ kind: 'videoinput', labelled: true, id: true });
    for (const d of lists.microphones) {
      expect(d).toEqual({ kind: 'audioinput', labelled: true, id: true });
    }
    for (const d of lists.speakers) expect(d.kind).toBe('audiooutput');
  });

  it('TRTC.create() returns an instance with the v5 methods, each its own (no shared state)', async () => {
    const page = await openV5();
    const made = await page.evaluate(() => {
      const T = (window as unknown as { TRTC: V5Statics }).TRTC;
      const a = T.create() as Record<string, unknown>;
      const b = T.create() as Record<string, unknown>;
      const methods = [
        'enterRoom',
        'exitRoom',
        'switchRole',
        'switchRoom',
        'destroy',
        'startLocalAudio',
        'updateLocalAudio',
        'stopLocalAudio',
        'startLocalVideo',
        'updateLocalVideo',
        'stopLocalVideo',
        'startScreenShare',
        'updateScreenShare',
        'stopScreenShare',
        'startRemoteVideo',
        'updateRemoteVideo',
        'stopRemoteVideo',
        'muteRemoteAudio',
        'setRemoteAudioVolume',
        'enableAudioVolumeEvaluation',
        'on',
        'off',
        'getAudioTrack',
        'getVideoTrack',
        'getVideoSnapshot',
        'sendSEIMessage',
        'sendCustomMessage',
        'startPlugin',
        'updatePlugin',
        'stopPlugin',
        'use',
        'callExperimentalAPI',
      ];
      return {
        missing: methods.filter((m) => typeof a[m] !== 'function'),
        distinct: a !== b,
        vSkip: a.__v_skip,
      };
    });
    expect(made).toEqual({ missing: [], distinct: true, vSkip: true });
  });

  it('/sdk/trtc-v5.esm.js default-exports the same TRTC; /sdk/trtc-v5.d.ts is served', async () => {
    const page = await openV5();
    // A string, so that vitest does not rewrite the page's import() into its own loader.
    const esm = (await page.evaluate(`
      import(${JSON.stringify(`${env.parley.origin}/sdk/trtc-v5.esm.js`)}).then((module) => ({
        version: module.default.VERSION,
        events: Object.keys(module.default.EVENT).length,
        sameEvents: JSON.stringify(module.default.EVENT) === JSON.stringify(window.TRTC.EVENT),
        hasRtcError: typeof module.RtcError === 'function',
      }))
    `)) as { version: string; events: number; sameEvents: boolean; hasRtcError: boolean };
    expect(esm).toMatchObject({ sameEvents: true, hasRtcError: true });
    expect(esm.events).toBeGreaterThan(25);
    expect(esm.version).toMatch(/^5\./);

    const dts = await fetch(`${env.parley.origin}/sdk/trtc-v5.d.ts`);
    expect(dts.status).toBe(200);
    expect(await dts.text()).toMatch(/export \{ default \} from/);
  });
});
