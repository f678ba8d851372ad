/**
 * Cluster kit: a Redis of its own and Parley nodes as separate processes on this machine, each
 * on its own ports, for multi-node e2e tests (and the bench). A node is the built server
 * (`node packages/server/dist/main.js`, so `npm run build` first, as every e2e test needs),
 * started in a process group of its own so its whole tree (the node and its mediasoup workers)
 * can be killed, frozen and thawed at once, as a machine dying or hanging would.
 *
 * Every process started here is killed when this process exits, is interrupted, or (on the
 * next run) was itself SIGKILLed. No test-runner import here: the vitest glue (pages, hooks)
 * is in clusterTest.ts.
 *
 * Linux only (process groups, /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { genUserSig } from '@parley/usersig';
import { TEST_CLIENT_LIMITS } from '../testLimits.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER_MAIN = join(ROOT, 'packages/server/dist/main.js');
const SDK_BUNDLE = join(ROOT, 'packages/sdk/dist/trtc.js');

/** Credentials every node of a kit cluster shares (a cluster's nodes must). */
export const CLUSTER_SDK_APP_ID = 1400000188;
export const CLUSTER_SECRET_KEY = 'cluster-e2e-secret-key-0123456789abcdef';
/** Server API (TRTC API 3.0) credentials of every node. */
export const CLUSTER_API: Readonly<{ secretId: string; secretKey: string }> = {
  secretId: 'AKIDparleyCluster0001',
  secretKey: 'cluster-e2e-api-secret-key-0123',
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A UserSig every node of a kit cluster accepts. */
export const clusterUserSig = (userId: string, expire = 3600): string =>
  genUserSig({ sdkAppId: CLUSTER_SDK_APP_ID, key: CLUSTER_SECRET_KEY, userId, expire });

// ---------------------------------------------------------------------------------------------
// Processes in /proc

interface ProcStat {
  state: string;
  pgrp: number;
  /** Clock ticks after boot: with the pid, names one process for good (pids are reused). */
  startTime: number;
}

function procStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', pgrp: Number(fields[2]), startTime: Number(fields[19]) };
  } catch {
    return null;
  }
}

/**
 * Whether `pid` runs (or is stopped). A zombie counts as gone: in a container whose init does
 * not reap, a killed node's orphaned mediasoup worker stays a zombie for good.
 */
export function isAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

/** The live pids of process group `pgid` (a node's: the node and its mediasoup workers). */
export function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const stat = procStat(pid);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') pids.push(pid);
  }
  return pids;
}

/** The command line of `pid` (arguments joined by spaces), or '' when it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  // -0 would be this process's own group.
  if (pgid <= 0) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

async function waitGroupGone(pgid: number, timeoutMs = 5000): Promise<void> {
  if (pgid <= 0) return;
  const deadline = Date.now() + timeoutMs;
  while (groupPids(pgid).length > 0) {
    if (Date.now() > deadline) {
      throw new Error(`process group ${pgid} still has ${groupPids(pgid).join(', ')}`);
    }
    await sleep(20);
  }
}

function tail(file: string, chars = 3000): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------------------------
// Ports

/** Ports handed out by this process, so two calls never return the same one. */
const usedPorts = new Set<number>();

/** A TCP port free on 127.0.0.1 now (the OS's pick, in the ephemeral range). */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address === null || typeof address === 'string') throw new Error('no port');
    if (!usedPorts.has(address.port)) {
      usedPorts.add(address.port);
      return address.port;
    }
  }
}

/** Media ports per node. */
export const RTC_PORTS_PER_NODE = 100;
// Media ranges are blocks of 20000-29999, below the ephemeral range that freePort's picks come
// from. Each process starts at a random block, so two test runs side by side rarely share one,
// and gives its nodes consecutive blocks, so the nodes of one run never do.
const RTC_BLOCKS = 100;
const firstBlock = randomInt(0, RTC_BLOCKS);
let blocksTaken = 0;

function nextRtcRange(): [number, number] {
  const block = (firstBlock + blocksTaken++) % RTC_BLOCKS;
  const min = 20_000 + block * RTC_PORTS_PER_NODE;
  return [min, min + RTC_PORTS_PER_NODE - 1];
}

// ---------------------------------------------------------------------------------------------
// Every process started here, killed when this process ends

