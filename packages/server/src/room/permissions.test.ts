/**
 * Room permissions from the privateMapKey, enforced by the server: one test per refusal at
 * join, one per privilege bit, and updates in a live room (update-private-map-key). Each
 * checks what the client sees (code, extraCode, message, notifications) and, from the room's
 * own forwarding table (sourceStats: consumers per published track), what it receives; and
 * that the others are unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, ROOM_PERMISSION_DENIED, type RoomRef } from '@parley/protocol';
import { genPrivateMapKey, Privilege } from '@parley/usersig';
import { startTestServer, TestClient, type Frame, type TestServer } from '../test/signalTestKit.js';
import { publishOffer } from '../test/offers.js';

let kit: TestServer;
const clients: TestClient[] = [];
let nextRoom = 8000;

beforeAll(async () => {
  kit = await startTestServer({
    PARLEY_REQUIRE_PRIVATE_MAP_KEY: '1',
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await kit.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ALL = Privilege.ALL;
const without = (...bits: number[]) => bits.reduce((p, b) => p & ~b, ALL);

function key(
  userId: string,
  room: RoomRef,
  privilege: number,
  overrides: { sdkAppId?: number; expire?: number; now?: number } = {},
): string {
  return genPrivateMapKey({
    sdkAppId: overrides.sdkAppId ?? kit.sdkAppId,
    key: kit.key,
    userId,
    roomId: room.id,
    privilege,
    expire: overrides.expire ?? 600,
    ...(overrides.now !== undefined ? { now: overrides.now } : {}),
  });
}

async function open(): Promise<TestClient> {
  const client = await TestClient.open(kit.origin);
  clients.push(client);
  return client;
}

async function join(
  userId: string,
  room: RoomRef,
  privilege: number = ALL,
  autoSubscribe = true,
): Promise<TestClient> {
  const client = await open();
  const joined = await client.request(
    'join',
    kit.joinData(userId, { room, privateMapKey: key(userId, room, privilege), autoSubscribe }),
  );
  expect(joined.error).toBeUndefined();
  return client;
}

const newRoom = (): RoomRef => ({ kind: 'number', id: ++nextRoom });

/** Consumers per published track: `user/streamType/kind` → how many subscribers receive it. */
async function sinks(room: RoomRef): Promise<Record<string, number>> {
  const found = kit.server.rooms.get(kit.sdkAppId, room);
  const result: Record<string, number> = {};
  for (const s of (await found?.sourceStats()) ?? []) {
    result[`${s.userId}/${s.streamType}/${s.kind}`] = s.sinks;
  }
  return result;
}

/** Waits until the room's forwarding table settles on `expected`. */
async function expectSinks(room: RoomRef, expected: Record<string, number>): Promise<void> {
  const deadline = Date.now() + 3000;
  const text = (o: Record<string, number>) => JSON.stringify(Object.entries(o).sort());
  let current = await sinks(room);
  while (text(current) !== text(expected) && Date.now() < deadline) {
    await sleep(20);
    current = await sinks(room);
  }
  expect(current).toEqual(expected);
}

const main = (kinds: ('audio' | 'video')[]) =>
  kinds.map((kind, i) => ({ mid: String(i), kind, streamType: 'main', muted: false }));

async function publish(
  client: TestClient,
  kinds: ('audio' | 'video')[],
  streamType: 'main' | 'auxiliary' = 'main',
): Promise<Frame> {
  const tracks = main(kinds).map((t) => ({ ...t, streamType }));
  return client.request('publish', { sdp: await publishOffer(kinds), tracks });
}

const streamEvents = (client: TestClient) =>
  client.frames
    .filter((f) => f.type === 'ntf' && /^stream-/.test(f.method ?? ''))
    .map((f) => {
      const stream = (f.data?.stream ?? f.data) as Record<string, unknown>;
      return `${f.method} ${String(stream.userId)}/${String(stream.streamType)}${
        'hasAudio' in stream ? ` a=${String(stream.hasAudio)} v=${String(stream.hasVideo)}` : ''
      }`;
    });

