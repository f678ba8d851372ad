/**
 * What the media-out e2e tests share: a local RTMP receiver for the file, v4 users who publish
 * a solid colour and a tone (so the output can be checked pixel by pixel and by band-pass),
 * v4 client calls whose outcome comes back as data, and colour predicates for decoded pixels.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { newPage, type ParleyUnderTest } from './harness.js';
import { rtmpAvailable, startRtmpServer, type Frame, type RtmpServer } from './rtmpServer.js';

/**
 * A local nginx-rtmp for the file's tests: started before them, stopped after them. The object
 * returned stands for it (use it inside tests and hooks that run after the start).
 */
export function useRtmpServer(): RtmpServer {
  let server: RtmpServer | undefined;
  beforeAll(async () => {
    if (!rtmpAvailable()) {
      throw new Error(
        'nginx with libnginx-mod-rtmp is needed: apt-get install nginx libnginx-mod-rtmp',
      );
    }
    server = await startRtmpServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const started = (): RtmpServer => {
    if (!server) throw new Error('the RTMP server is not started yet (it starts in beforeAll)');
    return server;
  };
  return {
    get port() {
      return started().port;
    },
    url: (name) => started().url(name),
    publishing: () => started().publishing(),
    close: () => started().close(),
  };
}

/** Where a colour publisher's page comes from and how its user signs in. */
export interface PublisherTarget {
  browser: Browser;
  /** The application origin that serves sdk.html (which loads the v4 SDK from Parley). */
  appOrigin: string;
  /** The server (or cluster node) the user joins. */
  parley: Pick<ParleyUnderTest, 'sdkAppId' | 'userSig'>;
}

export interface ColourOptions {
  /** A CSS colour filling the 320×240 canvas. */
  color: string;
  /** The tone's frequency (Hz); 440 by default. */
  toneHz?: number;
  /** v4's autoSubscribe (false: the page receives nobody). */
  autoSubscribe?: boolean;
}

/**
 * Opens a page that joins `roomId` as `userId` (v4) and publishes a 320×240 canvas of one
 * colour (redrawn at 20 fps) and a tone; the client is window.__client. The page's
 * `__setColor(c)` changes the colour and returns the page's Date.now() (the test's clock), to
 * time a change through a mix.
 */
export async function colourPublisher(
  target: PublisherTarget,
  userId: string,
  roomId: number,
  { color, toneHz = 440, autoSubscribe = true }: ColourOptions,
): Promise<Page> {
  const { page } = await newPage(target.browser);
  await page.goto(`${target.appOrigin}/sdk.html`);
  await page.evaluate(
    async ({ sdkAppId, userId, userSig, roomId, color, toneHz, autoSubscribe }) => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 240;
      const g = canvas.getContext('2d')!;
      let current = color;
      const draw = () => {
        g.fillStyle = current;
        g.fillRect(0, 0, canvas.width, canvas.height);
      };
      (window as unknown as { __setColor(c: string): number }).__setColor = (c: string) => {
        current = c;
        draw();
        return Date.now();
      };
      draw();
      setInterval(draw, 50);
      const video = canvas.captureStream(20).getVideoTracks()[0]!;
      const audioContext = new AudioContext();
      const oscillator = audioContext.createOscillator();
      oscillator.frequency.value = toneHz;
      const destination = audioContext.createMediaStreamDestination();
      oscillator.connect(destination);
      oscillator.start();
      const audio = destination.stream.getAudioTracks()[0]!;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const TRTC = (window as any).TRTC;
      const client = TRTC.createClient({ mode: 'rtc', sdkAppId, userId, userSig, autoSubscribe });
      await client.join({ roomId });
      const stream = TRTC.createStream({ userId, audioSource: audio, videoSource: video });
      await stream.initialize();
      await client.publish(stream);
      (window as unknown as { __client: unknown }).__client = client;
    },
    {
      sdkAppId: target.parley.sdkAppId,
      userId,
      userSig: target.parley.userSig(userId),
      roomId,
      color,
      toneHz,
      autoSubscribe,
    },
  );
  return page;
}

/** How a v4 client call ended: its error's code and message when it rejected. */
export interface Outcome {
  ok: boolean;
  code?: number;
  message?: string;
}

/** Calls `window.__client[method](arg)` in the page and says how it ended. */
export function call(page: Page, method: string, arg?: unknown): Promise<Outcome> {
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

/** One decoded pixel. */
export type Rgb = [number, number, number];
// Loose bounds: H.264 at a few hundred kbit/s and YUV 4:2:0 shift a solid colour a little.
export const isRed = ([r, g, b]: Rgb): boolean => r > 170 && g < 90 && b < 90;
export const isBlue = ([r, g, b]: Rgb): boolean => b > 170 && r < 90 && g < 90;
export const isGreen = ([r, g, b]: Rgb): boolean => g > 170 && r < 90 && b < 90;
export const isYellow = ([r, g, b]: Rgb): boolean => r > 170 && g > 170 && b < 90;
export const isMagenta = ([r, g, b]: Rgb): boolean => r > 170 && b > 170 && g < 90;
export const isBlack = ([r, g, b]: Rgb): boolean => r < 50 && g < 50 && b < 50;
/** A pixel as text, for assertion messages. */
export const rgb = (frame: Frame, x: number, y: number): string => JSON.stringify(frame.at(x, y));