const REGISTRY_DIR = join(tmpdir(), 'parley-cluster-kit');
const registryFile = join(REGISTRY_DIR, `${process.pid}.json`);
const live = new Set<GroupProcess>();
/** Every process started here, running or not: their logs for a failed test's report. */
const started: GroupProcess[] = [];
let hooksInstalled = false;

function writeRegistry(): void {
  try {
    mkdirSync(REGISTRY_DIR, { recursive: true });
    // pid and start time: the sweep below must not take a reused pid for ours.
    const groups = [...live].map((p) => [p.pid, procStat(p.pid)?.startTime ?? -1]);
    writeFileSync(registryFile, JSON.stringify(groups));
  } catch {
    // Best effort: the exit hooks still kill them.
  }
}

function killAllNow(): void {
  for (const p of live) signalGroup(p.pid, 'SIGKILL');
  live.clear();
  rmSync(registryFile, { force: true });
}

/**
 * Kills the groups a SIGKILLed test process (a vitest worker killed at a timeout) left running:
 * its exit hooks never ran. Only groups whose leader is still the process it started.
 */
function sweepLeftovers(): void {
  let files: string[];
  try {
    files = readdirSync(REGISTRY_DIR);
  } catch {
    return;
  }
  for (const file of files) {
    const owner = Number(file.replace(/\.json$/, ''));
    if (!Number.isInteger(owner) || owner === process.pid || isAlive(owner)) continue;
    const path = join(REGISTRY_DIR, file);
    try {
      const groups: unknown = JSON.parse(readFileSync(path, 'utf8'));
      for (const entry of Array.isArray(groups) ? groups : []) {
        if (!Array.isArray(entry)) continue;
        const [pgid, startTime] = entry as unknown[];
        if (typeof pgid !== 'number' || !isAlive(pgid)) continue;
        if (procStat(pgid)?.startTime === startTime) signalGroup(pgid, 'SIGKILL');
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
    rmSync(path, { force: true });
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  sweepLeftovers();
  process.on('exit', killAllNow);
  // A listener for a signal replaces its default (exit): re-raise it when nobody else listens.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllNow();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Only what a server needs from this process's environment: vitest's own variables and a
 * developer's PARLEY_* settings (a PARLEY_REDIS_URL in the shell!) must not reach the nodes.
 */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'DEBUG']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** One command run again and again (restart) in a process group of its own, logging to a file. */
class GroupProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** Whether an exit now is news (printed): not while starting (that throws) or stopping. */
  private reportExit = false;
  /**
   * Set once the group has emptied: its id may then be reused by another process's group,
   * which must get no signal of ours.
   */
  private groupGone = true;
  /** The pid of the current (or last) run; also its process group id. */
  pid = 0;

  constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    installHooks();
    appendFileSync(
      this.logFile,
      `--- [cluster kit] ${this.name} starting at ${new Date().toISOString()}\n`,
    );
    const fd = openSync(this.logFile, 'a');
    // detached: a new session and process group, led by the child (pid = pgid).
    const child = spawn(this.command, this.args, {
      cwd: ROOT,
      env: this.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    // A spawn failure (ENOENT) is reported here, and as a missing pid below.
    child.on('error', (error) => appendFileSync(this.logFile, `[cluster kit] ${error.message}\n`));
    if (child.pid === undefined) throw new Error(`${this.name}: could not spawn ${this.command}`);
    // The kit never holds the test process open: its exit hook kills what is left.
    child.unref();
    this.child = child;
    this.pid = child.pid;
    this.groupGone = false;
    if (!started.includes(this)) started.push(this);
    live.add(this);
    writeRegistry();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(this);
        writeRegistry();
        if (this.reportExit) {
          process.stderr.write(
            `[cluster kit] ${this.name} (pid ${child.pid}) exited by itself (${signal ?? `code ${code}`}); ` +
              `its log ${this.logFile} ends with:\n${tail(this.logFile)}\n`,
          );
        }
        resolve();
      });
    });
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.groupGone) signalGroup(this.pid, signal);
  }

  private async waitGone(): Promise<void> {
    if (this.groupGone) return;
    await waitGroupGone(this.pid);
    this.groupGone = true;
  }

  /** Resolves on the leader's exit (held by the child handle meanwhile, unref'd at start). */
  private waitExit(): Promise<void> {
    this.child?.ref();
    return this.exited;
  }

  /** SIGKILL to the whole group; resolves once no process of it is left. */
  async kill(): Promise<void> {
    this.reportExit = false;
    this.signal('SIGKILL');
    await this.waitExit();
    await this.waitGone();
  }

  freeze(): void {
    this.signal('SIGSTOP');
  }

  thaw(): void {
    this.signal('SIGCONT');
  }

  /** SIGTERM to the leader (it ends its own children), SIGKILL to the group after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.reportExit = false;
    if (this.running()) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        // It has just exited.
      }
      // A frozen process gets the SIGTERM once it runs again.
      this.signal('SIGCONT');
      const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      await this.waitExit();
      clearTimeout(timer);
    }
    // Whatever outlived the leader (a worker that did not exit with it).
    this.signal('SIGKILL');
    await this.waitGone();
  }

  /** Started: from now on an exit the kit did not cause is printed with the log's tail. */
  ready(): void {
    this.reportExit = true;
  }

  /** Throws with the log's tail when the process is no longer running. */
  assertRunning(what: string): void {
    if (!this.running()) {
      throw new Error(
        `${this.name} exited while ${what}; its log ${this.logFile} ends with:\n${tail(this.logFile)}`,
      );
    }
  }

  /** Gives up on a start: kills it and throws `message` with the log's tail. */
  async fail(message: string): Promise<never> {
    await this.kill().catch(() => undefined);
    throw new Error(`${message}; its log ${this.logFile} ends with:\n${tail(this.logFile)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

export interface RedisOptions {
  /** requirepass: the URL then carries it (`redis://:password@…`). */
  password?: string;
  /** How long start and restart wait for PING (default 10 s). */
  readyTimeoutMs?: number;
}

export interface RedisUnderTest {
  /** `redis://127.0.0.1:PORT` (with the password when there is one): PARLEY_REDIS_URL. */
  url: string;
  port: number;
  /** The current run's pid (changes on restart). */
  readonly pid: number;
  logFile: string;
  /** True when it answers PING within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** A client of its own (call quit() or disconnect() when done). */
  client(): Redis;
  /** SIGTERM; waits for the exit (no persistence: everything is gone). */
  stop(): Promise<void>;
  /** SIGKILL; waits for the exit. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing answers. */
  freeze(): void;
  thaw(): void;
  /** Stops it if it runs and starts it again, empty, on the same port; waits for PING. */
  restart(): Promise<void>;
}

function redisClient(port: number, password: string | undefined, timeoutMs: number): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    ...(password !== undefined ? { password } : {}),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // One attempt: the callers poll.
    retryStrategy: () => null,
  });
  // Without a listener ioredis prints every connection error.
  client.on('error', () => undefined);
  return client;
}

