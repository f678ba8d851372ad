/**
 * v5's Watermark plugin in real Chromium: a v5 user sends a solid blue camera picture; with
 * the watermark on, a remote v5 viewer's decoded frames show the image's red where asked and
 * blue elsewhere, the published track is swapped in place (the same sender, no new offer),
 * and after stopPlugin the frames are plain blue again. Bad options and a missing camera are
 * refused with v5's codes.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import { enterRoom, errorOf, openV5Page, waitForEvent, type V5ErrorData } from './v5Page.js';

const env = useE2eEnvironment();

type Rgb = [number, number, number];

/** The colour at (fx, fy) (fractions of the picture) of the remote video decoded in `#remote`. */
const remotePixel = (page: Page, fx: number, fy: number): Promise<Rgb | null> =>
  page.evaluate(
    ({ fx, fy }) => {
      const video = document.querySelector<HTMLVideoElement>('#remote video');
      if (!video || video.videoWidth === 0) return null;
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const g = canvas.getContext('2d', { willReadFrequently: true })!;
      g.drawImage(video, 0, 0);
      const d = g.getImageData(
        Math.floor(fx * canvas.width),
        Math.floor(fy * canvas.height),
        1,
        1,
      ).data;
      return [d[0]!, d[1]!, d[2]!] as Rgb;
    },
    { fx, fy },
  );

/** The publisher's video sender: its track id and the local description (a new offer changes it). */
const sender = (page: Page): Promise<{ trackId: string | null; sdp: string }[]> =>
  page.evaluate(() =>
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
      .filter((pc) => pc.connectionState !== 'closed')
      .flatMap((pc) =>
        pc
          .getSenders()
          .filter((s) => s.track?.kind === 'video')
          .map((s) => ({ trackId: s.track?.id ?? null, sdp: pc.localDescription?.sdp ?? '' })),
      ),
  );

const watermark = (
  page: Page,
  method: 'startPlugin' | 'updatePlugin' | 'stopPlugin',
  options?: unknown,
): Promise<V5ErrorData | null> => errorOf(page, method, 'Watermark', options);

const isRed = ([r, g, b]: Rgb) => r > 170 && g < 90 && b < 90;
const isBlue = ([r, g, b]: Rgb) => b > 170 && r < 90 && g < 90;

