/**
 * `forwarding`: one publisher (Opus + 720p VP8) to N receive-only subscribers, N rising until
 * packets are lost or a CPU is full. Per step: the server tree's CPU per forwarded packet,
 * added latency through the server (send → arrival, sampled packets, one clock), memory per
 * subscriber and packets lost, with which side (server or clients) hit the limit.
 */
import { cpus } from 'node:os';
import { createJanusRoom, joinParticipant, type Target } from './lib/clients.js';
import { MediaPump, emptyWire, type WireCount } from './lib/peer.js';
import {
  machineTicks,
  nowUs,
  percentile,
  processCpu,
  sleep,
  threadTicks,
  busiestThread,
  usage,
} from './lib/proc.js';
import { PARLEY_APP_ID, PARLEY_KEY, type ServerUnderTest } from './lib/servers.js';
import { ClientWorker } from './lib/workers.js';
import { fmt, table } from './lib/report.js';

export interface ForwardingStep {
  subscribers: number;
  joinFailures: number;
  /** The publisher's peer connection at the end of the window (not `connected`: it dropped). */
  publisherState: string;
  /** Packets the publisher sent in the window (audio + video). */
  published: number;
  forwarded: number;
  lost: number;
  lossPercent: number;
  cpuUsPerPacket: number;
  serverCores: number;
  clientCores: number;
  /** Busiest single client process, cores. */
  busiestClientCore: number;
  /** Busiest single thread of the server tree, cores (a single-threaded loop at 1 is full). */
  busiestServerCore: number;
  machineBusyPercent: number;
  /** Cores the rest of the machine used meanwhile (other work than this bench). */
  otherCores: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencySamples: number;
  rssMb: number;
  rssPerSubscriberKb: number;
  /** Of which the server's main process (Parley: Node; Janus: all of it), per subscriber. */
  mainRssPerSubscriberKb: number;
  /** Parley: V8 heap in use in the Node process (from /metrics), MB; undefined for Janus. */
  heapUsedMb: number | undefined;
  /** What the subscribers received besides media (RTX, probes, RTCP), summed over them. */
  wire: WireCount;
}

export interface ForwardingResult {
  server: string;
  baselineRssMb: number;
  steps: ForwardingStep[];
  /** The largest N with no loss above 0.1 % and no failed join. */
  capacity: number;
  /** The figures at `capacity`. */
  atCapacity: ForwardingStep | undefined;
  limit: string;
}

export interface ForwardingOptions {
  steps: number[];
  settleMs: number;
  windowMs: number;
  workers: number;
  /** No new step starts after this long (the whole run must fit in 10 minutes). */
  budgetMs: number;
}

export const DEFAULT_FORWARDING: ForwardingOptions = {
  budgetMs: 110_000,
  steps: [1, 10, 25, 50, 75, 100, 150, 200],
  settleMs: 2500,
  windowMs: 4000,
  workers: 2,
};

const LOSS_LIMIT_PERCENT = 0.1;
/** Cores used by other work on the machine above which a step measured that work too. */
export const OTHER_LOAD = 0.3;