async function pingRedis(port: number, password: string | undefined, timeoutMs: number) {
  const client = redisClient(port, password, timeoutMs);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Debian's `redis-server` on a free loopback port, without persistence, in a directory of its
 * own; resolves once it answers PING.
 */
export async function startRedis(options: RedisOptions = {}): Promise<RedisUnderTest> {
  const { password, readyTimeoutMs = 10_000 } = options;
  if (!onPath('redis-server')) {
    throw new Error(
      'redis-server is not installed: npm test installs it (as root), or: sudo apt-get install -y redis-server',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    // '': the log goes to stdout, i.e. the log file.
    '--logfile',
    '',
    ...(password !== undefined ? ['--requirepass', password] : []),
  ];
  const proc = new GroupProcess(
    `redis:${port}`,
    join(dir, 'redis.log'),
    'redis-server',
    args,
    baseEnv(),
  );
  const start = async () => {
    proc.start();
    const deadline = Date.now() + readyTimeoutMs;
    while (!(await pingRedis(port, password, 500))) {
      proc.assertRunning('starting');
      if (Date.now() > deadline) {
        await proc.fail(`redis-server did not answer PING on port ${port} in ${readyTimeoutMs} ms`);
      }
      await sleep(50);
    }
    proc.ready();
  };
  await start();
  const auth = password !== undefined ? `:${encodeURIComponent(password)}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    get pid() {
      return proc.pid;
    },
    logFile: proc.logFile,
    ping: (timeoutMs = 1000) => pingRedis(port, password, timeoutMs),
    client: () => {
      // ioredis's defaults: it reconnects after a restart.
      const client = new Redis(`redis://${auth}127.0.0.1:${port}`);
      client.on('error', () => undefined);
      return client;
    },
    stop: () => proc.stop(),
    kill: () => proc.kill(),
    freeze: () => proc.freeze(),
    thaw: () => proc.thaw(),
    restart: async () => {
      await proc.stop();
      await start();
    },
  };
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(':')
    .some((dir) => dir !== '' && existsSync(join(dir, command)));
}

