/**
 * A Parley cluster as users meet it: Redis and three nodes as separate processes, real
 * Chromium pages that each load the SDK from one node and join there (the TRTC v4 guide's
 * code: join, publish camera and microphone, subscribe to everyone), given nothing else.
 *
 * Shown here: one room across the nodes with every page decoding every other's video and
 * hearing its audio; one relay per node pair whatever the number of viewers; a node SIGKILLed
 * or frozen mid-call (its pages resume on another node by themselves, everyone decodes them
 * again within 5 s, nobody sees a leave); one session per userId across nodes; RemoveUser sent
 * to one node for a user on another; each callback once for the cluster; Redis restarted
 * mid-call (calls go on, a new viewer joins).
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
// Tencent's TRTC client alone (the whole SDK takes seconds to load).
import { trtc } from 'tencentcloud-sdk-nodejs/tencentcloud/services/trtc/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  events,
  expectFlowing,
  newPage,
  randomRoomId,
  receivingFrom,
  remoteMedia,
  sleep,
  waitFor,
} from '../harness.js';
import { CLUSTER_API, CLUSTER_SDK_APP_ID, freePort, type NodeUnderTest } from './clusterKit.js';
import { openJoined } from '../compat/compatPage.js';
import { hasSmall, publish720p, setRemoteVideoType } from '../compat/dualStream.js';
import { videoRate } from '../mediaStats.js';
import { appOriginFor, openNodePage, useCluster } from './clusterTest.js';

const CALLBACK_KEY = 'clusterCallbackKey01';
const callbackPort = await freePort();
const received: Array<{ EventType: number; EventInfo: Record<string, unknown> }> = [];
const receiver: Server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const sign = createHmac('sha256', CALLBACK_KEY).update(raw).digest('base64');
    if (req.headers.sign === sign) {
      const body = JSON.parse(raw) as { EventType: number; EventInfo: Record<string, unknown> };
      received.push(body);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code":0}');
  });
});
await new Promise<void>((resolve) => receiver.listen(callbackPort, '127.0.0.1', resolve));
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const env = useCluster({
  nodes: 3,
  env: {
    PARLEY_CALLBACK_URL: `http://127.0.0.1:${callbackPort}/trtc-callback`,
    PARLEY_CALLBACK_KEY: CALLBACK_KEY,
    // The grace period a dropped client has to come back, as in production (9 s default).
    PARLEY_SESSION_TIMEOUT_MS: '9000',
  },
});

const metricValue = async (node: NodeUnderTest, name: string, labels: string): Promise<number> => {
  const text = await (await fetch(`${node.origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
};

/**
 * Resolves with ms since `since` at which `page` decoded video frames from `user` steadily and
 * heard its audio again: two samples 300 ms apart with ≥ 4 new frames and new audio energy.
 */
async function decodingAgain(page: Page, user: string, since: number, timeoutMs = 15_000) {
  const deadline = since + timeoutMs;
  while (Date.now() < deadline) {
    const at = Date.now();
    const before = (await remoteMedia(page)).find((m) => m.userId === user);
    await sleep(300);
    const after = (await remoteMedia(page)).find((m) => m.userId === user);
    if (
      before &&
      after &&
      after.frameWidth > 0 &&
      after.framesDecoded - before.framesDecoded >= 4 &&
      after.audioEnergy > before.audioEnergy
    ) {
      return at - since;
    }
  }
  throw new Error(`${user} not decoded again within ${timeoutMs} ms`);
}

const leavesOf = async (page: Page, user: string) =>
  (await events(page)).filter(
    (e) => (e.name === 'peer-leave' || e.name === 'stream-removed') && e.userId === user,
  );

async function openAll(spec: Array<[number, string]>, roomId: number): Promise<Page[]> {
  const pages: Page[] = [];
  for (const [node, user] of spec) {
    pages.push(await openNodePage(env.browser, env.nodes[node]!, user, roomId));
  }
  return pages;
}