export async function forwarding(
  server: ServerUnderTest,
  options: ForwardingOptions = DEFAULT_FORWARDING,
): Promise<ForwardingResult> {
  const roomId = 7000 + Math.floor(Math.random() * 1000);
  const target: Target =
    server.name === 'Parley'
      ? {
          server: 'Parley',
          url: server.url,
          sdkAppId: PARLEY_APP_ID,
          secretKey: PARLEY_KEY,
          roomId,
        }
      : { server: 'Janus', url: server.url, roomId };
  if (target.server === 'Janus') await createJanusRoom(target.url, roomId);
  const publisher = await joinParticipant(target, 'publisher', true, false);
  const pump = new MediaPump(true);
  pump.add(publisher.publisher!, 0);
  pump.start(8 * 60_000);
  const feeds = publisher.feedId !== undefined ? [publisher.feedId] : [];
  const workers = Array.from({ length: options.workers }, () => new ClientWorker());
  const steps: ForwardingStep[] = [];
  let limit = `none up to N = ${options.steps[options.steps.length - 1]}`;
  try {
    await sleep(2000);
    const baseline = usage(server.pid);
    const baselineRssMb = baseline.rssKb / 1024;
    let current = 0;
    const started = Date.now();
    for (const n of options.steps) {
      if (Date.now() - started > options.budgetMs) {
        limit = `not reached: time budget spent before N = ${n}`;
        break;
      }
      // New subscribers, dealt round-robin to the client processes.
      const batches: string[][] = workers.map(() => []);
      for (let i = current; i < n; i++) batches[i % workers.length]!.push(`sub${i}`);
      const joined = await Promise.all(
        workers.map((w, i) =>
          w.call<'joined'>({
            type: 'join',
            target,
            users: batches[i]!,
            publish: false,
            subscribe: true,
            feeds,
            parallel: 4,
          }),
        ),
      );
      const failures = joined.flatMap((j) => j.failed);
      if (failures.length) console.log(`  ${failures.length} joins failed, e.g. ${failures[0]}`);
      current = n;
      await sleep(options.settleMs);

      await Promise.all(workers.map((w) => w.call<'marked'>({ type: 'mark', sampling: true })));
      const pids = [process.pid, ...workers.map((w) => w.pid)];
      const cpu0 = usage(server.pid).cpuSeconds;
      const threads0 = threadTicks(server.pid);
      const clients0 = pids.map(processCpu);
      const m0 = machineTicks();
      const sent0 = pump.packetsSent.audio + pump.packetsSent.video;
      const t0 = nowUs();
      await sleep(options.windowMs);
      const reports = await Promise.all(workers.map((w) => w.call<'report'>({ type: 'report' })));
      const seconds = (nowUs() - t0) / 1e6;
      const cpu1 = usage(server.pid);
      const busiestServerCore = busiestThread(threads0, threadTicks(server.pid), seconds);
      const clients1 = pids.map(processCpu);
      const m1 = machineTicks();
      const published = pump.packetsSent.audio + pump.packetsSent.video - sent0;

      const receivers = reports.flatMap((r) => r.receivers);
      let forwarded = 0;
      let lost = 0;
      const wire = emptyWire();
      for (const r of receivers) {
        for (const key of Object.keys(wire) as (keyof WireCount)[]) wire[key] += r.wire[key];
        forwarded += r.received;
        // Sequence gaps; a subscriber that got nothing lost everything.
        lost += r.received === 0 ? published : Math.max(0, r.expected - r.received);
      }
      lost += Math.max(0, n - receivers.length) * published;
      const latencies: number[] = [];
      for (const r of reports) {
        for (let i = 0; i < r.samples.length; i += 2) {
          const sent = pump.sendTime(r.samples[i]!, r.samples[i + 1]!);
          if (sent !== undefined) latencies.push((r.samples[i + 1]! - sent) / 1000);
        }
      }
      const clientDeltas = clients1.map((c, i) => (c - clients0[i]!) / seconds);
      const step: ForwardingStep = {
        subscribers: n,
        joinFailures: failures.length,
        publisherState: publisher.publisherState?.() ?? 'unknown',
        published,
        forwarded,
        lost,
        lossPercent: (100 * lost) / Math.max(1, published * n),
        cpuUsPerPacket: forwarded ? ((cpu1.cpuSeconds - cpu0) * 1e6) / forwarded : NaN,
        serverCores: (cpu1.cpuSeconds - cpu0) / seconds,
        clientCores: clientDeltas.reduce((a, b) => a + b, 0),
        busiestClientCore: Math.max(...clientDeltas),
        busiestServerCore,
        machineBusyPercent: (100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total),
        otherCores: 0,
        latencyP50Ms: percentile(latencies, 50),
        latencyP99Ms: percentile(latencies, 99),
        latencySamples: latencies.length,
        rssMb: cpu1.rssKb / 1024,
        rssPerSubscriberKb: (cpu1.rssKb - baselineRssMb * 1024) / n,
        mainRssPerSubscriberKb: (cpu1.rootRssKb - baseline.rootRssKb) / n,
        heapUsedMb: target.server === 'Parley' ? await nodeHeapUsedMb(target.url) : undefined,
        wire,
      };
      step.otherCores = Math.max(
        0,
        (step.machineBusyPercent / 100) * cpus().length - step.serverCores - step.clientCores,
      );
      steps.push(step);
      console.log(
        `  ${server.name} N=${n}: loss ${fmt(step.lossPercent, 2)} %, ${fmt(step.cpuUsPerPacket)} µs/pkt, ` +
          `server ${fmt(step.serverCores, 2)} cores, clients ${fmt(step.clientCores, 2)}, ` +
          `machine ${fmt(step.machineBusyPercent, 0)} %, latency p50 ${fmt(step.latencyP50Ms, 2)} ms ` +
          `p99 ${fmt(step.latencyP99Ms, 2)} ms, RSS ${fmt(step.rssMb)} MB; ` +
          `besides media per subscriber/s: ${wireLine(wire, n * seconds)}`,
      );
      const reason = limitReason(step);
      if (reason) {
        limit = `at N = ${n}: ${reason}`;
        break;
      }
    }
    const good = steps.filter((s) => s.lossPercent <= LOSS_LIMIT_PERCENT && s.joinFailures === 0);
    const atCapacity = good[good.length - 1];
    const result: ForwardingResult = {
      server: server.name,
      baselineRssMb,
      steps,
      capacity: atCapacity?.subscribers ?? 0,
      atCapacity,
      limit,
    };
    printForwarding(result);
    return result;
  } finally {
    pump.stop();
    await Promise.all(workers.map((w) => w.close()));
    await publisher.close().catch(() => undefined);
  }
}

