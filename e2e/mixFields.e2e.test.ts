/**
 * The fields of v4's startMixTranscode beyond the basic layout, end to end (real Chromium
 * users, a local nginx-rtmp, the output read back with ffmpeg): `backgroundImage` (an image
 * the operator put in the server's mix-images directory, drawn where no user is), each
 * `renderMode` (0 crop, 1 fit over the background, 2 fit on black), and `mixUsers[].roomId`
 * naming another room of the application on this server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment } from './harness.js';
import {
  call,
  colourPublisher,
  isBlack,
  isBlue,
  isGreen,
  isMagenta,
  isRed,
  isYellow,
  rgb,
  useRtmpServer,
} from './mediaOutKit.js';
import { FrameWatcher } from './rtmpServer.js';

// The operator's mix images: a magenta PNG named "stage" (made before the server starts).
const images = mkdtempSync(join(tmpdir(), 'parley-mix-images-'));
execFileSync(
  'gst-launch-1.0',
  [
    '-q',
    'videotestsrc',
    'num-buffers=1',
    'pattern=solid-color',
    'foreground-color=0xffff00ff',
    '!',
    'video/x-raw,width=64,height=36',
    '!',
    'pngenc',
    '!',
    'filesink',
    `location=${join(images, 'stage.png')}`,
  ],
  { timeout: 15_000 },
);

const env = useE2eEnvironment({
  PARLEY_MIX_IMAGES_DIR: images,
  // The local nginx is on loopback, which media-out refuses unless listed (SSRF guard).
  PARLEY_CDN_ALLOWED_HOSTS: '127.0.0.1',
});
const rtmp = useRtmpServer();

/** Joins `roomId` and publishes a 320×240 (4:3) canvas of one colour and a tone. */
const publisher = (userId: string, roomId: number, color: string): Promise<Page> =>
  colourPublisher(
    { browser: env.browser, appOrigin: env.app.origin, parley: env.parley },
    userId,
    roomId,
    { color },
  );

const INVALID_PARAMETER = 0x1000;
const START_MIX_TRANSCODE_FAILED = 0x4047;

