/**
 * Room permissions in a live call between two Chromium pages, with room permission required
 * (PARLEY_REQUIRE_PRIVATE_MAP_KEY=1): a join without a key is refused with JOIN_ROOM_FAILED /
 * -100006, and `client.callExperimentalAPI('updatePrivateMapKey', {privateMapKey})` withdraws
 * and grants privileges while the call goes on: video frames stop being decoded on the other
 * page when the sender loses "send video" or the viewer loses "receive video", and are decoded
 * again once a new key grants the bit back.
 */
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { genPrivateMapKey, Privilege } from '@parley/usersig';
import { openCompatPage, type CompatWindow } from './compat/compatPage.js';
import {
  closeAllPages,
  randomRoomId,
  receivingFrom,
  remoteMedia,
  sleep,
  useE2eEnvironment,
  waitFor,
} from './harness.js';

const env = useE2eEnvironment({ PARLEY_REQUIRE_PRIVATE_MAP_KEY: '1' });
afterEach(() => closeAllPages());

interface PermissionClient {
  join(o: object): Promise<void>;
  callExperimentalAPI(name: string, options: object): Promise<unknown>;
}

function key(userId: string, roomId: number, privilege: number): string {
  const privateMapKey = genPrivateMapKey({
    sdkAppId: env.parley.sdkAppId,
    key: env.parley.secretKey,
    userId,
    roomId,
    privilege,
    expire: 600,
  });
  env.parley.recordSecret(privateMapKey);
  return privateMapKey;
}

/** Joins with a privateMapKey (or none); resolves with the rejection's code/extraCode/message. */
async function join(
  page: Page,
  userId: string,
  roomId: number,
  privateMapKey: string | undefined,
  publish: boolean,
): Promise<{ code: number; extraCode: number; message: string } | null> {
  return page.evaluate(
    async ({ userId, roomId, privateMapKey, publish, sdkAppId, userSig }) => {
      const w = window as unknown as CompatWindow;
      const client = w.makeClient({ mode: 'rtc', sdkAppId, userId, userSig }) as {
        join(o: object): Promise<void>;
      };
      w.client = client;
      try {
        await client.join({ roomId, ...(privateMapKey ? { privateMapKey } : {}) });
      } catch (error) {
        const e = error as { getCode(): number; getExtraCode(): number; message: string };
        return { code: e.getCode(), extraCode: e.getExtraCode(), message: e.message };
      }
      if (publish) await w.publishCamera(client, userId);
      return null;
    },
    {
      userId,
      roomId,
      privateMapKey,
      publish,
      sdkAppId: env.parley.sdkAppId,
      userSig: env.parley.userSig(userId),
    },
  );
}

async function update(page: Page, privateMapKey: string): Promise<void> {
  await page.evaluate(async (privateMapKey) => {
    const client = (window as unknown as CompatWindow).client as PermissionClient;
    await client.callExperimentalAPI('updatePrivateMapKey', { privateMapKey });
  }, privateMapKey);
}

const framesFrom = async (page: Page, userId: string): Promise<number> =>
  (await remoteMedia(page)).find((m) => m.userId === userId)?.framesDecoded ?? 0;

/** Waits until no new frame from `userId` is decoded on `page` for 2 s. */
async function expectFrozen(page: Page, userId: string): Promise<void> {
  await waitFor(`video from ${userId} to stop`, async () => {
    const before = await framesFrom(page, userId);
    await sleep(2000);
    return (await framesFrom(page, userId)) <= before;
  });
}

/** Waits until frames from `userId` are decoded on `page` again, and keep coming. */
async function expectDecoding(page: Page, userId: string): Promise<void> {
  await waitFor(`video from ${userId} to be decoded`, async () => {
    const before = await framesFrom(page, userId);
    await sleep(1000);
    return (await framesFrom(page, userId)) > before + 5;
  });
}

describe('room permissions (privateMapKey) in a live call', () => {
  it('a join without a privateMapKey is refused with JOIN_ROOM_FAILED / -100006', async () => {
    const page = await openCompatPage(env.browser, env.app.origin);
    const refused = await join(page, 'nokey', randomRoomId(), undefined, false);
    expect(refused).toMatchObject({ code: 0x4004, extraCode: -100006 });
    expect(refused?.message).toMatch(/privateMapKey is missing/);
  });

  it('updatePrivateMapKey withdraws and grants "send video" and "receive video" while the call goes on', async () => {
    const roomId = randomRoomId();
    const alice = await openCompatPage(env.browser, env.app.origin);
    const bob = await openCompatPage(env.browser, env.app.origin);
    expect(
      await join(alice, 'alice', roomId, key('alice', roomId, Privilege.ALL), true),
    ).toBeNull();
    expect(await join(bob, 'bob', roomId, key('bob', roomId, Privilege.ALL), true)).toBeNull();
    await receivingFrom(bob, ['alice']);
    await receivingFrom(alice, ['bob']);

    // The sender loses "send video": nobody decodes its video any more.
    await update(alice, key('alice', roomId, Privilege.ALL & ~Privilege.SEND_VIDEO));
    await expectFrozen(bob, 'alice');
    await expectDecoding(alice, 'bob'); // the other direction is untouched
    await update(alice, key('alice', roomId, Privilege.ALL));
    await expectDecoding(bob, 'alice');

    // The viewer loses "receive video": it stops decoding; the sender is not affected.
    await update(bob, key('bob', roomId, Privilege.ALL & ~Privilege.RECV_VIDEO));
    await expectFrozen(bob, 'alice');
    await expectDecoding(alice, 'bob');
    await update(bob, key('bob', roomId, Privilege.ALL));
    await expectDecoding(bob, 'alice');

    // A key for another room is refused and changes nothing.
    const refused = await bob.evaluate(
      async (privateMapKey) => {
        const client = (window as unknown as CompatWindow).client as PermissionClient;
        try {
          await client.callExperimentalAPI('updatePrivateMapKey', { privateMapKey });
          return null;
        } catch (error) {
          const e = error as { getCode(): number; getExtraCode(): number; message: string };
          return { code: e.getCode(), extraCode: e.getExtraCode(), message: e.message };
        }
      },
      key('bob', roomId + 1, Privilege.ALL),
    );
    expect(refused).toMatchObject({ code: 0x1000, extraCode: -100006 });
    await expectDecoding(bob, 'alice');
  });
});