/**
 * Why this step is the last one, naming the side that hit the limit; null to go on. The
 * machine may be shared with other work, so "CPU full" is about the bench's own processes.
 */
function limitReason(s: ForwardingStep): string | null {
  const own = s.serverCores + s.clientCores;
  const sides =
    `server ${fmt(s.serverCores, 2)} cores (busiest thread ${fmt(s.busiestServerCore, 2)}), ` +
    `clients ${fmt(s.clientCores, 2)} cores (busiest process ${fmt(s.busiestClientCore, 2)}), ` +
    `machine ${fmt(s.machineBusyPercent, 0)} % busy`;
  const lossy = s.lossPercent > LOSS_LIMIT_PERCENT || s.joinFailures > 0;
  const clientFull = s.busiestClientCore >= 0.9;
  const serverFull = s.busiestServerCore >= 0.9;
  const machineFull = own >= 1.85;
  if (!lossy && !clientFull && !serverFull && !machineFull) return null;
  const what = lossy
    ? `${fmt(s.lossPercent, 2)} % loss${s.joinFailures ? `, ${s.joinFailures} failed joins` : ''}` +
      (s.publisherState !== 'connected' ? `, publisher connection ${s.publisherState}` : '')
    : 'CPU full before any loss';
  const starved = s.otherCores > OTHER_LOAD && s.machineBusyPercent >= 95;
  const side = starved
    ? `the machine was full with other work (${fmt(s.otherCores, 2)} cores of it): not a clean limit`
    : serverFull && !clientFull
      ? 'server side (a server thread at a full core)'
      : clientFull && !serverFull
        ? 'client side (a client process at a full core)'
        : machineFull || s.machineBusyPercent >= 95 || (serverFull && clientFull)
          ? `both cores busy, ${s.serverCores >= s.clientCores ? 'mostly the server' : 'mostly the clients'}`
          : 'no CPU full: the server drops packets';
  return `${what}; ${side}; ${sides}`;
}

export function printForwarding(r: ForwardingResult): void {
  table(
    `forwarding — ${r.server}: 1 publisher (Opus + 720p VP8) → N subscribers (limit ${r.limit})`,
    [
      'N',
      'loss %',
      'µs CPU/pkt',
      'server cores',
      'client cores',
      'machine %',
      'other cores',
      'lat p50 ms',
      'lat p99 ms',
      'RSS MB',
      'KB/sub',
      'main KB/sub',
      'heap MB',
    ],
    r.steps.map((s) => [
      s.subscribers,
      fmt(s.lossPercent, 2),
      fmt(s.cpuUsPerPacket, 1),
      fmt(s.serverCores, 2),
      fmt(s.clientCores, 2),
      fmt(s.machineBusyPercent, 0),
      fmt(s.otherCores, 2),
      fmt(s.latencyP50Ms, 2),
      fmt(s.latencyP99Ms, 2),
      fmt(s.rssMb, 1),
      fmt(s.rssPerSubscriberKb, 0),
      fmt(s.mainRssPerSubscriberKb, 0),
      fmt(s.heapUsedMb, 1),
    ]),
  );
}

/** RTX, probe and RTCP packets (and kbit/s) per subscriber and second. */
function wireLine(w: WireCount, subscriberSeconds: number): string {
  const per = (packets: number, bytes: number) =>
    `${fmt(packets / subscriberSeconds, 1)} pkt (${fmt((bytes * 8) / 1000 / subscriberSeconds, 1)} kbit)`;
  return (
    `RTX ${per(w.rtx, w.rtxBytes)}, probes ${per(w.probe, w.probeBytes)}, ` +
    `RTCP ${per(w.rtcp, w.rtcpBytes)}; media ${fmt((w.mediaBytes * 8) / 1000 / subscriberSeconds, 0)} kbit; ` +
    `sent ${fmt(w.feedbackSent / subscriberSeconds, 1)} transport-cc feedback/s`
  );
}

/** The Node process's V8 heap in use, from Parley's Prometheus metrics. */
async function nodeHeapUsedMb(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) });
    const line = (await res.text())
      .split('\n')
      .find((l) => l.startsWith('nodejs_heap_size_used_bytes'));
    return line ? Number(line.split(' ').pop()) / 2 ** 20 : undefined;
  } catch {
    return undefined;
  }
}
