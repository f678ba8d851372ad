/**
 * v5 `mirror: 'publish'`: the sent camera picture is flipped left to right, as a viewer's
 * decoded pixels show (a camera red on the left and blue on the right arrives blue on the
 * left); the default ('view') sends it as captured; `updateLocalVideo` turns it off and on.
 */
import type { Page } from 'playwright-core';
import { describe, it } from 'vitest';
import { randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import { enterRoom, openV5Page, waitForEvent } from './v5Page.js';

const env = useE2eEnvironment();

type Rgb = [number, number, number];

/** The colour at (fx, 0.5) of the remote video decoded in `#remote`. */
const remotePixel = (page: Page, fx: number): Promise<Rgb | null> =>
  page.evaluate((fx) => {
    const video = document.querySelector<HTMLVideoElement>('#remote video');
    if (!video || video.videoWidth === 0) return null;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    g.drawImage(video, 0, 0);
    const d = g.getImageData(Math.floor(fx * canvas.width), canvas.height >> 1, 1, 1).data;
    return [d[0]!, d[1]!, d[2]!] as Rgb;
  }, fx);

const isRed = ([r, g, b]: Rgb) => r > 170 && g < 90 && b < 90;
const isBlue = ([r, g, b]: Rgb) => b > 170 && r < 90 && g < 90;

/** Waits until the viewer sees red on `red` side and blue on the other. */
const expectRedOn = (page: Page, red: 'left' | 'right'): Promise<unknown> =>
  waitFor(
    `red on the ${red} at the viewer`,
    async () => {
      const left = await remotePixel(page, 0.15);
      const right = await remotePixel(page, 0.85);
      if (!left || !right) return null;
      return red === 'left' ? isRed(left) && isBlue(right) : isBlue(left) && isRed(right);
    },
    20_000,
  );

const startCamera = (page: Page, mirror: unknown): Promise<void> =>
  page.evaluate(async (mirror) => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 480;
    const g = canvas.getContext('2d')!;
    const draw = () => {
      g.fillStyle = '#ff0000';
      g.fillRect(0, 0, 320, 480);
      g.fillStyle = '#0000ff';
      g.fillRect(320, 0, 320, 480);
    };
    draw();
    setInterval(draw, 50);
    const { trtc } = window as unknown as { trtc: { startLocalVideo(o: object): Promise<void> } };
    await trtc.startLocalVideo({
      view: 'local',
      option: {
        videoTrack: canvas.captureStream(20).getVideoTracks()[0],
        profile: '480p',
        ...(mirror === undefined ? {} : { mirror }),
      },
    });
  }, mirror);

const updateMirror = (page: Page, mirror: unknown): Promise<void> =>
  page.evaluate(
    (mirror) =>
      (
        window as unknown as { trtc: { updateLocalVideo(o: object): Promise<void> } }
      ).trtc.updateLocalVideo({ option: { mirror } }),
    mirror,
  );

describe("TRTC v5 mirror 'publish'", () => {
  it('the viewer decodes the flipped picture; updateLocalVideo turns it off and on again', async () => {
    const roomId = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);
    await enterRoom(alice.page, env.parley, 'alice', { roomId });
    await enterRoom(bob.page, env.parley, 'bob', { roomId });
    await startCamera(alice.page, 'publish');
    await waitForEvent(bob.page, 'remote-video-available', { userId: 'alice', streamType: 'main' });
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { startRemoteVideo(o: object): Promise<void> } }
      ).trtc.startRemoteVideo({ userId: 'alice', streamType: 'main', view: 'remote' }),
    );
    await expectRedOn(bob.page, 'right');
    await updateMirror(alice.page, 'view');
    await expectRedOn(bob.page, 'left');
    await updateMirror(alice.page, 'both');
    await expectRedOn(bob.page, 'right');
  });

  it("the default ('view') sends the picture as captured", async () => {
    const roomId = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);
    await enterRoom(alice.page, env.parley, 'alice', { roomId });
    await enterRoom(bob.page, env.parley, 'bob', { roomId });
    await startCamera(alice.page, undefined);
    await waitForEvent(bob.page, 'remote-video-available', { userId: 'alice', streamType: 'main' });
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { startRemoteVideo(o: object): Promise<void> } }
      ).trtc.startRemoteVideo({ userId: 'alice', streamType: 'main', view: 'remote' }),
    );
    await expectRedOn(bob.page, 'left');
  });
});