describe('TRTC v5: Watermark', () => {
  it('the sent picture carries the image where asked, swapped in place; stopPlugin takes it off', async () => {
    const roomId = randomRoomId();
    const alice = (await openV5Page(env.browser, env.app.origin)).page;
    const bob = (await openV5Page(env.browser, env.app.origin)).page;
    await enterRoom(alice, env.parley, 'alice', { roomId });
    await enterRoom(bob, env.parley, 'bob', { roomId });

    // A solid red PNG, made in the page (no server needed for the image).
    const imageUrl = await alice.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 40;
      c.height = 30;
      const g = c.getContext('2d')!;
      g.fillStyle = '#ff0000';
      g.fillRect(0, 0, c.width, c.height);
      return c.toDataURL('image/png');
    });
    // No camera yet: v5's INVALID_OPERATION, "needs video".
    expect(await watermark(alice, 'startPlugin', { imageUrl })).toMatchObject({
      code: 5100,
      extraCode: 5105,
    });

    await alice.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = 480;
      const g = canvas.getContext('2d')!;
      const draw = () => {
        g.fillStyle = '#0000ff';
        g.fillRect(0, 0, canvas.width, canvas.height);
      };
      draw();
      setInterval(draw, 50);
      const { trtc } = window as unknown as { trtc: { startLocalVideo(o: object): Promise<void> } };
      await trtc.startLocalVideo({
        view: 'local',
        option: { videoTrack: canvas.captureStream(20).getVideoTracks()[0], profile: '480p' },
      });
    });
    await waitForEvent(bob, 'remote-video-available', { userId: 'alice', streamType: 'main' });
    await bob.evaluate(() =>
      (
        window as unknown as { trtc: { startRemoteVideo(o: object): Promise<void> } }
      ).trtc.startRemoteVideo({ userId: 'alice', streamType: 'main', view: 'remote' }),
    );
    await waitFor(
      'alice blue at the viewer',
      async () => {
        const p = await remotePixel(bob, 0.1, 0.1);
        return p && isBlue(p);
      },
      20_000,
    );

    // Bad options: v5's codes, nothing changed.
    expect(await watermark(alice, 'startPlugin', {})).toMatchObject({
      code: 5000,
      extraCode: 5001,
    });
    const badSize = await watermark(alice, 'startPlugin', { imageUrl, size: 'huge' });
    expect(badSize).toMatchObject({ code: 5000, extraCode: 5002 });
    expect(badSize!.message).toContain('size');
    expect(await watermark(alice, 'startPlugin', { imageUrl, size: 2 })).toMatchObject({
      code: 5000,
      extraCode: 5005,
    });
    const badUrl = await watermark(alice, 'startPlugin', {
      imageUrl: 'http://127.0.0.1:1/none.png',
    });
    expect(badUrl).toMatchObject({ code: 5000 });
    expect(badUrl!.message).toContain('load image failed');

    const before = await sender(alice);
    expect(before).toHaveLength(1);
    const cameraId = await alice.evaluate(
      () =>
        (window as unknown as { trtc: { getVideoTrack(): MediaStreamTrack } }).trtc.getVideoTrack()
          .id,
    );
    expect(before[0]!.trackId).toBe(cameraId);

    // The image's top-left quarter of the camera's 640×480: (0,0) 320×240.
    const started = Date.now();
    expect(
      await watermark(alice, 'startPlugin', {
        imageUrl,
        x: 0,
        y: 0,
        size: { width: 320, height: 240 },
      }),
    ).toBeNull();
    await waitFor(
      'red watermark at the viewer',
      async () => {
        const p = await remotePixel(bob, 0.25, 0.25);
        return p && isRed(p);
      },
      20_000,
    );
    console.log(`[figure] watermark: startPlugin → seen at the viewer ${Date.now() - started} ms`);
    for (const [fx, fy] of [
      [0.1, 0.1],
      [0.4, 0.4],
    ] as const) {
      expect(isRed((await remotePixel(bob, fx, fy))!), `inside (${fx}, ${fy})`).toBe(true);
    }
    for (const [fx, fy] of [
      [0.75, 0.25],
      [0.25, 0.75],
      [0.75, 0.75],
    ] as const) {
      expect(isBlue((await remotePixel(bob, fx, fy))!), `outside (${fx}, ${fy})`).toBe(true);
    }
    // Swapped in place: the same sender with another track, and no new offer.
    const during = await sender(alice);
    expect(during).toHaveLength(1);
    expect(during[0]!.trackId).not.toBe(cameraId);
    expect(during[0]!.sdp).toBe(before[0]!.sdp);

    // updatePlugin moves it to the bottom right.
    expect(
      await watermark(alice, 'updatePlugin', {
        imageUrl,
        x: 320,
        y: 240,
        size: { width: 320, height: 240 },
      }),
    ).toBeNull();
    await waitFor(
      'the watermark moved',
      async () => {
        const inside = await remotePixel(bob, 0.75, 0.75);
        const old = await remotePixel(bob, 0.25, 0.25);
        return inside && old && isRed(inside) && isBlue(old);
      },
      20_000,
    );

    // stopPlugin: the camera track is sent again, the picture is plain blue.
    expect(await watermark(alice, 'stopPlugin')).toBeNull();
    await waitFor(
      'no watermark at the viewer',
      async () => {
        const p = await remotePixel(bob, 0.75, 0.75);
        return p && isBlue(p);
      },
      20_000,
    );
    expect(isBlue((await remotePixel(bob, 0.25, 0.25))!)).toBe(true);
    const after = await sender(alice);
    expect(after[0]!.trackId).toBe(cameraId);
    expect(after[0]!.sdp).toBe(before[0]!.sdp);
  });
});
