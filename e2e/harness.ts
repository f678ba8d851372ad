/**
 * E2E harness: a real Parley server (in this process), a separate "application" origin that
 * serves test pages, and headless Chromium with fake camera and microphone.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { ParleyServer, createLogger, loadConfig } from '@parley/server';
import { genUserSig } from '@parley/usersig';
import { RECORD_PEER_CONNECTIONS } from './pageScripts.js';
import { TEST_CLIENT_LIMITS } from './testLimits.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
];

export interface ParleyUnderTest {
  server: ParleyServer;
  /** http://127.0.0.1:port (https:// with TLS) */
  origin: string;
  sdkAppId: number;
  secretKey: string;
  /** Signs a userSig for `userId` (and remembers it as a secret the log must not show). */
  userSig(userId: string, expire?: number): string;
  /** Remembers a secret the test handed out: close() fails if the server log shows it. */
  recordSecret(secret: string): void;
  /** The server's log file (JSON lines, level debug), kept after the run. */
  logFile: string;
  /**
   * Stops the server, then reads its whole log and throws if any recorded secret (the secret
   * key, every userSig made by userSig(), recorded ones) is in it.
   */
  close(): Promise<void>;
}

/**
 * A Parley server in this process. Its log goes, at level debug, to a file of its own
 * (`<tmp>/parley-e2e-*\/server.log`, path printed on failure), and warnings also to stdout
 * (or PARLEY_LOG_LEVEL's level). `env` adds configuration (e.g. PARLEY_TLS_CERT).
 */
export async function startParley(env: Record<string, string> = {}): Promise<ParleyUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PARLEY_DATA_DIR: dataDir,
    PARLEY_LOG_LEVEL: process.env.PARLEY_LOG_LEVEL ?? 'warn',
    ...TEST_CLIENT_LIMITS,
    ...env,
  });
  const logFile = join(dataDir, 'server.log');
  const file = pino.destination({ dest: logFile, sync: true });
  const consoleLevel = process.env.PARLEY_LOG_LEVEL ?? 'warn';
  const streams = pino.multistream([
    { level: 'debug', stream: file },
    ...(consoleLevel === 'silent'
      ? []
      : [{ level: consoleLevel as pino.Level, stream: process.stdout }]),
  ]);
  const server = new ParleyServer({
    config,
    log: createLogger('debug', { destination: streams, secrets: [config.secretKey] }),
  });
  const { port } = await server.listen();
  const secrets = new Set<string>([config.secretKey]);
  return {
    server,
    origin: `${config.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    sdkAppId: config.sdkAppId,
    secretKey: config.secretKey,
    userSig: (userId, expire = 3600) => {
      const sig = genUserSig({ sdkAppId: config.sdkAppId, key: config.secretKey, userId, expire });
      secrets.add(sig);
      return sig;
    },
    recordSecret: (secret) => void secrets.add(secret),
    logFile,
    close: async () => {
      await server.close();
      file.flushSync();
      expectNoSecretsIn(logFile, secrets);
    },
  };
}

/** Throws naming the log file when any of `secrets` is in it. */
export function expectNoSecretsIn(logFile: string, secrets: Iterable<string>): void {
  const text = readFileSync(logFile, 'utf8');
  const found = [...secrets].filter((s) => s !== '' && text.includes(s));
  if (found.length > 0) {
    throw new Error(
      `${found.length} secret(s) (${found.map((s) => s.slice(0, 10) + '…').join(', ')}) appear in the server log ${logFile}`,
    );
  }
}

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/**
 * The application's own web server, on another origin than Parley (host name `localhost`
 * and its own port), as a real app's page is. `{{PARLEY}}` in fixtures becomes Parley's origin.
 */
export async function startAppOrigin(
  parleyOrigin: string,
  /** Serve HTTPS with this certificate (PEM) instead of HTTP. */
  tls?: { cert: string; key: string },
): Promise<{ origin: string; close(): Promise<void> }> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
    if (!/^[\w-]+\.html$/.test(name)) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(FIXTURES, name), 'utf8').then(
      (html) => {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(html.replaceAll('{{PARLEY}}', parleyOrigin));
      },
      () => res.writeHead(404).end(),
    );
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${tls ? 'https' : 'http'}://localhost:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface E2eEnvironment {
  parley: ParleyUnderTest;
  /** The application's origin (another host name and port than Parley's). */
  app: { origin: string; close(): Promise<void> };
  browser: Browser;
}

/**
 * Registers the usual lifecycle for a test file: a Parley server, an application origin and
 * a browser for the whole file; pages closed after each test. Read the fields inside tests.
 */
export function useE2eEnvironment(
  serverEnv: Record<string, string> = {},
  /** false for a file that keeps one page across its tests (and closes it itself). */
  { closePagesAfterEach = true } = {},
): E2eEnvironment {
  const env = {} as E2eEnvironment;
  beforeAll(async () => {
    env.parley = await startParley(serverEnv);
    env.app = await startAppOrigin(env.parley.origin);
    env.browser = await launchBrowser();
  });
  if (closePagesAfterEach) afterEach(() => closeAllPages());
  afterAll(async () => {
    await env.browser?.close();
    await env.app?.close();
    await env.parley?.close();
  });
  return env;
}

export async function launchBrowser(
  extraArgs: string[] = [],
  executablePath = CHROMIUM,
): Promise<Browser> {
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Browsers whose pages get the app origin from the test process (see serveAppOriginByRoute). */
const routedApps = new WeakMap<Browser, { appOrigin: string; parleyOrigin: string }>();

/**
 * Serves the fixtures at `appOrigin` to `browser`'s pages from this process through playwright
 * routing, for a browser that cannot reach this machine's loopback (one in a network
 * namespace). `http://localhost:<port>` keeps the page a secure context.
 */
export function serveAppOriginByRoute(
  browser: Browser,
  parleyOrigin: string,
  appOrigin = 'http://localhost:7357',
): string {
  routedApps.set(browser, { appOrigin, parleyOrigin });
  return appOrigin;
}

const openContexts = new Set<BrowserContext>();

/** Closes every page opened by newPage (for afterEach, so a failed test leaves nothing behind). */
export async function closeAllPages(): Promise<void> {
  const contexts = [...openContexts];
  openContexts.clear();
  await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
}

export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  openContexts.add(context);
  context.on('close', () => openContexts.delete(context));
  await context.addInitScript(RECORD_PEER_CONNECTIONS);
  const routed = routedApps.get(browser);
  if (routed) {
    await context.route(`${routed.appOrigin}/**`, async (route) => {
      const name = new URL(route.request().url()).pathname.slice(1);
      if (!/^[\w-]+\.html$/.test(name)) return route.fulfill({ status: 404 });
      const html = await readFile(join(FIXTURES, name), 'utf8').catch(() => null);
      if (html === null) return route.fulfill({ status: 404 });
      return route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: html.replaceAll('{{PARLEY}}', routed.parleyOrigin),
      });
    });
  }
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  return { context, page };
}