// ---------------------------------------------------------------------------------------------
// Parley nodes

export interface NodeOptions {
  /** PARLEY_REDIS_URL; absent: a node on its own (embedded mode). */
  redisUrl?: string;
  /** PARLEY_NODE_ID (default `node-<n>`, n counting this process's nodes from 1). */
  id?: string;
  /** More environment, applied last (an empty value unsets one of the kit's). */
  env?: Record<string, string>;
  /** How long start and restart wait for /healthz 200 (default 20 s). */
  readyTimeoutMs?: number;
}

export interface NodeUnderTest {
  /** PARLEY_NODE_ID */
  id: string;
  /** `http://127.0.0.1:PORT`: the SDK at /sdk/trtc.js, /healthz, the server API, /metrics. */
  origin: string;
  /** `ws://127.0.0.1:PORT/signal` */
  signalUrl: string;
  port: number;
  /** PARLEY_RTC_MIN_PORT, PARLEY_RTC_MAX_PORT */
  rtcPorts: [number, number];
  /** The current run's pid, also its process group id (changes on restart). */
  readonly pid: number;
  /** stdout and stderr of every run (appended on restart), JSON lines at level debug. */
  logFile: string;
  /** PARLEY_DATA_DIR, kept across restarts (the node's callback queue, bans, history). */
  dataDir: string;
  sdkAppId: number;
  secretKey: string;
  /** A UserSig for `userId` (every node of the kit accepts it). */
  userSig(userId: string, expire?: number): string;
  /** Live pids of its process tree: the node, then its mediasoup workers. */
  pids(): number[];
  /** Whether the node process runs (a frozen one does). */
  running(): boolean;
  /** GET /healthz's status, or null when no answer came within `timeoutMs` (default 1 s). */
  health(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL to the whole tree (no goodbye to Redis or clients); resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGSTOP to the whole tree: sockets stay open, nothing answers (a hung machine). */
  freeze(): void;
  /** SIGCONT to the whole tree. */
  thaw(): void;
  /** SIGTERM (a graceful shutdown), SIGKILL after 5 s; resolves once the tree is gone. */
  stop(): Promise<void>;
  /** Stops it when it runs, then starts it again with the same id, ports and data directory. */
  restart(): Promise<void>;
  /** The end of its log. */
  logTail(chars?: number): string;
}

let nodeCount = 0;
let staleChecked = false;

function assertBuilt(): void {
  for (const file of [SERVER_MAIN, SDK_BUNDLE]) {
    if (!existsSync(file)) {
      throw new Error(`${file} is missing: run \`npm run build\` first (npm test does)`);
    }
  }
  if (staleChecked) return;
  staleChecked = true;
  // A build older than the server's sources would test yesterday's code: say so (once).
  try {
    const built = statSync(join(ROOT, 'packages/server/tsconfig.tsbuildinfo')).mtimeMs;
    const src = join(ROOT, 'packages/server/src');
    const newer = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(join(src, f)).mtimeMs > built,
    );
    if (newer.length > 0) {
      process.stderr.write(
        `[cluster kit] packages/server/src has changes newer than the build (${newer.slice(0, 3).join(', ')}…): run \`npm run build\`\n`,
      );
    }
  } catch {
    // No build info: nothing to compare.
  }
}

/**
 * A Parley node as a separate process (`node packages/server/dist/main.js`, with this
 * process's Node), listening on 127.0.0.1 with its own HTTP port, media port range and data
 * directory; resolves once GET /healthz answers 200.
 */
