/**
 * Forged ids at the protocol level: a raw client, validly joined to its own room, names other
 * users, streams, rooms, requests and sessions in every message that carries an id. Each try
 * gets a clear error (code, extraCode, message), changes nothing in either room, and nothing
 * of the other room (events, offers, media) ever reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolErrorCode, ROOM_PERMISSION_DENIED } from '@parley/protocol';
import { genPrivateMapKey, Privilege } from '@parley/usersig';
import { startTestServer, TestClient, type Frame, type TestServer } from '../test/signalTestKit.js';
import { publishOffer } from '../test/offers.js';

let kit: TestServer;
let alice: TestClient;
let bob: TestClient;
let mallory: TestClient;
let carol: TestClient;
const ROOM_A = { kind: 'number', id: 5101 } as const;
const ROOM_B = { kind: 'number', id: 5102 } as const;
const AV = [
  { mid: '0', kind: 'audio', streamType: 'main', muted: false },
  { mid: '1', kind: 'video', streamType: 'main', muted: false },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Consumers per published track of a room (who receives what). */
async function sinks(ref: typeof ROOM_A | typeof ROOM_B): Promise<string[]> {
  const room = kit.server.rooms.get(kit.sdkAppId, ref);
  return ((await room?.sourceStats()) ?? []).map(
    (s) => `${s.userId}/${s.streamType}/${s.kind}:${s.sinks}`,
  );
}

/** Everything the server sent a client except answers. */
const unsolicited = (c: TestClient): Frame[] => c.frames.filter((f) => f.type !== 'res');

beforeAll(async () => {
  kit = await startTestServer({});
  const open = () => TestClient.open(kit.origin);
  [alice, bob, mallory, carol] = [await open(), await open(), await open(), await open()];
  const join = (c: TestClient, userId: string, room: typeof ROOM_A | typeof ROOM_B) =>
    c.request('join', kit.joinData(userId, { room, autoSubscribe: true }));
  expect((await join(alice, 'alice', ROOM_A)).ok).toBe(true);
  expect((await join(bob, 'bob', ROOM_A)).ok).toBe(true);
  expect((await join(mallory, 'mallory', ROOM_B)).ok).toBe(true);
  expect((await join(carol, 'carol', ROOM_B)).ok).toBe(true);
  const sdp = await publishOffer(['audio', 'video']);
  expect((await alice.request('publish', { sdp, tracks: AV })).ok).toBe(true);
  expect((await carol.request('publish', { sdp, tracks: AV })).ok).toBe(true);
  await bob.waitFor((f) => f.method === 'offer');
  await mallory.waitFor((f) => f.method === 'offer');
});
afterAll(async () => {
  for (const c of [alice, bob, mallory, carol]) c.close();
  await kit.close();
});

