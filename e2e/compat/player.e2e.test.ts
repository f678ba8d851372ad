/**
 * The Stream methods apps call on what they play: play() options on the elements, resume()
 * after a blocked autoplay, volume and output device, the audio level, the tracks, a
 * snapshot of the picture, and the player-state-changed events.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { waitFor, useE2eEnvironment } from '../harness.js';
import {
  expectGrowing,
  inbound,
  joinedPage,
  publishLocal,
  randomRoom,
  seen,
  waitForEvent,
  type MediaWindow,
} from './media.js';

const env = useE2eEnvironment();

/** alice publishes camera + mic; bob subscribes but plays nothing yet (the test does). */
async function pair(): Promise<{ alice: Page; bob: Page; roomId: number }> {
  const roomId = randomRoom();
  const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
  await publishLocal(alice);
  const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId, {
    subscribe: false,
  });
  await bob.evaluate(async () => {
    const w = window as unknown as MediaWindow;
    const deadline = Date.now() + 10_000;
    while (!w.remotes['alice/main'] && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await w.client.subscribe(w.remotes['alice/main']!);
    const div = document.createElement('div');
    div.id = 'stage';
    div.style.cssText = 'width:320px;height:240px';
    document.body.appendChild(div);
  });
  return { alice, bob, roomId };
}

