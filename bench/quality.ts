/**
 * `npm run bench:quality` (root): what a viewer gets of a call on a lossy or capped link,
 * Parley and Janus side by side through the e2e network impairment kit (e2e/net): the server in
 * the lab's server namespace, a publisher Chromium (the high-entropy 720p camera) and a viewer
 * Chromium each in a client namespace behind its edge. The conditions are those of
 * e2e/net/loss.e2e.test.ts, plus a downlink rate cap; the figures come from the viewer's
 * inbound-rtp stats. Parley: the TRTC v4 guide page. Janus: VideoRoom over its HTTP API with
 * plain RTCPeerConnections (bench/fixtures/janus.html). Prints a table and writes
 * bench/results/quality.json.
 *
 * Not part of `npm run bench`: it needs the kit's namespaces, not the bench's, and takes ~4 min.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { genUserSig } from '@parley/usersig';
import {
  NetLab,
  SERVER_IP,
  chromiumInNs,
  highEntropyCameraArgs,
  spawnInNs,
  startParleyIn,
  unavailableReason,
  type NetClient,
} from '../e2e/net/index.js';
import { figures, inboundTotals, type WindowFigures } from '../e2e/net/inbound.js';
import { RECORD_PEER_CONNECTIONS } from '../e2e/pageScripts.js';
import { CHROMIUM_ARGS } from './join.js';
import { janusArgs, writeJanusConfig } from './lib/janusConfig.js';
import { fmt, table, writeResult } from './lib/report.js';
import { buildParley, ensureTools, janusVersion } from './lib/tools.js';

const PAGES: Record<string, string> = {
  'guide.html': new URL('../e2e/fixtures/guide.html', import.meta.url).pathname,
  'janus.html': new URL('./fixtures/janus.html', import.meta.url).pathname,
};
/** Pages come from this process by playwright routing (the browsers cannot reach its loopback). */
const APP_ORIGIN = 'http://localhost:7357';
const JANUS_PORT = 8088;
/** The whole run stops itself after this, whatever happens. */
const HARD_LIMIT_MS = 10 * 60_000;
const CAP_KBPS = 1000;
/** Parley's default video profile (480p: 640×480, 15 fps, 900 kbit/s); Janus's publisher too. */
const PROFILE_KBPS = 900;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface QualityResult {
  server: 'Parley' | 'Janus';
  clean: ConditionFigures;
  loss20: ConditionFigures;
  loss30: ConditionFigures;
  cap: ConditionFigures;
  /** Seconds from opening the viewer's page to its first decoded frame and audio. */
  firstMediaSeconds: number;
}

