/**
 * Media quality on a clean path (loopback): a 720p publisher fed a detailed picture climbs to
 * its profile's bitrate and its viewer decodes full-size frames; with dual stream on, a
 * viewer that asks for the small stream gets narrower frames at a lower bitrate, and the big
 * one again when it asks back. Figures are printed for docs/media-quality.md.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJoined, randomRoom } from './compat/compatPage.js';
import {
  hasSmall,
  publish720p,
  setRemoteVideoType,
  type DualStreamWindow,
} from './compat/dualStream.js';
import { launchBrowser, useE2eEnvironment, waitFor } from './harness.js';
import { mbps, videoRate, type VideoRate } from './mediaStats.js';
import { highEntropyCameraArgs } from './net/index.js';

const env = useE2eEnvironment();
/** The publishers' browser: its fake camera plays the high-entropy clip. */
let camera: Browser;

beforeAll(async () => {
  camera = await launchBrowser(highEntropyCameraArgs());
});
afterAll(async () => {
  await camera?.close();
});

/** Joins `userId` on the camera browser and publishes at the 720p profile. */
async function publishing(roomId: number, userId: string, small: boolean): Promise<Page> {
  const page = await openJoined(camera, env.app.origin, env.parley, { userId, roomId });
  await publish720p(page, userId, small);
  return page;
}

const describeRate = (rate: VideoRate): string =>
  `${mbps(rate.bps)}, ${rate.fps} fps, ${rate.frameWidth}x${rate.frameHeight}` +
  (Object.keys(rate.layers).length > 1
    ? ` (layers ${Object.entries(rate.layers)
        .map(([rid, l]) => `${rid}: ${mbps(l.bps)} ${l.frameWidth}px`)
        .join(', ')})`
    : '');

/** Polls 1 s windows until one satisfies `ok`, for up to `timeoutMs`; returns it. */
async function rateUntil(
  page: Page,
  direction: 'sent' | 'received',
  what: string,
  ok: (rate: VideoRate) => boolean,
  timeoutMs: number,
): Promise<{ rate: VideoRate; afterMs: number }> {
  const started = Date.now();
  let last: VideoRate | null = null;
  while (Date.now() - started < timeoutMs) {
    last = await videoRate(page, direction, 1000);
    if (ok(last)) return { rate: last, afterMs: Date.now() - started };
  }
  throw new Error(
    `${what} not reached in ${timeoutMs} ms; last: ${last ? describeRate(last) : '-'}`,
  );
}

describe('clean path', () => {
  it('a 720p publisher sends >= 1.2 Mbit/s within 10 s and its viewer decodes >= 1280 px', async () => {
    const roomId = randomRoom();
    const viewer = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'viewer',
      roomId,
    });
    const publisher = await publishing(roomId, 'cam', false);
    const sent = await rateUntil(
      publisher,
      'sent',
      'publisher 1.2 Mbit/s',
      (r) => r.bps >= 1.2e6,
      10_000,
    );
    console.log(
      `[clean path] publisher sends ${describeRate(sent.rate)} within ${sent.afterMs} ms of publish`,
    );
    const received = await rateUntil(
      viewer,
      'received',
      'viewer 1280 px',
      (r) => r.frameWidth >= 1280 && r.fps > 0,
      15_000,
    );
    console.log(`[clean path] viewer decodes ${describeRate(received.rate)}`);
    expect(sent.rate.bps).toBeGreaterThanOrEqual(1.2e6);
    expect(received.rate.frameWidth).toBeGreaterThanOrEqual(1280);
  });

  it('dual stream: hasSmall, and a viewer switches to the small stream (narrower, cheaper) and back', async () => {
    const roomId = randomRoom();
    const viewer = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'viewer',
      roomId,
    });
    const publisher = await publishing(roomId, 'cam', true);
    // v4: dual stream is chosen while the main stream is not published.
    const refusal = await publisher.evaluate(() =>
      (window as unknown as DualStreamWindow).client.disableSmallStream().then(
        () => null,
        (error: { getCode(): number }) => error.getCode(),
      ),
    );
    expect(refusal).toBe(0x1001);
    expect(
      await publisher.evaluate(() =>
        (window as unknown as DualStreamWindow).TRTC.isSmallStreamSupported(),
      ),
    ).toBe(true);

    const sent = await rateUntil(
      publisher,
      'sent',
      'publisher 1.2 Mbit/s',
      (r) => r.bps >= 1.2e6,
      10_000,
    );
    console.log(
      `[dual stream] publisher sends ${describeRate(sent.rate)} within ${sent.afterMs} ms`,
    );
    expect(Object.keys(sent.rate.layers).sort()).toEqual(['b', 's']);

    expect(await waitFor('hasSmall at the viewer', () => hasSmall(viewer, 'cam'))).toBe(true);

    // The downlink estimate starts at 1 Mbit/s: the engine sends the big stream's base
    // temporal layers first and all of it once its probing shows the path carries it.
    const big = await rateUntil(
      viewer,
      'received',
      'big stream at full frame rate',
      (r) => r.frameWidth >= 1280 && r.fps >= 12,
      20_000,
    );
    console.log(
      `[dual stream] viewer on the big stream at full rate after ${big.afterMs} ms: ${describeRate(big.rate)}`,
    );

    await setRemoteVideoType(viewer, 'cam', 'small');
    const small = await rateUntil(
      viewer,
      'received',
      'small stream',
      (r) => r.frameWidth > 0 && r.frameWidth <= 320 && r.fps > 0,
      10_000,
    );
    // A full window on the small stream for its bitrate.
    const smallRate = await videoRate(viewer, 'received', 2000);
    console.log(
      `[dual stream] viewer on the small stream after ${small.afterMs} ms: ${describeRate(smallRate)}`,
    );
    expect(smallRate.frameWidth).toBeLessThan(big.rate.frameWidth);
    expect(smallRate.fps).toBeGreaterThan(0);
    expect(smallRate.bps).toBeLessThan(big.rate.bps / 3);

    // A new small profile applies to the published small stream at once.
    await publisher.evaluate(() =>
      (window as unknown as DualStreamWindow).client.setSmallStreamProfile({
        width: 320,
        height: 180,
        bitrate: 250,
        frameRate: 15,
      }),
    );
    const resized = await rateUntil(
      viewer,
      'received',
      'the resized small stream',
      (r) => r.frameWidth === 320 && r.fps > 0,
      10_000,
    );
    console.log(
      `[dual stream] small stream resized to 320x180 after ${resized.afterMs} ms: ${describeRate(resized.rate)}`,
    );

    await setRemoteVideoType(viewer, 'cam', 'big');
    const back = await rateUntil(
      viewer,
      'received',
      'big stream again',
      (r) => r.frameWidth >= 1280 && r.fps > 0,
      15_000,
    );
    console.log(
      `[dual stream] viewer back on the big stream after ${back.afterMs} ms: ${describeRate(back.rate)}`,
    );
    expect(back.rate.frameWidth).toBeGreaterThanOrEqual(1280);
  });
});
