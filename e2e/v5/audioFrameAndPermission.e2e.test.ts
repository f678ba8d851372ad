/**
 * v5 events that report the browser: AUDIO_FRAME (`enableAudioFrameEvent`: 40 ms PCM frames
 * of the local microphone or a remote user at the asked rate and channels, checked against a
 * 440 Hz tone of known level) and PERMISSION_STATE_CHANGE (camera and microphone permission
 * changes made through Chromium's own permission control).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { median, randomRoomId, sleep, useE2eEnvironment, waitFor } from '../harness.js';
import { enterRoom, errorOf, openV5Page, waitForEvent } from './v5Page.js';

const env = useE2eEnvironment();

interface FrameStats {
  userId: string;
  sampleRate: number;
  channelCount: number;
  channels: number;
  length: number;
  /** Per channel: root mean square and zero crossings. */
  rms: number[];
  crossings: number[];
}

interface FramePage {
  trtc: {
    on(name: string, handler: (e: unknown) => void): void;
    startLocalAudio(o: object): Promise<void>;
    callExperimentalAPI(name: string, o: object): Promise<unknown>;
  };
  __frames: FrameStats[];
}

/** Keeps each AUDIO_FRAME's measures (not its samples) in `window.__frames`. */
const recordFrames = (page: Page): Promise<void> =>
  page.evaluate(() => {
    const w = window as unknown as FramePage;
    w.__frames = [];
    w.trtc.on('audio-frame', (e) => {
      const f = e as {
        userId: string;
        sampleRate: number;
        channelCount: number;
        data: Float32Array | Float32Array[];
      };
      const channels = f.data instanceof Float32Array ? [f.data] : f.data;
      const rms: number[] = [];
      const crossings: number[] = [];
      for (const c of channels) {
        let sum = 0;
        let zc = 0;
        for (let i = 0; i < c.length; i++) {
          sum += c[i]! * c[i]!;
          if (i > 0 && c[i - 1]! < 0 !== c[i]! < 0) zc++;
        }
        rms.push(Math.sqrt(sum / c.length));
        crossings.push(zc);
      }
      w.__frames.push({
        userId: f.userId,
        sampleRate: f.sampleRate,
        channelCount: f.channelCount,
        channels: channels.length,
        length: channels[0]!.length,
        rms,
        crossings,
      });
    });
  });

const frames = (page: Page): Promise<FrameStats[]> =>
  page.evaluate(() => (window as unknown as FramePage).__frames);

/** Waits for `count` frames carrying the tone (the first ones may be silence). */
const toneFrames = (page: Page, userId: string, count = 15): Promise<FrameStats[]> =>
  waitFor(`${count} AUDIO_FRAMEs of ${userId || 'the microphone'} with the tone`, async () => {
    const loud = (await frames(page)).filter((f) => f.userId === userId && f.rms[0]! > 0.1);
    return loud.length >= count ? loud : null;
  });

const setFrames = (page: Page, options: object): Promise<unknown> =>
  page.evaluate(
    (o) => (window as unknown as FramePage).trtc.callExperimentalAPI('enableAudioFrameEvent', o),
    options,
  );

