/**
 * The late viewer on a clean path (loopback): a dual stream publisher (`enableSmallStream()`,
 * the 720p profile, a high-entropy 1280×720 picture as a real camera gives) and a viewer who
 * joins right after `publish()` resolved. The viewer decodes the big picture (≥ 1280 px)
 * within 10 s of joining and still does 30 s later; getRemoteVideoStats() says it gets the
 * big stream because that is what was asked; the small stream is still there for whoever
 * asks. Once in the suite; `npm run bench:quality` runs it five times in a row
 * (PARLEY_LATE_VIEWER_RUNS=5), the last with a second Chromium encoding video beside it.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJoined, randomRoom } from './compat/compatPage.js';
import { publish720p, setRemoteVideoType } from './compat/dualStream.js';
import { launchBrowser, useE2eEnvironment } from './harness.js';
import { mbps, videoRate, watchPlayback, type VideoRate } from './mediaStats.js';
import { highEntropyCameraArgs } from './net/index.js';

const RUNS = Math.max(1, Number(process.env.PARLEY_LATE_VIEWER_RUNS ?? 1) || 1);

const ADMIN_TOKEN = 'late-viewer-admin-token';
const env = useE2eEnvironment({ PARLEY_ADMIN_TOKEN: ADMIN_TOKEN });
/** The publisher's browser: its fake camera plays the high-entropy clip. */
let camera: Browser;

beforeAll(async () => {
  camera = await launchBrowser(highEntropyCameraArgs());
});
afterAll(async () => {
  await camera?.close();
});

interface LayerStats {
  frameWidth: number;
  layer?: string;
  layerReason?: string;
}

/** The viewer's getRemoteVideoStats() entry for `userId`. */
function remoteVideoStats(page: Page, userId: string): Promise<LayerStats | undefined> {
  return page.evaluate(async (userId) => {
    const client = (
      window as unknown as {
        client: { getRemoteVideoStats(): Promise<Record<string, LayerStats>> };
      }
    ).client;
    return (await client.getRemoteVideoStats())[userId];
  }, userId);
}

/** What the publisher sends over `ms`, bit/s, from getLocalVideoStats(). */
async function localVideoBps(page: Page, userId: string, ms: number): Promise<number> {
  const read = () =>
    page.evaluate(async (userId) => {
      const client = (
        window as unknown as {
          client: { getLocalVideoStats(): Promise<Record<string, { bytesSent: number }>> };
        }
      ).client;
      return (await client.getLocalVideoStats())[userId]?.bytesSent ?? 0;
    }, userId);
  const before = await read();
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (((await read()) - before) * 8) / ((Date.now() - started) / 1000);
}

const describeRate = (r: VideoRate): string =>
  `${mbps(r.bps)}, ${r.fps} fps, ${r.frameWidth}x${r.frameHeight}`;

/** A second Chromium encoding 720p video in another room, beside the call (bench's last run). */
async function busyNeighbour(): Promise<() => Promise<void>> {
  const browser = await launchBrowser(highEntropyCameraArgs());
  const page = await openJoined(browser, env.app.origin, env.parley, {
    userId: 'neighbour',
    roomId: randomRoom(),
  });
  await publish720p(page, 'neighbour', false);
  return () => browser.close();
}

describe('late viewer of a dual stream publisher, clean path', () => {
  for (let run = 1; run <= RUNS; run++) {
    const busy = RUNS > 1 && run === RUNS;
    it(`run ${run}/${RUNS}${busy ? ' (a second Chromium encoding beside it)' : ''}: the viewer gets the big picture within 10 s of joining and keeps it`, async () => {
      const stopNeighbour = busy ? await busyNeighbour() : null;
      try {
        const roomId = randomRoom();
        const cam = await openJoined(camera, env.app.origin, env.parley, {
          userId: 'cam',
          roomId,
        });
        await publish720p(cam, 'cam', true);
        const viewer = await openJoined(env.browser, env.app.origin, env.parley, {
          userId: 'viewer',
          roomId,
        });
        const joined = Date.now();

        let big: VideoRate | null = null;
        let last: VideoRate | null = null;
        while (!big && Date.now() - joined < 10_000) {
          last = await videoRate(viewer, 'received', 500);
          if (last.frameWidth >= 1280 && last.fps > 0) big = last;
        }
        const bigAfterMs = Date.now() - joined;
        console.log(
          `[late viewer] run ${run}: ${big ? `big picture ${bigAfterMs} ms after joining: ${describeRate(big)}` : `no big picture within 10 s; last: ${last ? describeRate(last) : '-'}`}`,
        );
        expect(big, 'the big picture within 10 s of joining').not.toBeNull();

        const watched = await watchPlayback(viewer, 30_000);
        const small = watched.timeline.filter((s) => s.width < 1280).length;
        const after = await videoRate(viewer, 'received', 1000);
        const sentBps = await localVideoBps(cam, 'cam', 2000);
        const stats = await remoteVideoStats(viewer, 'cam');
        console.log(
          `[late viewer] run ${run}: 30 s on: ${describeRate(after)}; seconds under 1280 px: ${small}/${watched.timeline.length}; ` +
            `longest stall ${watched.maxVideoStallMs} ms; publisher sends ${mbps(sentBps)}; ` +
            `getRemoteVideoStats: ${stats?.layer ?? '-'} (${stats?.layerReason ?? '-'}); widths: ` +
            watched.timeline.map((t) => t.width).join(' '),
        );
        expect(after.frameWidth).toBeGreaterThanOrEqual(1280);
        expect(after.fps).toBeGreaterThan(0);
        // At most one passing dip (answered by a probe), never a minute on the thumbnail.
        expect(small).toBeLessThanOrEqual(2);
        expect(sentBps).toBeGreaterThanOrEqual(1.2e6);
        expect(stats).toMatchObject({ layer: 'big', layerReason: 'app' });
        // The operator sees it too: the admin console's state and /metrics.
        const state = (await (
          await fetch(`${env.parley.origin}/admin/api/state`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          })
        ).json()) as {
          rooms: { participants: { userId: string; videoLayers: unknown[] }[] }[];
        };
        const seen = state.rooms
          .flatMap((r) => r.participants)
          .find((p) => p.userId === 'viewer' && p.videoLayers.length > 0);
        expect(seen?.videoLayers).toEqual([
          { userId: 'cam', streamType: 'main', layer: 'big', reason: 'app' },
        ]);
        const metrics = await (await fetch(`${env.parley.origin}/metrics`)).text();
        expect(metrics).toMatch(/^parley_video_layer_viewers\{layer="big",reason="app"\} [1-9]/m);

        // The small stream is still there for whoever asks, and the stats say so.
        const asked = Date.now();
        await setRemoteVideoType(viewer, 'cam', 'small');
        let narrow: VideoRate | null = null;
        while (!narrow && Date.now() - asked < 4_000) {
          const r = await videoRate(viewer, 'received', 500);
          if (r.frameWidth > 0 && r.frameWidth < 1280 && r.fps > 0) narrow = r;
        }
        console.log(
          `[late viewer] run ${run}: small stream ${narrow ? `after ${Date.now() - asked} ms: ${describeRate(narrow)}` : 'not within 4 s'}`,
        );
        expect(
          narrow,
          'a narrower picture within 4 s of asking for the small stream',
        ).not.toBeNull();
        expect(await remoteVideoStats(viewer, 'cam')).toMatchObject({
          layer: 'small',
          layerReason: 'app',
        });
      } finally {
        await stopNeighbour?.();
      }
    }, 120_000);
  }
});
