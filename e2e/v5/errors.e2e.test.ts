/**
 * TRTC v5's errors from Parley: a join the server refuses is SERVER_ERROR 5400 with the
 * account error as extraCode; calls in the wrong state are INVALID_OPERATION 5100 with v5's
 * 51xx extraCode; bad arguments INVALID_PARAMETER 5000; `name` is the code's key and the
 * error an `Error`. And KICKED_OUT on a duplicate login.
 */
import { genUserSig } from '@parley/usersig';
import { describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment } from '../harness.js';
import { enterRoom, errorOf, openV5Page, waitForEvent } from './v5Page.js';

const env = useE2eEnvironment();

describe('TRTC v5 errors', () => {
  it.each([
    ['malformed', () => 'garbage', 70003],
    [
      'signed with another key',
      () => genUserSig({ sdkAppId: env.parley.sdkAppId, key: 'not-the-key', userId: 'u1' }),
      70009,
    ],
  ])(
    'a userSig %s: enterRoom rejects SERVER_ERROR 5400 with the account extraCode',
    async (_, sig, extra) => {
      const { page } = await openV5Page(env.browser, env.app.origin);
      const userSig = sig();
      env.parley.recordSecret(userSig);
      const error = await errorOf(page, 'enterRoom', {
        sdkAppId: env.parley.sdkAppId,
        userId: 'u1',
        userSig,
        roomId: randomRoomId(),
      });
      expect(error).toMatchObject({
        name: 'SERVER_ERROR',
        code: 5400,
        extraCode: extra,
        functionName: 'enterRoom',
        isError: true,
      });
      expect(error!.message.length).toBeGreaterThan(10);
      // Nothing changed: the instance can enter with a good userSig afterwards.
      await enterRoom(page, env.parley, 'u1', { roomId: randomRoomId() });
    },
  );

  it('wrong-state and bad-argument calls reject with v5 codes', async () => {
    const roomId = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);
    const remoteVideo = { userId: 'alice', streamType: 'main', view: 'remote' };
    expect(await errorOf(bob.page, 'startRemoteVideo', remoteVideo)).toMatchObject({
      name: 'INVALID_OPERATION',
      code: 5100,
      extraCode: 5101,
      functionName: 'startRemoteVideo',
    });
    expect(
      await errorOf(bob.page, 'enterRoom', {
        sdkAppId: env.parley.sdkAppId,
        userId: 'bob',
        userSig: env.parley.userSig('bob'),
        roomId: 'abc',
      }),
    ).toMatchObject({ name: 'INVALID_PARAMETER', code: 5000, extraCode: 5016 });
    await enterRoom(bob.page, env.parley, 'bob', { roomId });
    // A user who is not in the room: 5100 / 5102.
    expect(await errorOf(bob.page, 'startRemoteVideo', remoteVideo)).toMatchObject({
      code: 5100,
      extraCode: 5102,
    });
    // In the room but publishing no video: 5100 / 5103.
    await enterRoom(alice.page, env.parley, 'alice', { roomId });
    await waitForEvent(bob.page, 'remote-user-enter', { userId: 'alice' });
    expect(await errorOf(bob.page, 'startRemoteVideo', remoteVideo)).toMatchObject({
      code: 5100,
      extraCode: 5103,
    });
    // enterRoom again while in the room: 5100 / 5104.
    expect(
      await errorOf(bob.page, 'enterRoom', {
        sdkAppId: env.parley.sdkAppId,
        userId: 'bob',
        userSig: env.parley.userSig('bob'),
        roomId,
      }),
    ).toMatchObject({ code: 5100, extraCode: 5104, functionName: 'enterRoom' });
    // A view id that is not in the page: INVALID_PARAMETER.
    expect(await errorOf(bob.page, 'startLocalVideo', { view: 'no-such-view' })).toMatchObject({
      code: 5000,
      extraCode: 5009,
    });
    // updateLocalVideo before startLocalVideo: INVALID_OPERATION.
    expect(await errorOf(bob.page, 'updateLocalVideo', { mute: true })).toMatchObject({
      code: 5100,
    });
    // A plugin Parley does not have: ENV_NOT_SUPPORTED / 5210, naming it.
    const plugin = await errorOf(bob.page, 'startPlugin', 'VirtualBackground', {});
    expect(plugin).toMatchObject({ name: 'ENV_NOT_SUPPORTED', code: 5200, extraCode: 5210 });
    expect(plugin!.message).toContain('VirtualBackground');
    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
  });

  it('a duplicate login: the older instance gets KICKED_OUT with reason kick', async () => {
    const roomId = randomRoomId();
    const first = await openV5Page(env.browser, env.app.origin);
    const second = await openV5Page(env.browser, env.app.origin);
    await enterRoom(first.page, env.parley, 'dup', { roomId });
    await enterRoom(second.page, env.parley, 'dup', { roomId });
    const kicked = await waitForEvent(first.page, 'kicked-out');
    expect(kicked.payload).toEqual({ reason: 'kick' });
    await waitForEvent(first.page, 'connection-state-changed', { state: 'DISCONNECTED' });
  });
});
