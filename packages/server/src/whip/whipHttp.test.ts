/**
 * WHIP and WHEP over HTTP against a whole server on the fake media engine: status codes and
 * headers (RFC 9725, the WHEP draft), what v4 members see of a WHIP user, and the ways a
 * session ends (DELETE, a newer session of the userId, a dismissed room, a peer that never
 * connects). Real media is in e2e/whip.e2e.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@parley/protocol';
import { genUserSig } from '@parley/usersig';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { FakeEngine } from '../media/fake/FakeEngine.js';
import { ParleyServer } from '../ParleyServer.js';
import { playerOffer, publishOffer } from '../test/offers.js';
import { TEST_CLIENT_LIMITS, TestClient } from '../test/signalTestKit.js';

let server: ParleyServer;
let base: string;
let sdkAppId: number;
let key: string;
let roomSeq = 5000;

beforeAll(async () => {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-whip-')),
    PARLEY_WHIP_MAX_SESSIONS: '3',
    PARLEY_WHIP_CONNECT_TIMEOUT_MS: '1500',
    ...TEST_CLIENT_LIMITS,
  });
  server = new ParleyServer({ config, log: createLogger('silent'), engine: new FakeEngine() });
  const { port } = await server.listen();
  base = `http://127.0.0.1:${port}`;
  ({ sdkAppId, secretKey: key } = config);
});
afterAll(() => server.close());

const sig = (userId: string) => genUserSig({ sdkAppId, key, userId, expire: 600 });
const nextRoom = () => ++roomSeq;

function post(
  path: string,
  body: string,
  { token, type = 'application/sdp' }: { token?: string; type?: string } = {},
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': type,
      ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
}

/** A WHIP session of `userId` in `roomId` (audio + video), answered 201. */
async function whip(userId: string, roomId: number) {
  // One UserSig for the POST and the later requests (a new one would differ: it has a time).
  const token = sig(userId);
  const res = await post(`/whip/${sdkAppId}/${userId}?roomId=${roomId}`, await av(), { token });
  expect(res.status, await res.clone().text()).toBe(201);
  return { res, location: res.headers.get('location')!, token };
}

const av = () => publishOffer(['audio', 'video']);

/** A v4 member over the signaling socket. */
async function member(userId: string, roomId: number): Promise<TestClient> {
  const client = await TestClient.open(base.slice('http://'.length));
  const res = await client.request('join', {
    protocolVersion: PROTOCOL_VERSION,
    sdkVersion: 'test',
    sdkAppId,
    userId,
    userSig: sig(userId),
    room: { kind: 'number', id: roomId },
    mode: 'rtc',
    role: 'anchor',
    autoSubscribe: false,
  });
  expect(res.ok, JSON.stringify(res.error)).toBe(true);
  return client;
}

const del = (location: string, token?: string) =>
  fetch(`${base}${location}`, {
    method: 'DELETE',
    headers: token !== undefined ? { Authorization: `Bearer ${token}` } : {},
  });