describe('forged ids', () => {
  const before = { a: [] as string[], b: [] as string[], mallory: 0, alice: 0, bob: 0 };

  it('the rooms start as expected', async () => {
    before.a = await sinks(ROOM_A);
    before.b = await sinks(ROOM_B);
    expect(before.a).toEqual(['alice/main/audio:1', 'alice/main/video:1']);
    expect(before.b).toEqual(['carol/main/audio:1', 'carol/main/video:1']);
    before.mallory = unsolicited(mallory).length;
    before.alice = unsolicited(alice).length;
    before.bob = unsolicited(bob).length;
  });

  const notExist = (userId: string, streamType = 'main') => ({
    code: ErrorCode.REMOTE_STREAM_NOT_EXIST,
    message: `user ${userId} publishes no ${streamType} stream in this room`,
  });

  const attempts: [string, string, Record<string, unknown>, Record<string, unknown>][] = [
    [
      'subscribe to a user of another room',
      'subscribe',
      { userId: 'alice', streamType: 'main', audio: true, video: true },
      notExist('alice'),
    ],
    [
      "subscribe to another room's user's screen",
      'subscribe',
      { userId: 'alice', streamType: 'auxiliary', audio: true, video: true },
      notExist('alice', 'auxiliary'),
    ],
    [
      'subscribe to a user that does not exist',
      'subscribe',
      { userId: 'nobody', streamType: 'main', audio: true, video: true },
      notExist('nobody'),
    ],
    [
      'subscribe to a stream its own room does not have',
      'subscribe',
      { userId: 'carol', streamType: 'auxiliary', audio: true, video: true },
      notExist('carol', 'auxiliary'),
    ],
    [
      'subscribe to itself',
      'subscribe',
      { userId: 'mallory', streamType: 'main', audio: true, video: true },
      {
        code: ErrorCode.INVALID_PARAMETER,
        extraCode: ProtocolErrorCode.MALFORMED_MESSAGE,
        message: 'cannot subscribe to your own stream',
      },
    ],
    [
      'unsubscribe a user of another room',
      'unsubscribe',
      { userId: 'alice', streamType: 'main' },
      notExist('alice'),
    ],
    [
      'unsubscribe another user in the other room (bob)',
      'unsubscribe',
      { userId: 'bob', streamType: 'main' },
      notExist('bob'),
    ],
    [
      'mute a track it does not publish (ids name its own tracks only)',
      'mute',
      { streamType: 'main', kind: 'video', muted: true },
      {
        code: ErrorCode.INVALID_OPERATION,
        extraCode: ProtocolErrorCode.WRONG_STATE,
        message: 'no published main video track to mute',
      },
    ],
    [
      'unpublish a stream it does not publish',
      'unpublish',
      { streamType: 'main' },
      {
        code: ErrorCode.INVALID_OPERATION,
        extraCode: ProtocolErrorCode.WRONG_STATE,
        message: 'no main stream is published',
      },
    ],
    [
      'join another room on the joined socket',
      'join',
      {},
      {
        code: ErrorCode.INVALID_OPERATION,
        extraCode: ProtocolErrorCode.WRONG_STATE,
        message: 'join is not accepted after join',
      },
    ],
    [
      'resume another session on the joined socket',
      'resume',
      { protocolVersion: 1, resumeToken: 'x'.repeat(32) },
      {
        code: ErrorCode.INVALID_OPERATION,
        extraCode: ProtocolErrorCode.WRONG_STATE,
        message: 'resume is not accepted after join',
      },
    ],
    [
      'send SEI as if publishing',
      'sei',
      { payloadType: 243, data: 'AQID' },
      {
        code: ErrorCode.INVALID_OPERATION,
        extraCode: ProtocolErrorCode.WRONG_STATE,
        message: 'SEI messages need a published video stream',
      },
    ],
  ];

  for (const [name, method, data, error] of attempts) {
    it(`${name}: refused with a clear error`, async () => {
      const payload = method === 'join' ? kit.joinData('mallory', { room: ROOM_A }) : data;
      const answer = await mallory.request(method, payload);
      expect(answer.ok).toBe(false);
      expect(answer.error).toEqual(error);
    });
  }

  it("update-private-map-key with another user's key, or one for the other room: refused", async () => {
    const keyOf = (userId: string, roomId: number) =>
      genPrivateMapKey({
        sdkAppId: kit.sdkAppId,
        key: kit.key,
        userId,
        roomId,
        privilege: Privilege.ALL,
      });
    for (const [privateMapKey, message] of [
      [keyOf('alice', ROOM_A.id), /privateMapKey refused: .*alice/],
      [keyOf('mallory', ROOM_A.id), /is for numeric room 5101, not numeric room 5102/],
    ] as const) {
      const answer = await mallory.request('update-private-map-key', { privateMapKey });
      expect(answer.error).toMatchObject({
        code: ErrorCode.INVALID_PARAMETER,
        extraCode: ROOM_PERMISSION_DENIED,
      });
      expect(answer.error?.message).toMatch(message);
    }
  });

  it('a publish whose track map names mids its offer does not carry: refused', async () => {
    const sdp = await publishOffer(['audio']);
    const answer = await mallory.request('publish', {
      sdp,
      tracks: [{ mid: '7', kind: 'audio', streamType: 'main', muted: false }],
    });
    expect(answer.error).toEqual({
      code: ErrorCode.INVALID_PARAMETER,
      extraCode: ProtocolErrorCode.MALFORMED_MESSAGE,
      message: 'the offer carries none of the declared tracks (mids 7)',
    });
  });

  it('answers to requests this connection was never sent (ids are per connection): refused, nothing applied', async () => {
    const sdp = await publishOffer(['audio']);
    for (const id of [1000, 1001, 999_999]) {
      mallory.sendRaw(JSON.stringify({ type: 'res', id, ok: true, data: { sdp } }));
    }
    const errors = () =>
      mallory
        .notifications('error')
        .filter((f) => /answer to request/.test(String(f.data?.message)));
    const deadline = Date.now() + 2000;
    while (errors().length < 3 && Date.now() < deadline) await sleep(10);
    expect(errors().map((f) => f.data)).toEqual(
      [1000, 1001, 999_999].map((id) => ({
        code: ErrorCode.INVALID_OPERATION,
        extraCode: ProtocolErrorCode.WRONG_STATE,
        message: `answer to request ${id} ignored: no request ${id} of this connection is waiting for one (it timed out, or was never sent)`,
      })),
    );
  });

  it('candidates naming the other connection are ignored (ICE-lite), with no effect', async () => {
    for (const pc of ['publisher', 'subscriber']) {
      mallory.sendRaw(
        JSON.stringify({
          type: 'ntf',
          method: 'candidate',
          data: {
            pc,
            candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0' },
          },
        }),
      );
    }
    expect((await mallory.request('ping', {})).ok).toBe(true);
  });

  it('a forged resume token on a fresh socket is refused without touching any session', async () => {
    const stranger = await TestClient.open(kit.origin);
    const answer = await stranger.request('resume', {
      protocolVersion: 1,
      resumeToken: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(answer.error).toEqual({
      code: ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED,
      extraCode: ProtocolErrorCode.SESSION_EXPIRED,
      message: 'the session to resume has ended (it timed out or left); join again',
    });
    expect(
      (
        await stranger.request('subscribe', {
          userId: 'alice',
          streamType: 'main',
          audio: true,
          video: true,
        })
      ).error?.message,
    ).toBe('subscribe is not accepted before join');
    stranger.close();
  });

  it('afterwards: nothing changed in either room, and nothing of room A reached the intruder', async () => {
    await sleep(200);
    expect(await sinks(ROOM_A)).toEqual(before.a);
    expect(await sinks(ROOM_B)).toEqual(before.b);
    const forged = unsolicited(mallory).slice(before.mallory);
    // Only the refusals of its made-up answers: no event, offer or stream of room A.
    expect(forged.map((f) => f.method)).toEqual(['error', 'error', 'error']);
    const everything = JSON.stringify(mallory.frames);
    expect(everything).not.toMatch(/"alice"|"bob"/);
    // Room A saw nothing of it.
    expect(unsolicited(alice).slice(before.alice)).toEqual([]);
    expect(unsolicited(bob).slice(before.bob)).toEqual([]);
    expect(kit.server.rooms.get(kit.sdkAppId, ROOM_A)?.participants.size).toBe(2);
    expect((await alice.request('ping', {})).ok).toBe(true);
    expect((await bob.request('ping', {})).ok).toBe(true);
  });
});