describe('startMixTranscode fields', () => {
  it('draws backgroundImage where no user is, and renderMode 0 crops, 1 fits over the background, 2 fits on black', async () => {
    const roomId = randomRoomId();
    const alice = await publisher('alice', roomId, '#ff0000');
    await publisher('bob', roomId, '#0000ff');
    await publisher('carol', roomId, '#ffff00');
    const streamId = `bg${roomId}`;
    const url = rtmp.url(streamId);
    // Wide boxes (8:3) for 4:3 pictures: fitted, a picture is 160×120 in the middle of its
    // 320×120 box, with 80 px bars either side; cropped, it fills the box.
    const config = (backgroundImage: string) => ({
      streamId,
      videoWidth: 640,
      videoHeight: 360,
      backgroundColor: 0x00ff00,
      backgroundImage,
      mixUsers: [
        {
          userId: 'alice',
          pureAudio: false,
          width: 320,
          height: 120,
          locationX: 0,
          locationY: 0,
          zOrder: 1,
          renderMode: 1,
        },
        {
          userId: 'bob',
          pureAudio: false,
          width: 320,
          height: 120,
          locationX: 0,
          locationY: 200,
          zOrder: 1,
          renderMode: 2,
        },
        {
          userId: 'carol',
          pureAudio: false,
          width: 320,
          height: 120,
          locationX: 320,
          locationY: 0,
          zOrder: 1,
          renderMode: 0,
        },
      ],
    });
    // An image the server does not have: v4's INVALID_PARAMETER naming the field.
    const unknown = await call(alice, 'startMixTranscode', config('no-such-image'));
    expect(unknown, unknown.message).toMatchObject({ ok: false, code: INVALID_PARAMETER });
    expect(unknown.message).toContain('backgroundImage');
    expect(unknown.message).toContain('no-such-image');
    const traversal = await call(alice, 'startMixTranscode', config('../stage'));
    expect(traversal, traversal.message).toMatchObject({ ok: false, code: INVALID_PARAMETER });
    expect(traversal.message).toContain('backgroundImage');

    expect(await call(alice, 'startMixTranscode', config('stage'))).toEqual({ ok: true });
    expect(await call(alice, 'startPublishCDNStream', { streamId, url })).toEqual({ ok: true });
    // A continuous reader; the last frame read is checked below when none shows everything
    // (the messages say why).
    const watcher = new FrameWatcher(url, 640, 360);
    const frame = await watcher
      .nextFrame(
        (f) =>
          isRed(f.at(160, 60)) &&
          isBlue(f.at(160, 260)) &&
          isYellow(f.at(480, 60)) &&
          isMagenta(f.at(500, 300)),
        30_000,
      )
      .then(
        ({ frame }) => frame,
        (error: unknown) => {
          if (watcher.last) return watcher.last;
          throw error;
        },
      )
      .finally(() => watcher.close());
    // The image (magenta), not the colour (green), where nobody is drawn.
    for (const [x, y] of [
      [500, 300],
      [620, 180],
      [160, 160],
    ] as const) {
      expect(isMagenta(frame.at(x, y)), `background at ${x},${y}: ${rgb(frame, x, y)}`).toBe(true);
    }
    expect(isGreen(frame.at(500, 300))).toBe(false);
    // renderMode 1 (alice, red): fitted, the image shows in her bars.
    expect(isRed(frame.at(160, 60)), `alice ${rgb(frame, 160, 60)}`).toBe(true);
    expect(isMagenta(frame.at(30, 60)), `alice's left bar ${rgb(frame, 30, 60)}`).toBe(true);
    expect(isMagenta(frame.at(290, 60)), `alice's right bar ${rgb(frame, 290, 60)}`).toBe(true);
    // renderMode 2 (bob, blue): fitted on black bars.
    expect(isBlue(frame.at(160, 260)), `bob ${rgb(frame, 160, 260)}`).toBe(true);
    expect(isBlack(frame.at(30, 260)), `bob's left bar ${rgb(frame, 30, 260)}`).toBe(true);
    expect(isBlack(frame.at(290, 260)), `bob's right bar ${rgb(frame, 290, 260)}`).toBe(true);
    // renderMode 0 (carol, yellow): cropped to fill the whole box, no bars.
    for (const x of [330, 480, 630]) {
      expect(isYellow(frame.at(x, 60)), `carol at ${x},60: ${rgb(frame, x, 60)}`).toBe(true);
    }
  }, 180_000);

  it('mixes a user of another room of the application (mixUsers[].roomId)', async () => {
    const roomA = randomRoomId();
    const roomB = roomA + 1;
    const alice = await publisher('alice', roomA, '#ff0000');
    await publisher('bob', roomB, '#0000ff');
    const streamId = `rooms${roomA}`;
    const url = rtmp.url(streamId);
    const config = (bob: { userId: string; roomId: unknown }) => ({
      streamId,
      videoWidth: 640,
      videoHeight: 360,
      backgroundColor: 0x00ff00,
      mixUsers: [
        {
          userId: 'alice',
          roomId: roomA,
          pureAudio: false,
          width: 320,
          height: 180,
          locationX: 0,
          locationY: 0,
          zOrder: 1,
        },
        {
          ...bob,
          pureAudio: false,
          width: 320,
          height: 180,
          locationX: 320,
          locationY: 180,
          zOrder: 1,
        },
      ],
    });
    // Someone not in that room: v4's START_MIX_TRANSCODE_FAILED with the cause.
    const absent = await call(
      alice,
      'startMixTranscode',
      config({ userId: 'nobody', roomId: roomB }),
    );
    expect(absent, absent.message).toMatchObject({ ok: false, code: START_MIX_TRANSCODE_FAILED });
    expect(absent.message).toContain(`nobody is not in room ${roomB}`);
    // A room id of the other kind (this client joined with a number): the field is named.
    const wrongKind = await call(
      alice,
      'startMixTranscode',
      config({ userId: 'bob', roomId: String(roomB) }),
    );
    expect(wrongKind, wrongKind.message).toMatchObject({ ok: false, code: INVALID_PARAMETER });
    expect(wrongKind.message).toContain('mixUsers[1].roomId');

    expect(
      await call(alice, 'startMixTranscode', config({ userId: 'bob', roomId: roomB })),
    ).toEqual({ ok: true });
    expect(await call(alice, 'startPublishCDNStream', { streamId, url })).toEqual({ ok: true });
    const watcher = new FrameWatcher(url, 640, 360);
    const { frame } = await watcher
      .nextFrame((f) => isRed(f.at(160, 90)) && isBlue(f.at(480, 270)), 30_000)
      .finally(() => watcher.close());
    expect(isRed(frame.at(160, 90)), `alice (room A) ${rgb(frame, 160, 90)}`).toBe(true);
    expect(isBlue(frame.at(480, 270)), `bob (room B) ${rgb(frame, 480, 270)}`).toBe(true);
    expect(isGreen(frame.at(480, 90)), `background ${rgb(frame, 480, 90)}`).toBe(true);
  });
});
