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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPage, randomRoomId, useE2eEnvironment, waitFor } from './harness.js';
import {
  grabFrame,
  rtmpAvailable,
  startRtmpServer,
  type Frame,
  type RtmpServer,
} from './rtmpServer.js';

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
let rtmp: RtmpServer;

beforeAll(async () => {
  if (!rtmpAvailable()) {
    throw new Error(
      'nginx with libnginx-mod-rtmp is needed: apt-get install nginx libnginx-mod-rtmp',
    );
  }
  rtmp = await startRtmpServer();
});
afterAll(async () => {
  await rtmp?.close();
});

interface Outcome {
  ok: boolean;
  code?: number;
  message?: string;
}

/** Joins `roomId` and publishes a 320×240 (4:3) canvas of one colour and a tone. */
async function publisher(userId: string, roomId: number, color: string): Promise<Page> {
  const { page } = await newPage(env.browser);
  await page.goto(`${env.app.origin}/sdk.html`);
  await page.evaluate(
    async ({ sdkAppId, userId, userSig, roomId, color }) => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 240;
      const g = canvas.getContext('2d')!;
      const draw = () => {
        g.fillStyle = color;
        g.fillRect(0, 0, canvas.width, canvas.height);
      };
      draw();
      setInterval(draw, 50);
      const video = canvas.captureStream(20).getVideoTracks()[0]!;
      const audioContext = new AudioContext();
      const oscillator = audioContext.createOscillator();
      const destination = audioContext.createMediaStreamDestination();
      oscillator.connect(destination);
      oscillator.start();
      const audio = destination.stream.getAudioTracks()[0]!;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const TRTC = (window as any).TRTC;
      const client = TRTC.createClient({ mode: 'rtc', sdkAppId, userId, userSig });
      await client.join({ roomId });
      const stream = TRTC.createStream({ userId, audioSource: audio, videoSource: video });
      await stream.initialize();
      await client.publish(stream);
      (window as unknown as { __client: unknown }).__client = client;
    },
    { sdkAppId: env.parley.sdkAppId, userId, userSig: env.parley.userSig(userId), roomId, color },
  );
  return page;
}

/** Calls `client[method](arg)` in the page and says how it ended. */
function call(page: Page, method: string, arg?: unknown): Promise<Outcome> {
  return page.evaluate(
    async ({ method, arg }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const client = (window as any).__client;
      try {
        await client[method](arg);
        return { ok: true };
      } catch (error) {
        const e = error as { getCode?: () => number; message: string };
        return { ok: false, code: e.getCode?.(), message: e.message };
      }
    },
    { method, arg },
  );
}

type Rgb = [number, number, number];
const isRed = ([r, g, b]: Rgb) => r > 170 && g < 90 && b < 90;
const isBlue = ([r, g, b]: Rgb) => b > 170 && r < 90 && g < 90;
const isYellow = ([r, g, b]: Rgb) => r > 170 && g > 170 && b < 90;
const isMagenta = ([r, g, b]: Rgb) => r > 170 && b > 170 && g < 90;
const isBlack = ([r, g, b]: Rgb) => r < 50 && g < 50 && b < 50;
const isGreen = ([r, g, b]: Rgb) => g > 170 && r < 90 && b < 90;
const rgb = (frame: Frame, x: number, y: number) => JSON.stringify(frame.at(x, y));

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
    // The last frame read is checked below when none shows everything (the messages say why).
    let last: Frame | null = null;
    const frame = await waitFor(
      'the three users and the image in the mixed picture',
      async () => {
        const f = await grabFrame(url, 640, 360).catch(() => null);
        last = f ?? last;
        return f &&
          isRed(f.at(160, 60)) &&
          isBlue(f.at(160, 260)) &&
          isYellow(f.at(480, 60)) &&
          isMagenta(f.at(500, 300))
          ? f
          : null;
      },
      30_000,
    ).catch((error: unknown) => {
      if (last) return last;
      throw error;
    });
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
    const frame = await waitFor(
      "both rooms' users in the mixed picture",
      async () => {
        const f = await grabFrame(url, 640, 360).catch(() => null);
        return f && isRed(f.at(160, 90)) && isBlue(f.at(480, 270)) ? f : null;
      },
      30_000,
    );
    expect(isRed(frame.at(160, 90)), `alice (room A) ${rgb(frame, 160, 90)}`).toBe(true);
    expect(isBlue(frame.at(480, 270)), `bob (room B) ${rgb(frame, 480, 270)}`).toBe(true);
    expect(isGreen(frame.at(480, 90)), `background ${rgb(frame, 480, 90)}`).toBe(true);
  });
});
