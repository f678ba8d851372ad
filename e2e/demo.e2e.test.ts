/** The demo page at `/`, used as a person would: type, click Join, see the other person. */
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  closeAllPages,
  launchBrowser,
  newPage,
  startParley,
  waitFor,
  type ParleyUnderTest,
  randomRoomId,
} from './harness.js';

let parley: ParleyUnderTest;
let browser: Browser;

beforeAll(async () => {
  parley = await startParley();
  browser = await launchBrowser();
});
afterEach(() => closeAllPages());
afterAll(async () => {
  await browser?.close();
  await parley?.close();
});

async function joinDemo(room: string, user: string): Promise<Page> {
  const { page } = await newPage(browser);
  await page.goto(`${parley.origin}/`);
  await page.fill('#room-id', room);
  await page.fill('#user-id', user);
  await page.click('#join-btn');
  return page;
}

/** Luminance spread and share of non-dark pixels of a PNG: a blank tile has neither. */
function imageActivity(png: Buffer): { stddev: number; lit: number } {
  const image = PNG.sync.read(png);
  let sum = 0;
  let sumSq = 0;
  let lit = 0;
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    const r = image.data[i * 4]!;
    const g = image.data[i * 4 + 1]!;
    const b = image.data[i * 4 + 2]!;
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    sum += y;
    sumSq += y * y;
    if (y > 40) lit++;
  }
  const mean = sum / n;
  return { stddev: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), lit: lit / n };
}

describe('demo page', () => {
  it('shows the other participant’s video in a tile after typing and clicking Join', async () => {
    const room = String(randomRoomId());
    const ada = await joinDemo(room, 'ada');
    const lin = await joinDemo(room, 'lin');
    for (const [page, other] of [
      [ada, 'lin'],
      [lin, 'ada'],
    ] as const) {
      const tile = page.locator(`.tile.remote[data-user-id="${other}"]`);
      await tile.waitFor({ state: 'visible', timeout: 20_000 });
      await waitFor(`${other}'s video playing`, () =>
        tile
          .locator('video')
          .evaluate((v: HTMLVideoElement) => v.videoWidth > 0 && v.currentTime > 0.5),
      );
      const shot = await tile.screenshot();
      const activity = imageActivity(shot);
      expect(activity.stddev, 'tile shows a picture, not a flat colour').toBeGreaterThan(15);
      expect(activity.lit, 'tile is not black').toBeGreaterThan(0.2);
      await expect(
        page.locator('#local-tile video').evaluate((v: HTMLVideoElement) => v.videoWidth),
      ).resolves.toBeGreaterThan(0);
    }
    await ada.click('#leave-btn');
    await waitFor(
      'lin sees ada leave',
      async () => (await lin.locator('.tile.remote[data-user-id="ada"]').count()) === 0,
    );
    await ada.locator('#join-form').waitFor({ state: 'visible', timeout: 5000 });
    await ada.context().close();
    await lin.context().close();
  });

  it('serves the SDK bundle as a classic script defining TRTC', async () => {
    const res = await fetch(`${parley.origin}/sdk/trtc.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const { page } = await newPage(browser);
    await page.goto(`${parley.origin}/healthz`);
    await page.addScriptTag({ url: `${parley.origin}/sdk/trtc.js` });
    const api = await page.evaluate(() => {
      const T = (window as unknown as { TRTC: Record<string, unknown> }).TRTC;
      return {
        version: T.VERSION,
        createClient: typeof T.createClient,
        createStream: typeof T.createStream,
      };
    });
    expect(api.version).toMatch(/^4\./);
    expect(api.createClient).toBe('function');
    expect(api.createStream).toBe('function');
    await page.context().close();
  });
});
