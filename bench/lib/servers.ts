/**
 * The servers under test, each in its own network namespace made here (`pb-srv`), reached
 * from the clients' namespace (`pb-cli`) over a veth pair. Neither namespace has any other
 * interface than its loopback, so no packet can go anywhere but between the two.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { janusArgs, writeJanusConfig } from './janusConfig.js';
import { sleep } from './proc.js';

export const SERVER_NS = 'pb-srv';
export const CLIENT_NS = 'pb-cli';
export const SERVER_IP = '10.123.45.2';
export const CLIENT_IP = '10.123.45.1';
const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Throws unless this process runs in the clients' namespace, where the only interfaces are
 * the loopback and the veth to the servers: every bench packet then stays on this machine.
 */
export function assertClientNamespace(): void {
  const names = Object.keys(networkInterfaces()).sort();
  if (names.join(',') !== 'lo,pbv-cli') {
    throw new Error(
      `the bench must run inside the network namespace ${CLIENT_NS} (interfaces here: ${names.join(', ')})`,
    );
  }
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

export function netnsUp(): void {
  netnsDown();
  ip('netns', 'add', SERVER_NS);
  ip('netns', 'add', CLIENT_NS);
  ip(
    'link',
    'add',
    'pbv-cli',
    'netns',
    CLIENT_NS,
    'type',
    'veth',
    'peer',
    'name',
    'pbv-srv',
    'netns',
    SERVER_NS,
  );
  for (const [ns, dev, addr] of [
    [CLIENT_NS, 'pbv-cli', CLIENT_IP],
    [SERVER_NS, 'pbv-srv', SERVER_IP],
  ] as const) {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'addr', 'add', `${addr}/30`, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
  }
}

export function netnsDown(): void {
  for (const ns of [SERVER_NS, CLIENT_NS]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // not there
    }
  }
}

export interface ServerUnderTest {
  name: 'Parley' | 'Janus';
  /** Root of the server's process tree (its children are counted with it). */
  pid: number;
  /** Base URL: Parley's HTTP origin, or Janus's HTTP API (…/janus). */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a server in its namespace, its output to a log file: a pipe to this busy process could
 * fill up and block a server that writes its logs synchronously.
 */
function inServerNs(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  logName: string,
): ChildProcess {
  const log = join(mkdtempSync(join(tmpdir(), `${logName}-log-`)), `${logName}.log`);
  const fd = openSync(log, 'w');
  const child = spawn('ip', ['netns', 'exec', SERVER_NS, cmd, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL') {
      const tail = readFileSync(log, 'utf8').slice(-3000);
      process.stderr.write(
        `[${logName}] exited ${code ?? signal}; last output (${log}):\n${tail}\n`,
      );
    }
  });
  lastLog.set(logName, log);
  return child;
}

/** Log file of the last server started under this name. */
export const lastLog = new Map<string, string>();

async function waitHttp(url: string, what: string, timeoutMs = 20_000): Promise<void> {
  assertClientNamespace();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`${what} did not answer at ${url} within ${timeoutMs} ms`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

export const PARLEY_APP_ID = 1400000001;
export const PARLEY_KEY = 'bench-secret-key-0123456789abcdef';
const PARLEY_PORT = 18080;

export interface ParleyOptions {
  /** HTTP port (default 18080). */
  port?: number;
  /** More environment (cluster nodes: PARLEY_REDIS_URL, PARLEY_NODE_ID, media ports…). */
  env?: Record<string, string>;
  /** Name of its log file (default `parley`). */
  logName?: string;
}

/** `node packages/server/dist/main.js`, as `npm start` runs it after the build. */
export async function startParley(options: ParleyOptions = {}): Promise<ServerUnderTest> {
  const port = options.port ?? PARLEY_PORT;
  const child = inServerNs(
    process.execPath,
    ['packages/server/dist/main.js'],
    {
      PORT: String(port),
      // Media listens on the veth address only (Janus in its namespace has only that one too).
      HOST: SERVER_IP,
      PARLEY_SDK_APP_ID: String(PARLEY_APP_ID),
      PARLEY_SECRET_KEY: PARLEY_KEY,
      PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-bench-')),
      PARLEY_LOG_LEVEL: 'warn',
      // Every bench client comes from one address: the per-IP abuse limits would refuse them.
      PARLEY_CONNECTIONS_PER_SECOND_PER_IP: '10000',
      PARLEY_MAX_CONNECTIONS_PER_IP: '100000',
      PARLEY_JOINS_PER_SECOND_PER_IP: '10000',
      ...options.env,
    },
    options.logName ?? 'parley',
  );
  const url = `http://${SERVER_IP}:${port}`;
  await waitHttp(`${url}/`, 'Parley');
  return { name: 'Parley', pid: child.pid!, url, stop: stopper(child) };
}

export interface RedisInServerNs {
  /** PARLEY_REDIS_URL for servers in the servers' namespace (Redis listens on its loopback). */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Debian's redis-server in the servers' namespace, on its loopback only, without persistence
 * (a bench cluster's Redis lives as long as the bench).
 */
export async function startRedis(port = 16379): Promise<RedisInServerNs> {
  const child = inServerNs(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {},
    'redis',
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const out = spawnSync(
      'ip',
      ['netns', 'exec', SERVER_NS, 'redis-cli', '-p', String(port), 'ping'],
      { encoding: 'utf8', timeout: 2000 },
    );
    if (out.stdout?.trim() === 'PONG') break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING on port ${port} (${lastLog.get('redis')})`);
    }
    await sleep(100);
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid!, stop: stopper(child) };
}

const JANUS_PORT = 18088;
/**
 * Janus with only the VideoRoom plugin and the HTTP transport, configured here. In its
 * namespace the only non-loopback interface is the veth, so libnice gathers that address.
 */
export async function startJanus(): Promise<ServerUnderTest> {
  const dir = writeJanusConfig({ httpPort: JANUS_PORT, rtpPortRange: '20000-40000' });
  const child = inServerNs('janus', janusArgs(dir), {}, 'janus');
  const url = `http://${SERVER_IP}:${JANUS_PORT}/janus`;
  await waitHttp(`${url}/info`, 'Janus');
  return { name: 'Janus', pid: child.pid!, url, stop: stopper(child) };
}