describe('TRTC v5 AUDIO_FRAME and PERMISSION_STATE_CHANGE', () => {
  it("AUDIO_FRAME: the microphone's and a remote user's PCM at the asked rate and channels carry the tone", async () => {
    const roomId = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);
    await enterRoom(alice.page, env.parley, 'alice', { roomId });
    // A 440 Hz sine at amplitude 0.5 (RMS 0.354) as alice's microphone.
    await alice.page.evaluate(async () => {
      const context = new AudioContext();
      const oscillator = context.createOscillator();
      oscillator.frequency.value = 440;
      const gain = context.createGain();
      gain.gain.value = 0.5;
      const destination = context.createMediaStreamDestination();
      oscillator.connect(gain).connect(destination);
      oscillator.start();
      await context.resume();
      await (window as unknown as FramePage).trtc.startLocalAudio({
        option: { audioTrack: destination.stream.getAudioTracks()[0] },
      });
    });
    await recordFrames(alice.page);
    await setFrames(alice.page, { enable: true, userId: '', sampleRate: 48000, channelCount: 2 });
    const local = await toneFrames(alice.page, '');
    for (const f of local) {
      expect(f).toMatchObject({ sampleRate: 48000, channelCount: 2, channels: 2, length: 1920 });
    }
    // Both channels carry the tone at its level: RMS 0.354, 35.2 zero crossings per 40 ms.
    for (const c of [0, 1]) {
      expect(median(local.map((f) => f.rms[c]!))).toBeGreaterThan(0.3);
      expect(median(local.map((f) => f.rms[c]!))).toBeLessThan(0.4);
      expect(median(local.map((f) => f.crossings[c]!))).toBeGreaterThanOrEqual(33);
      expect(median(local.map((f) => f.crossings[c]!))).toBeLessThanOrEqual(37);
    }

    await enterRoom(bob.page, env.parley, 'bob', { roomId });
    await recordFrames(bob.page);
    await setFrames(bob.page, { enable: true, userId: 'alice', sampleRate: 16000 });
    const remote = await toneFrames(bob.page, 'alice');
    for (const f of remote) {
      expect(f).toMatchObject({ sampleRate: 16000, channelCount: 1, channels: 1, length: 640 });
    }
    // Through Opus and back: the same tone, its level within the codec's error.
    expect(median(remote.map((f) => f.rms[0]!))).toBeGreaterThan(0.2);
    expect(median(remote.map((f) => f.rms[0]!))).toBeLessThan(0.5);
    expect(median(remote.map((f) => f.crossings[0]!))).toBeGreaterThanOrEqual(32);
    expect(median(remote.map((f) => f.crossings[0]!))).toBeLessThanOrEqual(38);

    // Turned off: no more frames of alice.
    await setFrames(bob.page, { enable: false, userId: 'alice' });
    await sleep(200);
    const stopped = (await frames(bob.page)).length;
    await sleep(1000);
    expect((await frames(bob.page)).length).toBe(stopped);

    // v5's checks: a rate it does not offer, a missing userId.
    for (const bad of [
      { enable: true, userId: '', sampleRate: 22050 },
      { enable: true },
      { enable: true, userId: '', channelCount: 3 },
    ]) {
      expect(
        await errorOf(bob.page, 'callExperimentalAPI', 'enableAudioFrameEvent', bad),
      ).toMatchObject({ code: 5000 });
    }
    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
  });

  it("PERMISSION_STATE_CHANGE: Chromium's permission changes, with both states", async () => {
    const { page, pageErrors } = await openV5Page(env.browser, env.app.origin);
    const origin = new URL(page.url()).origin;
    const context = page.context();
    // The instance queried both states when it was made; a query now resolves after those.
    const initial = await page.evaluate(async () => {
      const q = (name: string) =>
        navigator.permissions.query({ name: name as PermissionName }).then((s) => s.state);
      return { camera: await q('camera'), microphone: await q('microphone') };
    });
    const cdp = await context.newCDPSession(page);
    // The page's own browser context (playwright's), not the browser's default one.
    const { targetInfo } = await cdp.send('Target.getTargetInfo');
    const set = (name: string, setting: 'granted' | 'denied' | 'prompt') =>
      cdp.send('Browser.setPermission', {
        permission: { name },
        setting,
        origin,
        ...(targetInfo.browserContextId ? { browserContextId: targetInfo.browserContextId } : {}),
      });
    await set('camera', 'denied');
    await waitForEvent(page, 'permission-state-change', {
      camera: 'denied',
      microphone: initial.microphone,
    });
    await set('camera', 'granted');
    await waitForEvent(page, 'permission-state-change', {
      camera: 'granted',
      microphone: initial.microphone,
    });
    await set('microphone', initial.microphone === 'denied' ? 'granted' : 'denied');
    await waitForEvent(page, 'permission-state-change', {
      camera: 'granted',
      microphone: initial.microphone === 'denied' ? 'granted' : 'denied',
    });
    expect(pageErrors).toEqual([]);
  });
});
