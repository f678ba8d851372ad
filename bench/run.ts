/**
 * `npm run bench [-- forwarding|rooms|join ...]`: Parley against Janus on this machine, in one
 * run, each bench printing its tables and writing bench/results/<name>.json, then a summary
 * (figure, Parley, Janus, Parley/Janus) in bench/results/summary.json. `npm run bench --
 * cluster` (only when named): Parley's cluster mode, 1 node vs 3 nodes (cluster.ts).
 *
 * Outside: installs what is missing (ffmpeg, Janus, Chromium: Debian packages), builds Parley as
 * `npm start` does, encodes the media once, makes the two network namespaces and runs itself
 * again inside the clients' one. Inside: starts each server fresh for each bench.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { browsers, DEFAULT_BROWSERS, type BrowsersResult } from './browsers.js';
import { cluster, DEFAULT_CLUSTER } from './cluster.js';
import { DEFAULT_FORWARDING, forwarding, type ForwardingResult } from './forwarding.js';
import { join, launchChromium, type JoinResult } from './join.js';
import { closeJanusSessions } from './lib/clients.js';
import { loadMedia } from './lib/media.js';
import { fmt, table, writeResult } from './lib/report.js';
import {
  CLIENT_NS,
  netnsDown,
  netnsUp,
  startJanus,
  startParley,
  type ServerUnderTest,
} from './lib/servers.js';
import { rooms, type RoomsResult } from './rooms.js';
import { buildParley, ensureTools, janusVersion } from './lib/tools.js';

const BENCHES = ['forwarding', 'rooms', 'join', 'browsers', 'cluster'] as const;
type BenchName = (typeof BENCHES)[number];
/**
 * What `npm run bench` runs with no names: the Parley/Janus comparison (cluster is Parley's own;
 * browsers, the forwarding figures with Chromium clients, takes ~4 min more: named only).
 */
const DEFAULT_BENCHES: BenchName[] = ['forwarding', 'rooms', 'join'];
const ROOT = new URL('../', import.meta.url).pathname;
/** The whole run stops itself after this, whatever happens. */
const HARD_LIMIT_MS = 14 * 60_000;

function requested(): BenchName[] {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  for (const a of args) {
    if (!(BENCHES as readonly string[]).includes(a)) {
      console.error(`unknown bench ${a}; choose from ${BENCHES.join(', ')}`);
      process.exit(2);
    }
  }
  return args.length ? (args as BenchName[]) : [...DEFAULT_BENCHES];
}

async function outside(names: BenchName[]): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('the bench needs root (network namespaces, and apt-get when tools are missing)');
    return 2;
  }
  ensureTools(names.includes('cluster'));
  buildParley();
  const media = loadMedia();
  console.log(
    `media: ${media.packets.length} RTP packets per ${media.loopMs / 1000} s loop, VP8 720p30 ` +
      `${media.videoKbps} kbit/s + Opus 64 kbit/s`,
  );
  netnsUp();
  try {
    // Its own session, so its own scheduler autogroup, raised to nice -10 (builds and tests of
    // others on a shared machine would otherwise starve servers and clients alike).
    const child = spawn(
      'setsid',
      [
        'ip',
        'netns',
        'exec',
        CLIENT_NS,
        process.execPath,
        '--import',
        'tsx',
        new URL(import.meta.url).pathname,
        ...names,
      ],
      { cwd: ROOT, stdio: 'inherit', env: { ...process.env, PARLEY_BENCH_INSIDE: '1' } },
    );
    setTimeout(() => {
      try {
        writeFileSync(`/proc/${child.pid}/autogroup`, '-10');
      } catch {
        // no autogroup scheduling here
      }
    }, 300);
    const timer = setTimeout(() => {
      console.error('bench: hard time limit reached, stopping');
      child.kill('SIGKILL');
    }, HARD_LIMIT_MS);
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
    clearTimeout(timer);
    return code;
  } finally {
    netnsDown();
  }
}

interface Pair<T> {
  Parley?: T;
  Janus?: T;
}

async function withServer<T>(
  start: () => Promise<ServerUnderTest>,
  run: (server: ServerUnderTest) => Promise<T>,
): Promise<T | undefined> {
  const server = await start();
  try {
    return await run(server);
  } catch (error) {
    console.error(`${server.name}: ${(error as Error).stack ?? String(error)}`);
    return undefined;
  } finally {
    await closeJanusSessions();
    await server.stop();
  }
}

/**
 * Narrower runs for investigating one figure (e.g. profiling the server at one N):
 * PARLEY_BENCH_SERVERS=Parley, PARLEY_BENCH_FORWARDING_STEPS=50,
 * PARLEY_BENCH_FORWARDING_WINDOW_MS=20000; PARLEY_BENCH_CLUSTER_STEPS=30,60 for the cluster
 * bench's viewer counts; PARLEY_BENCH_BROWSERS_STEPS=1,2 and PARLEY_BENCH_BROWSERS_WINDOW_MS. Unset, the full comparison runs.
 */
