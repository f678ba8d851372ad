/**
 * The server against raw WebSocket clients: auth, protocol checks and bad input. The browser
 * flows are in e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountErrorCode, ErrorCode, PROTOCOL_VERSION, ProtocolErrorCode } from '@parley/protocol';
import { genUserSig, verifyUserSig } from '@parley/usersig';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { ParleyServer } from './ParleyServer.js';
import { startTestServer, TestClient, type TestServer } from './test/signalTestKit.js';

let kit: TestServer;
let server: ParleyServer;
let origin: string;
let sdkAppId: number;
let key: string;

beforeAll(async () => {
  kit = await startTestServer();
  ({ server, origin, sdkAppId, key } = kit);
});
afterAll(() => kit.close());

const joinData = (userId: string, overrides: Record<string, unknown> = {}) =>
  kit.joinData(userId, overrides) as Record<string, unknown> & { userId: string };

describe('HTTP', () => {
  it('answers /healthz and CORS', async () => {
    const res = await fetch(`http://${origin}/healthz`, {
      headers: { Origin: 'http://app.example' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await fetch(`http://${origin}/dev/usersig`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it('signs dev UserSigs that verify, and refuses bad userIds with 400', async () => {
    const res = await fetch(`http://${origin}/dev/usersig?userId=demo_1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      sdkAppId: number;
      userId: string;
      userSig: string;
      expire: number;
    };
    expect(body.sdkAppId).toBe(sdkAppId);
    expect(verifyUserSig({ sdkAppId, key, userId: 'demo_1', userSig: body.userSig }).ok).toBe(true);
    expect((await fetch(`http://${origin}/dev/usersig?userId=has%20space`)).status).toBe(400);
    expect((await fetch(`http://${origin}/dev/usersig`)).status).toBe(400);
  });

  it('answers 404 for /dev/usersig when credentials are configured', async () => {
    const prod = new ParleyServer({
      config: loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        PARLEY_SDK_APP_ID: '1400000001',
        PARLEY_SECRET_KEY: 'secret',
      }),
      log: createLogger('silent'),
    });
    const { port } = await prod.listen();
    try {
      const res = await fetch(`http://127.0.0.1:${port}/dev/usersig?userId=a`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: string }).error).toMatch(/dev mode is off/);
    } finally {
      await prod.close();
    }
  });

  it('does not serve files outside its folders', async () => {
    const res = await fetch(`http://${origin}/sdk/..%2f..%2fpackage.json`);
    expect(res.status).toBe(404);
  });
});

describe('signaling: join and auth', () => {
  const cases: [string, (d: ReturnType<typeof joinData>) => void, number][] = [
    [
      'expired',
      (d) =>
        (d.userSig = genUserSig({
          sdkAppId,
          key,
          userId: d.userId,
          expire: 1,
          now: 1_600_000_000,
        })),
      AccountErrorCode.USERSIG_EXPIRED,
    ],
    ['empty', (d) => (d.userSig = ''), AccountErrorCode.USERSIG_EMPTY],
    ['malformed', (d) => (d.userSig = 'not-a-signature'), AccountErrorCode.USERSIG_INVALID],
    [
      'signed with another key',
      (d) => (d.userSig = genUserSig({ sdkAppId, key: 'other', userId: d.userId })),
      AccountErrorCode.USERSIG_WRONG_KEY,
    ],
    [
      'for another userId',
      (d) => (d.userSig = genUserSig({ sdkAppId, key, userId: 'mallory' })),
      AccountErrorCode.USERSIG_WRONG_USER,
    ],
    [
      'for another sdkAppId',
      (d) => (d.userSig = genUserSig({ sdkAppId: sdkAppId + 1, key, userId: d.userId })),
      AccountErrorCode.USERSIG_WRONG_SDK_APP_ID,
    ],
    [
      'for an unknown sdkAppId',
      (d) => (d.sdkAppId = sdkAppId + 1),
      AccountErrorCode.UNKNOWN_SDK_APP_ID,
    ],
  ];
  for (const [name, mutate, extraCode] of cases) {
    it(`refuses a userSig ${name} with 0x4001 / ${extraCode}, then closes`, async () => {
      const client = await TestClient.open(origin);
      const data = joinData('victim');
      mutate(data);
      const res = await client.request('join', data);
      expect(res.ok).toBe(false);
      expect(res.error?.code).toBe(ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED);
      expect(res.error?.extraCode).toBe(extraCode);
      expect(res.error?.message.length).toBeGreaterThan(10);
      expect(await client.waitClosed()).toBe(4001);
      expect(server.rooms.size).toBe(0);
    });
  }

  it('refuses an SDK speaking another protocol version, saying what to do', async () => {
    const client = await TestClient.open(origin);
    const res = await client.request('join', joinData('old', { protocolVersion: 99 }));
    expect(res.error).toMatchObject({
      code: ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED,
      extraCode: ProtocolErrorCode.INCOMPATIBLE_PROTOCOL,
    });
    expect(res.error?.message).toMatch(/\/sdk\/trtc\.js/);
  });

  it('refuses reserved room ids and bad userIds without creating rooms', async () => {
    for (const room of [
      { kind: 'number', id: 0 },
      { kind: 'number', id: 4294967295 },
      { kind: 'string', id: 'bad/char' },
    ]) {
      const client = await TestClient.open(origin);
      const res = await client.request('join', joinData('someone', { room }));
      expect(res.error?.code).toBe(ErrorCode.INVALID_PARAMETER);
      expect(res.error?.message).toMatch(/roomId/);
    }
    const client = await TestClient.open(origin);
    const res = await client.request('join', joinData('has space'));
    expect(res.error?.code).toBe(ErrorCode.INVALID_PARAMETER);
    expect(server.rooms.size).toBe(0);
  });
});

describe('signaling: bad input changes nothing', () => {
  it('answers malformed, oversized and out-of-state messages with clear errors and stays usable', async () => {
    const client = await TestClient.open(origin);
    const early = await client.request('publish', {
      sdp: 'v=0',
      tracks: [{ mid: '0', kind: 'audio', streamType: 'main', muted: false }],
    });
    expect(early.error).toMatchObject({ code: ErrorCode.INVALID_OPERATION });
    expect(early.error?.message).toMatch(/before join/);

    client.sendRaw('{not json');
    client.sendRaw(JSON.stringify({ type: 'req', id: 77, method: 'join', data: { userId: 5 } }));
    const invalid = await client.waitFor((f) => f.id === 77);
    expect(invalid.error).toMatchObject({
      code: ErrorCode.INVALID_PARAMETER,
      extraCode: ProtocolErrorCode.MALFORMED_MESSAGE,
    });

    client.sendRaw(
      JSON.stringify({ type: 'req', id: 78, method: 'ping', data: {}, pad: 'x'.repeat(100_000) }),
    );
    const big = await client.waitFor(
      (f) => f.type === 'res' && f.error?.extraCode === ProtocolErrorCode.MESSAGE_TOO_LARGE,
    );
    expect(big.error?.message).toMatch(/exceeds the limit/);

    const unknown = await client.request('explode', {});
    expect(unknown.error?.message).toMatch(/unknown method/);

    const joined = await client.request('join', joinData('sturdy'));
    expect(joined.ok).toBe(true);
    const garbage = await client.request('publish', {
      sdp: 'this is not sdp',
      tracks: [{ mid: '0', kind: 'video', streamType: 'main', muted: false }],
    });
    expect(garbage.ok).toBe(false);
    const sub = await client.request('subscribe', {
      userId: 'nobody',
      streamType: 'main',
      audio: true,
      video: true,
    });
    expect(sub.error).toMatchObject({ code: ErrorCode.REMOTE_STREAM_NOT_EXIST });
    const unpub = await client.request('unpublish', { streamType: 'main' });
    expect(unpub.error?.code).toBe(ErrorCode.INVALID_OPERATION);
    expect((await client.request('ping', {})).ok).toBe(true);
    await client.request('leave', {});
  });

  it('tells others about joins and leaves, and kicks the older connection of a reused userId', async () => {
    const a = await TestClient.open(origin);
    const b = await TestClient.open(origin);
    expect(
      (await a.request('join', joinData('ann', { room: { kind: 'string', id: 'lobby' } }))).ok,
    ).toBe(true);
    const bJoin = await b.request(
      'join',
      joinData('ben', { room: { kind: 'string', id: 'lobby' } }),
    );
    expect(bJoin.data?.participants).toEqual([{ userId: 'ann', role: 'anchor', streams: [] }]);
    await a.waitFor((f) => f.method === 'peer-join' && f.data?.userId === 'ben');

    const ann2 = await TestClient.open(origin);
    expect(
      (await ann2.request('join', joinData('ann', { room: { kind: 'string', id: 'lobby' } }))).ok,
    ).toBe(true);
    const banned = await a.waitFor((f) => f.method === 'banned');
    expect(banned.data).toMatchObject({ reason: 'kick' });
    expect(await a.waitClosed()).toBe(4040);

    await b.request('leave', {});
    await ann2.waitFor((f) => f.method === 'peer-leave' && f.data?.userId === 'ben');
    await ann2.request('leave', {});
    expect(server.rooms.size).toBe(0);
  });

  it('resumes a session on a new socket with the resume token', async () => {
    const a = await TestClient.open(origin);
    const joined = await a.request('join', joinData('roamer'));
    const token = joined.data?.resumeToken as string;
    a.ws.terminate();
    await new Promise((r) => setTimeout(r, 100));
    const again = await TestClient.open(origin);
    const resumed = await again.request('resume', {
      protocolVersion: PROTOCOL_VERSION,
      resumeToken: token,
    });
    expect(resumed.ok).toBe(true);
    const bad = await (
      await TestClient.open(origin)
    ).request('resume', { protocolVersion: PROTOCOL_VERSION, resumeToken: 'nope' });
    expect(bad.error?.code).toBe(ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED);
    await again.request('leave', {});
  });
});

/** A real offer with one audio section, made by werift as a browser's would be. */
async function realOffer(): Promise<string> {
  const { RTCPeerConnection } = await import('werift');
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver('audio', { direction: 'sendonly' });
  const offer = await pc.createOffer();
  await pc.close();
  return offer.sdp;
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('races and abuse', () => {
  it('keeps one room when a user rejoins while alone in it (page reload)', async () => {
    const room = { kind: 'number', id: 7001 };
    const first = await TestClient.open(origin);
    expect((await first.request('join', joinData('solo', { room }))).ok).toBe(true);
    const again = await TestClient.open(origin);
    expect((await again.request('join', joinData('solo', { room }))).ok).toBe(true);
    const other = await TestClient.open(origin);
    const joined = await other.request('join', joinData('friend', { room }));
    expect(joined.data?.participants).toEqual([{ userId: 'solo', role: 'anchor', streams: [] }]);
    await again.waitFor((f) => f.method === 'peer-join' && f.data?.userId === 'friend');
    await other.request('leave', {});
    await again.request('leave', {});
    expect(server.rooms.size).toBe(0);
  });

  it('closes every transport when publish requests race each other and leave', async () => {
    const sdp = await realOffer();
    const client = await TestClient.open(origin);
    expect(
      (await client.request('join', joinData('racer', { room: { kind: 'number', id: 7002 } }))).ok,
    ).toBe(true);
    const tracks = [{ mid: '0', kind: 'audio', streamType: 'main', muted: false }];
    const publishes = [1, 2, 3].map(() => client.request('publish', { sdp, tracks }));
    const left = client.request('leave', {});
    await Promise.all([...publishes, left]);
    // Transports, producers and consumers open on the media workers.
    const load = () => server.engine.workers().reduce((sum, w) => sum + w.load, 0);
    await until(() => load() === 0);
    expect(load()).toBe(0);
  });

  it('answers a malformed request URL with 400 instead of hanging', async () => {
    const { connect } = await import('node:net');
    const [host, port] = origin.split(':');
    for (const upgrade of [false, true]) {
      const socket = connect(Number(port), host);
      const headers = upgrade
        ? 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
        : '';
      socket.write(`GET // HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d) => (text += d.toString()));
        socket.on('close', () => resolve(text));
        setTimeout(() => resolve(text), 2000);
      });
      socket.destroy();
      expect(answer, upgrade ? 'upgrade' : 'plain GET').toMatch(/^HTTP\/1\.1 400/);
    }
  });
});
