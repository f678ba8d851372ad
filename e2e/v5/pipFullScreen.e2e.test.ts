/**
 * v5's FULL_SCREEN_STATE_CHANGED and PICTURE_IN_PICTURE_STATE_CHANGED for a remote video:
 * `callExperimentalAPI('requestFullScreen' | 'requestPictureInPicture', {enable})` on the first
 * playing remote video (from a click: both need a user gesture), and a page's own
 * requestFullscreen of the view, each reported with {userId, streamType, is…}.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import { enterRoom, errorOf, openV5Page, v5Events, waitForEvent } from './v5Page.js';

const env = useE2eEnvironment();

/** Runs `script` from a click on a button made for it (a user gesture), keeping its error. */
async function fromClick(page: Page, script: string): Promise<void> {
  await page.evaluate((script) => {
    const w = window as unknown as { __clickError: string | null };
    w.__clickError = null;
    const button = document.createElement('button');
    button.id = 'gesture';
    button.textContent = 'go';
    button.onclick = () => {
      button.remove();
      Promise.resolve(new Function(`return (${script})`)()).catch((error: unknown) => {
        w.__clickError = String(error);
      });
    };
    document.body.prepend(button);
  }, script);
  await page.click('#gesture');
}

describe('TRTC v5 full screen and picture-in-picture events', () => {
  it('report entering and leaving with the remote user and stream type', async () => {
    const roomId = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);
    await enterRoom(alice.page, env.parley, 'alice', { roomId });
    await alice.page.evaluate(() =>
      (
        window as unknown as { trtc: { startLocalVideo(o: object): Promise<void> } }
      ).trtc.startLocalVideo({ view: 'local' }),
    );
    await enterRoom(bob.page, env.parley, 'bob', { roomId });
    // Nothing playing yet: v5's INVALID_OPERATION.
    expect(
      await errorOf(bob.page, 'callExperimentalAPI', 'requestFullScreen', { enable: true }),
    ).toMatchObject({ code: 5100 });
    await waitForEvent(bob.page, 'remote-video-available', { userId: 'alice', streamType: 'main' });
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { startRemoteVideo(o: object): Promise<void> } }
      ).trtc.startRemoteVideo({ userId: 'alice', streamType: 'main', view: 'remote' }),
    );
    await waitForEvent(bob.page, 'video-play-state-changed', {
      userId: 'alice',
      state: 'PLAYING',
    });
    await waitFor('the remote video has a picture', () =>
      bob.page.evaluate(
        () => (document.querySelector('#remote video') as HTMLVideoElement).videoWidth > 0,
      ),
    );

    const call = (name: string, enable: boolean) =>
      `window.trtc.callExperimentalAPI('${name}', { enable: ${enable} })`;
    await fromClick(bob.page, call('requestFullScreen', true));
    await waitForEvent(bob.page, 'full-screen-state-changed', {
      userId: 'alice',
      streamType: 'main',
      isFullScreen: true,
    });
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { callExperimentalAPI(n: string, o: object): Promise<void> } }
      ).trtc.callExperimentalAPI('requestFullScreen', { enable: false }),
    );
    await waitForEvent(bob.page, 'full-screen-state-changed', { isFullScreen: false });
    // The page's own full screen of the view counts too.
    await fromClick(bob.page, "document.getElementById('remote').requestFullscreen()");
    await waitFor('a second full-screen entry', async () => {
      const entries = (await v5Events(bob.page)).filter(
        (e) => e.name === 'full-screen-state-changed' && e.payload.isFullScreen === true,
      );
      return entries.length === 2 ? true : null;
    });
    await bob.page.evaluate(() => document.exitFullscreen());
    await waitFor('out of full screen again', async () => {
      const list = (await v5Events(bob.page)).filter((e) => e.name === 'full-screen-state-changed');
      return list.at(-1)?.payload.isFullScreen === false ? true : null;
    });

    await fromClick(bob.page, call('requestPictureInPicture', true));
    const pip = await waitFor('picture-in-picture entered (or refused)', async () => {
      const entered = (await v5Events(bob.page)).find(
        (e) => e.name === 'picture-in-picture-state-changed' && e.payload.isPictureInPicture,
      );
      if (entered) return { entered };
      const error = await bob.page.evaluate(
        () => (window as unknown as { __clickError: string | null }).__clickError,
      );
      return error ? { error } : null;
    });
    console.log(`picture-in-picture: ${JSON.stringify(pip)}`);
    expect(pip.entered?.payload).toMatchObject({ userId: 'alice', streamType: 'main' });
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { callExperimentalAPI(n: string, o: object): Promise<void> } }
      ).trtc.callExperimentalAPI('requestPictureInPicture', { enable: false }),
    );
    await waitForEvent(bob.page, 'picture-in-picture-state-changed', {
      userId: 'alice',
      streamType: 'main',
      isPictureInPicture: false,
    });
    expect(bob.pageErrors).toEqual([]);
  });
});
