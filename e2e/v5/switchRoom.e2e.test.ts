/**
 * v5 `switchRoom`: a fast switch on the same signaling connection. The old room sees the user
 * leave, the new one sees it enter with its streams and decodes them; the switching user sees
 * the old room's users leave and the new room's enter and decodes theirs; the same captured
 * tracks go on (no new capture, no new WebSocket). A bad UserSig falls back to exit + enter as
 * trtc-sdk-v5 does, so it rejects with enterRoom's SERVER_ERROR 5400 and the user is out.
 * The switch time is measured against exitRoom() + enterRoom() (printed, not asserted: the
 * machine's load decides the figures).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { median, randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import {
  enterRoom,
  errorOf,
  expectAudioEnergy,
  expectVideoDecoded,
  openV5Page,
  v5Events,
  waitForEvent,
} from './v5Page.js';

const env = useE2eEnvironment();
/** Switches of each kind measured (PARLEY_SWITCH_ROUNDS to measure more). */
const ROUNDS = Number(process.env.PARLEY_SWITCH_ROUNDS ?? 3);

interface PageTrtc {
  trtc: {
    startLocalAudio(): Promise<void>;
    startLocalVideo(o: object): Promise<void>;
    startRemoteVideo(o: object): Promise<void>;
    switchRoom(o: object): Promise<void>;
    exitRoom(): Promise<void>;
    enterRoom(o: object): Promise<void>;
    getVideoTrack(): MediaStreamTrack | null;
    getAudioTrack(): MediaStreamTrack | null;
  };
}

const startCameraAndMic = (page: Page): Promise<void> =>
  page.evaluate(async () => {
    const { trtc } = window as unknown as PageTrtc;
    await trtc.startLocalAudio();
    await trtc.startLocalVideo({ view: 'local', option: { profile: '480p' } });
  });

const startRemoteVideo = (page: Page, userId: string): Promise<void> =>
  page.evaluate(
    (userId) =>
      (window as unknown as PageTrtc).trtc.startRemoteVideo({
        userId,
        streamType: 'main',
        view: 'remote',
      }),
    userId,
  );

/** The ids of the local camera and microphone tracks (and whether both are live). */
const localTracks = (page: Page): Promise<{ video: string; audio: string; live: boolean }> =>
  page.evaluate(() => {
    const { trtc } = window as unknown as PageTrtc;
    const video = trtc.getVideoTrack();
    const audio = trtc.getAudioTrack();
    return {
      video: video?.id ?? '',
      audio: audio?.id ?? '',
      live: video?.readyState === 'live' && audio?.readyState === 'live',
    };
  });

/** The WebSockets the page has opened (pageScripts records each one). */
const socketsOpened = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.length);