/** A page on the app origin, every RTCPeerConnection it makes recorded in window.__pcs. */
async function openPage(
  browser: Browser,
  name: string,
  substitutions: Record<string, string> = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  await context.addInitScript(RECORD_PEER_CONNECTIONS);
  // tsx (esbuild keepNames) wraps named functions in the code we evaluate in pages in
  // __name(…), a helper the page does not have.
  await context.addInitScript('window.__name = (fn) => fn;');
  await context.route(`${APP_ORIGIN}/**`, async (route) => {
    const file = PAGES[new URL(route.request().url()).pathname.slice(1)];
    if (!file) return route.fulfill({ status: 404 });
    let html = readFileSync(file, 'utf8');
    for (const [key, value] of Object.entries(substitutions)) html = html.replaceAll(key, value);
    return route.fulfill({ contentType: 'text/html; charset=utf-8', body: html });
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${name} page error] ${error.message}`));
  return { context, page };
}

/** Waits (at most 30 s) until the page decodes video and receives audio. */
async function firstMedia(page: Page): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const t = await inboundTotals(page);
    if (t.framesDecoded > 0 && t.audioSamples > 0) return;
    await sleep(250);
  }
  throw new Error('the viewer decoded no video or received no audio within 30 s');
}

export interface ConditionFigures extends WindowFigures {
  /**
   * Seconds without a newly decoded frame, counting gaps of ≥ 500 ms (sampled every 250 ms).
   * Unlike totalFreezesDuration, it includes a freeze still going on at the end of the window.
   */
  stalledSeconds: number;
}

/** The figures of `ms` of reception after `settleMs`, with the stall time sampled meanwhile. */
async function window_(page: Page, settleMs: number, ms: number): Promise<ConditionFigures> {
  await sleep(settleMs);
  const a = await inboundTotals(page);
  const end = a.at + ms;
  let lastFrames = a.framesDecoded;
  let lastChange = a.at;
  let stalledMs = 0;
  const closeGap = (at: number) => {
    if (at - lastChange >= 500) stalledMs += at - lastChange;
  };
  let b = a;
  while (Date.now() < end) {
    await sleep(Math.min(250, Math.max(0, end - Date.now())));
    b = await inboundTotals(page);
    if (b.framesDecoded !== lastFrames) {
      closeGap(b.at);
      lastFrames = b.framesDecoded;
      lastChange = b.at;
    }
  }
  closeGap(b.at);
  return { ...figures(a, b), stalledSeconds: Math.round(stalledMs / 100) / 10 };
}

/** The conditions, on the viewer's link, in order; impairments removed at the end. */
async function measure(
  server: QualityResult['server'],
  viewer: NetClient,
  page: Page,
  opened: number,
): Promise<QualityResult> {
  await firstMedia(page);
  const firstMediaSeconds = Math.round((Date.now() - opened) / 100) / 10;
  try {
    const clean = await window_(page, 3000, 10_000);
    console.log(`[quality] ${server} clean: ${JSON.stringify(clean)}`);
    viewer.impair.loss({ uplinkPercent: 20, downlinkPercent: 20 });
    const loss20 = await window_(page, 2000, 20_000);
    console.log(`[quality] ${server} 20% loss each way: ${JSON.stringify(loss20)}`);
    viewer.impair.loss({ uplinkPercent: 30, downlinkPercent: 30 });
    const loss30 = await window_(page, 2000, 10_000);
    console.log(`[quality] ${server} 30% loss each way: ${JSON.stringify(loss30)}`);
    viewer.impair.loss({});
    await sleep(5000);
    viewer.impair.cap({ downlinkKbps: CAP_KBPS });
    // Time for the sender side to find the rate (Parley: the SDK/mediasoup layer choice;
    // Janus: REMB/TWCC back to the publisher's encoder).
    const cap = await window_(page, 10_000, 15_000);
    console.log(`[quality] ${server} ${CAP_KBPS} kbit/s downlink cap: ${JSON.stringify(cap)}`);
    return { server, clean, loss20, loss30, cap, firstMediaSeconds };
  } finally {
    viewer.impair.loss({});
    viewer.impair.cap({});
  }
}

interface Peers {
  lab: NetLab;
  publisher: { client: NetClient; browser: Browser };
  viewer: { client: NetClient; browser: Browser };
}

async function parleyRun({ lab, publisher, viewer }: Peers): Promise<QualityResult> {
  const parley = await startParleyIn(lab.serverNs);
  const contexts: BrowserContext[] = [];
  try {
    const roomId = 100_000 + Math.floor(Math.random() * 3_000_000);
    const open = async (browser: Browser, userId: string) => {
      const { context, page } = await openPage(browser, `Parley ${userId}`, {
        '{{PARLEY}}': parley.origin,
      });
      contexts.push(context);
      const query = new URLSearchParams({
        sdkAppId: String(parley.sdkAppId),
        userId,
        userSig: genUserSig({
          sdkAppId: parley.sdkAppId,
          key: parley.secretKey,
          userId,
          expire: 3600,
        }),
        roomId: String(roomId),
      });
      await page.goto(`${APP_ORIGIN}/guide.html?${query}`);
      await withTimeout(
        page.evaluate(() => (window as unknown as { start(): Promise<void> }).start()),
        30_000,
        `Parley ${userId} join and publish`,
      );
      return page;
    };
    await open(publisher.browser, 'pub');
    const opened = Date.now();
    const page = await open(viewer.browser, 'viewer');
    return await measure('Parley', viewer.client, page, opened);
  } finally {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await parley.close();
  }
}

/** Janus in the lab's server namespace; resolves when its HTTP API answers there. */
async function startJanusIn(serverNs: string) {
  const dir = writeJanusConfig({ httpPort: JANUS_PORT, rtpPortRange: '20000-30000' });
  const proc = spawnInNs(serverNs, 'janus', janusArgs(dir), {}, 'janus-netlab');
  const url = `http://${SERVER_IP}:${JANUS_PORT}/janus`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) break;
    try {
      // This process is outside the lab; ask from inside the server's namespace.
      execFileSync(
        'ip',
        [
          'netns',
          'exec',
          serverNs,
          process.execPath,
          '-e',
          `fetch(${JSON.stringify(`${url}/info`)}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        { stdio: 'ignore', timeout: 5000 },
      );
      return { url, logFile: proc.logFile, stop: proc.stop };
    } catch {
      await sleep(300);
    }
  }
  await proc.stop();
  throw new Error(
    `Janus did not answer at ${url} within 20 s; its log (${proc.logFile}):\n` +
      readFileSync(proc.logFile, 'utf8').slice(-3000),
  );
}

async function janusRun({ lab, publisher, viewer }: Peers): Promise<QualityResult> {
  const janus = await startJanusIn(lab.serverNs);
  const contexts: BrowserContext[] = [];
  try {
    const room = 100_000 + Math.floor(Math.random() * 3_000_000);
    type JanusPage = {
      createRoom(b: string, r: number): Promise<void>;
      publish(b: string, r: number, maxKbps: number): Promise<void>;
      subscribe(b: string, r: number): Promise<number>;
    };
    const open = async (browser: Browser, name: string) => {
      const { context, page } = await openPage(browser, `Janus ${name}`);
      contexts.push(context);
      await page.goto(`${APP_ORIGIN}/janus.html`);
      return page;
    };
    const pub = await open(publisher.browser, 'pub');
    const args = { base: janus.url, room };
    await withTimeout(
      pub.evaluate(
        async ({ base, room, maxKbps }) => {
          const w = window as unknown as JanusPage;
          await w.createRoom(base, room);
          await w.publish(base, room, maxKbps);
        },
        { ...args, maxKbps: PROFILE_KBPS },
      ),
      30_000,
      'Janus publisher',
    );
    const opened = Date.now();
    const page = await open(viewer.browser, 'viewer');
    await withTimeout(
      page.evaluate(
        ({ base, room }) => (window as unknown as JanusPage).subscribe(base, room),
        args,
      ),
      30_000,
      'Janus viewer',
    );
    return await measure('Janus', viewer.client, page, opened);
  } finally {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await janus.stop();
  }
}

type Row = [string, (r: QualityResult) => number, number];

const ROWS: Row[] = [
  ['clean link, 10 s: fps', (r) => r.clean.fps, 1],
  ['clean link: width, px', (r) => r.clean.frameWidth, 0],
  ['clean link: video kbit/s received', (r) => r.clean.videoKbps, 0],
  ['20% loss each way, 20 s: fps', (r) => r.loss20.fps, 1],
  ['20% loss: frozen, s (totalFreezesDuration)', (r) => r.loss20.freezesSeconds, 2],
  ['20% loss: freezes (freezeCount)', (r) => r.loss20.freezeCount, 0],
  ['20% loss: no new frame, s (gaps ≥ 0.5 s)', (r) => r.loss20.stalledSeconds, 1],
  ['20% loss: audio concealed, %', (r) => r.loss20.concealedPercent, 1],
  ['20% loss: video kbit/s received', (r) => r.loss20.videoKbps, 0],
  ['20% loss: NACKs sent', (r) => r.loss20.nacks, 0],
  ['30% loss each way, 10 s: fps', (r) => r.loss30.fps, 1],
  ['30% loss: frozen, s (totalFreezesDuration)', (r) => r.loss30.freezesSeconds, 2],
  ['30% loss: no new frame, s (gaps ≥ 0.5 s)', (r) => r.loss30.stalledSeconds, 1],
  ['30% loss: audio concealed, %', (r) => r.loss30.concealedPercent, 1],
  [`${CAP_KBPS} kbit/s downlink cap, 15 s: width, px`, (r) => r.cap.frameWidth, 0],
  [`${CAP_KBPS} kbit/s cap: fps`, (r) => r.cap.fps, 1],
  [`${CAP_KBPS} kbit/s cap: frozen, s (totalFreezesDuration)`, (r) => r.cap.freezesSeconds, 2],
  [`${CAP_KBPS} kbit/s cap: no new frame, s (gaps ≥ 0.5 s)`, (r) => r.cap.stalledSeconds, 1],
  [`${CAP_KBPS} kbit/s cap: video kbit/s received`, (r) => r.cap.videoKbps, 0],
  [`${CAP_KBPS} kbit/s cap: audio concealed, %`, (r) => r.cap.concealedPercent, 1],
];

function report(results: Partial<Record<QualityResult['server'], QualityResult>>, seconds: number) {
  const { Parley: p, Janus: j } = results;
  const version = janusVersion();
  table(
    `quality — viewer's figures through the e2e/net kit, Parley vs Janus ${version} (${seconds.toFixed(0)} s)`,
    ['condition (viewer link): figure', 'Parley', 'Janus', 'Parley/Janus'],
    ROWS.map(([figure, get, digits]) => {
      const pv = p && get(p);
      const jv = j && get(j);
      return [
        figure,
        fmt(pv, digits),
        fmt(jv, digits),
        pv !== undefined && jv !== undefined && jv !== 0 ? fmt(pv / jv, 2) : '–',
      ];
    }),
  );
  writeResult('quality', {
    date: new Date().toISOString(),
    seconds,
    machine: { cores: cpus().length },
    janusVersion: version,
    conditions: {
      publisher:
        `high-entropy 720p y4m camera, published 640×480 15 fps at most ${PROFILE_KBPS} kbit/s ` +
        "(Parley: the SDK's default 480p profile; Janus: the page's sendEncodings maxBitrate), " +
        'no simulcast',
      width: 'frameWidth of the last decoded frame at the end of the window',
      clean: '10 s, no impairment',
      loss20: '20% random loss each way on the viewer link (UDP), 20 s after 2 s',
      loss30: '30% random loss each way on the viewer link (UDP), 10 s after 2 s',
      cap: `${CAP_KBPS} kbit/s tbf cap on the viewer downlink, 15 s after 10 s`,
    },
    results,
  });
}

async function main(): Promise<number> {
  const why = unavailableReason();
  if (why) {
    console.error(`bench:quality: ${why}`);
    return 2;
  }
  ensureTools();
  buildParley();
  const started = Date.now();
  const lab = NetLab.create();
  const browsers: Browser[] = [];
  const results: Partial<Record<QualityResult['server'], QualityResult>> = {};
  let failures = 0;
  try {
    const peer = async (name: string, args: string[]) => {
      const client = lab.addClient(name);
      const browser = await chromium.launch({
        executablePath: chromiumInNs(client.ns),
        // Pages on localhost load from the lab's private address: Local Network Access would
        // ask for a permission nobody can give in a headless browser.
        args: [...CHROMIUM_ARGS, '--disable-features=LocalNetworkAccessChecks', ...args],
        timeout: 60_000,
      });
      browsers.push(browser);
      return { client, browser };
    };
    const peers: Peers = {
      lab,
      publisher: await peer('publisher', highEntropyCameraArgs()),
      viewer: await peer('viewer', []),
    };
    for (const run of [parleyRun, janusRun]) {
      try {
        const r = await run(peers);
        results[r.server] = r;
      } catch (error) {
        failures++;
        console.error(`bench:quality: ${(error as Error).stack ?? String(error)}`);
      }
    }
  } finally {
    await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
    lab.close();
  }
  report(results, (Date.now() - started) / 1000);
  return failures ? 1 : 0;
}

const hardLimit = setTimeout(() => {
  console.error('bench:quality: hard time limit reached, exiting');
  // NetLab's exit hook removes the namespaces and what runs in them.
  process.exit(3);
}, HARD_LIMIT_MS);
hardLimit.unref();
process.exit(await main());