describe('a room across three nodes', () => {
  it('every page decodes every other, with one relay per node pair', async () => {
    const roomId = randomRoomId();
    const [alice, bob, carol, dave] = await openAll(
      [
        [0, 'alice'],
        [1, 'bob'],
        [1, 'carol'],
        [2, 'dave'],
      ],
      roomId,
    );
    // Every page decodes every other (four pages encoding and decoding on two cores: the
    // steady-flow check is made for the publisher on another node, from both other nodes).
    await receivingFrom(alice!, ['bob', 'carol', 'dave']);
    await receivingFrom(carol!, ['alice', 'bob', 'dave']);
    await expectFlowing(bob!, ['alice', 'carol', 'dave']);
    await expectFlowing(dave!, ['alice', 'bob', 'carol']);
    // Node 1 has two viewers of alice (node 0) and of dave (node 2): one pipe from each.
    const [n0, n1, n2] = env.nodes as [NodeUnderTest, NodeUnderTest, NodeUnderTest];
    expect(await metricValue(n1, 'parley_relays', `peer="${n0.id}",direction="in"`)).toBe(1);
    expect(await metricValue(n1, 'parley_relays', `peer="${n2.id}",direction="in"`)).toBe(1);
    expect(await metricValue(n0, 'parley_relays', `peer="${n1.id}",direction="out"`)).toBe(1);
    const relayed = await metricValue(
      n1,
      'parley_relay_bitrate_bits_per_second',
      `peer="${n0.id}",direction="in"`,
    );
    console.log(`[cluster] alice's relay into ${n1.id}: ${(relayed / 1000).toFixed(0)} kbit/s`);
    expect(relayed).toBeGreaterThan(100_000);
    // The admin console of any node lists every node with its load and rooms.
    const auth = `Basic ${Buffer.from(`${CLUSTER_API.secretId}:${CLUSTER_API.secretKey}`).toString('base64')}`;
    const state = (await (
      await fetch(`${n1.origin}/admin/api/state`, { headers: { authorization: auth } })
    ).json()) as {
      nodes: Array<{
        id: string;
        self: boolean;
        rooms: number;
        participants: number;
        relaysIn: number;
        load: number;
      }>;
    };
    expect(state.nodes.map((n) => n.id).sort()).toEqual([n0.id, n1.id, n2.id].sort());
    const self = state.nodes.find((n) => n.self)!;
    expect(self).toMatchObject({ id: n1.id, rooms: 1, participants: 2 });
    expect(self.load).toBeGreaterThan(0);
    expect(state.nodes.find((n) => n.id === n0.id)).toMatchObject({ participants: 1, relaysIn: 1 });
  });
});

describe('dual stream across a relay', () => {
  it('a viewer on another node gets the big picture, the small one when it asks, and back', async () => {
    const roomId = randomRoomId();
    const [n0, n1] = env.nodes as [NodeUnderTest, NodeUnderTest];
    const viewer = await openJoined(env.browser, await appOriginFor(n1), n1, {
      userId: 'viewer',
      roomId,
    });
    const publisher = await openJoined(env.browser, await appOriginFor(n0), n0, {
      userId: 'cam',
      roomId,
    });
    await publish720p(publisher, 'cam', true);
    expect(await waitFor('hasSmall on the other node', () => hasSmall(viewer, 'cam'))).toBe(true);
    // Every simulcast layer crosses the relay; each viewer's layer is chosen on its own node.
    const widthUntil = async (what: string, ok: (width: number) => boolean) => {
      const started = Date.now();
      let last = 0;
      while (Date.now() - started < 20_000) {
        const rate = await videoRate(viewer, 'received', 1000);
        last = rate.frameWidth;
        if (rate.fps > 0 && ok(last)) return { width: last, afterMs: Date.now() - started };
      }
      throw new Error(`${what} not reached; last frame width ${last}`);
    };
    const big = await widthUntil('the big picture', (w) => w >= 640);
    await setRemoteVideoType(viewer, 'cam', 'small');
    const small = await widthUntil('the small picture', (w) => w > 0 && w < big.width / 2);
    await setRemoteVideoType(viewer, 'cam', 'big');
    const back = await widthUntil('the big picture again', (w) => w >= 640);
    console.log(
      `[cluster] dual stream over a relay: big ${big.width} px, small ${small.width} px after ${small.afterMs} ms, big ${back.width} px again after ${back.afterMs} ms`,
    );
  });
});