describe('room permissions at join (PARLEY_REQUIRE_PRIVATE_MAP_KEY=1)', () => {
  const refusals: [string, (room: RoomRef) => Record<string, unknown>, RegExp][] = [
    [
      'missing key',
      () => ({}),
      /^privateMapKey is missing: application \d+ requires one to enter a room/,
    ],
    [
      'key for another room',
      (room) => ({ privateMapKey: key('eve', { kind: 'number', id: Number(room.id) + 1 }, ALL) }),
      /^privateMapKey refused: privateMapKey is for numeric room \d+, not numeric room \d+$/,
    ],
    [
      'key of another user',
      (room) => ({ privateMapKey: key('mallory', room, ALL) }),
      /^privateMapKey refused: .*identifier|^privateMapKey refused: .*user/i,
    ],
    [
      'key of another application',
      (room) => ({ privateMapKey: key('eve', room, ALL, { sdkAppId: kit.sdkAppId + 1 }) }),
      /^privateMapKey refused: .*(sdkappid|SDKAppID)/i,
    ],
    [
      'expired key',
      (room) => ({
        privateMapKey: key('eve', room, ALL, {
          expire: 60,
          now: Math.floor(Date.now() / 1000) - 600,
        }),
      }),
      /^privateMapKey refused: .*expired/,
    ],
    [
      'key without the enter bit',
      (room) => ({ privateMapKey: key('eve', room, without(Privilege.ENTER_ROOM)) }),
      /^privateMapKey does not grant entering room \d+ \(privilege 253 lacks "enter room" \(2\)\)$/,
    ],
  ];

  for (const [name, overrides, message] of refusals) {
    it(`refuses a join with a ${name}: JOIN_ROOM_FAILED / -100006, the others see nothing`, async () => {
      const room = newRoom();
      const bystander = await join('bob', room);
      expect((await publish(bystander, ['audio'])).ok).toBe(true);
      const eve = await open();
      const answer = await eve.request('join', kit.joinData('eve', { room, ...overrides(room) }));
      expect(answer.error).toMatchObject({
        code: ErrorCode.JOIN_ROOM_FAILED,
        extraCode: ROOM_PERMISSION_DENIED,
      });
      expect(answer.error?.message).toMatch(message);
      // Nothing of the room reached the refused client, nothing of it reached the room.
      expect(eve.frames.filter((f) => f.type === 'ntf')).toEqual([]);
      expect(bystander.notifications('peer-join')).toEqual([]);
      expect(kit.server.rooms.get(kit.sdkAppId, room)?.participants.size).toBe(1);
      expect((await bystander.request('ping', {})).ok).toBe(true);
      expect(
        (
          await eve.request('subscribe', {
            userId: 'bob',
            streamType: 'main',
            audio: true,
            video: true,
          })
        ).error?.message,
      ).toMatch(/not accepted before join/);
    });
  }

  it('admits a valid key with every right', async () => {
    const room = newRoom();
    await join('alice', room);
    expect(kit.server.rooms.get(kit.sdkAppId, room)?.participants.get('alice')?.privilege).toBe(
      ALL,
    );
  });
});

describe('send privileges', () => {
  const cases: ['audio' | 'video', 'main' | 'auxiliary', number, string][] = [
    ['audio', 'main', Privilege.SEND_AUDIO, '"send audio" (4)'],
    ['video', 'main', Privilege.SEND_VIDEO, '"send video" (16)'],
    ['video', 'auxiliary', Privilege.SEND_SCREEN, '"send screen" (64)'],
  ];
  for (const [kind, streamType, bit, name] of cases) {
    it(`refuses publishing ${streamType} ${kind} without ${name}; the others never see it`, async () => {
      const room = newRoom();
      const viewer = await join('viewer', room);
      const sender = await join('sender', room, without(bit));
      const refused = await publish(sender, [kind], streamType);
      expect(refused.error).toEqual({
        code: ErrorCode.INVALID_OPERATION,
        extraCode: ROOM_PERMISSION_DENIED,
        message: `the privateMapKey does not grant ${name}: cannot publish a ${streamType} ${kind} track (privilege ${without(bit)})`,
      });
      await sleep(100);
      expect(streamEvents(viewer)).toEqual([]);
      await expectSinks(room, {});
      // With the bit, the same publish goes through and reaches the viewer (and the refused
      // sender, which subscribes like anyone).
      const allowed = await join('sender2', room);
      expect((await publish(allowed, [kind], streamType)).ok).toBe(true);
      await expectSinks(room, { [`sender2/${streamType}/${kind}`]: 2 });
      expect((await viewer.request('ping', {})).ok).toBe(true);
    });
  }

  it('a publish mixing an allowed and a forbidden track is refused as a whole', async () => {
    const room = newRoom();
    const viewer = await join('viewer', room);
    const sender = await join('sender', room, without(Privilege.SEND_VIDEO));
    expect((await publish(sender, ['audio', 'video'])).error?.message).toMatch(
      /"send video" \(16\)/,
    );
    expect((await publish(sender, ['audio'])).ok).toBe(true);
    await expectSinks(room, { 'sender/main/audio': 1 });
    await viewer.waitFor((f) => f.method === 'stream-added');
    expect(streamEvents(viewer)).toEqual(['stream-added sender/main a=true v=false']);
  });
});

