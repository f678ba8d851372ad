/**
 * `cluster`: Parley's cluster mode on this machine. One publisher (the bench's Opus + 720p VP8,
 * werift, as in `forwarding`) on node A; the same numbers of receive-only viewers on one node,
 * then spread evenly over three nodes (A, B, C: separate processes in the servers' namespace,
 * one mediasoup worker each, one Redis started here). Per node: CPU of its process tree (the
 * Node process and its mediasoup worker, from /proc, to the ns), packets forwarded to its
 * viewers, loss and added latency at them, its relays and their bitrates (its /metrics). Then
 * the relay's own cost (a phase with one viewer on B and one on C, nobody on A), and a viewer's
 * join → first painted frame in Chromium through the publisher's node, through another node
 * whose relay is already up, and through a node that has to make the relay for it.
 */
import { cpus } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { appOrigin, launchChromium, parleyJoins, probePage, startGuidePublisher } from './join.js';
import { joinParticipant, type Participant, type Target } from './lib/clients.js';
import { loadMedia } from './lib/media.js';
import { MediaPump } from './lib/peer.js';
import { machineTicks, nowUs, percentile, processRunNs, sleep, treeRun } from './lib/proc.js';
import { fmt, table } from './lib/report.js';
import {
  lastLog,
  PARLEY_APP_ID,
  PARLEY_KEY,
  startParley,
  startRedis,
  type RedisInServerNs,
  type ServerUnderTest,
} from './lib/servers.js';
import { ClientWorker } from './lib/workers.js';
import type { ReceiverReport } from './lib/worker.js';

export interface ClusterOptions {
  /** Total viewers at each step, spread evenly over the nodes. */
  steps: number[];
  settleMs: number;
  windowMs: number;
  /** Window of the publisher-only and relay-only phases (small costs: a longer look). */
  quietWindowMs: number;
  /** Chromium joins per path (publisher's node, other node warm, other node cold). */
  joins: number;
  /** Rooms of the relay phase: a publisher on A and a member on B and C in each. */
  relayRooms: number;
  workers: number;
}

export const DEFAULT_CLUSTER: ClusterOptions = {
  steps: [30, 60, 90],
  settleMs: 3000,
  windowMs: 6000,
  quietWindowMs: 10_000,
  joins: 10,
  relayRooms: 8,
  workers: 2,
};

const LABELS = ['A', 'B', 'C'] as const;
type Label = (typeof LABELS)[number];
const BASE_PORT = 18180;
const RELAYS_ONLY = 'B, C: a member subscribed to nothing';
const FIRST_VIEWERS = 'relays + 1 viewer on B and C';
const STEP = /^\d+ viewers$/;
const REDIS_PORT = 16379;

interface Node {
  label: Label;
  id: string;
  server: ServerUnderTest;
}

export interface NodeWindow {
  node: Label;
  viewers: number;
  /** The node's process tree (Node + its mediasoup worker), cores. */
  cores: number;
  nodeProcessCores: number;
  workerCores: number;
  /** Media packets its viewers received, per second. */
  forwardedPerSecond: number;
  /** Tree CPU per packet forwarded to its viewers, µs (relays included in the CPU). */
  cpuUsPerPacket: number;
  lost: number;
  lossPercent: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencySamples: number;
  /** From its /metrics: relays (pipes) to / from other nodes, and their bitrates. */
  relaysOut: number;
  relaysIn: number;
  relayOutKbps: number;
  relayInKbps: number;
  relaysByPeer: Record<string, { out: number; in: number; outKbps: number; inKbps: number }>;
  rssMb: number;
}

export interface ClusterWindow {
  phase: string;
  viewers: number;
  seconds: number;
  /** Packets per second the publisher sent (audio + video). */
  publishedPerSecond: number;
  publisherState: string;
  nodes: NodeWindow[];
  serverCores: number;
  redisCores: number;
  clientCores: number;
  machineBusyPercent: number;
  otherCores: number;
  forwardedPerSecond: number;
  /** Σ node CPU / Σ packets forwarded to viewers, µs. */
  cpuUsPerPacket: number;
  lost: number;
  lossPercent: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  joinFailures: number;
}

export interface ClusterRun {
  nodes: number;
  windows: ClusterWindow[];
  /** Relays each node reports once every viewer has left (the publisher still on A). */
  relaysAfterViewersLeft: Record<string, { out: number; in: number }>;
}

export interface RelayCost {
  pair: string;
  /** Relays of this pair in the relay phase (one per room). */
  relays: number;
  /** Bitrate of one relay, from the sender's /metrics, kbit/s. */
  bitrateKbps: number;
  /** The receiver's view of it (its /metrics), kbit/s. */
  receivedKbps: number;
  /** Packets per second through one relay (= its publisher's). */
  packetsPerSecond: number;
  /** Sender (A) CPU per relayed packet, µs. */
  senderUsPerPacket: number;
  /** Receiver CPU per relayed packet (its viewers' cost taken out), µs. */
  receiverUsPerPacket: number;
  /** Sender + receiver, cores per relay. */
  coresPerRelay: number;
  /** What one viewer of the relayed stream costs the receiving node, µs per packet to it. */
  viewerUsPerPacket: number;
}