const waitUntil = async (what: string, check: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('WHIP', () => {
  it('publishes an offer as a room member: 201 with the answer, Location, ETag; v4 members see peer-join and stream-added', async () => {
    const roomId = nextRoom();
    const alice = await member('alice', roomId);
    const { res, location, token } = await whip('obs', roomId);
    expect(res.headers.get('content-type')).toBe('application/sdp');
    expect(location).toMatch(/^\/whip\/sessions\/[\w-]{22}$/);
    expect(res.headers.get('etag')).toMatch(/^"[\w-]+\.0"$/);
    expect(res.headers.get('accept-patch')).toBe('application/trickle-ice-sdpfrag');
    const answer = await res.text();
    expect(answer).toMatch(/^v=0\r\n/);
    expect(answer).toContain('a=ice-lite');
    expect(answer.match(/a=recvonly/g)).toHaveLength(2);
    const join = await alice.waitFor((f) => f.method === 'peer-join');
    expect(join.data).toEqual({ userId: 'obs', role: 'anchor' });
    const added = await alice.waitFor((f) => f.method === 'stream-added');
    expect(added.data).toMatchObject({
      stream: { userId: 'obs', streamType: 'main', hasAudio: true, hasVideo: true },
    });
    expect((await del(location, token)).status).toBe(200);
    alice.close();
  });

  it('DELETE needs the token of the POST or another UserSig of its user (401 without, 403 another user’s), then the user leaves and the URL is gone (404)', async () => {
    const roomId = nextRoom();
    const alice = await member('alice', roomId);
    const { location, token } = await whip('cam', roomId);
    const missing = await del(location);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await del(location, sig('other'))).status).toBe(403);
    expect((await del(location, 'garbage')).status).toBe(403);
    // A UserSig of the same user signed later (it differs: other time, other expiry) will do.
    const later = genUserSig({ sdkAppId, key, userId: 'cam', expire: 300 });
    expect(later).not.toBe(token);
    expect((await del(location, later)).status).toBe(200);
    const removed = await alice.waitFor((f) => f.method === 'stream-removed');
    expect(removed.data).toEqual({ userId: 'cam', streamType: 'main' });
    const left = await alice.waitFor((f) => f.method === 'peer-leave');
    expect(left.data).toEqual({ userId: 'cam', reason: 'leave' });
    expect((await del(location, token)).status).toBe(404);
    expect(
      server.rooms.get(sdkAppId, { kind: 'number', id: roomId })?.participants.has('cam'),
    ).toBe(false);
    alice.close();
  });

  it('refuses bad requests with the RFC status codes, changing nothing', async () => {
    const roomId = nextRoom();
    const path = `/whip/${sdkAppId}/bob?roomId=${roomId}`;
    const offer = await av();
    const status = async (res: Promise<Response>) => (await res).status;
    // Wrong content type: 415 with Accept-Post.
    const wrongType = await post(path, offer, { token: sig('bob'), type: 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.headers.get('accept-post')).toBe('application/sdp');
    // No token, a UserSig of another user, a forged one: 401.
    expect(await status(post(path, offer))).toBe(401);
    expect(await status(post(path, offer, { token: sig('mallory') }))).toBe(401);
    expect(await status(post(path, offer, { token: 'not-a-usersig' }))).toBe(401);
    // An unknown application: 401 (its UserSig cannot be checked).
    expect(await status(post(`/whip/1/bob?roomId=${roomId}`, offer, { token: sig('bob') }))).toBe(
      401,
    );
    // Malformed SDP, an offer that sends nothing, a bad room, a bad userId: 400.
    const body = async (res: Promise<Response>) => {
      const r = await res;
      return { status: r.status, error: ((await r.json()) as { error: string }).error };
    };
    expect(await body(post(path, 'hello', { token: sig('bob') }))).toMatchObject({
      status: 400,
      error: expect.stringMatching(/not an SDP offer/),
    });
    expect(
      await body(post(path, await playerOffer(['audio', 'video']), { token: sig('bob') })),
    ).toMatchObject({ status: 400, error: expect.stringMatching(/sends no audio or video/) });
    expect(await status(post(`/whip/${sdkAppId}/bob`, offer, { token: sig('bob') }))).toBe(400);
    expect(await status(post(`/whip/${sdkAppId}/bob?roomId=0`, offer, { token: sig('bob') }))).toBe(
      400,
    );
    expect(
      await status(
        post(`/whip/${sdkAppId}/bob?roomId=1&strRoomId=a`, offer, { token: sig('bob') }),
      ),
    ).toBe(400);
    // A privateMapKey that is not one: 403.
    expect(await status(post(`${path}&privateMapKey=nonsense`, offer, { token: sig('bob') }))).toBe(
      403,
    );
    // A body over the limit: 413.
    expect(await status(post(path, offer + 'a=x\r\n'.repeat(20_000), { token: sig('bob') }))).toBe(
      413,
    );
    // Methods and paths: 405 with Allow, 404 for what is no resource.
    const get = await fetch(`${base}${path}`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    expect((await fetch(`${base}/whip/nothing`, { method: 'POST' })).status).toBe(404);
    expect((await del('/whip/sessions/unknown123', sig('bob'))).status).toBe(404);
    // None of it made a room or a session.
    expect(server.rooms.get(sdkAppId, { kind: 'number', id: roomId })).toBeUndefined();
    expect(server.whip.size).toBe(0);
  });

  it('answers OPTIONS with Accept-Post / Accept-Patch and CORS that exposes Location and ETag', async () => {
    const endpoint = await fetch(`${base}/whip/${sdkAppId}/bob?roomId=1`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(endpoint.status).toBe(204);
    expect(endpoint.headers.get('accept-post')).toBe('application/sdp');
    expect(endpoint.headers.get('access-control-allow-origin')).toBe('*');
    expect(endpoint.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(endpoint.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(endpoint.headers.get('access-control-expose-headers')).toMatch(/Location.*ETag/);
    const session = await fetch(`${base}/whep/sessions/abc`, { method: 'OPTIONS' });
    expect(session.status).toBe(204);
    expect(session.headers.get('accept-patch')).toBe('application/trickle-ice-sdpfrag');
  });

  it('PATCH: trickled candidates 204; an ICE restart 200 with new server credentials and ETag; 412 on a stale If-Match; 415', async () => {
    const roomId = nextRoom();
    const { res, location, token } = await whip('patcher', roomId);
    const answer = await res.text();
    const etag = res.headers.get('etag')!;
    const patch = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${location}`, {
        method: 'PATCH',
        headers: {
          'Content-Type': 'application/trickle-ice-sdpfrag',
          Authorization: `Bearer ${token}`,
          ...headers,
        },
        body,
      });
    const trickle = await patch(
      'a=mid:0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n',
      { 'If-Match': etag },
    );
    expect(trickle.status).toBe(204);
    expect((await patch('a=mid:0\r\n', { 'Content-Type': 'application/sdp' })).status).toBe(415);
    expect((await patch('a=ice-ufrag:only\r\n')).status).toBe(400);
    const restart = await patch(
      'a=ice-ufrag:newufrag\r\na=ice-pwd:newpasswordnewpassword12\r\na=mid:0\r\n',
      {
        'If-Match': '*',
      },
    );
    expect(restart.status).toBe(200);
    expect(restart.headers.get('content-type')).toBe('application/trickle-ice-sdpfrag');
    const newEtag = restart.headers.get('etag');
    expect(newEtag).toMatch(/\.1"$/);
    const fragment = await restart.text();
    const ufrag = (text: string) => /a=ice-ufrag:(\S+)/.exec(text)?.[1];
    expect(ufrag(fragment)).toBeDefined();
    expect(ufrag(fragment)).not.toBe(ufrag(answer));
    expect(fragment).toMatch(/a=candidate:\S+ 1 udp \d+ \S+ \d+ typ host/);
    expect(fragment).toContain('a=end-of-candidates');
    // The old ETag no longer matches.
    expect((await patch('a=mid:0\r\n', { 'If-Match': etag })).status).toBe(412);
    expect((await del(location, token)).status).toBe(200);
  });

  it('a newer session of the userId wins: a second WHIP POST of it ends the first (404), a v4 join too', async () => {
    const roomId = nextRoom();
    const first = await whip('dup', roomId);
    const second = await whip('dup', roomId);
    expect(second.location).not.toBe(first.location);
    expect((await del(first.location, first.token)).status).toBe(404);
    const v4 = await member('dup', roomId);
    await waitUntil('the WHIP session ended', () => server.whip.size === 0);
    expect((await del(second.location, second.token)).status).toBe(404);
    v4.close();
  });

  it('DismissRoom ends the WHIP session (its URL answers 404)', async () => {
    const roomId = nextRoom();
    const { location, token } = await whip('dismissed', roomId);
    await server.directory.dismissRoom(sdkAppId, { kind: 'number', id: roomId }, 'dismissed');
    await waitUntil('the WHIP session ended', () => server.whip.size === 0);
    expect((await del(location, token)).status).toBe(404);
  });

  it('ends a session whose peer never connects (PARLEY_WHIP_CONNECT_TIMEOUT_MS) and the user leaves', async () => {
    const roomId = nextRoom();
    const alice = await member('alice', roomId);
    const { location, token } = await whip('silent', roomId);
    await alice.waitFor((f) => f.method === 'stream-added');
    const left = await alice.waitFor((f) => f.method === 'peer-leave', 6000);
    expect(left.data).toEqual({ userId: 'silent', reason: 'leave' });
    expect((await del(location, token)).status).toBe(404);
    alice.close();
  });

  it('refuses a session past PARLEY_WHIP_MAX_SESSIONS with 429 and Retry-After', async () => {
    const roomId = nextRoom();
    const sessions = [await whip('m1', roomId), await whip('m2', roomId), await whip('m3', roomId)];
    const over = await post(`/whip/${sdkAppId}/m4?roomId=${roomId}`, await av(), {
      token: sig('m4'),
    });
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('10');
    for (const s of sessions) expect((await del(s.location, s.token)).status).toBe(200);
  });
});

describe('WHEP', () => {
  it('plays a user’s stream: 201 with a sendonly answer; the player is no member; it ends with the stream', async () => {
    const roomId = nextRoom();
    const alice = await member('alice', roomId);
    const source = await whip('anchor', roomId);
    const res = await post(
      `/whep/${sdkAppId}/anchor?roomId=${roomId}`,
      await playerOffer(['audio', 'video']),
      { token: sig('viewer') },
    );
    expect(res.status, await res.clone().text()).toBe(201);
    expect(res.headers.get('location')).toMatch(/^\/whep\/sessions\/[\w-]{22}$/);
    expect(res.headers.get('etag')).toMatch(/^".+"$/);
    const answer = await res.text();
    expect(answer.match(/a=sendonly/g)).toHaveLength(2);
    expect(answer).toMatch(/a=ssrc:\d+ cname:/);
    expect(server.whip.size).toBe(2);
    const room = server.rooms.get(sdkAppId, { kind: 'number', id: roomId })!;
    expect([...room.participants.keys()].sort()).toEqual(['alice', 'anchor']);
    expect(alice.notifications('peer-join').map((f) => f.data?.userId)).toEqual(['anchor']);
    // The stream ends: so does the playback.
    expect((await del(source.location, source.token)).status).toBe(200);
    await waitUntil('the WHEP session ended', () => server.whip.size === 0);
    expect((await del(res.headers.get('location')!, sig('viewer'))).status).toBe(404);
    alice.close();
  });

  it('refuses: 404 for a user not in the room or not publishing, 400 for a sendonly offer, 401 for a token that is no UserSig', async () => {
    const roomId = nextRoom();
    const offer = await playerOffer(['video']);
    expect(
      (await post(`/whep/${sdkAppId}/nobody?roomId=${roomId}`, offer, { token: sig('v') })).status,
    ).toBe(404);
    const quiet = await member('quiet', roomId);
    expect(
      (await post(`/whep/${sdkAppId}/quiet?roomId=${roomId}`, offer, { token: sig('v') })).status,
    ).toBe(404);
    const source = await whip('pub', roomId);
    const path = `/whep/${sdkAppId}/pub?roomId=${roomId}`;
    expect((await post(path, await av(), { token: sig('v') })).status).toBe(400);
    expect((await post(path, offer, { token: 'garbage' })).status).toBe(401);
    expect((await post(`${path}&streamType=screen`, offer, { token: sig('v') })).status).toBe(400);
    // viewerId names the viewer whose UserSig it is; another user's UserSig is refused.
    expect((await post(`${path}&viewerId=v2`, offer, { token: sig('v') })).status).toBe(401);
    expect(server.whip.size).toBe(1);
    expect((await del(source.location, source.token)).status).toBe(200);
    quiet.close();
  });
});

describe('WHIP with TURN configured and a join rate of 1 per second per IP', () => {
  it('names the TURN servers in Link headers of the 201 (RFC 9725 §4.6); POSTs over the v4 join rate get 429', async () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-whip-turn-')),
      PARLEY_TURN_URLS: 'turn:127.0.0.1:3478?transport=udp,turns:127.0.0.1:5349',
      PARLEY_TURN_USERNAME: 'parley',
      PARLEY_TURN_CREDENTIAL: 'pa"ss',
      ...TEST_CLIENT_LIMITS,
      PARLEY_JOINS_PER_SECOND_PER_IP: '1',
    });
    const turnServer = new ParleyServer({
      config,
      log: createLogger('silent'),
      engine: new FakeEngine(),
    });
    const { port } = await turnServer.listen();
    try {
      const userSig = genUserSig({
        sdkAppId: config.sdkAppId,
        key: config.secretKey,
        userId: 'obs',
        expire: 600,
      });
      const offer = await av();
      const send = () =>
        fetch(`http://127.0.0.1:${port}/whip/${config.sdkAppId}/obs?roomId=77`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${userSig}` },
          body: offer,
        });
      const res = await send();
      expect(res.status).toBe(201);
      // Two more at once: the bucket holds at most one join, so one of them at least is refused.
      const statuses = (await Promise.all([send(), send()])).map((r) => r.status);
      expect(statuses).toContain(429);
      expect(res.headers.get('link')).toBe(
        '<turn:127.0.0.1:3478?transport=udp>; rel="ice-server"; username="parley"; credential="pa\\"ss"; credential-type="password", ' +
          '<turns:127.0.0.1:5349>; rel="ice-server"; username="parley"; credential="pa\\"ss"; credential-type="password"',
      );
    } finally {
      await turnServer.close();
    }
  });
});