describe('stream playback', () => {
  it('play() options reach the elements; PLAYING on play and STOPPED on stop()', async () => {
    const { bob } = await pair();
    const elements = await bob.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const stream = w.remotes['alice/main']!;
      stream.setAudioVolume(0.3);
      await stream.play('stage', { objectFit: 'contain', muted: true, mirror: true });
      const id = stream.getId();
      const video = document.querySelector<HTMLVideoElement>(`#player_${id} > video#video_${id}`)!;
      const audio = document.querySelector<HTMLAudioElement>(`#player_${id} > audio#audio_${id}`)!;
      const style = getComputedStyle(video);
      return {
        objectFit: style.objectFit,
        transform: style.transform,
        audioMuted: audio.muted,
        volume: audio.volume,
        parent: document.getElementById(`player_${id}`)?.parentElement?.id,
      };
    });
    expect(elements).toEqual({
      objectFit: 'contain',
      transform: 'matrix(-1, 0, 0, 1, 0, 0)',
      audioMuted: true,
      volume: 0.3,
      parent: 'stage',
    });
    await waitForEvent(
      bob,
      'video PLAYING',
      (e) => e.name === 'player-state-changed' && e.type === 'video' && e.state === 'PLAYING',
    );
    await waitForEvent(
      bob,
      'audio PLAYING',
      (e) => e.name === 'player-state-changed' && e.type === 'audio' && e.state === 'PLAYING',
    );
    const changed = await bob.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const stream = w.remotes['alice/main']!;
      stream.setAudioVolume(0.6);
      const volume = document.querySelector<HTMLAudioElement>(`#audio_${stream.getId()}`)!.volume;
      // Defaults on a second play(): cover, not mirrored.
      await stream.play('stage');
      const video = document.querySelector<HTMLVideoElement>(`#video_${stream.getId()}`)!;
      const style = getComputedStyle(video);
      const defaults = { objectFit: style.objectFit, transform: style.transform };
      const since = Date.now();
      stream.stop();
      return { volume, defaults, since, left: document.getElementById(`player_${stream.getId()}`) };
    });
    expect(changed.volume).toBe(0.6);
    expect(changed.defaults).toEqual({ objectFit: 'cover', transform: 'none' });
    expect(changed.left, 'stop() removes the player').toBeNull();
    const stopped = (await seen(bob)).filter(
      (e) => e.name === 'player-state-changed' && e.state === 'STOPPED' && e.at >= changed.since,
    );
    expect(stopped.map((e) => e.type).sort()).toEqual(['audio', 'video']);
    expect(stopped.every((e) => e.reason === 'ended')).toBe(true);
  });

  it('a blocked autoplay rejects PLAY_NOT_ALLOWED once and resume() starts the sound', async () => {
    const { bob } = await pair();
    const result = await bob.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      // What a browser does to unmuted sound until the user interacts with the page.
      const original = HTMLMediaElement.prototype.play;
      let gesture = false;
      HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
        if (!gesture && this instanceof HTMLAudioElement) {
          this.autoplay = false;
          return Promise.reject(new DOMException('play() needs a user gesture', 'NotAllowedError'));
        }
        return original.call(this);
      };
      const stream = w.remotes['alice/main']!;
      const audio = () => document.querySelector<HTMLAudioElement>(`#audio_${stream.getId()}`)!;
      const code = await stream.play('stage').then(
        () => 0,
        (e: { getCode(): number }) => e.getCode(),
      );
      const pausedAfterBlock = audio().paused;
      const stillBlocked = await stream.resume().then(
        () => 0,
        (e: { getCode(): number }) => e.getCode(),
      );
      gesture = true; // the user clicked
      await stream.resume();
      await new Promise((r) => setTimeout(r, 300));
      return { code, pausedAfterBlock, stillBlocked, pausedAfterResume: audio().paused };
    });
    expect(result).toEqual({
      code: 0x4043,
      pausedAfterBlock: true,
      stillBlocked: 0x4043,
      pausedAfterResume: false,
    });
    const errors = (await seen(bob)).filter((e) => e.name === 'stream-error');
    expect(errors.map((e) => e.code)).toEqual([0x4043]);
    await waitForEvent(
      bob,
      'audio PLAYING after resume',
      (e) => e.name === 'player-state-changed' && e.type === 'audio' && e.state === 'PLAYING',
    );
  });

  it('setAudioOutput() routes the sound to a device and refuses an unknown one', async () => {
    const { bob } = await pair();
    const result = await bob.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const stream = w.remotes['alice/main']!;
      await stream.setAudioOutput('default');
      await stream.play('stage');
      const audio = document.querySelector<HTMLAudioElement>(`#audio_${stream.getId()}`)!;
      const afterPlay = audio.sinkId;
      const unknown = await stream.setAudioOutput('no-such-speaker').then(
        () => 0,
        (e: { getCode(): number }) => e.getCode(),
      );
      const empty = await stream.setAudioOutput('').then(
        () => 0,
        (e: { getCode(): number }) => e.getCode(),
      );
      return { afterPlay, unknown, empty, still: audio.sinkId };
    });
    expect(result).toEqual({
      afterPlay: 'default',
      unknown: 0x1003,
      empty: 0x1000,
      still: 'default',
    });
  });

  it('getAudioLevel() hears the remote and local microphone, and reads 0 when muted or absent', async () => {
    const { alice, bob } = await pair();
    await bob.evaluate(() =>
      (window as unknown as MediaWindow).remotes['alice/main']!.play('stage'),
    );
    await expectGrowing('bob hearing alice', async () => (await inbound(bob)).audioEnergy);
    const loudest = (page: Page, which: 'remote' | 'local') =>
      page.evaluate(async (kind) => {
        const w = window as unknown as MediaWindow;
        const stream = kind === 'remote' ? w.remotes['alice/main']! : w.local;
        let max = 0;
        // The fake microphone beeps: sample for up to 3 s.
        for (let i = 0; i < 60 && max === 0; i++) {
          max = Math.max(max, stream.getAudioLevel());
          await new Promise((r) => setTimeout(r, 50));
        }
        return max;
      }, which);
    const remote = await loudest(bob, 'remote');
    expect(remote).toBeGreaterThan(0);
    expect(remote).toBeLessThanOrEqual(1);
    expect(await loudest(alice, 'local')).toBeGreaterThan(0);

    const since = Date.now();
    await alice.evaluate(() => (window as unknown as MediaWindow).local.muteAudio());
    await waitForEvent(bob, 'mute-audio', (e) => e.name === 'mute-audio', since);
    expect(await loudest(bob, 'remote')).toBe(0);
    expect(await loudest(alice, 'local')).toBe(0);
    // A stream without audio.
    const silent = await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const video = w.TRTC.createStream({ userId: 'alice', audio: false, video: true });
      await video.initialize();
      const level = video.getAudioLevel();
      video.close();
      return level;
    });
    expect(silent).toBe(0);
  });

  it('hasAudio/hasVideo, getAudioTrack/getVideoTrack and getVideoFrame() (a real PNG of the picture)', async () => {
    const { bob } = await pair();
    const info = await bob.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const stream = w.remotes['alice/main']!;
      const before = stream.getVideoFrame();
      await stream.play('stage');
      return {
        before,
        hasAudio: stream.hasAudio(),
        hasVideo: stream.hasVideo(),
        audioKind: stream.getAudioTrack()?.kind,
        videoKind: stream.getVideoTrack()?.kind,
        live: stream.getVideoTrack()?.readyState,
      };
    });
    expect(info).toEqual({
      before: null,
      hasAudio: true,
      hasVideo: true,
      audioKind: 'audio',
      videoKind: 'video',
      live: 'live',
    });
    const frame = await waitFor('a decoded frame to snapshot', () =>
      bob.evaluate(() => (window as unknown as MediaWindow).remotes['alice/main']!.getVideoFrame()),
    );
    expect(frame.startsWith('data:image/png;base64,')).toBe(true);
    const png = PNG.sync.read(Buffer.from(frame.slice('data:image/png;base64,'.length), 'base64'));
    expect({ width: png.width, height: png.height }).toEqual({ width: 640, height: 480 });
    // Not blank: Chromium's fake camera draws a moving pattern in several colours.
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4 * 97) {
      colours.add((png.data[i]! << 16) | (png.data[i + 1]! << 8) | png.data[i + 2]!);
    }
    expect(colours.size).toBeGreaterThan(10);
  });
});
