/**
 * Screen sharing the two ways v4 apps do it: the same client publishing the screen as its
 * auxiliary stream beside the camera (4.15+), and a second client `share_<userId>` publishing
 * it as its main stream (older apps). Headless Chromium with the fake media UI answers
 * getDisplayMedia with a fake screen, so this is the real capture path.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor, useE2eEnvironment } from '../harness.js';
import {
  joinedPage,
  publishLocal,
  randomRoom,
  receivedByStream,
  sourceStats,
  waitForEvent,
  type MediaWindow,
} from './media.js';

const env = useE2eEnvironment();

interface ScreenWindow extends MediaWindow {
  screen: MediaWindow['local'];
  __screenStopped: number;
}

/** Waits until every stream in `keys` decodes more frames than `since` says. */
async function decoding(page: Page, keys: string[], since: Record<string, number> = {}) {
  return waitFor(`${keys.join(' + ')} decoding`, async () => {
    const media = await receivedByStream(page);
    const ok = keys.every(
      (k) =>
        (media[k]?.framesDecoded ?? 0) > (since[k] ?? 0) + 5 && (media[k]?.frameWidth ?? 0) > 0,
    );
    return ok ? Object.fromEntries(keys.map((k) => [k, media[k]!.framesDecoded])) : null;
  });
}

/** The states of every peer connection a page opened (closed ones included). */
const connections = (page: Page) =>
  page.evaluate(() => (window as unknown as MediaWindow).__pcs.map((pc) => pc.connectionState));

describe('screen sharing', () => {
  it('publish(screen, {isAuxiliary: true}) beside the camera, on the same connection; unpublishing either leaves the other flowing', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await publishLocal(alice);
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    await decoding(bob, ['alice/main']);

    const supported = await alice.evaluate(async () => {
      const w = window as unknown as ScreenWindow;
      w.screen = w.TRTC.createStream({ userId: 'alice', audio: false, screen: true });
      await w.screen.initialize();
      await w.client.publish(w.screen, { isAuxiliary: true });
      return {
        supported: w.TRTC.isScreenShareSupported(),
        label: w.screen.getVideoTrack()?.label,
        hint: w.screen.getVideoTrack()?.contentHint,
      };
    });
    expect(supported.supported).toBe(true);
    expect(supported.label).toMatch(/screen/);
    expect(supported.hint, 'a screen is sharp rather than fluid').toBe('detail');
    const added = await waitForEvent(
      bob,
      'auxiliary stream-added',
      (e) => e.name === 'stream-added' && e.streamType === 'auxiliary',
    );
    expect(added).toMatchObject({ userId: 'alice', hasVideo: true, hasAudio: false });
    expect(
      await bob.evaluate(() =>
        (window as unknown as MediaWindow).remotes['alice/auxiliary']!.getType(),
      ),
    ).toBe('auxiliary');
    let frames = await decoding(bob, ['alice/main', 'alice/auxiliary']);
    // alice subscribes to nothing (bob publishes nothing): her one connection is the publisher.
    expect(await connections(alice), 'one publisher connection for both').toEqual(['connected']);
    // getRemoteMutedState() lists the main stream only, as v4 does.
    expect(
      await bob.evaluate(() => (window as unknown as MediaWindow).client.getRemoteMutedState()),
    ).toHaveLength(1);

    // Stop sharing: the camera keeps going.
    let since = Date.now();
    await alice.evaluate(async () => {
      const w = window as unknown as ScreenWindow;
      await w.client.unpublish(w.screen);
    });
    await waitForEvent(
      bob,
      'auxiliary stream-removed',
      (e) => e.name === 'stream-removed' && e.streamType === 'auxiliary',
      since,
    );
    frames = await decoding(bob, ['alice/main'], frames);
    expect(await connections(alice)).toEqual(['connected']);
    expect(await sourceStats(env.parley, roomId)).toHaveLength(2);

    // Share again, then stop the camera: the screen keeps going on the same connection.
    since = Date.now();
    await alice.evaluate(async () => {
      const w = window as unknown as ScreenWindow;
      await w.client.publish(w.screen, { isAuxiliary: true });
    });
    await waitForEvent(
      bob,
      'auxiliary stream-added again',
      (e) => e.name === 'stream-added' && e.streamType === 'auxiliary',
      since,
    );
    frames = await decoding(bob, ['alice/main', 'alice/auxiliary'], {
      'alice/main': frames['alice/main']!,
    });
    since = Date.now();
    await alice.evaluate(async () => {
      const w = window as unknown as ScreenWindow;
      await w.client.unpublish(w.local);
    });
    await waitForEvent(
      bob,
      'main stream-removed',
      (e) => e.name === 'stream-removed' && e.streamType === 'main',
      since,
    );
    await decoding(bob, ['alice/auxiliary'], frames);
    expect(await connections(alice)).toEqual(['connected']);
    expect((await sourceStats(env.parley, roomId)).map((s) => s.kind)).toEqual(['video']);

    // Nothing left: now the connection closes.
    await alice.evaluate(async () => {
      const w = window as unknown as ScreenWindow;
      await w.client.unpublish(w.screen);
    });
    expect(await connections(alice)).toEqual(['closed']);
    expect(await sourceStats(env.parley, roomId)).toEqual([]);
  });

  it('a second client share_<userId> publishes the screen as its main stream', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await publishLocal(alice);
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    const share = await joinedPage(env.browser, env.parley, env.app.origin, 'share_alice', roomId, {
      subscribe: false,
      autoSubscribe: false,
    });
    await share.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      w.local = w.TRTC.createStream({ userId: 'share_alice', audio: false, screen: true });
      await w.local.initialize();
      await w.client.publish(w.local);
    });
    const added = await waitForEvent(
      bob,
      'share_alice stream-added',
      (e) => e.name === 'stream-added' && e.userId === 'share_alice',
    );
    expect(added).toMatchObject({ streamType: 'main', hasVideo: true, hasAudio: false });
    await decoding(bob, ['alice/main', 'share_alice/main']);
  });

  it('screen-sharing-stopped fires when the capture ends; a canvas can stand in for the screen', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    const fired = await alice.evaluate(async () => {
      const w = window as unknown as ScreenWindow;
      const canvas = document.createElement('canvas');
      canvas.width = 400;
      canvas.height = 300;
      const ctx = canvas.getContext('2d')!;
      let n = 0;
      setInterval(() => {
        n++;
        ctx.fillStyle = n % 2 ? '#246' : '#642';
        ctx.fillRect(0, 0, 400, 300);
      }, 100);
      w.screen = w.TRTC.createStream({
        userId: 'alice',
        screen: true,
        videoSource: canvas.captureStream(10).getVideoTracks()[0]!,
      });
      w.__screenStopped = 0;
      w.screen.on('screen-sharing-stopped', () => w.__screenStopped++);
      await w.screen.initialize();
      await w.client.publish(w.screen, { isAuxiliary: true });
      // The browser's "Stop sharing" button ends the track; a test can only fake the event.
      w.screen.getVideoTrack()!.dispatchEvent(new Event('ended'));
      return w.__screenStopped;
    });
    expect(fired).toBe(1);
    await waitForEvent(
      bob,
      'auxiliary stream-added',
      (e) => e.name === 'stream-added' && e.streamType === 'auxiliary',
    );
    await decoding(bob, ['alice/auxiliary']);
    expect((await receivedByStream(bob))['alice/auxiliary']!.frameWidth).toBe(400);
  });
});
