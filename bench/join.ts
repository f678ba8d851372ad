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

export interface JoinResult {
  server: string;
  /** Joins that painted a frame. */
  joins: number;
  /** Joins with no frame painted within 10 s (left out of the percentiles). */
  failed: number;
  timesMs: number[];
  p50Ms: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
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
 * `joins` joins one after another on a page showing sdk.html: each a new client's `join()` →
 * its first painted frame of the room's stream (ms), then `leave()`; -1 for a join with no frame
 * within 10 s.
 */
export function parleyJoinTimes(
  viewer: Page,
  options: { userId: string; userSig?: string; roomId: number; joins: number },
): Promise<number[]> {
  return viewer.evaluate(
    async ({ sdkAppId, userId, userSig, roomId, joins }) => {
      type Stream = { getId(): string; play(id: string): Promise<void> };
      type Client = {
        on(e: string, f: (ev: { stream: Stream }) => void): void;
        subscribe(s: Stream): Promise<void>;
        join(o: { roomId: number }): Promise<void>;
        leave(): Promise<void>;
      };
      const T = (window as unknown as { TRTC: { createClient(c: object): Client } }).TRTC;
      const results: number[] = [];
      for (let i = 0; i < joins; i++) {
        const client = T.createClient({ mode: 'rtc', sdkAppId, userId, userSig });
        // Milestones of this join (ms after join()), kept for whoever reads them (cluster.ts).
        const marks: Record<string, number> = {};
        const w = window as unknown as { __joinMarks?: Record<string, number>[] };
        (w.__joinMarks ??= []).push(marks);
        // (No named function here: tsx's keepNames would wrap it in a __name the page lacks.)
        let start = 0;
        const painted = new Promise<number>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`join ${i}: no frame painted within 10 s`)),
            10_000,
          );
          client.on('stream-added', (e) => {
            marks.added ??= performance.now() - start;
            void client.subscribe(e.stream);
          });
          client.on('stream-subscribed', (e) => {
            marks.subscribed ??= performance.now() - start;
            const div = document.createElement('div');
            div.id = `v${i}_${e.stream.getId()}`;
            div.style.cssText = 'width:320px;height:240px';
            document.getElementById('players')!.appendChild(div);
            void e.stream.play(div.id).catch(() => undefined);
            const video = div.querySelector('video') as HTMLVideoElement;
            video.requestVideoFrameCallback(() => {
              clearTimeout(timer);
              marks.painted ??= performance.now() - start;
              resolve(performance.now());
            });
          });
        });
        start = performance.now();
        try {
          await client.join({ roomId });
          marks.joined ??= performance.now() - start;
          results.push((await painted) - start);
        } catch {
          results.push(-1);
        }
        await client.leave().catch(() => undefined);
        document.getElementById('players')!.innerHTML = '';
        await new Promise((r) => setTimeout(r, 300));
      }
      return results;
    },
    {
      sdkAppId: PARLEY_APP_ID,
      userId: options.userId,
      userSig: options.userSig ?? sig(options.userId),
      roomId: options.roomId,
      joins: options.joins,
    },
  );
}

export async function join(
  server: ServerUnderTest,
  browser: Browser,
  joins = 20,
): Promise<JoinResult> {
  const app = await appOrigin(server.name === 'Parley' ? server.url : 'http://unused');
  const roomId = 900_000 + Math.floor(Math.random() * 90_000);
  const publisherContext = await browser.newContext();
  const viewerContext = await browser.newContext();
  try {
    const publisher = await publisherContext.newPage();
    const viewer = await viewerContext.newPage();
    let times: number[];
    if (server.name === 'Parley') {
      await startGuidePublisher(publisher, app.origin, roomId, 'presenter');
      await viewer.goto(`${app.origin}/sdk.html`);
      times = await parleyJoinTimes(viewer, {
        userId: 'viewer',
        userSig: sig('viewer'),
        roomId,
        joins,
      });
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
      times = await viewer.evaluate(
        ({ base, room, joins }) =>
          (
            window as unknown as {
              measureJoins(b: string, r: number, j: number): Promise<number[]>;
            }
          ).measureJoins(base, room, joins),
        { base: server.url, room: roomId, joins },
      );
    }
    const failed = times.filter((t) => t < 0).length;
    times = times.filter((t) => t >= 0);
    const result: JoinResult = {
      server: server.name,
      joins: times.length,
      failed,
      timesMs: times.map((t) => Math.round(t * 10) / 10),
      p50Ms: percentile(times, 50),
      p95Ms: percentile(times, 95),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
    };
    table(
      `join — ${server.name}: subscriber join → first painted frame in Chromium (${times.length} joins)`,
      ['server', 'p50 ms', 'p95 ms', 'min ms', 'max ms'],
      [
        [
          server.name,
          fmt(result.p50Ms, 0),
          fmt(result.p95Ms, 0),
          fmt(result.minMs, 0),
          fmt(result.maxMs, 0),
        ],
      ],
    );
    return result;
  } finally {
    await publisherContext.close();
    await viewerContext.close();
    await app.close();
  }
}
