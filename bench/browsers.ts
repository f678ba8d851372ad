/**
 * `browsers`: the forwarding figures with real browsers instead of werift clients. One
 * Chromium publisher (640×480, 15 fps, VP8 + Opus: Parley's default v4 profile '480p', and
 * the same constraints and 900 kbit/s cap on Janus's page) and N = 1, 2, 4, 8 Chromium
 * subscribers (Parley: the v4 SDK's join → stream-added → subscribe → play; Janus: VideoRoom
 * over its HTTP API, bench/fixtures/janus.html). Per N, over a window: packets the
 * subscribers received (inbound-rtp), the server's whole process tree's CPU time (every
 * process the server starts counts) and RSS. CPU per forwarded packet is the slope of the
 * tree's CPU rate against the packet rate over the steps, memory per subscriber the slope of
 * its RSS against N (fixed costs drop out of both).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { genUserSig } from '@parley/usersig';
import { RECORD_PEER_CONNECTIONS } from '../e2e/pageScripts.js';
import { appOrigin, startGuidePublisher } from './join.js';
import { createJanusRoom } from './lib/clients.js';
import { sleep, usage } from './lib/proc.js';
import { fmt, table } from './lib/report.js';
import { PARLEY_APP_ID, PARLEY_KEY, type ServerUnderTest } from './lib/servers.js';

export const DEFAULT_BROWSERS = { steps: [1, 2, 4, 8], windowMs: 10_000 };
/** 480p's bitrate (kbit/s): Janus's publisher is capped to it as Parley's profile caps its own. */
const PROFILE_KBPS = 900;

export interface BrowsersStep {
  subscribers: number;
  /** Packets per second all subscribers received (audio + video). */
  packetsPerSecond: number;
  /** Server tree CPU, cores (CPU seconds per second). */
  serverCores: number;
  /** Server tree CPU per received packet at this step alone (fixed costs included). */
  cpuUsPerPacket: number;
  rssKb: number;
  /** Packets the subscribers' stats count as lost, % of those expected, in the window. */
  lossPercent: number;
  /** Frames decoded per second per subscriber (mean). */
  fps: number;
}

export interface BrowsersResult {
  server: string;
  steps: BrowsersStep[];
  /** Slope of the tree's CPU rate against the packet rate: CPU µs per forwarded packet. */
  cpuUsPerPacket: number;
  /** Slope of the tree's RSS against N: KB per subscriber. */
  rssKbPerSubscriber: number;
}

interface PageTotals {
  packets: number;
  lost: number;
  frames: number;
}

/** What a page's peer connections have received so far (RECORD_PEER_CONNECTIONS keeps them). */
function totals(page: Page): Promise<PageTotals> {
  return page.evaluate(async () => {
    const t = { packets: 0, lost: 0, frames: 0 };
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp') return;
        t.packets += Number(s.packetsReceived ?? 0);
        t.lost += Math.max(0, Number(s.packetsLost ?? 0));
        if (s.kind === 'video') t.frames += Number(s.framesDecoded ?? 0);
      });
    }
    return t;
  });
}

const sum = (list: PageTotals[]): PageTotals =>
  list.reduce(
    (a, b) => ({
      packets: a.packets + b.packets,
      lost: a.lost + b.lost,
      frames: a.frames + b.frames,
    }),
    {
      packets: 0,
      lost: 0,
      frames: 0,
    },
  );

/** Least-squares slope of y on x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** Resolves once the page decodes video frames steadily (two readings 500 ms apart). */
async function untilDecoding(page: Page, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const a = await totals(page);
    await sleep(500);
    const b = await totals(page);
    if (a.frames > 0 && b.frames > a.frames) return;
  }
  throw new Error(`${what}: no video decoded within ${timeoutMs} ms`);
}

const sig = (userId: string) =>
  genUserSig({ sdkAppId: PARLEY_APP_ID, key: PARLEY_KEY, userId, expire: 3600 });

/** A Parley subscriber: the v4 SDK joins, subscribes to what is added and plays it. */
async function parleySubscriber(page: Page, origin: string, roomId: number, userId: string) {
  await page.goto(`${origin}/sdk.html`);
  await page.evaluate(
    async ({ sdkAppId, userId, userSig, roomId }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const TRTC = (window as any).TRTC;
      const client = TRTC.createClient({ mode: 'rtc', sdkAppId, userId, userSig });
      client.on('stream-added', (e: { stream: unknown }) => void client.subscribe(e.stream));
      client.on(
        'stream-subscribed',
        (e: { stream: { getId(): string; play(id: string): Promise<void> } }) => {
          const div = document.createElement('div');
          div.id = `p-${e.stream.getId()}`;
          div.style.cssText = 'width:640px;height:480px';
          document.body.appendChild(div);
          void e.stream.play(div.id);
        },
      );
      await client.join({ roomId });
    },
    { sdkAppId: PARLEY_APP_ID, userId, userSig: sig(userId), roomId },
  );
}