export interface JoinPath {
  path: string;
  node: Label;
  timesMs: number[];
  failed: number;
  p50Ms: number;
  p95Ms: number;
  /** p50 of each milestone after join() (joined, stream-added, subscribed, painted), ms. */
  milestonesP50Ms: Record<string, number>;
}

const MILESTONES = ['joined', 'added', 'subscribed', 'painted', 'playing'] as const;

export interface ClusterResult {
  date: string;
  options: ClusterOptions;
  mediaKbps: number;
  runs: ClusterRun[];
  /** Per node of the 3-node run: CPU per packet to one more viewer (slope over the steps), µs. */
  viewerUsPerPacket: Record<string, number>;
  /** The same on the single node. */
  singleNodeViewerUsPerPacket: number;
  relays: RelayCost[];
  /** The relay phase's raw figures. */
  relayPhase: RelayPhase | undefined;
  /** A relay's CPU (both ends) in viewers' worth of CPU (a viewer's marginal cost, 1 node). */
  relayInViewers: number;
  /** Per step: 3-node / 1-node ratios. */
  comparison: Array<{
    viewers: number;
    serverCores: [number, number];
    cpuUsPerPacket: [number, number];
    lossPercent: [number, number];
    latencyP50Ms: [number, number];
    latencyP99Ms: [number, number];
  }>;
  /** Added latency of one relay hop: mean of B's and C's viewers' p50 (p99) − A's, per step, ms. */
  hopLatencyMs: Array<{ viewers: number; p50: number; p99: number }>;
  joins: JoinPath[];
  notes: string[];
}

export async function cluster(
  options: ClusterOptions = DEFAULT_CLUSTER,
  mediaKbps = 0,
): Promise<ClusterResult> {
  const notes: string[] = [];
  const runs: ClusterRun[] = [];
  let joins: JoinPath[] = [];
  let relayPhase: RelayPhase | undefined;
  for (const n of [1, 3]) {
    const redis = await startRedis(REDIS_PORT);
    const nodes: Node[] = [];
    try {
      for (let i = 0; i < n; i++) nodes.push(await startNode(n, i, redis));
      // Every node sees every other before clients come.
      await sleep(1500);
      const run = await loadRun(nodes, redis, options, notes);
      runs.push(run);
      if (n === 3) {
        relayPhase = await relayRooms(nodes, options, notes);
        joins = await joinPaths(nodes, options.joins, notes);
      }
    } finally {
      for (const node of nodes.reverse()) await node.server.stop();
      await redis.stop();
    }
  }
  return analyse(options, mediaKbps, runs, relayPhase, joins, notes);
}

async function startNode(n: number, i: number, redis: RedisInServerNs): Promise<Node> {
  const label = LABELS[i]!;
  const id = `bench${n}-${label.toLowerCase()}`;
  const minPort = 40_000 + i * 2000;
  const server = await startParley({
    port: BASE_PORT + i,
    logName: `parley-${id}`,
    env: {
      PARLEY_REDIS_URL: redis.url,
      PARLEY_NODE_ID: id,
      PARLEY_RTC_MIN_PORT: String(minPort),
      PARLEY_RTC_MAX_PORT: String(minPort + 1999),
      // One worker per node, on both sides of the comparison: three nodes on two cores.
      PARLEY_WORKERS: '1',
    },
  });
  return { label, id, server };
}

const target = (node: Node, roomId: number): Target => ({
  server: 'Parley',
  url: node.server.url,
  sdkAppId: PARLEY_APP_ID,
  secretKey: PARLEY_KEY,
  roomId,
});