export interface RemoteMedia {
  userId: string;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  /** Chrome's totalAudioEnergy of the inbound audio. */
  audioEnergy: number;
  audioSamples: number;
}

/**
 * What a page receives from each remote user, from getStats() of its peer connections, matched
 * to users through the tracks the SDK put in `div#remote_stream-<streamId>` players.
 * `window.__remoteUsers` (streamId → userId) is kept by the fixture page.
 */
export async function remoteMedia(page: Page): Promise<RemoteMedia[]> {
  return page.evaluate(async () => {
    const w = window as unknown as {
      __pcs: RTCPeerConnection[];
      __remoteUsers: Record<string, string>;
    };
    const byTrack = new Map<string, Record<string, number>>();
    for (const pc of w.__pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp' && typeof s.trackIdentifier === 'string') {
          byTrack.set(s.trackIdentifier, s as Record<string, number>);
        }
      });
    }
    const result = [];
    for (const [streamId, userId] of Object.entries(w.__remoteUsers)) {
      const video = document.getElementById(`video_${streamId}`) as HTMLVideoElement | null;
      const audio = document.getElementById(`audio_${streamId}`) as HTMLAudioElement | null;
      const videoTrack = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
      const audioTrack = (
        (audio?.srcObject ?? video?.srcObject) as MediaStream | null
      )?.getAudioTracks()[0];
      const v = videoTrack ? byTrack.get(videoTrack.id) : undefined;
      const a = audioTrack ? byTrack.get(audioTrack.id) : undefined;
      result.push({
        userId,
        framesDecoded: v?.framesDecoded ?? 0,
        frameWidth: v?.frameWidth ?? 0,
        frameHeight: v?.frameHeight ?? 0,
        audioEnergy: a?.totalAudioEnergy ?? 0,
        audioSamples: a?.totalSamplesReceived ?? 0,
      });
    }
    return result;
  });
}