describe('receive privileges', () => {
  const cases: ['audio' | 'video', number, string][] = [
    ['audio', Privilege.RECV_AUDIO, 'a=false v=true'],
    ['video', Privilege.RECV_VIDEO, 'a=true v=false'],
  ];
  for (const [kind, bit, seen] of cases) {
    it(`without receive ${kind} (${bit}) nothing of that kind is forwarded nor announced`, async () => {
      const room = newRoom();
      const limited = await join('limited', room, without(bit));
      const full = await join('full', room);
      const sender = await join('sender', room);
      expect((await publish(sender, ['audio', 'video'])).ok).toBe(true);
      const other = kind === 'audio' ? 'video' : 'audio';
      await expectSinks(room, { [`sender/main/${kind}`]: 1, [`sender/main/${other}`]: 2 });
      expect(streamEvents(limited)).toEqual([`stream-added sender/main ${seen}`]);
      expect(streamEvents(full)).toEqual(['stream-added sender/main a=true v=true']);
      // Asking explicitly changes nothing.
      expect(
        (
          await limited.request('subscribe', {
            userId: 'sender',
            streamType: 'main',
            audio: true,
            video: true,
          })
        ).ok,
      ).toBe(true);
      await sleep(100);
      await expectSinks(room, { [`sender/main/${kind}`]: 1, [`sender/main/${other}`]: 2 });
      const offered = limited.frames
        .filter((f) => f.method === 'offer')
        .flatMap((f) => (f.data?.tracks as { kind: string }[]).map((t) => t.kind));
      expect(offered).not.toContain(kind);
    });
  }

  it('without receive screen (128) the auxiliary stream is neither announced nor subscribable', async () => {
    const room = newRoom();
    const limited = await join('limited', room, without(Privilege.RECV_SCREEN));
    const full = await join('full', room);
    const sender = await join('sender', room);
    expect((await publish(sender, ['video'], 'auxiliary')).ok).toBe(true);
    await expectSinks(room, { 'sender/auxiliary/video': 1 });
    await full.waitFor((f) => f.method === 'stream-added');
    expect(streamEvents(limited)).toEqual([]);
    const refused = await limited.request('subscribe', {
      userId: 'sender',
      streamType: 'auxiliary',
      audio: true,
      video: true,
    });
    expect(refused.error).toMatchObject({ code: ErrorCode.REMOTE_STREAM_NOT_EXIST });
    // A late joiner without the bit is not told of it in its snapshot either.
    const late = await open();
    const joined = await late.request(
      'join',
      kit.joinData('late', {
        room,
        privateMapKey: key('late', room, without(Privilege.RECV_SCREEN)),
      }),
    );
    expect(joined.data?.participants).toEqual(
      expect.arrayContaining([{ userId: 'sender', role: 'anchor', streams: [] }]),
    );
  });
});