describe('a node lost mid-call', () => {
  for (const how of ['SIGKILL', 'SIGSTOP'] as const) {
    it(`${how} of the publisher's node: its page resumes elsewhere, all decode again, nobody sees a leave`, async () => {
      const roomId = randomRoomId();
      const [alice, bob, carol] = await openAll(
        [
          [0, 'alice'],
          [1, 'bob'],
          [2, 'carol'],
        ],
        roomId,
      );
      await receivingFrom(bob!, ['alice', 'carol']);
      await receivingFrom(carol!, ['alice', 'bob']);
      await receivingFrom(alice!, ['bob', 'carol']);
      const node = env.nodes[0]!;
      const since = Date.now();
      if (how === 'SIGKILL') await node.kill();
      else await node.freeze();
      try {
        const figures = await Promise.all([
          decodingAgain(bob!, 'alice', since),
          decodingAgain(carol!, 'alice', since),
          decodingAgain(alice!, 'bob', since),
          decodingAgain(alice!, 'carol', since),
        ]);
        console.log(
          `[cluster] ${how} of ${node.id}: alice decoded again by bob ${figures[0]} ms, by carol ${figures[1]} ms; alice decodes bob ${figures[2]} ms, carol ${figures[3]} ms`,
        );
        for (const ms of figures) expect(ms).toBeLessThan(5000);
        await expectFlowing(bob!, ['alice', 'carol']);
        await expectFlowing(alice!, ['bob', 'carol']);
        // Nobody saw alice (or anyone) leave, and alice's page saw nobody leave.
        for (const page of [bob!, carol!]) expect(await leavesOf(page, 'alice')).toEqual([]);
        expect(await leavesOf(alice!, 'bob')).toEqual([]);
        expect(await leavesOf(alice!, 'carol')).toEqual([]);
      } finally {
        if (how === 'SIGSTOP') await node.thaw();
        // A node comes back as a new incarnation; later tests use all three again.
        await node.kill();
        await node.restart();
      }
    });
  }
});

