/**
 * The TRTC v5 API (`/sdk/trtc-v5.js`) in real Chromium against a self-hosted Parley: enter a
 * room, publish camera and microphone, receive another v5 user's audio at once and its video
 * only when asked, the view contract, remote audio mute as a real unsubscribe, volume,
 * events with their payloads, and exit.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { randomRoomId, sleep, useE2eEnvironment, waitFor } from '../harness.js';
import {
  enterRoom,
  expectAudioEnergy,
  expectVideoDecoded,
  inboundBytes,
  inboundOf,
  openV5Page,
  v5Events,
  waitForEvent,
  type V5ErrorData,
} from './v5Page.js';

const env = useE2eEnvironment();

/** sendSEIMessage(1 byte)'s error as data (the buffer is made in the page). */
const seiError = (page: Page): Promise<V5ErrorData | null> =>
  page.evaluate(() => {
    const w = window as unknown as {
      trtc: { sendSEIMessage(b: ArrayBuffer): void };
      errorOf(call: () => unknown): Promise<V5ErrorData | null>;
    };
    return w.errorOf(() => w.trtc.sendSEIMessage(new Uint8Array([1]).buffer));
  });

describe('TRTC v5: a call between two v5 users', () => {
  it('audio arrives at once, video only after startRemoteVideo; views, volume, mute and exit behave as v5', async () => {
    const roomId = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);

    await enterRoom(alice.page, env.parley, 'alice', { roomId });
    await alice.page.evaluate(async () => {
      const { trtc } = window as unknown as {
        trtc: {
          startLocalAudio(): Promise<void>;
          startLocalVideo(o: object): Promise<void>;
        };
      };
      await trtc.startLocalAudio();
      await trtc.startLocalVideo({ view: 'local', option: { profile: '480p' } });
    });
    // The local preview: the SDK's <video> appended after the page's overlay, a direct child.
    expect(
      await alice.page.evaluate(() =>
        [...document.getElementById('local')!.children].map((c) => c.tagName),
      ),
    ).toEqual(['SPAN', 'VIDEO']);

    await enterRoom(bob.page, env.parley, 'bob', { roomId });
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { enableAudioVolumeEvaluation(ms: number): void } }
      ).trtc.enableAudioVolumeEvaluation(300),
    );
    await waitForEvent(bob.page, 'remote-user-enter', { userId: 'alice' });
    await waitForEvent(bob.page, 'remote-video-available', { userId: 'alice', streamType: 'main' });
    await waitForEvent(bob.page, 'remote-audio-available', { userId: 'alice' });
    await waitForEvent(alice.page, 'remote-user-enter', { userId: 'bob' });
    const states = (await v5Events(bob.page))
      .filter((e) => e.name === 'connection-state-changed')
      .map((e) => e.payload);
    expect(states.slice(0, 2)).toEqual([
      { prevState: 'DISCONNECTED', state: 'CONNECTING' },
      { prevState: 'CONNECTING', state: 'CONNECTED' },
    ]);

    // autoReceiveAudio: alice's audio energy arrives; her video is not received yet.
    await expectAudioEnergy(bob.page, 'alice');
    await sleep(1000);
    expect(await inboundOf(bob.page, 'video', 'alice')).toBeNull();
    expect((await inboundBytes(bob.page)).video).toBe(0);

    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { startRemoteVideo(o: object): Promise<void> } }
      ).trtc.startRemoteVideo({ userId: 'alice', streamType: 'main', view: 'remote' }),
    );
    const decoded = await expectVideoDecoded(bob.page, 'alice');
    expect(decoded.frameWidth).toBeGreaterThanOrEqual(320);
    const remoteView = await bob.page.evaluate(() => {
      const view = document.getElementById('remote')!;
      const video = view.querySelector('video');
      return {
        children: [...view.children].map((c) => c.tagName),
        playing: video !== null && video.videoWidth > 0 && !video.paused,
      };
    });
    expect(remoteView.children).toEqual(['SPAN', 'VIDEO']);
    await waitFor('the remote <video> playing', async () =>
      bob.page.evaluate(() => {
        const v = document.querySelector('#remote video') as HTMLVideoElement | null;
        return v !== null && v.videoWidth > 0 && !v.paused;
      }),
    );

    // AUDIO_VOLUME: the local user as '', alice by id, loudest first.
    await bob.page.evaluate(() =>
      (window as unknown as { trtc: { startLocalAudio(): Promise<void> } }).trtc.startLocalAudio(),
    );
    const volume = await waitFor('an AUDIO_VOLUME with both users', async () => {
      const list = (await v5Events(bob.page)).filter((e) => e.name === 'audio-volume');
      const last = list.at(-1)?.payload.result as
        Array<{ userId: string; volume: number; floatVolume: number }> | undefined;
      return last && last.some((r) => r.userId === '') && last.some((r) => r.userId === 'alice')
        ? last
        : null;
    });
    expect(volume.map((r) => r.volume)).toEqual(
      [...volume.map((r) => r.volume)].sort((a, b) => b - a),
    );
    for (const r of volume) {
      expect(r.volume).toBeGreaterThanOrEqual(0);
      expect(r.volume).toBeLessThanOrEqual(100);
      expect(r.floatVolume).toBeCloseTo(r.volume / 100, 5);
    }
    // The fake microphone's beep: alice is heard at some point.
    await waitFor('alice heard in AUDIO_VOLUME', async () =>
      (await v5Events(bob.page)).some(
        (e) =>
          e.name === 'audio-volume' &&
          (e.payload.result as Array<{ userId: string; volume: number }>).some(
            (r) => r.userId === 'alice' && r.volume > 0,
          ),
      ),
    );

    // Play states and the first frame, with their payloads.
    const first = await waitForEvent(bob.page, 'first-video-frame', {
      userId: 'alice',
      streamType: 'main',
    });
    expect(first.payload.width as number).toBeGreaterThanOrEqual(320);
    expect(first.payload.height as number).toBeGreaterThanOrEqual(240);
    await waitForEvent(bob.page, 'video-play-state-changed', {
      userId: 'alice',
      streamType: 'main',
      state: 'PLAYING',
      reason: 'playing',
    });
    await waitForEvent(bob.page, 'audio-play-state-changed', {
      userId: 'alice',
      state: 'PLAYING',
      reason: 'playing',
    });

    // STATISTICS every 2 s: alice's received video (size, bitrate), bob's own audio sent.
    const statistics = await waitFor('STATISTICS with alice video and own audio', async () => {
      const list = (await v5Events(bob.page)).filter((e) => e.name === 'statistics');
      return list.find((e) => {
        const p = e.payload as unknown as {
          localStatistics: { audio: { bitrate: number } };
          remoteStatistics: Array<{
            userId: string;
            video: Array<{ width: number; bitrate: number }>;
          }>;
        };
        const alice = p.remoteStatistics.find((r) => r.userId === 'alice');
        return (
          p.localStatistics.audio.bitrate > 0 &&
          alice?.video.some((v) => v.width >= 320 && v.bitrate > 0)
        );
      });
    });
    expect(statistics.payload).toMatchObject({
      rtt: expect.any(Number),
      bytesSent: expect.any(Number),
      bytesReceived: expect.any(Number),
    });
    expect(statistics.payload.bytesReceived as number).toBeGreaterThan(10_000);

    // muteRemoteAudio: the audio stops arriving (the server stops sending it), video goes on.
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { muteRemoteAudio(u: string, m: boolean): Promise<void> } }
      ).trtc.muteRemoteAudio('alice', true),
    );
    await waitFor('alice audio track gone', async () =>
      (await inboundOf(bob.page, 'audio', 'alice')) === null ? true : null,
    );
    const mutedAt = await inboundBytes(bob.page);
    await sleep(1500);
    const mutedLater = await inboundBytes(bob.page);
    expect(mutedLater.audio - mutedAt.audio).toBeLessThan(500);
    expect(mutedLater.video).toBeGreaterThan(mutedAt.video + 10_000);
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { muteRemoteAudio(u: string, m: boolean): Promise<void> } }
      ).trtc.muteRemoteAudio('alice', false),
    );
    await expectAudioEnergy(bob.page, 'alice');

    // stopRemoteVideo: the SDK's element goes, the page's overlay stays, video stops arriving.
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { stopRemoteVideo(o: object): Promise<void> } }
      ).trtc.stopRemoteVideo({ userId: 'alice', streamType: 'main' }),
    );
    expect(
      await bob.page.evaluate(() =>
        [...document.getElementById('remote')!.children].map((c) => c.tagName),
      ),
    ).toEqual(['SPAN']);
    await waitForEvent(bob.page, 'video-play-state-changed', {
      userId: 'alice',
      streamType: 'main',
      state: 'STOPPED',
    });
    await waitFor('alice video track gone', async () =>
      (await inboundOf(bob.page, 'video', 'alice')) === null ? true : null,
    );

    // alice turns her camera off, then leaves: bob sees it as v5 reports it.
    await alice.page.evaluate(() =>
      (window as unknown as { trtc: { stopLocalVideo(): Promise<void> } }).trtc.stopLocalVideo(),
    );
    await waitForEvent(bob.page, 'remote-video-unavailable', {
      userId: 'alice',
      streamType: 'main',
    });
    expect(
      await alice.page.evaluate(() =>
        [...document.getElementById('local')!.children].map((c) => c.tagName),
      ),
    ).toEqual(['SPAN']);
    await alice.page.evaluate(() =>
      (window as unknown as { trtc: { exitRoom(): Promise<void> } }).trtc.exitRoom(),
    );
    await waitForEvent(bob.page, 'remote-audio-unavailable', { userId: 'alice' });
    await waitForEvent(bob.page, 'remote-user-exit', { userId: 'alice', reason: 0 });
    // exitRoom keeps the local capture (v5): the microphone track is still live.
    expect(
      await alice.page.evaluate(
        () =>
          (
            window as unknown as { trtc: { getAudioTrack(): MediaStreamTrack | null } }
          ).trtc.getAudioTrack()?.readyState,
      ),
    ).toBe('live');
    expect(
      (await v5Events(alice.page)).filter((e) => e.name === 'connection-state-changed').at(-1)
        ?.payload,
    ).toEqual({ prevState: 'CONNECTED', state: 'DISCONNECTED' });
    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
  });

  it('start* before enterRoom publishes on entry; SEI and custom messages reach the other user with their bytes', async () => {
    const roomId = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin, { enableSEI: true });
    const bob = await openV5Page(env.browser, env.app.origin);
    await alice.page.evaluate(async () => {
      const { trtc } = window as unknown as {
        trtc: { startLocalAudio(): Promise<void>; startLocalVideo(o: object): Promise<void> };
      };
      await trtc.startLocalVideo({ view: 'local' });
      await trtc.startLocalAudio();
    });
    // Not in a room: SEI needs a published video (5100/5109).
    const early = await seiError(alice.page);
    expect(early).toMatchObject({ code: 5100, extraCode: 5109, name: 'INVALID_OPERATION' });
    await enterRoom(bob.page, env.parley, 'bob', { strRoomId: `v5-${roomId}` });
    await enterRoom(alice.page, env.parley, 'alice', { strRoomId: `v5-${roomId}` });
    await waitForEvent(bob.page, 'remote-video-available', { userId: 'alice', streamType: 'main' });
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { startRemoteVideo(o: object): Promise<void> } }
      ).trtc.startRemoteVideo({ userId: 'alice', streamType: 'main', view: 'remote' }),
    );
    await expectVideoDecoded(bob.page, 'alice');
    await alice.page.evaluate(() => {
      const { trtc } = window as unknown as {
        trtc: { sendSEIMessage(b: ArrayBuffer, o?: object): void };
      };
      trtc.sendSEIMessage(new Uint8Array([7, 8, 9]).buffer);
      trtc.sendSEIMessage(new Uint8Array([1, 2]).buffer, { seiPayloadType: 5 });
    });
    const sei = await waitFor('two SEI messages', async () => {
      const list = (await v5Events(bob.page)).filter((e) => e.name === 'sei-message');
      return list.length >= 2 ? list.map((e) => e.payload) : null;
    });
    expect(sei).toEqual([
      { userId: 'alice', data: [7, 8, 9], streamType: 'main', seiPayloadType: 243 },
      { userId: 'alice', data: [1, 2], streamType: 'main', seiPayloadType: 5 },
    ]);
    // Custom messages: cmdId, the sender's sequence and the bytes, in order.
    const badCmd = await alice.page.evaluate(() => {
      const w = window as unknown as {
        trtc: { sendCustomMessage(m: object): void };
        errorOf(call: () => unknown): Promise<V5ErrorData | null>;
      };
      w.trtc.sendCustomMessage({ cmdId: 1, data: new Uint8Array([104, 105]).buffer });
      w.trtc.sendCustomMessage({ cmdId: 10, data: new ArrayBuffer(1000) });
      return w.errorOf(() => w.trtc.sendCustomMessage({ cmdId: 11, data: new ArrayBuffer(1) }));
    });
    expect(badCmd).toMatchObject({ code: 5000, functionName: 'sendCustomMessage' });
    const custom = await waitFor('two custom messages', async () => {
      const list = (await v5Events(bob.page)).filter((e) => e.name === 'custom-message');
      return list.length >= 2 ? list.map((e) => e.payload) : null;
    });
    expect(custom[0]).toEqual({ userId: 'alice', cmdId: 1, seq: 1, data: [104, 105] });
    expect(custom[1]).toMatchObject({ userId: 'alice', cmdId: 10, seq: 2 });
    expect((custom[1]!.data as number[]).length).toBe(1000);
    // Without enableSEI: 5100/5108.
    expect(await seiError(bob.page)).toMatchObject({
      code: 5100,
      extraCode: 5108,
    });
    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
  });

  it('an instance without a room reports its microphone in AUDIO_VOLUME as the user ""', async () => {
    const { page, pageErrors } = await openV5Page(env.browser, env.app.origin);
    await page.evaluate(async () => {
      const { trtc } = window as unknown as {
        trtc: { startLocalAudio(): Promise<void>; enableAudioVolumeEvaluation(ms: number): void };
      };
      trtc.enableAudioVolumeEvaluation(100);
      await trtc.startLocalAudio();
    });
    // The fake microphone beeps: some report is above 0, each has only the local user.
    const loud = await waitFor('a non-zero local volume', async () => {
      const list = (await v5Events(page)).filter((e) => e.name === 'audio-volume');
      return list.find((e) =>
        (e.payload.result as Array<{ volume: number }>).some((r) => r.volume > 0),
      );
    });
    const result = loud.payload.result as Array<{
      userId: string;
      volume: number;
      floatVolume: number;
    }>;
    expect(result).toHaveLength(1);
    expect(result[0]!.userId).toBe('');
    expect(result[0]!.volume).toBeLessThanOrEqual(100);
    expect(pageErrors).toEqual([]);
  });
});
