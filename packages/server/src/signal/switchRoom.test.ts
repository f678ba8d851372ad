/**
 * `switch-room` (v5 switchRoom) on a real server and raw sockets: the user moves on the same
 * socket (old room: peer-leave; new room: peer-join; the answer before any news of the new
 * room); a refusal (bad UserSig, same room, other kind of id) changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountErrorCode, ErrorCode } from '@parley/protocol';
import { genUserSig } from '@parley/usersig';
import { startTestServer, TestClient, type TestServer } from '../test/signalTestKit.js';

let kit: TestServer;
beforeAll(async () => {
  kit = await startTestServer();
});
afterAll(() => kit.close());

let nextRoom = 7000;
async function joined(userId: string, room: number): Promise<TestClient> {
  const client = await TestClient.open(kit.origin);
  const res = await client.request(
    'join',
    kit.joinData(userId, { room: { kind: 'number', id: room } }),
  );
  expect(res.ok).toBe(true);
  return client;
}
const sig = (userId: string): string =>
  genUserSig({ sdkAppId: kit.sdkAppId, key: kit.key, userId, expire: 600 });

describe('switch-room', () => {
  it('moves the user to the new room on the same socket; the old room sees it leave, the new one join', async () => {
    const a = nextRoom++;
    const b = nextRoom++;
    const alice = await joined('alice', a);
    const bob = await joined('bob', a);
    const carol = await joined('carol', b);
    const res = await alice.request('switch-room', {
      room: { kind: 'number', id: b },
      userSig: sig('alice'),
    });
    expect(res.ok).toBe(true);
    const participants = res.data!.participants as Array<{ userId: string }>;
    expect(participants.map((p) => p.userId).sort()).toEqual(['carol']);
    expect(typeof res.data!.resumeToken).toBe('string');
    await bob.waitFor(
      (f) => f.method === 'peer-leave' && f.data?.userId === 'alice' && f.data.reason === 'leave',
    );
    await carol.waitFor((f) => f.method === 'peer-join' && f.data?.userId === 'alice');
    // News of the new room come after the answer, on the same socket, which stays open.
    const dave = await joined('dave', b);
    await alice.waitFor((f) => f.method === 'peer-join' && f.data?.userId === 'dave');
    const answerAt = alice.frames.indexOf(res);
    const daveAt = alice.frames.findIndex(
      (f) => f.method === 'peer-join' && f.data?.userId === 'dave',
    );
    expect(daveAt).toBeGreaterThan(answerAt);
    expect((await alice.request('ping', {})).ok).toBe(true);
    expect(alice.closeCode).toBeNull();
    // bob (old room) never hears of dave; a later join in the old room is not sent to alice.
    const erin = await joined('erin', a);
    await bob.waitFor((f) => f.method === 'peer-join' && f.data?.userId === 'erin');
    expect(alice.frames.some((f) => f.data?.userId === 'erin')).toBe(false);
    expect(bob.frames.some((f) => f.data?.userId === 'dave')).toBe(false);
    for (const c of [alice, bob, carol, dave, erin]) c.close();
  });

  it('refuses a bad UserSig with the account extraCode and leaves the user where it was', async () => {
    const a = nextRoom++;
    const alice = await joined('alice', a);
    const bob = await joined('bob', a);
    const res = await alice.request('switch-room', {
      room: { kind: 'number', id: nextRoom++ },
      userSig: genUserSig({ sdkAppId: kit.sdkAppId, key: 'not-the-key', userId: 'alice' }),
    });
    expect(res.error).toMatchObject({
      code: ErrorCode.JOIN_ROOM_FAILED,
      extraCode: AccountErrorCode.USERSIG_WRONG_KEY,
    });
    // Still in room a: a new member there is announced to alice; bob saw no leave.
    const carol = await joined('carol', a);
    await alice.waitFor((f) => f.method === 'peer-join' && f.data?.userId === 'carol');
    expect(bob.notifications('peer-leave')).toEqual([]);
    expect(alice.closeCode).toBeNull();
    for (const c of [alice, bob, carol]) c.close();
  });

  it('refuses the same room and a room of the other kind as invalid', async () => {
    const a = nextRoom++;
    const alice = await joined('alice', a);
    for (const room of [
      { kind: 'number', id: a },
      { kind: 'string', id: 'elsewhere' },
    ]) {
      const res = await alice.request('switch-room', { room, userSig: sig('alice') });
      expect(res.error?.code).toBe(ErrorCode.INVALID_PARAMETER);
    }
    expect((await alice.request('ping', {})).ok).toBe(true);
    alice.close();
  });
});