describe('TRTC v5 switchRoom', () => {
  it('moves a publishing user to another room on the same connection, both rooms see it, media flows both ways', async () => {
    const roomA = randomRoomId();
    const roomB = roomA + 1;
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);
    const carol = await openV5Page(env.browser, env.app.origin);

    await enterRoom(alice.page, env.parley, 'alice', { roomId: roomA });
    await startCameraAndMic(alice.page);
    await enterRoom(bob.page, env.parley, 'bob', { roomId: roomA });
    await enterRoom(carol.page, env.parley, 'carol', { roomId: roomB });
    await startCameraAndMic(carol.page);
    await waitForEvent(bob.page, 'remote-video-available', { userId: 'alice', streamType: 'main' });
    await startRemoteVideo(bob.page, 'alice');
    await expectVideoDecoded(bob.page, 'alice');

    const before = await localTracks(alice.page);
    expect(before.live).toBe(true);
    const socketsBefore = await socketsOpened(alice.page);
    const switchMs = await alice.page.evaluate(
      async (o) => {
        const started = performance.now();
        await (window as unknown as PageTrtc).trtc.switchRoom(o);
        return performance.now() - started;
      },
      { roomId: roomB, userSig: env.parley.userSig('alice') },
    );

    // The old room: bob sees alice leave (reason 0, a leave) and her video go.
    await waitForEvent(bob.page, 'remote-user-exit', { userId: 'alice', reason: 0 });
    await waitForEvent(bob.page, 'remote-video-unavailable', {
      userId: 'alice',
      streamType: 'main',
    });
    // The switching user: bob gone, carol there with her streams; carol decoded.
    await waitForEvent(alice.page, 'remote-user-exit', { userId: 'bob' });
    await waitForEvent(alice.page, 'remote-user-enter', { userId: 'carol' });
    await waitForEvent(alice.page, 'remote-video-available', {
      userId: 'carol',
      streamType: 'main',
    });
    await startRemoteVideo(alice.page, 'carol');
    const aliceGetsCarol = await expectVideoDecoded(alice.page, 'carol');
    expect(aliceGetsCarol.frameWidth).toBeGreaterThanOrEqual(320);
    await expectAudioEnergy(alice.page, 'carol');

    // The new room: carol sees alice enter with her video and audio, and decodes them.
    await waitForEvent(carol.page, 'remote-user-enter', { userId: 'alice' });
    await waitForEvent(carol.page, 'remote-video-available', {
      userId: 'alice',
      streamType: 'main',
    });
    await waitForEvent(carol.page, 'remote-audio-available', { userId: 'alice' });
    await startRemoteVideo(carol.page, 'alice');
    const carolGetsAlice = await expectVideoDecoded(carol.page, 'alice');
    expect(carolGetsAlice.frameWidth).toBeGreaterThanOrEqual(320);
    await expectAudioEnergy(carol.page, 'alice');

    // The same captured tracks went on, over the same signaling socket.
    const after = await localTracks(alice.page);
    expect(after).toEqual(before);
    expect(await socketsOpened(alice.page)).toBe(socketsBefore);
    // Still connected throughout: no DISCONNECTED during the switch.
    const states = (await v5Events(alice.page))
      .filter((e) => e.name === 'connection-state-changed')
      .map((e) => e.payload.state);
    expect(states).toEqual(['CONNECTING', 'CONNECTED']);
    // bob never heard of carol, and carol never of bob.
    expect((await v5Events(bob.page)).some((e) => e.payload.userId === 'carol')).toBe(false);
    expect((await v5Events(carol.page)).some((e) => e.payload.userId === 'bob')).toBe(false);
    console.log(`switchRoom with camera + microphone published: ${switchMs.toFixed(0)} ms`);
    for (const p of [alice, bob, carol]) expect(p.pageErrors).toEqual([]);
  });

  it('a bad UserSig: falls back to exit + enter as trtc-sdk-v5 does; rejects 5400 / 70003, out of the old room', async () => {
    const roomA = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);
    await enterRoom(alice.page, env.parley, 'alice', { roomId: roomA });
    await enterRoom(bob.page, env.parley, 'bob', { roomId: roomA });
    await waitForEvent(bob.page, 'remote-user-enter', { userId: 'alice' });

    // Checked before anything: the same room (5020), a string room from a numeric one (5019).
    expect(await errorOf(alice.page, 'switchRoom', { roomId: roomA, userSig: 'x' })).toMatchObject({
      code: 5000,
      extraCode: 5020,
      functionName: 'switchRoom',
    });
    expect(
      await errorOf(alice.page, 'switchRoom', { strRoomId: 'elsewhere', userSig: 'x' }),
    ).toMatchObject({ code: 5000, extraCode: 5019 });

    const error = await errorOf(alice.page, 'switchRoom', {
      roomId: roomA + 1,
      userSig: 'garbage',
    });
    expect(error).toMatchObject({
      name: 'SERVER_ERROR',
      code: 5400,
      extraCode: 70003,
      functionName: 'enterRoom',
      isError: true,
    });
    await waitForEvent(bob.page, 'remote-user-exit', { userId: 'alice', reason: 0 });
    const last = (await v5Events(alice.page))
      .filter((e) => e.name === 'connection-state-changed')
      .at(-1);
    expect(last?.payload.state).toBe('DISCONNECTED');
    // Not in a room: a room call says so.
    expect(
      await errorOf(alice.page, 'switchRoom', { roomId: roomA + 2, userSig: 'x' }),
    ).toMatchObject({ code: 5100, extraCode: 5101 });
  });

  it('is timed against exitRoom() + enterRoom() with camera and microphone published', async () => {
    const rooms = [randomRoomId(), randomRoomId()];
    const alice = await openV5Page(env.browser, env.app.origin);
    // The SDK's own split of each switch: the server's part and the new connection's.
    alice.page.on('console', (m) => {
      if (m.text().includes('switched to room')) console.log(m.text());
    });
    const watchers = await Promise.all(
      rooms.map(async (roomId, i) => {
        const w = await openV5Page(env.browser, env.app.origin);
        await enterRoom(w.page, env.parley, `w${i}`, { roomId });
        return w;
      }),
    );
    await enterRoom(alice.page, env.parley, 'alice', { roomId: rooms[0]! });
    await startCameraAndMic(alice.page);
    const userSig = env.parley.userSig('alice');
    const fast: number[] = [];
    const slow: number[] = [];
    let at = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['switch', 'exit-enter'] as const) {
        const next = 1 - at;
        const ms = await alice.page.evaluate(
          async ({ mode, roomId, sdkAppId, userSig }) => {
            const { trtc } = window as unknown as PageTrtc;
            const started = performance.now();
            if (mode === 'switch') await trtc.switchRoom({ roomId, userSig });
            else {
              await trtc.exitRoom();
              await trtc.enterRoom({ sdkAppId, userId: 'alice', userSig, roomId });
            }
            return performance.now() - started;
          },
          { mode, roomId: rooms[next]!, sdkAppId: env.parley.sdkAppId, userSig },
        );
        at = next;
        (mode === 'switch' ? fast : slow).push(ms);
        // Both end with alice's video published in the new room: its watcher is told so.
        const watcher = watchers[at]!.page;
        await waitFor(`w${at} sees alice's video (round ${round}, ${mode})`, async () => {
          const events = await v5Events(watcher);
          const lastIndex = (name: string): number =>
            events.map((e) => e.name === name && e.payload.userId === 'alice').lastIndexOf(true);
          const enter = lastIndex('remote-video-available');
          const exit = lastIndex('remote-user-exit');
          return enter > exit ? true : null;
        });
      }
    }
    console.log(
      `switchRoom median ${median(fast).toFixed(0)} ms (${fast.map((v) => v.toFixed(0)).join(', ')}); ` +
        `exitRoom+enterRoom median ${median(slow).toFixed(0)} ms (${slow.map((v) => v.toFixed(0)).join(', ')})`,
    );
    expect(fast).toHaveLength(ROUNDS);
    expect(alice.pageErrors).toEqual([]);
  });
});
