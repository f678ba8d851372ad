/**
 * Tencent's v5 quick demo flow (quick-demo-js, release 5.18.x), as a page of our own making
 * the same calls in the same order on `/sdk/trtc-v5.js`: create → enterRoom →
 * startLocalVideo/Audio → REMOTE_VIDEO_AVAILABLE → startRemoteVideo → mute icons → leave with
 * stopRemoteVideo({userId: '*'}), exitRoom, off('*'). No alert, no page error, no rejected
 * call, and the exit completes.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newPage, randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import { expectVideoDecoded } from './v5Page.js';

const env = useE2eEnvironment();

interface FlowWindow {
  __rejected: unknown[];
  __alerts: string[];
  __log: string[];
  __exited?: boolean;
  enter(): Promise<void>;
  toggleMute(mute: boolean): Promise<void>;
  leave(): Promise<void>;
}

async function openFlow(userId: string, roomId: number): Promise<{ page: Page; errors: string[] }> {
  const { page } = await newPage(env.browser);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const query = new URLSearchParams({
    sdkAppId: String(env.parley.sdkAppId),
    userId,
    userSig: env.parley.userSig(userId),
    roomId: String(roomId),
  });
  await page.goto(`${env.app.origin}/v5-flow.html?${query}`);
  await page.evaluate(() => (window as unknown as FlowWindow).enter());
  return { page, errors };
}

const flow = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as FlowWindow;
    return { rejected: w.__rejected, alerts: w.__alerts, log: w.__log, exited: w.__exited };
  });

describe("Tencent's v5 quick demo flow", () => {
  it('runs clean on Parley: two users see each other, mute icons follow, both exit', async () => {
    const roomId = randomRoomId();
    const alice = await openFlow('alice', roomId);
    const bob = await openFlow('bob', roomId);
    await expectVideoDecoded(alice.page, 'bob');
    await expectVideoDecoded(bob.page, 'alice');
    // The SDK's video is the view's first child; the demo's controls come after it.
    expect(
      await alice.page.evaluate(() =>
        [...document.getElementById('local')!.children].map((c) => c.tagName),
      ),
    ).toEqual(['VIDEO', 'DIV']);

    await alice.page.evaluate(() => (window as unknown as FlowWindow).toggleMute(true));
    await waitFor('the mute icons of alice on bob', async () => {
      const { log } = await flow(bob.page);
      return log.includes('audio- alice') && log.includes('video- alice main') ? log : null;
    });
    await alice.page.evaluate(() => (window as unknown as FlowWindow).toggleMute(false));
    await waitFor('alice back on bob', async () => {
      const { log } = await flow(bob.page);
      return log.filter((l) => l === 'video+ alice main').length >= 2 &&
        log.filter((l) => l === 'audio+ alice').length >= 2
        ? log
        : null;
    });
    await expectVideoDecoded(bob.page, 'alice');

    await alice.page.evaluate(() => (window as unknown as FlowWindow).leave());
    await waitFor('bob sees alice go', async () => {
      const { log } = await flow(bob.page);
      return log.filter((l) => l === 'video- alice main').length >= 2 ? log : null;
    });
    await bob.page.evaluate(() => (window as unknown as FlowWindow).leave());
    for (const { page, errors } of [alice, bob]) {
      const result = await flow(page);
      expect(result.exited).toBe(true);
      expect(result.rejected).toEqual([]);
      expect(result.alerts).toEqual([]);
      expect(errors).toEqual([]);
      // Everything the SDK put in the page is gone; the local view is empty again.
      expect(await page.evaluate(() => document.querySelectorAll('video').length)).toBe(0);
    }
  });
});
