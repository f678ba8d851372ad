/** What a v4 app sees when things are wrong: RtcErrors with v4 codes and messages that say why. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { genUserSig } from '@parley/usersig';
import { newPage, useE2eEnvironment } from './harness.js';

const env = useE2eEnvironment();
let page: Page;

beforeEach(async () => {
  page = (await newPage(env.browser)).page;
  await page.goto(`${env.app.origin}/sdk.html`);
});

interface Outcome {
  ok: boolean;
  code?: number;
  extraCode?: number;
  message?: string;
  name?: string;
}

/** Joins with the given client config and room from the page and reports how join() ended. */
function tryJoin(config: Record<string, unknown>, roomId: unknown): Promise<Outcome> {
  return page.evaluate(
    async ({ config, roomId }) => {
      type Client = { join(o: { roomId: unknown }): Promise<void>; leave(): Promise<void> };
      const T = (window as unknown as { TRTC: { createClient(c: object): Client } }).TRTC;
      try {
        const client = T.createClient({ mode: 'rtc', ...config });
        await client.join({ roomId });
        await client.leave();
        return { ok: true };
      } catch (e) {
        const err = e as {
          getCode?(): number;
          getExtraCode?(): number;
          message: string;
          name: string;
        };
        return {
          ok: false,
          code: err.getCode?.(),
          extraCode: err.getExtraCode?.(),
          message: err.message,
          name: err.name,
        };
      }
    },
    { config, roomId },
  );
}

describe('join errors as a v4 app sees them', () => {
  it('joins with a good userSig (control)', async () => {
    const outcome = await tryJoin(
      { sdkAppId: env.parley.sdkAppId, userId: 'good', userSig: env.parley.userSig('good') },
      5,
    );
    expect(outcome).toEqual({ ok: true });
  });

  const bad: [string, () => Record<string, unknown>, number, RegExp][] = [
    [
      'expired',
      () => ({
        userSig: genUserSig({
          sdkAppId: env.parley.sdkAppId,
          key: env.parley.secretKey,
          userId: 'u1',
          expire: 10,
          now: 1_600_000_000,
        }),
      }),
      70001,
      /expired/,
    ],
    ['malformed', () => ({ userSig: 'garbage' }), 70003, /./],
    [
      'signed with another key',
      () => ({
        userSig: genUserSig({ sdkAppId: env.parley.sdkAppId, key: 'not-the-key', userId: 'u1' }),
      }),
      70009,
      /key/,
    ],
    [
      'for another userId',
      () => ({ userSig: env.parley.userSig('someone_else') }),
      70013,
      /someone_else/,
    ],
    [
      'for another sdkAppId',
      () => ({
        userSig: genUserSig({ sdkAppId: 1400000001, key: env.parley.secretKey, userId: 'u1' }),
      }),
      70014,
      /1400000001/,
    ],
  ];
  for (const [name, sig, extraCode, message] of bad) {
    it(`rejects a userSig ${name}: SIGNAL_CHANNEL_SETUP_FAILED with extraCode ${extraCode}`, async () => {
      const outcome = await tryJoin({ sdkAppId: env.parley.sdkAppId, userId: 'u1', ...sig() }, 5);
      expect(outcome).toMatchObject({ ok: false, code: 0x4001, extraCode, name: 'RtcError' });
      expect(outcome.message).toMatch(message);
    });
  }

  it('rejects reserved room ids with INVALID_PARAMETER before connecting', async () => {
    for (const roomId of [0, 4294967295, 1.5]) {
      const outcome = await tryJoin(
        { sdkAppId: env.parley.sdkAppId, userId: 'u2', userSig: env.parley.userSig('u2') },
        roomId,
      );
      expect(outcome).toMatchObject({ ok: false, code: 0x1000 });
      expect(outcome.message).toMatch(/roomId/);
    }
  });

  it('rejects publish before join with INVALID_OPERATION', async () => {
    const outcome = await page.evaluate(async (sdkAppId) => {
      const T = (
        window as unknown as {
          TRTC: {
            createClient(c: object): { publish(s: unknown): Promise<void> };
            createStream(c: object): { initialize(): Promise<void> };
          };
        }
      ).TRTC;
      const client = T.createClient({ mode: 'rtc', sdkAppId, userId: 'early', userSig: 'x' });
      const stream = T.createStream({ userId: 'early', audio: true, video: false });
      await stream.initialize();
      try {
        await client.publish(stream);
        return { ok: true };
      } catch (e) {
        const err = e as { getCode(): number; message: string };
        return { ok: false, code: err.getCode(), message: err.message };
      }
    }, env.parley.sdkAppId);
    expect(outcome).toMatchObject({ ok: false, code: 0x1001 });
  });

  it('tells an ESM user without serverUrl how to configure it', async () => {
    // A string, so the test runner does not rewrite the page's dynamic import.
    const outcome = (await page.evaluate(`(async () => {
      const mod = await import('${env.parley.origin}/sdk/trtc.esm.js');
      try {
        await mod.default.createClient({ mode: 'rtc', sdkAppId: ${env.parley.sdkAppId}, userId: 'esm', userSig: 'x' }).join({ roomId: 1 });
        return { ok: true };
      } catch (e) {
        return { ok: false, code: e.getCode(), message: e.message };
      }
    })()`)) as Outcome;
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/serverUrl/);
  });
});
