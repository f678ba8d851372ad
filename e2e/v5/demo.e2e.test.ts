/** The v5 demo page at `/v5.html`, used as a person would; it meets the v4 demo's users. */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newPage, randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import { expectVideoDecoded } from './v5Page.js';

const env = useE2eEnvironment();

async function joinDemo(
  path: string,
  room: string,
  user: string,
): Promise<{ page: Page; errors: string[] }> {
  const { page } = await newPage(env.browser);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.parley.origin}${path}`);
  await page.fill('#room-id', room);
  await page.fill('#user-id', user);
  await page.click('#join-btn');
  return { page, errors };
}

describe('the v5 demo page', () => {
  it('two v5 users and a v4 demo user in one room: the v5 pages decode everyone', async () => {
    const room = String(randomRoomId());
    const ann = await joinDemo('/v5.html', room, 'ann');
    const ben = await joinDemo('/v5.html', room, 'ben');
    const old = await joinDemo('/', room, 'oldv4');
    for (const [page, others] of [
      [ann.page, ['ben', 'oldv4']],
      [ben.page, ['ann', 'oldv4']],
    ] as const) {
      for (const user of others) await expectVideoDecoded(page, user);
    }
    // Each remote video is in its own tile, the SDK's <video> after the page's name badge.
    expect(
      await ann.page.evaluate(() =>
        [...document.querySelectorAll('#tiles > .v5-tile')].map((t) =>
          [...t.children].map((c) => c.tagName).join(','),
        ),
      ),
    ).toEqual(['SPAN,VIDEO', 'SPAN,VIDEO', 'SPAN,VIDEO']);
    // Leave: the others' tiles of ann go away.
    await ann.page.click('#leave-btn');
    await waitFor('ann tile gone on ben', async () =>
      ben.page.evaluate(() => document.getElementById('tile-ann-main') === null),
    );
    for (const { errors } of [ann, ben, old]) expect(errors).toEqual([]);
    expect(await ann.page.evaluate(() => document.getElementById('error')!.hidden)).toBe(true);
  });
});
