/**
 * A call through the impairment kit for e2e tests: a lab, Parley in its server namespace, and
 * a Chromium per client namespace (the publisher's camera the high-entropy 720p picture).
 * Pages come from harness.openGuidePage (the TRTC v4 guide's code).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { closeAllPages, launchBrowser, serveAppOriginByRoute } from '../harness.js';
import {
  NetLab,
  chromiumInNs,
  highEntropyCameraArgs,
  startParleyIn,
  unavailableReason,
  type NetClient,
  type ParleyInNs,
} from './index.js';

/** Why these tests are skipped here (printed), or null when they run. */
export const skipReason = unavailableReason();
if (skipReason) console.warn(`[e2e/net] skipped: ${skipReason}`);

export interface NetPeer {
  client: NetClient;
  browser: Browser;
  appOrigin: string;
}

export interface NetCallEnv {
  lab: NetLab;
  parley: ParleyInNs;
  publisher: NetPeer;
  viewer: NetPeer;
}

/**
 * Registers a lab, a server and two browsers (publisher, viewer) for the test file; pages
 * closed and impairments cleared after each test. `beforeServer` runs in the lab before
 * Parley starts and returns extra server environment (e.g. TURN settings).
 */
export function useNetCall(
  beforeServer: (lab: NetLab) => Promise<Record<string, string>> = async () => ({}),
): NetCallEnv {
  const env = {} as NetCallEnv;
  beforeAll(async () => {
    env.lab = NetLab.create();
    const serverEnv = await beforeServer(env.lab);
    env.parley = await startParleyIn(env.lab.serverNs, serverEnv);
    const peer = async (name: string, args: string[]): Promise<NetPeer> => {
      const client = env.lab.addClient(name);
      // The page (served by routing, no address) loads Parley from a private address, which
      // Local Network Access would refuse without a permission prompt.
      const browser = await launchBrowser(
        ['--disable-features=LocalNetworkAccessChecks', ...args],
        chromiumInNs(client.ns),
      );
      return { client, browser, appOrigin: serveAppOriginByRoute(browser, env.parley.origin) };
    };
    env.publisher = await peer('publisher', highEntropyCameraArgs());
    env.viewer = await peer('viewer', []);
  }, 180_000);
  afterEach(async () => {
    await closeAllPages();
    for (const p of [env.publisher, env.viewer]) {
      if (!p) continue;
      p.client.impair.loss({});
      p.client.impair.restore();
      p.client.impair.unblock();
      p.client.impair.cap({});
    }
  });
  afterAll(async () => {
    await env.publisher?.browser.close();
    await env.viewer?.browser.close();
    await env.parley?.close();
    env.lab?.close();
  });
  return env;
}

export interface InboundTotals {
  at: number;
  framesDecoded: number;
  frameWidth: number;
  freezesSeconds: number;
  freezeCount: number;
  videoBytes: number;
  audioSamples: number;
  concealedSamples: number;
  nacks: number;
}

/** What a page receives in total from all its peer connections (inbound-rtp). */
export async function inboundTotals(page: Page): Promise<InboundTotals> {
  return page.evaluate(async () => {
    const w = window as unknown as { __pcs: RTCPeerConnection[] };
    const t = {
      at: Date.now(),
      framesDecoded: 0,
      frameWidth: 0,
      freezesSeconds: 0,
      freezeCount: 0,
      videoBytes: 0,
      audioSamples: 0,
      concealedSamples: 0,
      nacks: 0,
    };
    for (const pc of w.__pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s: Record<string, number | string>) => {
        if (s.type !== 'inbound-rtp') return;
        const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
        if (s.kind === 'video') {
          t.framesDecoded += n('framesDecoded');
          t.frameWidth = Math.max(t.frameWidth, n('frameWidth'));
          t.freezesSeconds += n('totalFreezesDuration');
          t.freezeCount += n('freezeCount');
          t.videoBytes += n('bytesReceived');
          t.nacks += n('nackCount');
        } else if (s.kind === 'audio') {
          t.audioSamples += n('totalSamplesReceived');
          t.concealedSamples += n('concealedSamples');
        }
      });
    }
    return t;
  });
}

export interface WindowFigures {
  seconds: number;
  fps: number;
  freezesSeconds: number;
  freezeCount: number;
  concealedPercent: number;
  videoKbps: number;
  frameWidth: number;
  nacks: number;
}

/** The figures of what the page received between two readings. */
export function figures(a: InboundTotals, b: InboundTotals): WindowFigures {
  const seconds = (b.at - a.at) / 1000;
  const samples = b.audioSamples - a.audioSamples;
  return {
    seconds: Math.round(seconds * 10) / 10,
    fps: Math.round(((b.framesDecoded - a.framesDecoded) / seconds) * 10) / 10,
    freezesSeconds: Math.round((b.freezesSeconds - a.freezesSeconds) * 100) / 100,
    freezeCount: b.freezeCount - a.freezeCount,
    concealedPercent:
      samples > 0
        ? Math.round(((b.concealedSamples - a.concealedSamples) / samples) * 1000) / 10
        : 100,
    videoKbps: Math.round(((b.videoBytes - a.videoBytes) * 8) / seconds / 1000),
    frameWidth: b.frameWidth,
    nacks: b.nacks - a.nacks,
  };
}