describe('update-private-map-key in a live room', () => {
  it('withdrawing "send video" stops the others receiving it; granting it back restores it', async () => {
    const room = newRoom();
    const viewer = await join('viewer', room);
    const sender = await join('sender', room);
    expect((await publish(sender, ['audio', 'video'])).ok).toBe(true);
    await expectSinks(room, { 'sender/main/audio': 1, 'sender/main/video': 1 });
    const revoke = await sender.request('update-private-map-key', {
      privateMapKey: key('sender', room, without(Privilege.SEND_VIDEO)),
    });
    expect(revoke.ok).toBe(true);
    await expectSinks(room, { 'sender/main/audio': 1, 'sender/main/video': 0 });
    const told = await sender.waitFor((f) => f.method === 'error');
    expect(told.data).toEqual({
      code: ErrorCode.INVALID_OPERATION,
      extraCode: ROOM_PERMISSION_DENIED,
      message:
        'the new privateMapKey does not grant "send video" (16): your main video track is no longer forwarded to anyone',
    });
    expect(streamEvents(viewer)).toEqual([
      'stream-added sender/main a=true v=true',
      'stream-updated sender/main a=true v=false',
    ]);
    // The sender's own re-offer with the same track map still works (it keeps the m-line).
    expect(
      (await sender.request('mute', { streamType: 'main', kind: 'audio', muted: true })).ok,
    ).toBe(true);
    const grant = await sender.request('update-private-map-key', {
      privateMapKey: key('sender', room, ALL),
    });
    expect(grant.ok).toBe(true);
    await expectSinks(room, { 'sender/main/audio': 1, 'sender/main/video': 1 });
    expect(streamEvents(viewer).slice(2)).toEqual([
      'stream-updated sender/main a=true v=false',
      'stream-updated sender/main a=true v=true',
    ]);
  });

  it('withdrawing every receive bit removes the streams for that user only; granting them brings them back', async () => {
    const room = newRoom();
    const viewer = await join('viewer', room);
    const other = await join('other', room);
    const sender = await join('sender', room);
    expect((await publish(sender, ['audio', 'video'])).ok).toBe(true);
    await expectSinks(room, { 'sender/main/audio': 2, 'sender/main/video': 2 });
    const none = without(Privilege.RECV_AUDIO, Privilege.RECV_VIDEO, Privilege.RECV_SCREEN);
    expect(
      (await viewer.request('update-private-map-key', { privateMapKey: key('viewer', room, none) }))
        .ok,
    ).toBe(true);
    await expectSinks(room, { 'sender/main/audio': 1, 'sender/main/video': 1 });
    expect(streamEvents(viewer)).toEqual([
      'stream-added sender/main a=true v=true',
      'stream-removed sender/main',
    ]);
    expect(streamEvents(other)).toEqual(['stream-added sender/main a=true v=true']);
    expect(
      (await viewer.request('update-private-map-key', { privateMapKey: key('viewer', room, ALL) }))
        .ok,
    ).toBe(true);
    await expectSinks(room, { 'sender/main/audio': 2, 'sender/main/video': 2 });
    expect(streamEvents(viewer).slice(2)).toEqual(['stream-added sender/main a=true v=true']);
  });

  it('refuses a key that is expired, for another room or user, or lacks the enter bit, and keeps the previous one', async () => {
    const room = newRoom();
    const viewer = await join('viewer', room);
    const sender = await join('sender', room);
    expect((await publish(sender, ['audio'])).ok).toBe(true);
    await expectSinks(room, { 'sender/main/audio': 1 });
    const bad: [string, RegExp][] = [
      [key('viewer', room, 0, { expire: 60, now: Math.floor(Date.now() / 1000) - 600 }), /expired/],
      [key('viewer', { kind: 'number', id: 1 }, 0), /is for numeric room 1, not numeric room/],
      [key('sender', room, 0), /sender/],
      [key('viewer', room, Privilege.RECV_AUDIO), /does not grant entering room/],
      ['not-a-key', /privateMapKey refused/],
    ];
    for (const [privateMapKey, message] of bad) {
      const answer = await viewer.request('update-private-map-key', { privateMapKey });
      expect(answer.error).toMatchObject({
        code: ErrorCode.INVALID_PARAMETER,
        extraCode: ROOM_PERMISSION_DENIED,
      });
      expect(answer.error?.message).toMatch(message);
    }
    await expectSinks(room, { 'sender/main/audio': 1 });
    expect(streamEvents(viewer)).toEqual(['stream-added sender/main a=true v=false']);
  });
});
