/**
 * The hostile-input run: over 100,000 malformed, truncated, oversized, out-of-order and
 * well-formed-but-forbidden frames, over hundreds of connections (and resumed sessions) from
 * several addresses, at a running server (the built one, in its own process) while three
 * Chromium pages hold a real call in another room. Afterwards the server is alive and
 * answers, its memory (RSS of its process tree: node and media workers) is back within 20% of
 * what it was before, no process crashed or logged an error, the call never froze (each page
 * decoded new frames from both others in every one-second sample) and nothing of the call
 * reached a fuzzer. Prints what was tried, what was answered and the peak memory.
 * FUZZ_SEED replays a run.
 */
import type { Browser, Page } from 'playwright-core';
import { genUserSig } from '@parley/usersig';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fuzzer, totalErrors, totalSent } from './fuzz/fuzzer.js';
import { FuzzMessages } from './fuzz/messages.js';
import { mib, processTree, treeRss } from './fuzz/processTree.js';
import { Random } from './fuzz/random.js';
import { startServerProcess, type ServerProcess } from './fuzz/serverProcess.js';
import {
  closeAllPages,
  launchBrowser,
  newPage,
  randomRoomId,
  receivingFrom,
  remoteMedia,
  sleep,
  startAppOrigin,
} from './harness.js';

const SDK_APP_ID = 1400000001;
const SECRET_KEY = 'fuzz-secret-key-0123456789abcdef0123456789abcdef';
const MESSAGES_PER_SECOND = 400;
const TARGET = 100_000;
const CALL = ['alice', 'bob', 'carol'];

let server: ServerProcess;
let app: { origin: string; close(): Promise<void> };
let browser: Browser;
const crashed: string[] = [];

beforeAll(async () => {
  server = await startServerProcess({
    PARLEY_SDK_APP_ID: String(SDK_APP_ID),
    PARLEY_SECRET_KEY: SECRET_KEY,
    PARLEY_LOG_LEVEL: 'error',
    PARLEY_WORKERS: '2',
    // The fuzzers' sessions send hundreds of frames each in a burst; the per-IP limits keep
    // their defaults and answer (see the burst below).
    PARLEY_MESSAGES_PER_SECOND: String(MESSAGES_PER_SECOND),
    PARLEY_SESSION_TIMEOUT_MS: '6000',
  });
  app = await startAppOrigin(server.origin);
  browser = await launchBrowser();
});
afterAll(async () => {
  await closeAllPages();
  await browser?.close();
  await app?.close();
  await server?.stop();
});

async function openCallPage(userId: string, roomId: number): Promise<Page> {
  const { page } = await newPage(browser);
  page.on('crash', () => crashed.push(userId));
  const query = new URLSearchParams({
    sdkAppId: String(SDK_APP_ID),
    userId,
    userSig: genUserSig({ sdkAppId: SDK_APP_ID, key: SECRET_KEY, userId, expire: 3600 }),
    roomId: String(roomId),
  });
  await page.goto(`${app.origin}/guide.html?${query}`);
  await page.evaluate(() => (window as unknown as { start(): Promise<void> }).start());
  return page;
}

/** The lowest RSS of the tree over `ms` (a full GC, then sampled each second): where it settles. */
async function settledRss(pid: number, ms: number): Promise<number> {
  await server.collectGarbage();
  let low = treeRss(pid);
  for (const end = Date.now() + ms; Date.now() < end;) {
    await sleep(1000);
    low = Math.min(low, treeRss(pid));
  }
  return low;
}

/** Frames decoded on `page` from each other user of the call. */
async function decoded(page: Page, others: string[]): Promise<number[]> {
  const media = await remoteMedia(page);
  return others.map((u) => media.find((m) => m.userId === u)?.framesDecoded ?? 0);
}