function narrowed(): {
  servers: Array<() => Promise<ServerUnderTest>>;
  forwarding: typeof DEFAULT_FORWARDING;
  cluster: typeof DEFAULT_CLUSTER;
  browsers: typeof DEFAULT_BROWSERS;
} {
  const env = process.env;
  const all = { Parley: startParley, Janus: startJanus };
  const names = (env.PARLEY_BENCH_SERVERS ?? 'Parley,Janus').split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(n in all)) throw new Error(`PARLEY_BENCH_SERVERS: unknown server ${n}`);
  }
  const steps = env.PARLEY_BENCH_FORWARDING_STEPS?.split(',').map(Number);
  if (steps?.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error('PARLEY_BENCH_FORWARDING_STEPS: a comma-separated list of positive integers');
  }
  const windowMs = Number(env.PARLEY_BENCH_FORWARDING_WINDOW_MS ?? DEFAULT_FORWARDING.windowMs);
  if (!(windowMs > 0 && windowMs <= 60_000)) {
    throw new Error('PARLEY_BENCH_FORWARDING_WINDOW_MS: 1 to 60000');
  }
  const clusterSteps = env.PARLEY_BENCH_CLUSTER_STEPS?.split(',').map(Number);
  if (clusterSteps?.some((n) => !Number.isInteger(n) || n < 3 || n > 300)) {
    throw new Error('PARLEY_BENCH_CLUSTER_STEPS: a comma-separated list of integers, 3 to 300');
  }
  const browserSteps = env.PARLEY_BENCH_BROWSERS_STEPS?.split(',').map(Number);
  if (browserSteps?.some((n) => !Number.isInteger(n) || n < 1 || n > 16)) {
    throw new Error('PARLEY_BENCH_BROWSERS_STEPS: a comma-separated list of integers, 1 to 16');
  }
  return {
    servers: names.map((n) => all[n as keyof typeof all]),
    browsers: {
      steps: browserSteps ?? DEFAULT_BROWSERS.steps,
      windowMs: Number(env.PARLEY_BENCH_BROWSERS_WINDOW_MS ?? DEFAULT_BROWSERS.windowMs),
    },
    forwarding: { ...DEFAULT_FORWARDING, steps: steps ?? DEFAULT_FORWARDING.steps, windowMs },
    cluster: { ...DEFAULT_CLUSTER, steps: clusterSteps ?? DEFAULT_CLUSTER.steps },
  };
}

async function inside(names: BenchName[]): Promise<void> {
  const started = Date.now();
  const narrow = narrowed();
  const servers = narrow.servers;
  const fwd: Pair<ForwardingResult> = {};
  const rms: Pair<RoomsResult> = {};
  const jn: Pair<JoinResult> = {};
  const br: Pair<BrowsersResult> = {};
  for (const name of names) {
    console.log(`\n=== ${name} ===`);
    if (name === 'forwarding') {
      for (const start of servers) {
        const r = await withServer(start, (s) => forwarding(s, narrow.forwarding));
        if (r) fwd[r.server as 'Parley' | 'Janus'] = r;
      }
      writeResult('forwarding', fwd);
    } else if (name === 'rooms') {
      for (const start of servers) {
        const r = await withServer(start, (s) => rooms(s));
        if (r) rms[r.server as 'Parley' | 'Janus'] = r;
      }
      writeResult('rooms', rms);
    } else if (name === 'browsers') {
      const browser = await launchChromium();
      try {
        for (const start of servers) {
          const r = await withServer(start, (s) => browsers(s, browser, narrow.browsers));
          if (r) br[r.server as 'Parley' | 'Janus'] = r;
        }
      } finally {
        await browser.close();
      }
      writeResult('browsers', br);
    } else if (name === 'cluster') {
      const media = loadMedia();
      try {
        writeResult('cluster', await cluster(narrow.cluster, media.videoKbps + 64));
      } catch (error) {
        console.error(`cluster: ${(error as Error).stack ?? String(error)}`);
      }
    } else {
      const browser = await launchChromium();
      try {
        for (const start of servers) {
          const r = await withServer(start, (s) => join(s, browser));
          if (r) jn[r.server as 'Parley' | 'Janus'] = r;
        }
      } finally {
        await browser.close();
      }
      writeResult('join', jn);
    }
  }
  // The Parley/Janus summary only when one of its benches ran (a cluster-only run keeps it).
  if (names.some((n) => n !== 'cluster')) {
    summary(fwd, rms, jn, br, (Date.now() - started) / 1000);
  }
}

type Row = [string, number | undefined, number | undefined, number];

