/**
 * Servers inside the lab's server namespace: Parley (the built server, `npm run build` first,
 * as every e2e test needs) and coturn. Each logs to a file of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { genUserSig } from '@parley/usersig';
import { TEST_CLIENT_LIMITS } from '../testLimits.js';
import { run } from './exec.js';
import { SERVER_IP, TURN_IP } from './addresses.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const PARLEY_HTTP_PORT = 8080;
/** Media ports: a small range, so the delay relay can listen on each one. */
export const MEDIA_PORTS: [number, number] = [40000, 40059];
export const TURN_PORT = 3478;

export interface NsProcess {
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts `cmd` in `ns` with its output to a log file; stop() ends it (SIGKILL after 5 s). */
export function spawnInNs(
  ns: string,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  name: string,
): NsProcess {
  const logFile = join(mkdtempSync(join(tmpdir(), `${name}-`)), `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { child, logFile, stop };
}

async function waitForLog(proc: NsProcess, text: string, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (readFileSync(proc.logFile, 'utf8').includes(text)) return;
    if (proc.child.exitCode !== null) break;
    await sleep(100);
  }
  await proc.stop();
  throw new Error(
    `${what} did not start within ${ms} ms; its log (${proc.logFile}):\n` +
      readFileSync(proc.logFile, 'utf8').slice(-3000),
  );
}

export interface ParleyInNs {
  origin: string;
  sdkAppId: number;
  secretKey: string;
  logFile: string;
  userSig(userId: string): string;
  close(): Promise<void>;
}

const SDK_APP_ID = 1400000077;
const SECRET_KEY = 'netlab-secret-key-0123456789abcdef';

/** Parley listening on the lab's server address, configured further by `env`. */
export async function startParleyIn(
  serverNs: string,
  env: Record<string, string> = {},
): Promise<ParleyInNs> {
  const proc = spawnInNs(
    serverNs,
    process.execPath,
    ['packages/server/dist/main.js'],
    {
      PORT: String(PARLEY_HTTP_PORT),
      HOST: SERVER_IP,
      PARLEY_RTC_MIN_PORT: String(MEDIA_PORTS[0]),
      PARLEY_RTC_MAX_PORT: String(MEDIA_PORTS[1]),
      PARLEY_SDK_APP_ID: String(SDK_APP_ID),
      PARLEY_SECRET_KEY: SECRET_KEY,
      PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-netlab-')),
      PARLEY_LOG_LEVEL: process.env.PARLEY_NET_LOG_LEVEL ?? 'info',
      PARLEY_WORKERS: '1',
      ...TEST_CLIENT_LIMITS,
      ...env,
    },
    'parley-netlab',
  );
  // Its start checks GStreamer's elements for media-out (gst-inspect runs): seconds, and more
  // than 20 s on a loaded two-core machine.
  await waitForLog(proc, 'parley listening', 'Parley', 60_000);
  return {
    origin: `http://${SERVER_IP}:${PARLEY_HTTP_PORT}`,
    sdkAppId: SDK_APP_ID,
    secretKey: SECRET_KEY,
    logFile: proc.logFile,
    userSig: (userId) =>
      genUserSig({ sdkAppId: SDK_APP_ID, key: SECRET_KEY, userId, expire: 3600 }),
    close: proc.stop,
  };
}

/** Installs coturn from Debian when it is missing (root only). */
export function ensureCoturn(): void {
  try {
    run('sh', ['-c', 'command -v turnserver']);
  } catch {
    run('sh', ['-c', 'DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq coturn']);
  }
}

export interface Coturn extends NsProcess {
  url: string;
}

/**
 * coturn on the lab's TURN address with REST (use-auth-secret) credentials, as Parley hands
 * them out. Relays may go to the lab's private addresses (coturn refuses nothing by default
 * but loopback).
 */
export async function startCoturn(serverNs: string, secret: string): Promise<Coturn> {
  ensureCoturn();
  const dir = mkdtempSync(join(tmpdir(), 'coturn-state-'));
  const proc = spawnInNs(
    serverNs,
    'turnserver',
    [
      '-n',
      '--log-file=stdout',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      `--listening-ip=${TURN_IP}`,
      `--relay-ip=${TURN_IP}`,
      `--listening-port=${TURN_PORT}`,
      '--min-port=49160',
      '--max-port=49200',
      '--realm=parley.test',
      '--fingerprint',
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--simple-log',
      `--userdb=${join(dir, 'turndb')}`,
      `--pidfile=${join(dir, 'turnserver.pid')}`,
    ],
    {},
    'coturn',
  );
  await waitForLog(proc, 'Total General servers', 'coturn');
  return { ...proc, url: `turn:${TURN_IP}:${TURN_PORT}?transport=udp` };
}
