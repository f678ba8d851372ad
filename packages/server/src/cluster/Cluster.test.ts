/**
 * Two nodes in this process (real mediasoup workers) on a real Redis: one room across both,
 * a track relayed once per node pair, one session per userId, removals across nodes, a
 * session resumed on the other node, Redis down and back.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolErrorCode, ROOM_LIMIT_REACHED } from '@parley/protocol';
import { AUDIO_TRACK, audioOffer } from '../test/offers.js';
import { startRedis, type TestRedis } from '../test/redisTestKit.js';
import {
  CapturedLog,
  startTestServer,
  TestClient,
  type TestServer,
} from '../test/signalTestKit.js';

const CREDENTIALS = { PARLEY_SDK_APP_ID: '1400000001', PARLEY_SECRET_KEY: 'cluster-test-key' };
let redis: TestRedis;
const servers: TestServer[] = [];
const clients: TestClient[] = [];

const logs: CapturedLog[] = [];

async function node(id: string, env: Record<string, string> = {}): Promise<TestServer> {
  const log = new CapturedLog();
  logs.push(log);
  const server = await startTestServer(
    {
      ...CREDENTIALS,
      PARLEY_REDIS_URL: redis.url,
      PARLEY_NODE_ID: id,
      PARLEY_WORKERS: '1',
      PARLEY_ANNOUNCED_IP: '127.0.0.1',
      PARLEY_RTC_LISTEN_IPS: '127.0.0.1',
      ...env,
    },
    log,
  );
  servers.push(server);
  await until(() => server.server.cluster!.redis.up, 'redis connected');
  return server;
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function join(server: TestServer, userId: string, overrides: Record<string, unknown> = {}) {
  const client = await TestClient.open(server.origin);
  clients.push(client);
  const answer = await client.request('join', server.joinData(userId, overrides));
  return { client, answer };
}

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(async (context) => {
  // A failure shows what the nodes logged at warn and above.
  if (context.task.result?.state === 'fail') {
    for (const log of logs) {
      for (const line of log.lines)
        if (
          /"level":(40|50|60)/.test(line) ||
          (process.env.CLUSTER_DEBUG && /relay|pipe|cluster|orphan|reap|dead node/.test(line))
        )
          console.log(line);
    }
  }
  logs.splice(0);
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
  // Each test starts from an empty cluster.
  const admin = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
  await admin.connect();
  await admin.flushall();
  admin.disconnect();
});

afterAll(async () => {
  await redis.kill();
});

describe('a room across two nodes', () => {
  it('lists, announces and relays members of the other node, once per node pair', async () => {
    const [a, b] = [await node('node-a'), await node('node-b')];
    await until(() => a.server.cluster!.signalUrls().length === 2, 'both nodes see each other');

    const alice = await join(a, 'alice');
    expect(alice.answer.ok).toBe(true);
    expect(alice.answer.data?.nodes).toEqual([
      a.server.cluster!.signalUrl,
      b.server.cluster!.signalUrl,
    ]);
    const published = await alice.client.request('publish', {
      sdp: await audioOffer(),
      tracks: AUDIO_TRACK,
    });
    expect(published.ok).toBe(true);

    const bob = await join(b, 'bob');
    expect(bob.answer.ok).toBe(true);
    // Bob's node knew alice and her stream before answering his join.
    expect(bob.answer.data?.participants).toEqual([
      {
        userId: 'alice',
        role: 'anchor',
        streams: [expect.objectContaining({ userId: 'alice', streamType: 'main', hasAudio: true })],
      },
    ]);
    await alice.client.waitFor((f) => f.method === 'peer-join' && f.data?.userId === 'bob');

    const carol = await join(b, 'carol');
    for (const viewer of [bob, carol]) {
      const sub = await viewer.client.request('subscribe', {
        userId: 'alice',
        streamType: 'main',
        audio: true,
        video: false,
      });
      expect(sub.ok).toBe(true);
      // The offer carries alice's audio: a consumer of the relayed producer on node b.
      const offer = await viewer.client.waitFor((f) => f.type === 'req' && f.method === 'offer');
      expect(offer.data?.tracks).toEqual([
        expect.objectContaining({ userId: 'alice', streamType: 'main', kind: 'audio' }),
      ]);
    }
    // One pipe between the two nodes for this room, whatever the number of viewers.
    expect(b.server.cluster!.relays.list().map((r) => [r.peer, r.direction])).toEqual([
      ['node-a', 'in'],
    ]);
    expect(a.server.cluster!.relays.list().map((r) => [r.peer, r.direction])).toEqual([
      ['node-b', 'out'],
    ]);
    const metrics = await b.server.ops.metrics.registry.metrics();
    expect(metrics).toContain('parley_relays{peer="node-a",direction="in",node="node-b"} 1');
    expect(metrics).toContain('parley_cluster_nodes{node="node-b"} 2');

    // Mute on node a reaches node b's viewers as stream-updated.
    expect(
      (await alice.client.request('mute', { streamType: 'main', kind: 'audio', muted: true })).ok,
    ).toBe(true);
    await bob.client.waitFor(
      (f) =>
        f.method === 'stream-updated' &&
        f.data?.stream !== undefined &&
        (f.data.stream as { audioMuted: boolean }).audioMuted,
    );

    // The relay lives while node b has a viewer of alice's track, and goes with the last one.
    const sending = () =>
      a.server
        .cluster!.relays.list()
        .flatMap((r) => (r.direction === 'out' ? r.pipe.sending() : []));
    expect(sending()).toHaveLength(1);
    await bob.client.request('unsubscribe', { userId: 'alice', streamType: 'main' });
    await new Promise((r) => setTimeout(r, 200));
    expect(sending()).toHaveLength(1);
    await carol.client.request('unsubscribe', { userId: 'alice', streamType: 'main' });
    await until(() => sending().length === 0, 'node a stops sending alice to node b');
    // A viewer again: the track comes over again and feeds a consumer of hers. (This raw
    // client answers no offer, so the new one waits behind the unanswered removal: the
    // server's state says it.)
    await carol.client.request('subscribe', {
      userId: 'alice',
      streamType: 'main',
      audio: true,
      video: false,
    });
    const roomB = b.server.rooms.get(b.sdkAppId, { kind: 'number', id: 4242 })!;
    await until(
      () =>
        !!roomB.participants.get('carol')?.subscriptions.get('alice/main')?.consumers.get('audio'),
      'carol consumes the relayed track again',
    );
    expect(sending()).toHaveLength(1);

    // A leave on node a: peer-leave and stream-removed on node b.
    await alice.client.request('leave', {});
    await bob.client.waitFor((f) => f.method === 'stream-removed' && f.data?.userId === 'alice');
    await carol.client.waitFor((f) => f.method === 'peer-leave' && f.data?.userId === 'alice');
    await until(() => b.server.cluster!.relays.list().length === 0, 'the relay closed');
  });

  it('keeps one session per userId across nodes: the later join wins', async () => {
    const [a, b] = [await node('node-a'), await node('node-b')];
    const first = await join(a, 'dana');
    const witness = await join(a, 'erin');
    const second = await join(b, 'dana');
    expect(first.answer.ok && second.answer.ok && witness.answer.ok).toBe(true);
    const banned = await first.client.waitFor((f) => f.method === 'banned');
    expect(banned.data).toMatchObject({ reason: 'kick' });
    expect(await first.client.waitClosed()).toBe(4040);
    // The witness on node a sees dana go and come back (the new session), as on one node.
    await witness.client.waitFor((f) => f.method === 'peer-join' && f.data?.userId === 'dana');
    const room = a.server.rooms.get(a.sdkAppId, { kind: 'number', id: 4242 });
    expect(room?.participants.get('dana')?.node).toBe('node-b');
    // The second session lives on.
    expect((await second.client.request('ping', {})).ok).toBe(true);
  });

  it('removes a user held by another node (RemoveUser sent anywhere)', async () => {
    const [a, b] = [await node('node-a'), await node('node-b')];
    const frank = await join(a, 'frank');
    await join(b, 'gina');
    const removed = await b.server.directory.removeUsers(
      b.sdkAppId,
      { kind: 'number', id: 4242 },
      ['frank', 'nobody'],
      'kick',
      'removed by the test',
    );
    expect(removed).toEqual(['frank']);
    const banned = await frank.client.waitFor((f) => f.method === 'banned');
    expect(banned.data).toEqual({ reason: 'kick', message: 'removed by the test' });
  });

  it('resumes a session on another node when its node is gone, without a leave', async () => {
    const [a, b] = [await node('node-a'), await node('node-b')];
    const hana = await join(a, 'hana');
    await hana.client.request('publish', { sdp: await audioOffer(), tracks: AUDIO_TRACK });
    const ivan = await join(b, 'ivan');
    await until(
      () =>
        !!b.server.rooms.get(b.sdkAppId, { kind: 'number', id: 4242 })?.participants.get('hana'),
      'node b mirrors hana',
    );
    const token = hana.answer.data?.resumeToken as string;
    // Node a goes away (its Redis connections close, as when its process is killed).
    servers.splice(servers.indexOf(a), 1);
    await a.server.cluster!.redis.close();
    hana.client.close();

    const resumed = await TestClient.open(b.origin);
    clients.push(resumed);
    const started = Date.now();
    const answer = await resumed.request('resume', { protocolVersion: 1, resumeToken: token });
    expect(answer.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(answer.data?.participants).toEqual([{ userId: 'ivan', role: 'anchor', streams: [] }]);
    // The client is asked to publish again on a new connection.
    const reset = await resumed.waitFor((f) => f.method === 'media-reset');
    expect(reset.data).toMatchObject({ pc: 'publisher' });
    // Ivan saw nothing leave.
    await new Promise((r) => setTimeout(r, 300));
    expect(ivan.client.notifications('peer-leave')).toEqual([]);
    expect(ivan.client.notifications('stream-removed')).toEqual([]);
    const republished = await resumed.request('publish', {
      sdp: await audioOffer(),
      tracks: AUDIO_TRACK,
    });
    expect(republished.ok).toBe(true);
    const room = b.server.rooms.get(b.sdkAppId, { kind: 'number', id: 4242 });
    expect(room?.participants.get('hana')?.local).toBe(true);
    // Her SDK's log uploads go to node b now, with the token node a gave her.
    const upload = await fetch(`http://${b.origin}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({
        token: hana.answer.data?.logToken,
        lines: [{ time: Date.now(), level: 'info', tag: 'client', message: 'moved' }],
      }),
    });
    expect(upload.status).toBe(204);
    expect(ivan.client.notifications('stream-added')).toEqual([]);
    // Her republished track reaches ivan from node b itself now.
    await ivan.client.request('subscribe', {
      userId: 'hana',
      streamType: 'main',
      audio: true,
      video: false,
    });
    const offer = await ivan.client.waitFor((f) => f.type === 'req' && f.method === 'offer');
    expect(offer.data?.tracks).toEqual([
      expect.objectContaining({ userId: 'hana', kind: 'audio' }),
    ]);
    await a.close().catch(() => undefined);
  });
});

describe('history', () => {
  it('DescribeRoomInfo and DescribeUserInfo answer the same on every node', async () => {
    const [a, b] = [await node('node-a'), await node('node-b')];
    const quinn = await join(a, 'quinn');
    await join(b, 'rosa');
    await quinn.client.request('leave', {});
    const end = Math.floor(Date.now() / 1000) + 60;
    const view = (s: TestServer) => {
      const rooms = s.server.ops.history.rooms(s.sdkAppId, 0, end);
      const users = rooms.flatMap((r) => s.server.ops.history.users(s.sdkAppId, r.commId, 0, end));
      return {
        rooms: rooms.map((r) => [r.commId, r.userId, r.finished]),
        users: users.map((u) => [u.userId, u.finished]).sort(),
      };
    };
    await until(
      () => JSON.stringify(view(a)) === JSON.stringify(view(b)) && view(b).users.length === 2,
      'both nodes tell the same history',
    );
    expect(view(b).rooms).toEqual([[expect.stringMatching(/_4242_/), 'quinn', false]]);
    expect(view(b).users).toEqual([
      ['quinn', true],
      ['rosa', false],
    ]);
  });
});

describe('load', () => {
  it('a node over its load limit sends a new join to a lighter node', async () => {
    // Node a's limit: one worker carrying one object (the first publisher's transport).
    const a = await node('node-a', { PARLEY_WORKER_MAX_LOAD: '1' });
    const b = await node('node-b');
    await until(() => a.server.cluster!.signalUrls().length === 2, 'a sees b');
    const first = await join(a, 'olga');
    expect(first.answer.ok).toBe(true);
    expect(
      (await first.client.request('publish', { sdp: await audioOffer(), tracks: AUDIO_TRACK })).ok,
    ).toBe(true);
    const second = await join(a, 'pete');
    expect(second.answer.ok).toBe(false);
    expect(second.answer.error).toMatchObject({
      code: ErrorCode.JOIN_ROOM_FAILED,
      extraCode: ProtocolErrorCode.NODE_OVERLOADED,
      redirect: b.server.cluster!.signalUrl,
    });
    // The lighter node takes it, and the room is the same one.
    const there = await join(b, 'pete');
    expect(there.answer.data?.participants).toEqual([expect.objectContaining({ userId: 'olga' })]);
  });
});

describe('limits across nodes', () => {
  it('joins racing on two nodes never pass the member limit together; a leave frees a seat', async () => {
    const limits = { PARLEY_MAX_MEMBERS_PER_ROOM: '3' };
    const [a, b] = [await node('node-a', limits), await node('node-b', limits)];
    await until(() => a.server.cluster!.signalUrls().length === 2, 'both nodes see each other');
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
    // All six at once, alternating nodes: each node alone would admit three.
    const joins = await Promise.all(users.map((u, i) => join(i % 2 === 0 ? a : b, u)));
    const admitted = joins.filter((j) => j.answer.ok);
    const refused = joins.filter((j) => !j.answer.ok);
    expect(admitted).toHaveLength(3);
    for (const { answer } of refused) {
      expect(answer.error).toMatchObject({
        code: ErrorCode.JOIN_ROOM_FAILED,
        extraCode: ROOM_LIMIT_REACHED,
      });
      expect(answer.error?.message).toContain('PARLEY_MAX_MEMBERS_PER_ROOM');
    }
    // Each node counts the whole room: three members, wherever they are.
    await until(
      () =>
        [a, b].every(
          (n) =>
            n.server.rooms.get(n.sdkAppId, { kind: 'number', id: 4242 })?.participants.size === 3,
        ),
      'both nodes see the three members',
    );
    // One leaves; the seat is free again for a refused user, on either node.
    expect((await admitted[0]!.client.request('leave', {})).ok).toBe(true);
    const retry = refused[0]!;
    const index = joins.indexOf(retry);
    const again = await join(index % 2 === 0 ? b : a, users[index]!);
    expect(again.answer.ok).toBe(true);
  });
});

describe('members of dead nodes', () => {
  it('reaps the members of a node incarnation nobody saw die, after the grace period', async () => {
    // A node that died before any live node knew it left its member in Redis.
    const admin = new Redis(redis.port, '127.0.0.1');
    const record = {
      state: {
        userId: 'ghost',
        node: 'gone-node',
        epoch: 1,
        role: 'anchor',
        mode: 'rtc',
        privilege: 0xff,
        autoSubscribe: false,
        sessionId: 's',
        streams: [],
        subscriptions: [],
        videoTypes: [],
      },
      sdkAppId: 1400000001,
      room: { kind: 'number', id: 4242 },
      tokenHash: 'x',
      nodeStartedAt: 123,
      joinedAt: 0,
      clientIp: '',
      sdkVersion: '',
    };
    await admin.hset('parley:members:1400000001/n/4242', 'ghost', JSON.stringify(record));
    await admin.sadd('parley:node-rooms:gone-node@123', '1400000001/n/4242');
    admin.disconnect();
    const a = await node('node-a', { PARLEY_SESSION_TIMEOUT_MS: '1000' });
    const nina = await join(a, 'nina');
    expect(nina.answer.data?.participants).toEqual([
      { userId: 'ghost', role: 'anchor', streams: [] },
    ]);
    // Nina's client stays alive as the SDK's would (a 1 s session timeout drops a silent one).
    const pings = setInterval(
      () => void nina.client.request('ping', {}).catch(() => undefined),
      250,
    );
    const leave = await nina.client
      .waitFor((f) => f.method === 'peer-leave', 10_000)
      .finally(() => clearInterval(pings));
    expect(leave.data).toEqual({ userId: 'ghost', reason: 'timeout' });
  }, 15_000);
});

describe('bans', () => {
  it('a ban made on one node refuses the user on every node, and is lifted everywhere', async () => {
    const [a, b] = [await node('node-a'), await node('node-b')];
    const room = { kind: 'number', id: 4242 } as const;
    a.server.ops.bans.add({
      sdkAppId: a.sdkAppId,
      room,
      userId: 'mallory',
      until: Date.now() + 60_000,
      reason: 'spam',
      by: 'test',
    });
    await until(
      () => !!b.server.ops.bans.find(b.sdkAppId, room, 'mallory'),
      'node b learns the ban',
    );
    const refused = await join(b, 'mallory');
    expect(refused.answer.ok).toBe(false);
    expect(refused.answer.error?.code).toBe(ErrorCode.JOIN_ROOM_FAILED);
    expect(refused.answer.error?.message).toContain('spam');
    // A node started later reads it from Redis.
    const c = await node('node-c');
    await until(
      () => !!c.server.ops.bans.find(c.sdkAppId, room, 'mallory'),
      'node c reads the ban',
    );
    b.server.ops.bans.remove(b.sdkAppId, room, 'mallory');
    await until(() => !a.server.ops.bans.find(a.sdkAppId, room, 'mallory'), 'lifted on node a');
    expect((await join(a, 'mallory')).answer.ok).toBe(true);
  });
});

describe('a node restarted under the same id', () => {
  it('resumes the sessions its previous run held', async () => {
    const first = await node('node-a');
    const b = await node('node-b');
    const sara = await join(first, 'sara');
    const ted = await join(b, 'ted');
    const token = sara.answer.data?.resumeToken as string;
    // The process dies (its Redis connections close) and a new one starts with the same id.
    servers.splice(servers.indexOf(first), 1);
    await first.server.cluster!.redis.close();
    sara.client.close();
    await first.close().catch(() => undefined);
    const again = await node('node-a');
    const resumed = await TestClient.open(again.origin);
    clients.push(resumed);
    const answer = await resumed.request('resume', { protocolVersion: 1, resumeToken: token });
    expect(answer.ok).toBe(true);
    expect(answer.data?.participants).toEqual([{ userId: 'ted', role: 'anchor', streams: [] }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(ted.client.notifications('peer-leave')).toEqual([]);
  });
});

describe('two live processes under one node id', () => {
  it('the earlier one leaves the cluster: its clients resume on the later one, nobody sees a leave', async () => {
    const old = await node('node-a');
    const b = await node('node-b');
    const sara = await join(old, 'sara');
    const ted = await join(b, 'ted');
    const token = sara.answer.data?.resumeToken as string;
    // A second process given the same PARLEY_NODE_ID while the first still runs (e.g. a
    // replacement started while the first was frozen).
    const later = await node('node-a');
    await until(() => old.server.cluster!.steppedDown !== null, 'the earlier process steps down');
    expect(old.server.cluster!.steppedDown).toContain('PARLEY_NODE_ID must be unique');
    // Its client is let go (moved), and resumes on the later process.
    expect(await sara.client.waitClosed()).toBe(4042);
    const resumed = await TestClient.open(later.origin);
    clients.push(resumed);
    const answer = await resumed.request('resume', { protocolVersion: 1, resumeToken: token });
    expect(answer.ok).toBe(true);
    // The earlier process refuses what the SDK would try there, with the reason, and says so.
    const retry = await TestClient.open(old.origin);
    clients.push(retry);
    const refused = await retry.request('resume', { protocolVersion: 1, resumeToken: token });
    expect(refused.error).toMatchObject({ extraCode: ProtocolErrorCode.CLUSTER_UNAVAILABLE });
    expect(refused.error?.message).toContain('has left the cluster');
    const join2 = await join(old, 'uma');
    expect(join2.answer.error).toMatchObject({
      code: ErrorCode.JOIN_ROOM_FAILED,
      extraCode: ProtocolErrorCode.CLUSTER_UNAVAILABLE,
    });
    const health = await fetch(`http://${old.origin}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'out-of-service' });
    // The later process keeps its heartbeat: the others still see node-a alive, once.
    await new Promise((r) => setTimeout(r, 2500));
    expect(b.server.cluster!.signalUrls()).toEqual([
      b.server.cluster!.signalUrl,
      later.server.cluster!.signalUrl,
    ]);
    expect(ted.client.notifications('peer-leave')).toEqual([]);
  });
});

describe('dev mode', () => {
  it('puts its dev credentials back into a Redis that restarted empty', async () => {
    const dev = await node('node-dev', { PARLEY_SDK_APP_ID: '', PARLEY_SECRET_KEY: '' });
    expect(dev.server.cluster).not.toBeNull();
    await redis.restart();
    await until(() => dev.server.cluster!.redis.up, 'redis back', 10_000);
    const admin = new Redis(redis.port, '127.0.0.1');
    let shared: string | null = null;
    for (let i = 0; i < 50 && shared === null; i++) {
      shared = await admin.get('parley:dev-credentials');
      if (shared === null) await new Promise((r) => setTimeout(r, 100));
    }
    admin.disconnect();
    expect(JSON.parse(shared ?? 'null')).toMatchObject({ sdkAppId: dev.sdkAppId });
  });
});

describe('Redis faults', () => {
  it('refuses joins with a clear error while Redis is down; calls go on; then joins again', async () => {
    const a = await node('node-a');
    const jack = await join(a, 'jack');
    expect(jack.answer.ok).toBe(true);
    await redis.kill();
    await until(() => !a.server.cluster!.redis.up, 'redis seen down');
    const refused = await join(a, 'kate');
    expect(refused.answer.ok).toBe(false);
    expect(refused.answer.error).toMatchObject({
      code: ErrorCode.JOIN_ROOM_FAILED,
      extraCode: ProtocolErrorCode.CLUSTER_UNAVAILABLE,
    });
    expect(refused.answer.error?.message).toContain('Redis');
    // The call in progress goes on.
    expect((await jack.client.request('ping', {})).ok).toBe(true);
    await redis.restart();
    await until(() => a.server.cluster!.redis.up, 'redis back', 10_000);
    const later = await join(a, 'kate');
    expect(later.answer.ok).toBe(true);
    expect(later.answer.data?.participants).toEqual([
      { userId: 'jack', role: 'anchor', streams: [] },
    ]);
  });
});
