/**
 * `join`: a subscriber's join → first painted frame in Chromium (requestVideoFrameCallback),
 * the publisher live (Chromium's fake camera) — the method of e2e/joinLatency.e2e.test.ts.
 * Parley: the TRTC v4 API (client.join, stream-added → subscribe → play). Janus: plain JSEP
 * over its HTTP API (session, VideoRoom handle, list the publishers, subscribe, answer).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { genUserSig } from '@parley/usersig';
import { createJanusRoom } from './lib/clients.js';
import { percentile } from './lib/proc.js';
import { fmt, table } from './lib/report.js';
import { JOIN_PROBE, measureParleyJoins, type JoinSample } from '../e2e/pageScripts.js';
import {
  assertClientNamespace,
  PARLEY_APP_ID,
  PARLEY_KEY,
  type ServerUnderTest,
} from './lib/servers.js';

export const CHROMIUM_ARGS = [
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

/** Percentiles of one criterion over the joins that showed a frame. */
export interface JoinFigures {
  timesMs: number[];
  p50Ms: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

export interface JoinResult {
  server: string;
  /** Joins that showed a frame. */
  joins: number;
  /** Joins with no frame within 10 s (left out of the percentiles). */
  failed: number;
  /** join → first frame painted (requestVideoFrameCallback). */
  painted: JoinFigures;
  /** join → the <video> playing: a picture and a moving clock (what a person sees move). */
  playing: JoinFigures;
}

export function joinFigures(times: number[]): JoinFigures {
  return {
    timesMs: times.map((t) => Math.round(t * 10) / 10),
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
  };
}

export const launchChromium = (): Promise<Browser> => {
  assertClientNamespace();
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
};

const FIXTURES = [
  new URL('../e2e/fixtures/', import.meta.url).pathname,
  new URL('./fixtures/', import.meta.url).pathname,
];

/** The application's pages, on their own origin (as a real app's), `{{PARLEY}}` filled in. */
export async function appOrigin(
  parley: string,
): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
    if (!/^[\w-]+\.html$/.test(name)) return void res.writeHead(404).end();
    void (async () => {
      for (const dir of FIXTURES) {
        const html = await readFile(dir + name, 'utf8').catch(() => null);
        if (html === null) continue;
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        return void res.end(html.replaceAll('{{PARLEY}}', parley));
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** UserSig of the bench's Parley application. */
const sig = (userId: string) =>
  genUserSig({ sdkAppId: PARLEY_APP_ID, key: PARLEY_KEY, userId, expire: 3600 });

/** A Chromium page publishing its fake camera and microphone with the guide's code. */
export async function startGuidePublisher(
  page: Page,
  origin: string,
  roomId: number,
  userId: string,
): Promise<void> {
  await page.goto(
    `${origin}/guide.html?${new URLSearchParams({
      sdkAppId: String(PARLEY_APP_ID),
      userId,
      userSig: sig(userId),
      roomId: String(roomId),
    })}`,
  );
  await page.evaluate(() => (window as unknown as { start(): Promise<void> }).start());
}

/**
 * `joins` joins one after another on a page showing sdk.html (JOIN_PROBE added at its start):
 * per join, the first frame painted and playing and the milestones (ms after `join()`), or null
 * for a join that showed no frame within 10 s.
 */
export function parleyJoins(
  viewer: Page,
  options: { userId: string; userSig?: string; roomId: number; joins: number },
): Promise<Array<JoinSample | null>> {
  return measureParleyJoins(viewer, {
    sdkAppId: PARLEY_APP_ID,
    userId: options.userId,
    userSig: options.userSig ?? sig(options.userId),
    roomId: options.roomId,
    joins: options.joins,
  });
}

/** A page with the join probe (JOIN_PROBE) in a context of its own. */
export async function probePage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  await context.addInitScript(JOIN_PROBE);
  return context.newPage();
}

export async function join(
  server: ServerUnderTest,
  browser: Browser,
  joins = 20,
): Promise<JoinResult> {
  const app = await appOrigin(server.name === 'Parley' ? server.url : 'http://unused');
  const roomId = 900_000 + Math.floor(Math.random() * 90_000);
  const publisherContext = await browser.newContext();
  const viewer = await probePage(browser);
  try {
    const publisher = await publisherContext.newPage();
    let samples: Array<{ painted: number; playing: number } | null>;
    if (server.name === 'Parley') {
      await startGuidePublisher(publisher, app.origin, roomId, 'presenter');
      await viewer.goto(`${app.origin}/sdk.html`);
      samples = await parleyJoins(viewer, { userId: 'viewer', roomId, joins });
    } else {
      await createJanusRoom(server.url, roomId);
      await publisher.goto(`${app.origin}/janus.html`);
      await publisher.evaluate(
        ({ base, room }) =>
          (window as unknown as { publish(b: string, r: number): Promise<void> }).publish(
            base,
            room,
          ),
        { base: server.url, room: roomId },
      );
      // Let the publisher's ICE and DTLS complete, as the Parley publisher's has by now.
      await new Promise((r) => setTimeout(r, 1500));
      await viewer.goto(`${app.origin}/janus.html`);
      samples = await viewer.evaluate(
        ({ base, room, joins }) =>
          (
            window as unknown as {
              measureJoins(
                b: string,
                r: number,
                j: number,
              ): Promise<Array<{ painted: number; playing: number } | null>>;
            }
          ).measureJoins(base, room, joins),
        { base: server.url, room: roomId, joins },
      );
    }
    const ok = samples.filter((s) => s !== null);
    const result: JoinResult = {
      server: server.name,
      joins: ok.length,
      failed: samples.length - ok.length,
      painted: joinFigures(ok.map((s) => s.painted)),
      playing: joinFigures(ok.map((s) => s.playing)),
    };
    table(
      `join — ${server.name}: subscriber join → first frame in Chromium (${ok.length} joins, ${result.failed} without a frame)`,
      ['criterion', 'p50 ms', 'p95 ms', 'min ms', 'max ms'],
      (['painted', 'playing'] as const).map((k) => [
        k,
        fmt(result[k].p50Ms, 0),
        fmt(result[k].p95Ms, 0),
        fmt(result[k].minMs, 0),
        fmt(result[k].maxMs, 0),
      ]),
    );
    return result;
  } finally {
    await publisherContext.close();
    await viewer.context().close();
    await app.close();
  }
}
