/**
 * Every per-client limit against a real server, one test each: the offending client gets a
 * clear error (HTTP refusal before the upgrade, or an error frame / close code on its socket),
 * the server logs it, and a client on another IP (another loopback address) is unaffected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  MAX_MESSAGE_BYTES,
  ProtocolErrorCode,
  ROOM_LIMIT_REACHED,
} from '@parley/protocol';
import {
  CapturedLog,
  startTestServer,
  TestClient,
  type TestServer,
} from '../test/signalTestKit.js';
import { AUDIO_TRACK, audioOffer } from '../test/offers.js';

/** The offender and a bystander: distinct client IPs on loopback. */
const OFFENDER = '127.0.0.2';
const BYSTANDER = '127.0.0.3';

let kit: TestServer | undefined;
let log: CapturedLog;
const clients: TestClient[] = [];

async function serve(env: Record<string, string>): Promise<TestServer> {
  log = new CapturedLog();
  kit = await startTestServer(env, log);
  return kit;
}

async function open(ip: string): Promise<TestClient> {
  const client = await TestClient.open(kit!.origin, ip);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await kit?.close();
  kit = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A bystander on its own IP can connect, join and be answered. */
async function expectBystanderServed(userId: string): Promise<void> {
  const client = await open(BYSTANDER);
  expect((await client.request('join', kit!.joinData(userId))).ok).toBe(true);
  expect((await client.request('ping', {})).ok).toBe(true);
}

describe('limits', () => {
  it('new connections per second per IP: 429 with the reason before the upgrade', async () => {
    const { origin } = await serve({ PARLEY_CONNECTIONS_PER_SECOND_PER_IP: '3' });
    // All at once: the bucket refills one connection per 333 ms, and opened one after another
    // on a slow machine the fourth could find a token again.
    const attempts = await Promise.all(
      Array.from({ length: 4 }, () => TestClient.tryOpen(origin, OFFENDER)),
    );
    const opened = attempts.filter((a): a is TestClient => 'ws' in a);
    clients.push(...opened);
    expect(opened).toHaveLength(3);
    expect(attempts.filter((a) => !('ws' in a))).toEqual([
      {
        status: 429,
        body: `too many new connections from ${OFFENDER} (limit 3 per second); retry in a second`,
      },
    ]);
    expect(log.text).toMatch(/websocket refused: too many new connections from 127\.0\.0\.2/);
    await expectBystanderServed('bystander');
    await sleep(1100);
    expect('ws' in (await TestClient.tryOpen(origin, OFFENDER))).toBe(true);
  });

  it('open connections per IP: 429 while at the limit, accepted again once one closes', async () => {
    const { origin } = await serve({ PARLEY_MAX_CONNECTIONS_PER_IP: '2' });
    const first = await open(OFFENDER);
    await open(OFFENDER);
    const refused = await TestClient.tryOpen(origin, OFFENDER);
    expect(refused).toEqual({
      status: 429,
      body: `too many open connections from ${OFFENDER} (limit 2); close some and retry`,
    });
    expect(log.text).toMatch(/too many open connections from 127\.0\.0\.2/);
    await expectBystanderServed('bystander');
    first.close();
    await first.waitClosed();
    // The server counts the close when its own socket closes, a moment after ours: retry
    // until then (bounded), rather than guess how long that takes.
    let again = await TestClient.tryOpen(origin, OFFENDER);
    for (const end = Date.now() + 3000; !('ws' in again) && Date.now() < end;) {
      await sleep(20);
      again = await TestClient.tryOpen(origin, OFFENDER);
    }
    if ('ws' in again) clients.push(again);
    expect(again).toBeInstanceOf(TestClient);
  });

  it('joins per second per IP: JOIN_ROOM_FAILED / RATE_LIMITED to the offender only', async () => {
    await serve({ PARLEY_JOINS_PER_SECOND_PER_IP: '2' });
    const joiners = [];
    for (let i = 0; i < 3; i++) joiners.push(await open(OFFENDER));
    // All three joins at once: the bucket refills one join per 500 ms, and sent one after
    // another on a slow machine the third could find a token again.
    const answers = await Promise.all(
      joiners.map((client, i) => client.request('join', kit!.joinData(`j${i + 1}`))),
    );
    expect(answers.filter((a) => a.ok)).toHaveLength(2);
    expect(answers.filter((a) => !a.ok).map((a) => a.error)).toEqual([
      {
        code: ErrorCode.JOIN_ROOM_FAILED,
        extraCode: ProtocolErrorCode.RATE_LIMITED,
        message: `too many joins from ${OFFENDER} (limit 2 per second); retry in a second`,
      },
    ]);
    expect(log.text).toMatch(/join refused: too many joins from 127\.0\.0\.2/);
    await expectBystanderServed('bystander');
  });

  it('messages per second per connection: error answers, then 1008 on sustained abuse', async () => {
    await serve({ PARLEY_MESSAGES_PER_SECOND: '5' });
    const flooder = await open(OFFENDER);
    expect((await flooder.request('join', kit!.joinData('flooder'))).ok).toBe(true);
    const bystander = await open(BYSTANDER);
    expect((await bystander.request('join', kit!.joinData('calm'))).ok).toBe(true);
    // Burst of 10 (twice the rate) minus the join: then refusals, answered per request.
    for (let id = 100; id < 110; id++) {
      flooder.sendRaw(JSON.stringify({ type: 'req', id, method: 'ping', data: {} }));
    }
    const refusal = await flooder.waitFor((f) => f.type === 'res' && f.ok === false);
    expect(refusal.error).toEqual({
      code: ErrorCode.INVALID_OPERATION,
      extraCode: ProtocolErrorCode.RATE_LIMITED,
      message: 'too many messages: the limit is 5 messages per second; this one was dropped',
    });
    // A notification over the limit has no id: an `error` notification says why.
    flooder.sendRaw(
      JSON.stringify({
        type: 'ntf',
        method: 'candidate',
        data: { pc: 'publisher', candidate: { candidate: '' } },
      }),
    );
    const notice = await flooder.waitFor((f) => f.type === 'ntf' && f.method === 'error');
    expect(notice.data).toMatchObject({ extraCode: ProtocolErrorCode.RATE_LIMITED });
    expect(flooder.closeCode).toBeNull();
    // Keep flooding: closed with 1008 and a reason.
    for (let id = 200; id < 220 && flooder.closeCode === null; id++) {
      flooder.sendRaw(JSON.stringify({ type: 'req', id, method: 'ping', data: {} }));
    }
    expect(await flooder.waitClosed()).toBe(1008);
    expect(flooder.closeReason).toMatch(/kept exceeding the limit of 5 messages per second/);
    expect(log.text).toMatch(/over the limit of 5 messages per second/);
    expect(log.text).toMatch(/closing: kept exceeding 5 messages per second/);
    // The bystander's pings at the allowed pace are all answered.
    for (let i = 0; i < 3; i++) {
      expect((await bystander.request('ping', {})).ok).toBe(true);
      await sleep(250);
    }
    expect(bystander.closeCode).toBeNull();
  });

  it('message size: an oversized frame is refused with MESSAGE_TOO_LARGE, a huge one closes with 1009', async () => {
    await serve({});
    const sender = await open(OFFENDER);
    expect((await sender.request('join', kit!.joinData('sender'))).ok).toBe(true);
    const bystander = await open(BYSTANDER);
    sender.sendRaw(
      JSON.stringify({
        type: 'req',
        id: 7,
        method: 'ping',
        data: {},
        pad: 'x'.repeat(MAX_MESSAGE_BYTES),
      }),
    );
    const big = await sender.waitFor((f) => f.id === 7);
    expect(big.error).toMatchObject({
      code: ErrorCode.INVALID_PARAMETER,
      extraCode: ProtocolErrorCode.MESSAGE_TOO_LARGE,
    });
    expect(big.error?.message).toMatch(/exceeds the limit of 65536/);
    expect(log.text).toMatch(/invalid frame/);
    expect((await sender.request('ping', {})).ok).toBe(true); // still usable
    sender.sendRaw('x'.repeat(16 * MAX_MESSAGE_BYTES + 1));
    expect(await sender.waitClosed()).toBe(1009);
    expect((await bystander.request('join', kit!.joinData('bystander'))).ok).toBe(true);
  });

  it('time to join (PARLEY_JOIN_TIMEOUT_MS): a socket that never joins is closed with 4008', async () => {
    await serve({ PARLEY_JOIN_TIMEOUT_MS: '300' });
    const idle = await open(OFFENDER);
    const joiner = await open(BYSTANDER);
    expect((await joiner.request('join', kit!.joinData('prompt'))).ok).toBe(true);
    expect(await idle.waitClosed()).toBe(4008);
    expect(idle.closeReason).toBe('no join within 300 ms');
    expect(log.text).toMatch(/closing: no join in time/);
    await sleep(300);
    expect(joiner.closeCode).toBeNull();
    expect((await joiner.request('ping', {})).ok).toBe(true);
  });

  it('idle sockets (PARLEY_IDLE_TIMEOUT_MS): no frame for that long and the socket is closed with 4009', async () => {
    await serve({ PARLEY_IDLE_TIMEOUT_MS: '1000' });
    const silent = await open(OFFENDER);
    expect((await silent.request('join', kit!.joinData('silent'))).ok).toBe(true);
    const alive = await open(BYSTANDER);
    expect((await alive.request('join', kit!.joinData('alive'))).ok).toBe(true);
    const started = Date.now();
    while (silent.closeCode === null && Date.now() - started < 4000) {
      await alive.request('ping', {});
      await sleep(200);
    }
    expect(silent.closeCode).toBe(4009);
    expect(silent.closeReason).toBe('idle: no message for 1000 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(log.text).toMatch(/"ip":"127\.0\.0\.2","msg":"dropping: idle"/);
    expect(alive.closeCode).toBeNull();
    expect((await alive.request('ping', {})).ok).toBe(true);
  });

  it('members per room (PARLEY_MAX_MEMBERS_PER_ROOM): the join over it is refused, a rejoin and other rooms are not', async () => {
    await serve({ PARLEY_MAX_MEMBERS_PER_ROOM: '2' });
    const room = { kind: 'number', id: 7001 };
    const a = await open(BYSTANDER);
    const b = await open(BYSTANDER);
    expect((await a.request('join', kit!.joinData('m1', { room }))).ok).toBe(true);
    expect((await b.request('join', kit!.joinData('m2', { room }))).ok).toBe(true);
    const third = await open(OFFENDER);
    const refused = await third.request('join', kit!.joinData('m3', { room }));
    expect(refused.error).toEqual({
      code: ErrorCode.JOIN_ROOM_FAILED,
      extraCode: ROOM_LIMIT_REACHED,
      message:
        'room 7001 is full: it has 2 members, the limit of this server (PARLEY_MAX_MEMBERS_PER_ROOM) is 2',
    });
    expect(a.notifications('peer-join').map((f) => f.data?.userId)).toEqual(['m2']);
    // The same user joining again replaces itself: not a new member.
    const again = await open(BYSTANDER);
    expect((await again.request('join', kit!.joinData('m2', { room }))).ok).toBe(true);
    expect(
      (await third.request('join', kit!.joinData('m3', { room: { kind: 'number', id: 7002 } }))).ok,
    ).toBe(true);
    expect((await a.request('ping', {})).ok).toBe(true);
  });

  it('publishers per room (PARLEY_MAX_PUBLISHERS_PER_ROOM): the first publish over it is refused, the others keep theirs', async () => {
    await serve({ PARLEY_MAX_PUBLISHERS_PER_ROOM: '1' });
    const sdp = await audioOffer();
    const first = await open(BYSTANDER);
    const second = await open(OFFENDER);
    expect((await first.request('join', kit!.joinData('p1'))).ok).toBe(true);
    expect((await second.request('join', kit!.joinData('p2'))).ok).toBe(true);
    expect((await first.request('publish', { sdp, tracks: AUDIO_TRACK })).ok).toBe(true);
    const refused = await second.request('publish', { sdp, tracks: AUDIO_TRACK });
    expect(refused.error).toEqual({
      code: ErrorCode.INVALID_OPERATION,
      extraCode: ROOM_LIMIT_REACHED,
      message:
        'room 4242 has 1 members publishing, the limit of this server (PARLEY_MAX_PUBLISHERS_PER_ROOM) is 1; publish when one stops',
    });
    expect(second.notifications('stream-added')).toHaveLength(1); // p1's, still there
    expect(first.notifications('stream-added')).toHaveLength(0);
    // A publisher re-offering is not a new one.
    expect((await first.request('publish', { sdp, tracks: AUDIO_TRACK })).ok).toBe(true);
    expect((await first.request('unpublish', { streamType: 'main' })).ok).toBe(true);
    expect((await second.request('publish', { sdp, tracks: AUDIO_TRACK })).ok).toBe(true);
  });

  it('rooms per server (PARLEY_MAX_ROOMS): a join that would open one more room is refused; joins into open rooms are not', async () => {
    await serve({ PARLEY_MAX_ROOMS: '2' });
    const a = await open(BYSTANDER);
    const b = await open(BYSTANDER);
    expect(
      (await a.request('join', kit!.joinData('r1', { room: { kind: 'number', id: 1 } }))).ok,
    ).toBe(true);
    expect(
      (await b.request('join', kit!.joinData('r2', { room: { kind: 'string', id: 'two' } }))).ok,
    ).toBe(true);
    const c = await open(OFFENDER);
    const refused = await c.request(
      'join',
      kit!.joinData('r3', { room: { kind: 'number', id: 3 } }),
    );
    expect(refused.error).toEqual({
      code: ErrorCode.JOIN_ROOM_FAILED,
      extraCode: ROOM_LIMIT_REACHED,
      message:
        'this server has 2 rooms open, its limit (PARLEY_MAX_ROOMS) is 2: room 3 cannot be opened now; retry later',
    });
    expect(kit!.server.rooms.size).toBe(2);
    expect(
      (await c.request('join', kit!.joinData('r3', { room: { kind: 'number', id: 1 } }))).ok,
    ).toBe(true);
    // Once a room closes, a new one may open.
    expect((await b.request('leave', {})).ok).toBe(true);
    // The room closes once its last member is out, just after the leave is answered.
    for (const end = Date.now() + 3000; kit!.server.rooms.size > 1 && Date.now() < end;) {
      await sleep(20);
    }
    expect(kit!.server.rooms.size).toBe(1);
    const d = await open(OFFENDER);
    expect(
      (await d.request('join', kit!.joinData('r4', { room: { kind: 'number', id: 3 } }))).ok,
    ).toBe(true);
  });
});