/** A random numeric room per test: test files share one server per file. */
export const randomRoomId = (): number => 100_000 + Math.floor(Math.random() * 3_000_000);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value or the time is up (then throws with `what`). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | null | undefined | false;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await sleep(200);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`,
  );
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Opens the guide fixture (the TRTC v4 guide's code) for a user and runs it: join + publish. */
export async function openGuidePage(
  browser: Browser,
  appOrigin: string,
  parley: Pick<ParleyUnderTest, 'sdkAppId' | 'userSig'>,
  userId: string,
  roomId: number,
): Promise<Page> {
  const { page } = await newPage(browser);
  const query = new URLSearchParams({
    sdkAppId: String(parley.sdkAppId),
    userId,
    userSig: parley.userSig(userId),
    roomId: String(roomId),
  });
  await page.goto(`${appOrigin}/guide.html?${query}`);
  await page.evaluate(() => (window as unknown as { start(): Promise<void> }).start());
  return page;
}

/** Waits until the page decodes video and hears audio from exactly `users`, and returns it. */
export async function receivingFrom(page: Page, users: string[]): Promise<RemoteMedia[]> {
  let last: RemoteMedia[] = [];
  try {
    return await waitFor(
      `${users.join('+')} media on the page`,
      async () => {
        last = await remoteMedia(page);
        const ok =
          last.length === users.length &&
          users.every((u) =>
            last.some((m) => m.userId === u && m.framesDecoded > 0 && m.frameWidth > 0),
          );
        return ok ? last : null;
      },
      20_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; the page receives ${JSON.stringify(last)}`);
  }
}

/**
 * Asserts video frames keep being decoded and audio energy keeps arriving from each user: more
 * than 10 new frames, rising audio samples and energy within 1.5 s. Sampled every 100 ms and
 * done as soon as that holds (a steady call passes in well under the 1.5 s); the assertions
 * run on the first sample taken 1.5 s or more after the first one otherwise. A user whose
 * frame count went down has new tracks (subscribed again, e.g. through a new relay): the
 * 1.5 s start again from them, at most three times.
 */
export async function expectFlowing(page: Page, users: string[]): Promise<void> {
  let before = await receivingFrom(page, users);
  let deadline = Date.now() + 1500;
  let restarts = 0;
  const of = (media: RemoteMedia[], user: string) => media.find((m) => m.userId === user);
  const flowing = (after: RemoteMedia[]) =>
    users.every((user) => {
      const b = of(before, user)!;
      const a = of(after, user);
      return (
        a !== undefined &&
        a.framesDecoded > b.framesDecoded + 10 &&
        a.frameWidth >= 160 &&
        a.frameHeight >= 120 &&
        a.audioSamples > b.audioSamples &&
        a.audioEnergy > b.audioEnergy
      );
    });
  let after = await remoteMedia(page);
  while (!flowing(after) && Date.now() < deadline) {
    const renewed = users.some(
      (user) => (of(after, user)?.framesDecoded ?? 0) < of(before, user)!.framesDecoded,
    );
    if (renewed && restarts < 3) {
      restarts++;
      before = await receivingFrom(page, users);
      deadline = Date.now() + 1500;
    }
    await sleep(100);
    after = await remoteMedia(page);
  }
  for (const user of users) {
    const b = of(before, user)!;
    const a = of(after, user);
    expect(a, `still receiving ${user}`).toBeDefined();
    expect(a!.framesDecoded, `video frames from ${user} rising`).toBeGreaterThan(
      b.framesDecoded + 10,
    );
    expect(a!.frameWidth, `real frame size from ${user}`).toBeGreaterThanOrEqual(160);
    expect(a!.frameHeight).toBeGreaterThanOrEqual(120);
    expect(a!.audioSamples, `audio samples from ${user} rising`).toBeGreaterThan(b.audioSamples);
    expect(a!.audioEnergy, `audio energy from ${user} rising`).toBeGreaterThan(b.audioEnergy);
  }
}

export interface PageEvent {
  name: string;
  userId?: string;
  state?: string;
  at: number;
}

/** Events the guide fixture recorded, with the page's Date.now() (same clock as the test). */
export const events = (page: Page): Promise<PageEvent[]> =>
  page.evaluate(() => (window as unknown as { __events: PageEvent[] }).__events);