describe('fuzz', () => {
  it('survives 100,000 hostile frames while a three-person call goes on', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    const rnd = new Random(seed);
    const callRoom = randomRoomId();
    const pages = [];
    for (const user of CALL) pages.push(await openCallPage(user, callRoom));
    for (const [i, page] of pages.entries()) {
      await receivingFrom(
        page,
        CALL.filter((_, j) => j !== i),
      );
    }
    const fuzzRooms = Array.from({ length: 12 }, (_, i) => callRoom + 1 + i);
    const gen = new FuzzMessages(rnd, {
      sdkAppId: SDK_APP_ID,
      secretKey: SECRET_KEY,
      callRoom,
      callUsers: CALL,
      fuzzRooms,
    });
    const fuzzer = new Fuzzer({
      url: `${server.origin.replace('http', 'ws')}/signal`,
      ips: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'],
      gen,
      rnd,
      callUsers: CALL,
      fuzzRooms,
      messagesPerSecond: MESSAGES_PER_SECOND,
    });
    const pid = server.child.pid!;
    const processes = processTree(pid).sort();
    const fresh = treeRss(pid);
    // Warm-up: a first burst compiles the server's code paths and grows its pools once; that
    // one-off cost belongs in the baseline, not in what the run must give back. At the run's
    // own concurrency (16 fuzzers) and for longer than a dropped session lives (6 s), so that
    // the allocators reach the run's high-water mark here: with 8 fuzzers for 5,000 frames it
    // was reached only in the run, and what they keep of it (not a leak: it does not grow with
    // more frames) read +12-14 % on an idle machine and +20.4 % on a loaded one (Node 24,
    // mediasoup 3.32), depending on how many sessions a slower machine had alive at once.
    await fuzzer.run(16, 30_000, Date.now() + 25_000);
    const baseline = await settledRss(pid, 3_000);
    const warmup = totalSent(fuzzer.stats);

    // Sample the call every second while the fuzz runs: every sample must show new frames.
    const freezes: string[] = [];
    let sampling = true;
    let peak = baseline;
    const sampler = (async () => {
      let last = await Promise.all(
        pages.map((p, i) =>
          decoded(
            p,
            CALL.filter((_, j) => j !== i),
          ),
        ),
      );
      while (sampling) {
        await sleep(1000);
        peak = Math.max(peak, treeRss(pid));
        const now = await Promise.all(
          pages.map((p, i) =>
            decoded(
              p,
              CALL.filter((_, j) => j !== i),
            ),
          ),
        );
        now.forEach((counts, i) =>
          counts.forEach((n, j) => {
            if (n <= last[i]![j]!) {
              const from = CALL.filter((_, k) => k !== i)[j];
              freezes.push(`${CALL[i]} decoded no new frame from ${from} (${n})`);
            }
          }),
        );
        last = now;
      }
    })();

    const started = Date.now();
    // Over the per-IP connection limits at once (20 per second by default): refused with 429.
    await fuzzer.burst('127.0.0.9', 40);
    await fuzzer.run(16, warmup + TARGET, started + 75_000);
    const fuzzSeconds = (Date.now() - started) / 1000;
    const peakDuring = Math.max(peak, treeRss(pid));

    // Dropped sessions time out (6 s); a full GC each time then shows what is still retained.
    const settleStarted = Date.now();
    let after = treeRss(pid);
    while (after > baseline * 1.2 && Date.now() - settleStarted < 25_000) {
      await server.collectGarbage();
      await sleep(1000);
      after = Math.min(after, treeRss(pid));
    }
    const settleSeconds = (Date.now() - settleStarted) / 1000;
    sampling = false;
    await sampler;
    const health = await fetch(`${server.origin}/healthz`).then((r) => r.status);
    const errorLines = server
      .output()
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l));

    const stats = fuzzer.stats;
    console.log(
      [
        `fuzz seed ${seed}: ${totalSent(stats) - warmup} frames (after a warm-up of ${warmup}) in ${fuzzSeconds.toFixed(1)} s over ${stats.connections} connections (${stats.resumes} resumed sessions)`,
        `  sent by kind: ${JSON.stringify(stats.sent)}`,
        `  refusals returned: ${totalErrors(stats)} — answers by code/extraCode ${JSON.stringify(stats.errors)}, upgrades refused ${JSON.stringify(stats.refusedUpgrades)}`,
        `  sockets closed by code: ${JSON.stringify(stats.closes)}`,
        `  server RSS (node + media workers): ${mib(fresh)} fresh, baseline after warm-up ${mib(baseline)}, peak ${mib(peakDuring)}, after ${mib(after)} (${((after / baseline - 1) * 100).toFixed(1)}%, settled in ${settleSeconds.toFixed(0)} s)`,
        `  valid requests left unanswered: ${stats.unanswered.length}`,
        `  call freezes: ${freezes.length}; frames of the call seen by fuzzers: ${stats.leaks}`,
      ].join('\n'),
    );

    expect(totalSent(stats) - warmup).toBeGreaterThanOrEqual(TARGET);
    expect(stats.unanswered).toEqual([]);
    expect(server.exitCode()).toBeNull();
    expect(health).toBe(200);
    expect(errorLines).toEqual([]);
    expect(processTree(pid).sort()).toEqual(processes); // no media worker died or was replaced
    expect(crashed).toEqual([]);
    expect(freezes).toEqual([]);
    expect(stats.leaks).toBe(0);
    expect(after).toBeLessThanOrEqual(baseline * 1.2);
    // The limits answered: rate-limited frames, refused upgrades, sockets closed for abuse.
    expect(stats.errors['4097/-200007']).toBeGreaterThan(0);
    expect(stats.refusedUpgrades['429']).toBeGreaterThan(0);
    expect(stats.closes['1008']).toBeGreaterThan(0);
    for (const [i, page] of pages.entries()) {
      await receivingFrom(
        page,
        CALL.filter((_, j) => j !== i),
      );
    }
  }, 150_000);
});