describe('operations across nodes', () => {
  it('keeps one session when the same userId joins on two nodes at once', async () => {
    const roomId = randomRoomId();
    const [witness] = await openAll([[0, 'witness']], roomId);
    // Both run the guide's code at once; the session that loses is removed (its start() may
    // fail in publish(), as an app's would), the other lives on.
    const pages = await Promise.all(
      [1, 2].map(async (n) => {
        const { page } = await newPage(env.browser);
        const query = new URLSearchParams({
          sdkAppId: String(env.nodes[n]!.sdkAppId),
          userId: 'erin',
          userSig: env.nodes[n]!.userSig('erin'),
          roomId: String(roomId),
        });
        if (process.env.CLUSTER_DEBUG) {
          page.on('console', (m) => console.log(`[erin@${env.nodes[n]!.id}] ${m.text()}`));
        }
        await page.goto(`${await appOriginFor(env.nodes[n]!)}/guide.html?${query}`);
        return page;
      }),
    );
    await Promise.allSettled(
      pages.map((p) => p.evaluate(() => (window as unknown as { start(): Promise<void> }).start())),
    );
    const states = await waitFor('one erin session left', async () => {
      // The state each page's client last reported (connection-state-changed).
      const joined = await Promise.all(
        pages.map(async (p) => {
          const states = (await events(p)).filter((e) => e.name === 'connection-state-changed');
          return states.at(-1)?.state ?? 'none';
        }),
      );
      return joined.filter((s) => s === 'CONNECTED').length === 1 ? joined : null;
    });
    expect([...states].sort()).toEqual(['CONNECTED', 'DISCONNECTED']);
    const survivor = pages[states.indexOf('CONNECTED')]!;
    await receivingFrom(witness!, ['erin']);
    await receivingFrom(survivor, ['witness']);
  });

  it('RemoveUser sent to one node removes a user held by another', async () => {
    const roomId = randomRoomId();
    const [frank] = await openAll(
      [
        [1, 'frank'],
        [0, 'gina'],
      ],
      roomId,
    );
    await frank!.evaluate(() => {
      const w = window as unknown as {
        client: { on(e: string, f: (e: { reason: string }) => void): void };
        __banned?: string;
      };
      w.client.on('client-banned', (e) => (w.__banned = e.reason));
    });
    const api = new trtc.v20190722.Client({
      credential: CLUSTER_API,
      region: 'ap-guangzhou',
      profile: {
        httpProfile: {
          endpoint: env.nodes[2]!.origin.replace(/^https?:\/\//, ''),
          protocol: 'http:',
        },
      },
    });
    await api.RemoveUser({ SdkAppId: CLUSTER_SDK_APP_ID, RoomId: roomId, UserIds: ['frank'] });
    const reason = await waitFor('frank removed', () =>
      frank!.evaluate(() => (window as unknown as { __banned?: string }).__banned),
    );
    expect(reason).toBe('kick');
  });

  it('delivers each callback event once for the cluster', async () => {
    const roomId = randomRoomId();
    const mine = () => received.filter((e) => Number(e.EventInfo.RoomId) === roomId);
    const [hank, iris] = await openAll(
      [
        [0, 'hank'],
        [2, 'iris'],
      ],
      roomId,
    );
    await receivingFrom(hank!, ['iris']);
    await receivingFrom(iris!, ['hank']);
    await iris!.evaluate(() =>
      (window as unknown as { client: { leave(): Promise<void> } }).client.leave(),
    );
    await hank!.evaluate(() =>
      (window as unknown as { client: { leave(): Promise<void> } }).client.leave(),
    );
    // 101 room created, 102 room dismissed, 103 enter, 104 exit (Tencent's room event group).
    await waitFor('the room ended callback', async () => mine().some((e) => e.EventType === 102));
    await sleep(1500); // a duplicate would come from another node's queue within this
    const seen = mine().map((e) => `${e.EventType}:${String(e.EventInfo.UserId ?? '')}`);
    const counts = new Map<string, number>();
    for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
    console.log(`[cluster] callbacks for room ${roomId}: ${seen.join(' ')}`);
    for (const [key, count] of counts) expect(count, `callback ${key}`).toBe(1);
    for (const key of ['101:', '103:hank', '103:iris', '104:hank', '104:iris', '102:']) {
      expect(counts.has(key), `callback ${key}`).toBe(true);
    }
    // In order for the room: created first, dismissed last.
    expect(seen[0]).toBe('101:');
    expect(seen.at(-1)).toBe('102:');
  });

  it('Redis restarted mid-call: calls go on and a new viewer still joins', async () => {
    const roomId = randomRoomId();
    const [jack, kate] = await openAll(
      [
        [0, 'jack'],
        [1, 'kate'],
      ],
      roomId,
    );
    await receivingFrom(kate!, ['jack']);
    await env.redis.restart();
    await expectFlowing(kate!, ['jack']);
    await expectFlowing(jack!, ['kate']);
    const late = await waitFor(
      'a join after the restart',
      async () => {
        try {
          return await openNodePage(env.browser, env.nodes[2]!, 'liam', roomId);
        } catch {
          return null;
        }
      },
      20_000,
    );
    await expectFlowing(late, ['jack', 'kate']);
  });
});
