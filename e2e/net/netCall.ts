/**
 * A call through the impairment kit for e2e tests: a lab, Parley in its server namespace, and
 * a Chromium per client namespace (the publisher's camera the high-entropy 720p picture).
 * Pages come from harness.openGuidePage (the TRTC v4 guide's code).
 */
import type { Browser } from 'playwright-core';
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

export { figures, inboundTotals, type InboundTotals, type WindowFigures } from './inbound.js';

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