type JanusPage = {
  publish(b: string, r: number, maxKbps: number): Promise<void>;
  subscribe(b: string, r: number): Promise<number>;
};

export async function browsers(
  server: ServerUnderTest,
  browser: Browser,
  options = DEFAULT_BROWSERS,
): Promise<BrowsersResult> {
  const app = await appOrigin(server.name === 'Parley' ? server.url : 'http://unused');
  const roomId = 800_000 + Math.floor(Math.random() * 90_000);
  const contexts: BrowserContext[] = [];
  const open = async () => {
    const context = await browser.newContext();
    contexts.push(context);
    await context.addInitScript(RECORD_PEER_CONNECTIONS);
    return context.newPage();
  };
  try {
    const publisher = await open();
    if (server.name === 'Parley') {
      await startGuidePublisher(publisher, app.origin, roomId, 'presenter');
    } else {
      await createJanusRoom(server.url, roomId);
      await publisher.goto(`${app.origin}/janus.html`);
      await publisher.evaluate(
        ({ base, room, kbps }) => (window as unknown as JanusPage).publish(base, room, kbps),
        { base: server.url, room: roomId, kbps: PROFILE_KBPS },
      );
    }
    const subscribers: Page[] = [];
    const steps: BrowsersStep[] = [];
    for (const n of options.steps) {
      while (subscribers.length < n) {
        const page = await open();
        const userId = `viewer${subscribers.length + 1}`;
        if (server.name === 'Parley') await parleySubscriber(page, app.origin, roomId, userId);
        else {
          await page.goto(`${app.origin}/janus.html`);
          await page.evaluate(
            ({ base, room }) => (window as unknown as JanusPage).subscribe(base, room),
            { base: server.url, room: roomId },
          );
        }
        await untilDecoding(page, `${server.name} ${userId}`);
        subscribers.push(page);
      }
      // The new subscribers' start (keyframes, probing) settles before the window opens.
      await sleep(2000);
      const t0 = Date.now();
      const cpu0 = usage(server.pid).cpuSeconds;
      const a = sum(await Promise.all(subscribers.map(totals)));
      await sleep(options.windowMs);
      const b = sum(await Promise.all(subscribers.map(totals)));
      const cpu1 = usage(server.pid).cpuSeconds;
      const seconds = (Date.now() - t0) / 1000;
      const packets = b.packets - a.packets;
      const lost = b.lost - a.lost;
      steps.push({
        subscribers: n,
        packetsPerSecond: packets / seconds,
        serverCores: (cpu1 - cpu0) / seconds,
        cpuUsPerPacket: packets ? ((cpu1 - cpu0) * 1e6) / packets : NaN,
        rssKb: usage(server.pid).rssKb,
        lossPercent: packets + lost ? (100 * lost) / (packets + lost) : 0,
        fps: (b.frames - a.frames) / seconds / n,
      });
    }
    const result: BrowsersResult = {
      server: server.name,
      steps,
      cpuUsPerPacket:
        slope(
          steps.map((s) => s.packetsPerSecond),
          steps.map((s) => s.serverCores),
        ) * 1e6,
      rssKbPerSubscriber: slope(
        steps.map((s) => s.subscribers),
        steps.map((s) => s.rssKb),
      ),
    };
    table(
      `browsers — ${server.name}: one Chromium publisher (480p VP8 + Opus), N Chromium subscribers, ${options.windowMs / 1000} s windows`,
      ['N', 'packets/s', 'server cores', 'CPU µs/packet', 'RSS MB', 'loss %', 'fps'],
      steps.map((s) => [
        s.subscribers,
        fmt(s.packetsPerSecond, 0),
        fmt(s.serverCores, 3),
        fmt(s.cpuUsPerPacket, 1),
        fmt(s.rssKb / 1024, 1),
        fmt(s.lossPercent, 2),
        fmt(s.fps, 1),
      ]),
    );
    console.log(
      `${server.name}: slope ${fmt(result.cpuUsPerPacket, 1)} CPU µs per forwarded packet, ` +
        `${fmt(result.rssKbPerSubscriber, 0)} KB per subscriber`,
    );
    return result;
  } finally {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await app.close();
  }
}