export async function startNode(options: NodeOptions = {}): Promise<NodeUnderTest> {
  assertBuilt();
  const n = ++nodeCount;
  const id = options.id ?? `node-${n}`;
  const port = await freePort();
  const rtcPorts = nextRtcRange();
  const dataDir = mkdtempSync(join(tmpdir(), `parley-${id}-`));
  const logFile = join(dataDir, 'node.log');
  const origin = `http://127.0.0.1:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const env: Record<string, string> = {
    ...baseEnv(),
    HOST: '127.0.0.1',
    PORT: String(port),
    PARLEY_ANNOUNCED_IP: '127.0.0.1',
    PARLEY_RTC_MIN_PORT: String(rtcPorts[0]),
    PARLEY_RTC_MAX_PORT: String(rtcPorts[1]),
    PARLEY_DATA_DIR: dataDir,
    PARLEY_NODE_ID: id,
    PARLEY_WORKERS: '1',
    PARLEY_SDK_APP_ID: String(CLUSTER_SDK_APP_ID),
    PARLEY_SECRET_KEY: CLUSTER_SECRET_KEY,
    PARLEY_API_SECRET_ID: CLUSTER_API.secretId,
    PARLEY_API_SECRET_KEY: CLUSTER_API.secretKey,
    PARLEY_LOG_LEVEL: 'debug',
    ...TEST_CLIENT_LIMITS,
    ...(options.redisUrl !== undefined ? { PARLEY_REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  };
  const proc = new GroupProcess(id, logFile, process.execPath, [SERVER_MAIN], env);
  const health = async (timeoutMs = 1000): Promise<number | null> => {
    try {
      const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return null;
    }
  };
  const start = async () => {
    proc.start();
    const deadline = Date.now() + readyTimeoutMs;
    let last: number | null = null;
    while ((last = await health(1000)) !== 200) {
      proc.assertRunning('starting');
      if (Date.now() > deadline) {
        await proc.fail(
          `node ${id} (${origin}) did not answer /healthz 200 within ${readyTimeoutMs} ms (last: ${last ?? 'no answer'})`,
        );
      }
      await sleep(100);
    }
    proc.ready();
  };
  await start();
  return {
    id,
    origin,
    signalUrl: `ws://127.0.0.1:${port}/signal`,
    port,
    rtcPorts,
    get pid() {
      return proc.pid;
    },
    logFile,
    dataDir,
    sdkAppId: CLUSTER_SDK_APP_ID,
    secretKey: CLUSTER_SECRET_KEY,
    userSig: clusterUserSig,
    pids: () => {
      const pids = groupPids(proc.pid);
      return [...pids.filter((p) => p === proc.pid), ...pids.filter((p) => p !== proc.pid)];
    },
    running: () => proc.running(),
    health,
    kill: () => proc.kill(),
    freeze: () => proc.freeze(),
    thaw: () => proc.thaw(),
    stop: () => proc.stop(),
    restart: async () => {
      await proc.stop();
      await start();
    },
    logTail: (chars = 3000) => tail(logFile, chars),
  };
}

// ---------------------------------------------------------------------------------------------
// Whole clusters

export interface ClusterUnderTest {
  redis: RedisUnderTest;
  nodes: NodeUnderTest[];
}

/**
 * A Redis and `nodes` nodes on it, started one after another (as an operator would; a node
 * must not wait for its peers). `env` goes to every node.
 */
export async function startCluster(
  options: { nodes?: number; env?: Record<string, string>; redis?: RedisOptions } = {},
): Promise<ClusterUnderTest> {
  const redis = await startRedis(options.redis);
  const nodes: NodeUnderTest[] = [];
  for (let i = 0; i < (options.nodes ?? 3); i++) {
    nodes.push(
      await startNode({ redisUrl: redis.url, ...(options.env ? { env: options.env } : {}) }),
    );
  }
  return { redis, nodes };
}

/** The log files of every process started here (for a failed test's report). */
export function startedLogs(): { name: string; logFile: string; running: boolean }[] {
  return started.map((p) => ({ name: p.name, logFile: p.logFile, running: p.running() }));
}

/**
 * Stops every process started here (for afterAll): nodes first, gracefully (SIGTERM, frozen
 * ones thawed, SIGKILL after 5 s), then Redis.
 */
export async function stopAll(): Promise<void> {
  const all = [...live];
  const isRedis = (p: GroupProcess) => p.name.startsWith('redis:');
  await Promise.all(all.filter((p) => !isRedis(p)).map((p) => p.stop()));
  await Promise.all(all.filter(isRedis).map((p) => p.stop()));
}