function summary(
  fwd: Pair<ForwardingResult>,
  rms: Pair<RoomsResult>,
  jn: Pair<JoinResult>,
  br: Pair<BrowsersResult>,
  seconds: number,
): void {
  const rows: Row[] = [];
  const add = (figure: string, parley: number | undefined, janus: number | undefined, digits = 1) =>
    rows.push([figure, parley, janus, digits]);
  const notes: string[] = [];
  if (fwd.Parley || fwd.Janus) {
    // Compare at the largest N both sustained without loss.
    const common = Math.min(fwd.Parley?.capacity ?? Infinity, fwd.Janus?.capacity ?? Infinity);
    const at = (r: ForwardingResult | undefined) => r?.steps.find((s) => s.subscribers === common);
    const p = at(fwd.Parley);
    const j = at(fwd.Janus);
    add(
      'forwarding: loss-free capacity, subscribers',
      fwd.Parley?.capacity,
      fwd.Janus?.capacity,
      0,
    );
    add(
      `forwarding: CPU µs per forwarded packet (N = ${common})`,
      p?.cpuUsPerPacket,
      j?.cpuUsPerPacket,
    );
    add(`forwarding: server cores used (N = ${common})`, p?.serverCores, j?.serverCores, 2);
    add(`forwarding: added latency p50, ms (N = ${common})`, p?.latencyP50Ms, j?.latencyP50Ms, 2);
    add(`forwarding: added latency p99, ms (N = ${common})`, p?.latencyP99Ms, j?.latencyP99Ms, 2);
    add(
      `forwarding: memory per subscriber, KB (N = ${common})`,
      p?.rssPerSubscriberKb,
      j?.rssPerSubscriberKb,
      0,
    );
    add(`forwarding: packets lost (N = ${common})`, p?.lost, j?.lost, 0);
    add(`forwarding: packet loss % (N = ${common})`, p?.lossPercent, j?.lossPercent, 3);
    const past = (r: ForwardingResult | undefined) =>
      r?.steps.find((s) => s.subscribers > r.capacity);
    const pp = past(fwd.Parley);
    const jp = past(fwd.Janus);
    add(
      `forwarding: loss % one step past capacity (N = ${pp?.subscribers ?? '–'} / ${jp?.subscribers ?? '–'})`,
      pp?.lossPercent,
      jp?.lossPercent,
      2,
    );
    add(
      `forwarding: other work on the machine, cores (N = ${common})`,
      p?.otherCores,
      j?.otherCores,
      2,
    );
    for (const r of [fwd.Parley, fwd.Janus])
      if (r) notes.push(`${r.server} forwarding limit ${r.limit}`);
  }
  if (rms.Parley || rms.Janus) {
    add(
      'rooms: participants per server core (4-person rooms)',
      rms.Parley?.participantsPerCore,
      rms.Janus?.participantsPerCore,
      0,
    );
    add('rooms: loss-free capacity, participants', rms.Parley?.capacity, rms.Janus?.capacity, 0);
    for (const r of [rms.Parley, rms.Janus])
      if (r) notes.push(`${r.server} rooms limit ${r.limit}`);
  }
  if (jn.Parley || jn.Janus) {
    for (const k of ['playing', 'painted'] as const) {
      add(
        `join → first frame ${k} p50, ms (${jn.Parley?.joins ?? jn.Janus?.joins} joins)`,
        jn.Parley?.[k].p50Ms,
        jn.Janus?.[k].p50Ms,
        0,
      );
      add(`join → first frame ${k} p95, ms`, jn.Parley?.[k].p95Ms, jn.Janus?.[k].p95Ms, 0);
    }
  }
  if (br.Parley || br.Janus) {
    add(
      'browsers: CPU µs per forwarded packet (slope, N = 1–8 Chromium)',
      br.Parley?.cpuUsPerPacket,
      br.Janus?.cpuUsPerPacket,
    );
    add(
      'browsers: memory per subscriber, KB (slope)',
      br.Parley?.rssKbPerSubscriber,
      br.Janus?.rssKbPerSubscriber,
      0,
    );
    const last = (r: BrowsersResult | undefined) => r?.steps.at(-1);
    add(
      `browsers: loss % at N = ${last(br.Parley)?.subscribers ?? last(br.Janus)?.subscribers}`,
      last(br.Parley)?.lossPercent,
      last(br.Janus)?.lossPercent,
      2,
    );
  }
  table(
    `summary — Parley vs Janus ${janusVersion()} on this machine (${seconds.toFixed(0)} s)`,
    ['figure', 'Parley', 'Janus', 'Parley/Janus'],
    rows.map(([figure, p, j, digits]) => [
      figure,
      fmt(p, digits),
      fmt(j, digits),
      p !== undefined && j !== undefined && j !== 0 ? fmt(p / j, 2) : '–',
    ]),
  );
  for (const n of notes) console.log(`- ${n}`);
  writeResult('summary', {
    date: new Date().toISOString(),
    seconds,
    rows: rows.map(([figure, parley, janus]) => ({
      figure,
      parley,
      janus,
      ratio: parley !== undefined && janus ? parley / janus : undefined,
    })),
    notes,
  });
}

const names = requested();
if (process.env.PARLEY_BENCH_INSIDE) {
  setTimeout(() => {
    console.error('bench: hard time limit reached inside, exiting');
    process.exit(3);
  }, HARD_LIMIT_MS).unref();
  await inside(names);
  process.exit(0);
} else {
  process.exit(await outside(names));
}
