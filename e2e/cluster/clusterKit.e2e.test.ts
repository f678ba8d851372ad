/**
 * The cluster kit itself: Redis and two nodes as separate processes, each node healthy on its
 * own ports; a page that loads the SDK from a node joins and gets media there, on that node's
 * media ports; freeze/thaw stop and resume a node; kill() ends its whole process tree (its
 * mediasoup worker too); a node restarts on its port; Redis restarts on its port, empty.
 * (It checks no cluster behaviour: see the cluster tests for that.)
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { randomRoomId, receivingFrom, waitFor } from '../harness.js';
import { commandLine, isAlive } from './clusterKit.js';
import { openNodePage, useCluster } from './clusterTest.js';

const env = useCluster({ nodes: 2 });

/** Remote ports of the selected ICE pairs of the page's connected peer connections. */
async function mediaPorts(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const w = window as unknown as { __pcs: RTCPeerConnection[] };
    const ports: number[] = [];
    for (const pc of w.__pcs) {
      if (pc.connectionState !== 'connected') continue;
      const report = await pc.getStats();
      report.forEach((s: Record<string, unknown>) => {
        if (s.type !== 'transport' || typeof s.selectedCandidatePairId !== 'string') return;
        const pair = report.get(s.selectedCandidatePairId) as { remoteCandidateId: string };
        ports.push((report.get(pair.remoteCandidateId) as { port: number }).port);
      });
    }
    return ports;
  });
}

describe('cluster kit', () => {
  it('starts Redis and two nodes, each healthy on its own ports with a mediasoup worker', async () => {
    const { redis, nodes } = env;
    expect(await redis.ping()).toBe(true);
    const client = redis.client();
    try {
      await client.set('kit', 'ok');
      expect(await client.get('kit')).toBe('ok');
    } finally {
      client.disconnect();
    }
    expect(nodes.map((n) => n.id)).toEqual(['node-1', 'node-2']);
    expect(new Set(nodes.map((n) => n.port)).size).toBe(2);
    const [a, b] = nodes.map((n) => n.rtcPorts);
    expect(a![1] < b![0] || b![1] < a![0], `disjoint media ranges ${a} ${b}`).toBe(true);
    for (const node of nodes) {
      expect(await node.health()).toBe(200);
      const [main, ...workers] = node.pids();
      expect(main).toBe(node.pid);
      expect(workers.map(commandLine).join('\n')).toMatch(/mediasoup-worker/);
    }
  });

  it('a page loads the SDK from a node, signals to it and gets media on its ports', async () => {
    const node = env.nodes[1]!;
    const roomId = randomRoomId();
    const alice = await openNodePage(env.browser, node, 'alice', roomId);
    const bob = await openNodePage(env.browser, node, 'bob', roomId);
    await receivingFrom(alice, ['bob']);
    await receivingFrom(bob, ['alice']);
    const sockets = await alice.evaluate(() =>
      (window as unknown as { __sockets: WebSocket[] }).__sockets.map((s) => s.url),
    );
    expect(sockets).toContain(node.signalUrl);
    const ports = await mediaPorts(alice);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(node.rtcPorts[0]);
      expect(port).toBeLessThanOrEqual(node.rtcPorts[1]);
    }
  });

  it('freeze() stops a node answering and thaw() resumes it', async () => {
    const node = env.nodes[0]!;
    node.freeze();
    try {
      expect(await node.health(500)).toBeNull();
      expect(node.pids().every(isAlive)).toBe(true);
    } finally {
      node.thaw();
    }
    await waitFor('/healthz after thaw', async () => (await node.health(500)) === 200, 5000);
  });

  it('kill() ends the node and its worker; restart() brings it back on its port', async () => {
    const node = env.nodes[0]!;
    const tree = node.pids();
    expect(tree.length).toBeGreaterThanOrEqual(2);
    const killedAt = Date.now();
    await node.kill();
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(tree.filter(isAlive)).toEqual([]);
    expect(node.running()).toBe(false);
    expect(await node.health(500)).toBeNull();
    // The other node is untouched.
    expect(await env.nodes[1]!.health()).toBe(200);

    await node.restart();
    expect(node.pid).not.toBe(tree[0]);
    expect(await node.health()).toBe(200);
    expect(node.pids().length).toBeGreaterThanOrEqual(2);
  });

  it('Redis restarts on the same port, empty (no persistence)', async () => {
    const { redis } = env;
    const before = redis.pid;
    const client = redis.client();
    try {
      await client.set('survives', 'no');
      await redis.restart();
      expect(redis.pid).not.toBe(before);
      expect(isAlive(before)).toBe(false);
      expect(await redis.ping()).toBe(true);
      // ioredis reconnects to the same port by itself.
      expect(await client.get('survives')).toBeNull();
    } finally {
      client.disconnect();
    }
  });

  it('stop() shuts a node down gracefully, its whole tree', async () => {
    const node = env.nodes[1]!;
    const tree = node.pids();
    await node.stop();
    expect(tree.filter(isAlive)).toEqual([]);
    expect(node.logTail()).toMatch(/shutting down/);
  });
});