/** The publisher on A, then windows: publisher only, (3 nodes) relays only, then the steps. */
async function loadRun(
  nodes: Node[],
  redis: RedisInServerNs,
  options: ClusterOptions,
  notes: string[],
): Promise<ClusterRun> {
  const roomId = 8000 + Math.floor(Math.random() * 1000);
  const a = nodes[0]!;
  const publisher = await joinParticipant(target(a, roomId), 'publisher', true, false);
  const pump = new MediaPump(true);
  pump.add(publisher.publisher!, 0);
  pump.start(8 * 60_000);
  const workers = Array.from({ length: options.workers }, () => new ClientWorker());
  const windows: ClusterWindow[] = [];
  const onNode = new Map<Label, number>(nodes.map((n) => [n.label, 0]));
  let viewers = 0;
  let joinFailures = 0;
  /** Joins viewers (`v-<node>-<i>`), or members that subscribe to nothing (`m-<node>-<i>`). */
  const addClients = async (byNode: Map<Label, number>, subscribe = true) => {
    const shares = workers.map(() => new Map<Label, string[]>());
    for (const [label, count] of byNode) {
      const have = subscribe ? onNode.get(label)! : 0;
      for (let i = have; i < have + count; i++) {
        const w = shares[i % workers.length]!;
        w.set(label, [...(w.get(label) ?? []), `${subscribe ? 'v' : 'm'}-${label}-${i}`]);
      }
      if (subscribe) {
        onNode.set(label, have + count);
        viewers += count;
      }
    }
    // Each worker joins its share on each node (one node after another).
    const failed = (
      await Promise.all(
        workers.map(async (worker, i) => {
          const out: string[] = [];
          for (const [label, users] of shares[i]!) {
            const node = nodes.find((n) => n.label === label)!;
            const r = await worker.call<'joined'>({
              type: 'join',
              target: target(node, roomId),
              users,
              publish: false,
              subscribe,
              parallel: 4,
            });
            out.push(...r.failed);
          }
          return out;
        }),
      )
    ).flat();
    if (failed.length) console.log(`  ${failed.length} joins failed, e.g. ${failed[0]}`);
    joinFailures += failed.length;
  };
  const ctx = { nodes, redis, workers, pump, publisher };
  try {
    await sleep(2000);
    windows.push(await measure(ctx, 'publisher only', options.quietWindowMs, 0, joinFailures));
    if (nodes.length > 1) {
      const others = new Map(nodes.slice(1).map((n) => [n.label, 1]));
      // A member that subscribes to nothing on B and on C: no relay is due (relays follow
      // viewers); the relays and first viewers come next.
      await addClients(others, false);
      await sleep(options.settleMs);
      windows.push(await measure(ctx, RELAYS_ONLY, options.quietWindowMs, 0, joinFailures));
      await addClients(others);
      await sleep(options.settleMs);
      windows.push(await measure(ctx, FIRST_VIEWERS, options.quietWindowMs, viewers, joinFailures));
    }
    for (const total of options.steps) {
      const per = Math.floor(total / nodes.length);
      const add = new Map<Label, number>();
      nodes.forEach((node, i) => {
        const want = per + (i < total - per * nodes.length ? 1 : 0);
        add.set(node.label, Math.max(0, want - onNode.get(node.label)!));
      });
      await addClients(add);
      await sleep(options.settleMs);
      windows.push(await measure(ctx, `${total} viewers`, options.windowMs, viewers, joinFailures));
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
  // Every viewer has left: B's and C's rooms close, and their relays with them.
  await sleep(3000);
  const relaysAfterViewersLeft: ClusterRun['relaysAfterViewersLeft'] = {};
  for (const node of nodes) {
    const m = await relayMetrics(node);
    relaysAfterViewersLeft[node.label] = { out: m.out, in: m.in };
  }
  const leftover = Object.entries(relaysAfterViewersLeft).filter(([, r]) => r.out + r.in > 0);
  if (leftover.length) {
    notes.push(
      `${nodes.length} nodes: relays still open 3 s after every viewer left: ` +
        leftover.map(([l, r]) => `${l} out ${r.out} in ${r.in}`).join(', '),
    );
  }
  pump.stop();
  await publisher.close().catch(() => undefined);
  printRun(nodes.length, windows);
  return { nodes: nodes.length, windows, relaysAfterViewersLeft };
}

interface MeasureContext {
  nodes: Node[];
  redis: RedisInServerNs;
  workers: ClientWorker[];
  pump: MediaPump;
  publisher: Participant;
}

async function measure(
  ctx: MeasureContext,
  phase: string,
  windowMs: number,
  viewers: number,
  joinFailures: number,
): Promise<ClusterWindow> {
  const { nodes, workers, pump } = ctx;
  await Promise.all(workers.map((w) => w.call<'marked'>({ type: 'mark', sampling: true })));
  const clientPids = [process.pid, ...workers.map((w) => w.pid)];
  const before = nodes.map((n) => treeRun(n.server.pid));
  const redis0 = processRunNs(ctx.redis.pid);
  const clients0 = clientPids.map(processRunNs);
  const m0 = machineTicks();
  const sent0 = pump.packetsSent.audio + pump.packetsSent.video;
  const t0 = nowUs();
  await sleep(windowMs);
  const reports = await Promise.all(workers.map((w) => w.call<'report'>({ type: 'report' })));
  const seconds = (nowUs() - t0) / 1e6;
  const after = nodes.map((n) => treeRun(n.server.pid));
  const redis1 = processRunNs(ctx.redis.pid);
  const clients1 = clientPids.map(processRunNs);
  const m1 = machineTicks();
  const published = pump.packetsSent.audio + pump.packetsSent.video - sent0;
  // Read after the window: a /metrics request costs its node some CPU.
  const relays = await Promise.all(nodes.map(relayMetrics));

  const receivers = reports.flatMap((r) => r.receivers);
  const byNode = new Map<Label, ReceiverReport[]>();
  for (const r of receivers) {
    const label = r.user.split('-')[1] as Label;
    byNode.set(label, [...(byNode.get(label) ?? []), r]);
  }
  const latencies = (list: ReceiverReport[]) => {
    const out: number[] = [];
    for (const r of list) {
      for (let i = 0; i < r.samples.length; i += 2) {
        const sent = pump.sendTime(r.samples[i]!, r.samples[i + 1]!);
        if (sent !== undefined) out.push((r.samples[i + 1]! - sent) / 1000);
      }
    }
    return out;
  };
  const lossOf = (list: ReceiverReport[]) =>
    list.reduce(
      (sum, r) => sum + (r.received === 0 ? published : Math.max(0, r.expected - r.received)),
      0,
    );
  const nodeWindows: NodeWindow[] = nodes.map((node, i) => {
    const list = byNode.get(node.label) ?? [];
    const forwarded = list.reduce((sum, r) => sum + r.received, 0);
    const nodeNs = after[i]!.rootNs - before[i]!.rootNs;
    const workerNs = after[i]!.childrenNs - before[i]!.childrenNs;
    const lost = lossOf(list);
    const lat = latencies(list);
    const m = relays[i]!;
    return {
      node: node.label,
      viewers: list.length,
      cores: (nodeNs + workerNs) / 1e9 / seconds,
      nodeProcessCores: nodeNs / 1e9 / seconds,
      workerCores: workerNs / 1e9 / seconds,
      forwardedPerSecond: forwarded / seconds,
      cpuUsPerPacket: forwarded ? (nodeNs + workerNs) / 1000 / forwarded : NaN,
      lost,
      lossPercent: list.length ? (100 * lost) / Math.max(1, published * list.length) : 0,
      latencyP50Ms: percentile(lat, 50),
      latencyP99Ms: percentile(lat, 99),
      latencySamples: lat.length,
      relaysOut: m.out,
      relaysIn: m.in,
      relayOutKbps: m.outBps / 1000,
      relayInKbps: m.inBps / 1000,
      relaysByPeer: m.byPeer,
      rssMb: after[i]!.rssKb / 1024,
    };
  });
  const serverCores = nodeWindows.reduce((sum, n) => sum + n.cores, 0);
  const redisCores = (redis1 - redis0) / 1e9 / seconds;
  const clientCores = clients1.reduce((sum, c, i) => sum + (c - clients0[i]!), 0) / 1e9 / seconds;
  const machineBusyPercent = (100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total);
  const forwarded = receivers.reduce((sum, r) => sum + r.received, 0);
  const lost = lossOf(receivers) + Math.max(0, viewers - receivers.length) * published;
  const allLat = latencies(receivers);
  const window: ClusterWindow = {
    phase,
    viewers,
    seconds,
    publishedPerSecond: published / seconds,
    publisherState: ctx.publisher.publisherState?.() ?? 'unknown',
    nodes: nodeWindows,
    serverCores,
    redisCores,
    clientCores,
    machineBusyPercent,
    otherCores: Math.max(
      0,
      (machineBusyPercent / 100) * cpus().length - serverCores - redisCores - clientCores,
    ),
    forwardedPerSecond: forwarded / seconds,
    cpuUsPerPacket: forwarded ? (serverCores * seconds * 1e6) / forwarded : NaN,
    lost,
    lossPercent: viewers ? (100 * lost) / Math.max(1, published * viewers) : 0,
    latencyP50Ms: percentile(allLat, 50),
    latencyP99Ms: percentile(allLat, 99),
    joinFailures,
  };
  console.log(
    `  ${nodes.length} node(s), ${phase}: ` +
      nodeWindows
        .map(
          (n) =>
            `${n.node} ${n.viewers} viewers ${fmt(n.cores, 3)} cores ${fmt(n.forwardedPerSecond, 0)} pkt/s ` +
            `loss ${fmt(n.lossPercent, 2)} % lat ${fmt(n.latencyP50Ms, 1)}/${fmt(n.latencyP99Ms, 1)} ms ` +
            `relays out ${n.relaysOut} (${fmt(n.relayOutKbps, 0)} kbit/s) in ${n.relaysIn} (${fmt(n.relayInKbps, 0)} kbit/s)`,
        )
        .join('; ') +
      `; redis ${fmt(redisCores, 3)}, clients ${fmt(clientCores, 2)}, machine ${fmt(machineBusyPercent, 0)} %, ` +
      `other ${fmt(window.otherCores, 2)} cores`,
  );
  return window;
}

interface RelayMetrics {
  out: number;
  in: number;
  outBps: number;
  inBps: number;
  byPeer: NodeWindow['relaysByPeer'];
}

/** parley_relays and parley_relay_bitrate_bits_per_second of a node (its /metrics, no auth). */
async function relayMetrics(node: Node): Promise<RelayMetrics> {
  const out: RelayMetrics = { out: 0, in: 0, outBps: 0, inBps: 0, byPeer: {} };
  let text = '';
  try {
    const res = await fetch(`${node.server.url}/metrics`, { signal: AbortSignal.timeout(3000) });
    text = await res.text();
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^(parley_relays|parley_relay_bitrate_bits_per_second)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    const value = Number(m[3]);
    const peer = (out.byPeer[labels.peer ?? '?'] ??= { out: 0, in: 0, outKbps: 0, inKbps: 0 });
    const dir = labels.direction === 'in' ? 'in' : 'out';
    if (m[1] === 'parley_relays') {
      out[dir] += value;
      peer[dir] += value;
    } else {
      out[dir === 'in' ? 'inBps' : 'outBps'] += value;
      peer[dir === 'in' ? 'inKbps' : 'outKbps'] += value / 1000;
    }
  }
  return out;
}

export interface RelayPhase {
  rooms: number;
  seconds: number;
  /** Packets per second of one publisher (the media loop's rate). */
  publisherPacketsPerSecond: number;
  /**
   * Cores of each node's tree in three windows: publishers on A only; then one viewer per room
   * on B and on C (a relay per room and node pair, and its first viewer); then a second viewer
   * per room on B and C (viewers only: the relays are there already).
   */
  cores: [Record<string, number>, Record<string, number>, Record<string, number>];
  /** Relays (pipes) each node reported in the second window, and their bitrates. */
  relays: Record<string, { out: number; in: number; outKbps: number; inKbps: number }>;
  relaysAfterLeave: Record<string, { out: number; in: number }>;
  /** The whole machine's busy share in each window (its clients and other work included). */
  machineBusyPercent: number[];
  /** Viewers that received nothing in the last window (a relay that did not work). */
  silentViewers: number;
}

/**
 * The relay's cost, big enough to measure: `rooms` rooms, each with a werift publisher of the
 * bench's media on A. Three windows: publishers only; a viewer per room on B and on C (one
 * relay per room and node pair, made for its first viewer); a second viewer per room on B and
 * C. A's extra CPU in the second window is the relays' (it has no viewer); B's and C's is the
 * relays' plus their first viewers', and the third window tells what a viewer costs there.
 */
async function relayRooms(
  nodes: Node[],
  options: ClusterOptions,
  notes: string[],
): Promise<RelayPhase> {
  const k = options.relayRooms;
  const worker = new ClientWorker();
  const media = loadMedia();
  const base = 9000 + Math.floor(Math.random() * 1000);
  const machineBusy: number[] = [];
  const cpuWindow = async (): Promise<Record<string, number>> => {
    await worker.call<'marked'>({ type: 'mark', sampling: false });
    const before = nodes.map((n) => treeRun(n.server.pid));
    const m0 = machineTicks();
    const t0 = nowUs();
    await sleep(options.quietWindowMs);
    const seconds = (nowUs() - t0) / 1e6;
    const after = nodes.map((n) => treeRun(n.server.pid));
    const m1 = machineTicks();
    machineBusy.push((100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total));
    const cores: Record<string, number> = {};
    nodes.forEach((n, i) => {
      const ns =
        after[i]!.rootNs + after[i]!.childrenNs - before[i]!.rootNs - before[i]!.childrenNs;
      cores[n.label] = ns / 1e9 / seconds;
    });
    return cores;
  };
  try {
    const join = async (node: Node, room: number, user: string, publish: boolean) => {
      const r = await worker.call<'joined'>({
        type: 'join',
        target: target(node, room),
        users: [user],
        publish,
        subscribe: !publish,
        parallel: 1,
      });
      if (r.failed.length) notes.push(`relay phase: ${r.failed[0]}`);
    };
    const viewers = async (round: number) => {
      for (let i = 0; i < k; i++) {
        for (const node of nodes.slice(1)) {
          await join(node, base + i, `r-${node.label}-${i}-${round}`, false);
        }
      }
      await sleep(options.settleMs);
    };
    for (let i = 0; i < k; i++) await join(nodes[0]!, base + i, `p-${i}`, true);
    await sleep(2000);
    const w0 = await cpuWindow();
    await viewers(1);
    const w1 = await cpuWindow();
    const metrics = await Promise.all(nodes.map(relayMetrics));
    await viewers(2);
    const w2 = await cpuWindow();
    const report = await worker.call<'report'>({ type: 'report' });
    const silentViewers = report.receivers.filter((r) => r.received === 0).length;
    if (silentViewers) notes.push(`relay phase: ${silentViewers} viewers received nothing`);
    const relays: RelayPhase['relays'] = {};
    nodes.forEach((n, i) => {
      const m = metrics[i]!;
      relays[n.label] = { out: m.out, in: m.in, outKbps: m.outBps / 1000, inKbps: m.inBps / 1000 };
    });
    await worker.close();
    await sleep(3000);
    const relaysAfterLeave: RelayPhase['relaysAfterLeave'] = {};
    for (const n of nodes) {
      const m = await relayMetrics(n);
      relaysAfterLeave[n.label] = { out: m.out, in: m.in };
      if (m.out + m.in > 0) {
        notes.push(
          `relay phase: node ${n.label} still reports relays out ${m.out} in ${m.in} 3 s after everyone left`,
        );
      }
    }
    console.log(
      `  relay phase, ${k} rooms: ` +
        nodes
          .map(
            (n) =>
              `${n.label} ${[w0, w1, w2].map((w) => fmt(w[n.label], 3)).join(' → ')} cores, ` +
              `relays out ${relays[n.label]!.out} in ${relays[n.label]!.in}`,
          )
          .join('; ') +
        `; machine ${machineBusy.map((b) => fmt(b, 0)).join(' → ')} % busy`,
    );
    return {
      rooms: k,
      seconds: options.quietWindowMs / 1000,
      publisherPacketsPerSecond: (media.packets.length * 1000) / media.loopMs,
      cores: [w0, w1, w2],
      relays,
      relaysAfterLeave,
      machineBusyPercent: machineBusy,
      silentViewers,
    };
  } finally {
    await worker.close();
  }
}

/**
 * Chromium: the guide's publisher on A (fake camera), a werift viewer kept on C (its relay stays
 * up), and `joins` rounds of three joins → first painted frame: through A (the publisher's
 * node), through C (relay up: "warm") and through B (nobody else there: its room, and the relay,
 * are made for the join and closed at its leave: "cold").
 */
async function joinPaths(nodes: Node[], joins: number, notes: string[]): Promise<JoinPath[]> {
  const [a, b, c] = nodes as [Node, Node, Node];
  const roomId = 910_000 + Math.floor(Math.random() * 80_000);
  const browser: Browser = await launchChromium();
  const origins = await Promise.all(nodes.map((n) => appOrigin(n.server.url)));
  let keeper: Participant | undefined;
  try {
    const publisherPage = await (await browser.newContext()).newPage();
    await startGuidePublisher(publisherPage, origins[0]!.origin, roomId, 'presenter');
    keeper = await joinParticipant(target(c, roomId), 'keeper-c', false, true);
    const paths: Array<{ path: string; node: Node; origin: string; page?: Page }> = [
      { path: "publisher's node", node: a, origin: origins[0]!.origin },
      { path: 'other node, relay up', node: c, origin: origins[2]!.origin },
      { path: 'other node, relay made for the join', node: b, origin: origins[1]!.origin },
    ];
    for (const p of paths) {
      p.page = await probePage(browser);
      await p.page.goto(`${p.origin}/sdk.html`);
    }
    const times = new Map<string, number[]>(paths.map((p) => [p.path, []]));
    const marks = new Map<string, Record<string, number>[]>(paths.map((p) => [p.path, []]));
    for (let i = 0; i < joins; i++) {
      for (const p of paths) {
        const [sample] = await parleyJoins(p.page!, {
          userId: `viewer-${p.node.label.toLowerCase()}`,
          roomId,
          joins: 1,
        });
        times.get(p.path)!.push(sample ? sample.painted : -1);
        if (sample) marks.get(p.path)!.push(sample.marks);
      }
    }
    await sleep(2000);
    const after = await Promise.all(nodes.map(relayMetrics));
    const expected = [
      [1, 0],
      [0, 0],
      [0, 1],
    ];
    after.forEach((m, i) => {
      const [o, n] = expected[i]!;
      if (m.out !== o || m.in !== n) {
        notes.push(
          `join phase: node ${LABELS[i]} reports relays out ${m.out} in ${m.in} 2 s after the last join (expected out ${o} in ${n})`,
        );
      }
    });
    const result = paths.map((p): JoinPath => {
      const all = times.get(p.path)!;
      const ok = all.filter((t) => t >= 0);
      return {
        path: p.path,
        node: p.node.label,
        timesMs: ok.map((t) => Math.round(t * 10) / 10),
        failed: all.length - ok.length,
        p50Ms: percentile(ok, 50),
        p95Ms: percentile(ok, 95),
        milestonesP50Ms: Object.fromEntries(
          MILESTONES.map((k) => [
            k,
            percentile(
              marks
                .get(p.path)!
                .map((m) => m[k])
                .filter((v): v is number => v !== undefined),
              50,
            ),
          ]),
        ),
      };
    });
    const base = result[0]!.p50Ms;
    table(
      `cluster — viewer join() → first painted frame (Chromium), ${joins} joins per path; publisher on A`,
      [
        'path',
        'node',
        'p50 ms',
        'p95 ms',
        'failed',
        'p50 / publisher node',
        'p50 joined / stream-added / subscribed / painted, ms',
      ],
      result.map((r) => [
        r.path,
        r.node,
        fmt(r.p50Ms, 0),
        fmt(r.p95Ms, 0),
        r.failed,
        fmt(r.p50Ms / base, 2),
        MILESTONES.map((k) => fmt(r.milestonesP50Ms[k], 0)).join(' / '),
      ]),
    );
    return result;
  } finally {
    await keeper?.close().catch(() => undefined);
    await browser.close();
    await Promise.all(origins.map((o) => o.close()));
  }
}

function printRun(n: number, windows: ClusterWindow[]): void {
  table(
    `cluster — ${n} node(s): 1 publisher (Opus + 720p VP8) on A, viewers spread evenly`,
    [
      'phase',
      'node',
      'viewers',
      'cores',
      'node proc',
      'worker',
      'fwd pkt/s',
      'µs/pkt',
      'loss %',
      'lat p50 ms',
      'lat p99 ms',
      'relays out/in',
      'relay kbit/s out/in',
      'RSS MB',
    ],
    windows.flatMap((w) => [
      ...w.nodes.map((n) => [
        w.phase,
        n.node,
        n.viewers,
        fmt(n.cores, 3),
        fmt(n.nodeProcessCores, 3),
        fmt(n.workerCores, 3),
        fmt(n.forwardedPerSecond, 0),
        fmt(n.cpuUsPerPacket, 1),
        fmt(n.lossPercent, 2),
        fmt(n.latencyP50Ms, 1),
        fmt(n.latencyP99Ms, 1),
        `${n.relaysOut}/${n.relaysIn}`,
        `${fmt(n.relayOutKbps, 0)}/${fmt(n.relayInKbps, 0)}`,
        fmt(n.rssMb, 0),
      ]),
      [
        w.phase,
        'all',
        w.viewers,
        fmt(w.serverCores, 3),
        '',
        '',
        fmt(w.forwardedPerSecond, 0),
        fmt(w.cpuUsPerPacket, 1),
        fmt(w.lossPercent, 2),
        fmt(w.latencyP50Ms, 1),
        fmt(w.latencyP99Ms, 1),
        '',
        `redis ${fmt(w.redisCores, 3)} cores`,
        `clients ${fmt(w.clientCores, 2)}, other ${fmt(w.otherCores, 2)}`,
      ],
    ]),
  );
}

/** Slope of a node's cores over its forwarded packets across the steps, µs per packet. */
function slope(windows: ClusterWindow[], label: Label): number {
  const points = windows
    .filter((w) => STEP.test(w.phase))
    .map((w) => w.nodes.find((n) => n.node === label)!)
    .map((n) => [n.forwardedPerSecond, n.cores] as const);
  if (points.length < 2) return NaN;
  // Least squares.
  const mx = points.reduce((s, p) => s + p[0], 0) / points.length;
  const my = points.reduce((s, p) => s + p[1], 0) / points.length;
  const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return sxx ? (sxy / sxx) * 1e6 : NaN;
}

function analyse(
  options: ClusterOptions,
  mediaKbps: number,
  runs: ClusterRun[],
  relayPhase: RelayPhase | undefined,
  joins: JoinPath[],
  notes: string[],
): ClusterResult {
  const one = runs.find((r) => r.nodes === 1);
  const three = runs.find((r) => r.nodes === 3);
  const viewerUsPerPacket: Record<string, number> = {};
  const relays: RelayCost[] = [];
  let relayInViewers = NaN;
  const hopLatencyMs: ClusterResult['hopLatencyMs'] = [];
  if (three) {
    for (const l of LABELS) viewerUsPerPacket[l] = slope(three.windows, l);
    const relayOnly = three.windows.find((w) => w.phase === RELAYS_ONLY);
    if (relayOnly && relayOnly.nodes[0]!.relaysOut > 0) {
      notes.push(
        'relays were made for members that subscribe to nothing (relays do not follow viewers)',
      );
    }
    const singleNodeViewerUs = one ? slope(one.windows, 'A') : NaN;
    for (const l of ['B', 'C'] as const) {
      const cost: RelayCost = {
        pair: `A→${l}`,
        relays: NaN,
        bitrateKbps: NaN,
        receivedKbps: NaN,
        packetsPerSecond: NaN,
        senderUsPerPacket: NaN,
        receiverUsPerPacket: NaN,
        coresPerRelay: NaN,
        viewerUsPerPacket: NaN,
      };
      if (relayPhase) {
        const k = relayPhase.rooms;
        const pps = relayPhase.publisherPacketsPerSecond;
        const [w0, w1, w2] = relayPhase.cores;
        const outOfA = relayPhase.relays.A?.out ?? 0;
        const sender = (w1.A! - w0.A!) / Math.max(1, outOfA);
        const viewer = (w2[l]! - w1[l]!) / k;
        const receiver = (w1[l]! - w0[l]!) / k - viewer;
        cost.relays = relayPhase.relays[l]?.in ?? NaN;
        cost.bitrateKbps = (relayPhase.relays.A?.outKbps ?? NaN) / Math.max(1, outOfA);
        cost.receivedKbps = (relayPhase.relays[l]?.inKbps ?? NaN) / k;
        cost.packetsPerSecond = pps;
        cost.senderUsPerPacket = (sender * 1e6) / pps;
        cost.receiverUsPerPacket = (receiver * 1e6) / pps;
        cost.coresPerRelay = sender + receiver;
        cost.viewerUsPerPacket = (viewer * 1e6) / pps;
      }
      relays.push(cost);
    }
    const meanRelay = relays.reduce((sum, r) => sum + r.coresPerRelay, 0) / relays.length;
    relayInViewers =
      meanRelay / ((singleNodeViewerUs * (relays[0]?.packetsPerSecond ?? NaN)) / 1e6);
    for (const w of three.windows.filter((w) => STEP.test(w.phase))) {
      const a = w.nodes.find((n) => n.node === 'A')!;
      const others = w.nodes.filter((n) => n.node !== 'A');
      const mean = (values: number[]) => values.reduce((x, y) => x + y, 0) / values.length;
      hopLatencyMs.push({
        viewers: w.viewers,
        p50: mean(others.map((n) => n.latencyP50Ms)) - a.latencyP50Ms,
        p99: mean(others.map((n) => n.latencyP99Ms)) - a.latencyP99Ms,
      });
    }
  }
  const comparison: ClusterResult['comparison'] = [];
  for (const total of options.steps) {
    const w1 = one?.windows.find((w) => w.phase === `${total} viewers`);
    const w3 = three?.windows.find((w) => w.phase === `${total} viewers`);
    if (!w1 || !w3) continue;
    comparison.push({
      viewers: total,
      serverCores: [w1.serverCores, w3.serverCores],
      cpuUsPerPacket: [w1.cpuUsPerPacket, w3.cpuUsPerPacket],
      lossPercent: [w1.lossPercent, w3.lossPercent],
      latencyP50Ms: [w1.latencyP50Ms, w3.latencyP50Ms],
      latencyP99Ms: [w1.latencyP99Ms, w3.latencyP99Ms],
    });
  }
  const result: ClusterResult = {
    date: new Date().toISOString(),
    options,
    mediaKbps,
    runs,
    viewerUsPerPacket,
    singleNodeViewerUsPerPacket: one ? slope(one.windows, 'A') : NaN,
    relays,
    relayPhase,
    relayInViewers,
    comparison,
    hopLatencyMs,
    joins,
    notes,
  };
  for (const run of runs) {
    for (const w of run.windows) {
      if (w.otherCores > 0.3) {
        notes.push(
          `${run.nodes} node(s), ${w.phase}: other work on the machine took ${fmt(w.otherCores, 2)} cores`,
        );
      }
      if (w.publisherState !== 'connected') {
        notes.push(`${run.nodes} node(s), ${w.phase}: publisher connection ${w.publisherState}`);
      }
    }
  }
  printSummary(result);
  const logs = [
    'redis',
    ...runs.flatMap((r) =>
      LABELS.slice(0, r.nodes).map((l) => `parley-bench${r.nodes}-${l.toLowerCase()}`),
    ),
  ].flatMap((name) => (lastLog.has(name) ? [`${name}: ${lastLog.get(name)}`] : []));
  console.log(`logs of the last run's processes: ${logs.join(', ')}`);
  return result;
}

function printSummary(r: ClusterResult): void {
  const ratio = (pair: [number, number], digits = 2) => fmt(pair[1] / pair[0], digits);
  const rows: (string | number)[][] = [];
  for (const c of r.comparison) {
    rows.push(
      [
        `server cores, ${c.viewers} viewers`,
        fmt(c.serverCores[0], 3),
        fmt(c.serverCores[1], 3),
        ratio(c.serverCores),
      ],
      [
        `CPU µs per forwarded packet, ${c.viewers} viewers`,
        fmt(c.cpuUsPerPacket[0], 1),
        fmt(c.cpuUsPerPacket[1], 1),
        ratio(c.cpuUsPerPacket),
      ],
      [
        `viewer loss %, ${c.viewers} viewers`,
        fmt(c.lossPercent[0], 3),
        fmt(c.lossPercent[1], 3),
        '–',
      ],
      [
        `added latency p50 / p99 ms, ${c.viewers} viewers`,
        `${fmt(c.latencyP50Ms[0], 1)} / ${fmt(c.latencyP99Ms[0], 1)}`,
        `${fmt(c.latencyP50Ms[1], 1)} / ${fmt(c.latencyP99Ms[1], 1)}`,
        `${ratio(c.latencyP50Ms)} / ${ratio(c.latencyP99Ms)}`,
      ],
    );
  }
  rows.push([
    'CPU µs per packet to one more viewer (slope over the steps; 3 nodes: A / B / C)',
    fmt(r.singleNodeViewerUsPerPacket, 1),
    LABELS.map((l) => fmt(r.viewerUsPerPacket[l], 1)).join(' / '),
    fmt((r.viewerUsPerPacket.A ?? NaN) / r.singleNodeViewerUsPerPacket, 2),
  ]);
  table(
    'cluster — 1 node vs 3 nodes, same viewers (3 nodes / 1 node)',
    ['figure', '1 node', '3 nodes', '3 / 1'],
    rows,
  );
  table(
    `cluster — relay cost per node pair (${r.relayPhase?.rooms ?? '–'} rooms, a publisher on A, viewers on B and C; media ${fmt(r.mediaKbps, 0)} kbit/s)`,
    [
      'pair',
      'relays',
      'kbit/s per relay (sender / receiver)',
      'pkt/s per relay',
      'sender µs/pkt',
      'receiver µs/pkt',
      'cores per relay',
      'a viewer there µs/pkt',
    ],
    r.relays.map((x) => [
      x.pair,
      x.relays,
      `${fmt(x.bitrateKbps, 0)} / ${fmt(x.receivedKbps, 0)}`,
      fmt(x.packetsPerSecond, 0),
      fmt(x.senderUsPerPacket, 1),
      fmt(x.receiverUsPerPacket, 1),
      fmt(x.coresPerRelay, 4),
      fmt(x.viewerUsPerPacket, 1),
    ]),
  );
  console.log(
    `a relay costs its two nodes about ${fmt(r.relayInViewers, 2)} viewers' worth of CPU; ` +
      `one relay hop adds p50 ${r.hopLatencyMs.map((h) => `${fmt(h.p50, 2)} ms (${h.viewers} viewers)`).join(', ')}`,
  );
  for (const n of r.notes) console.log(`- ${n}`);
}
