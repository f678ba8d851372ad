/**
 * Firewalls on the viewer's link. Parley hands out TURN (coturn with REST credentials in the
 * server namespace, PARLEY_TURN_URLS + PARLEY_TURN_SECRET) and accepts ICE over TCP.
 * - Direct UDP and TCP to the media server blocked: the call works through TURN.
 * - All UDP blocked: the call works over ICE-TCP.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectFlowing, openGuidePage, randomRoomId } from '../harness.js';
import { PARLEY_HTTP_PORT, SERVER_IP, startCoturn, type Coturn } from './index.js';
import { skipReason, useNetCall } from './netCall.js';

const TURN_SECRET = 'netlab-turn-secret';

/** Type and protocol of the local candidate of each connected pair of the page. */
async function selectedPaths(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const w = window as unknown as { __pcs: RTCPeerConnection[] };
    const out: string[] = [];
    for (const pc of w.__pcs) {
      if (pc.connectionState !== 'connected') continue;
      const report = await pc.getStats();
      report.forEach((s: Record<string, unknown>) => {
        if (s.type !== 'transport' || typeof s.selectedCandidatePairId !== 'string') return;
        const pair = report.get(s.selectedCandidatePairId) as { localCandidateId: string };
        const local = report.get(pair.localCandidateId) as Record<string, string>;
        out.push(`${local.candidateType}/${local.relayProtocol ?? local.protocol}`);
      });
    }
    return out;
  });
}

describe.skipIf(skipReason !== null)('firewalls', () => {
  let coturn: Coturn | undefined;
  const env = useNetCall(async (lab) => {
    coturn = await startCoturn(lab.serverNs, TURN_SECRET);
    return { PARLEY_TURN_URLS: coturn.url, PARLEY_TURN_SECRET: TURN_SECRET };
  });

  it('direct UDP and TCP to the media server blocked: the call goes through TURN', async () => {
    const { parley, publisher, viewer } = env;
    viewer.client.impair.blockFromClient(
      `ip daddr ${SERVER_IP} meta l4proto udp`,
      `ip daddr ${SERVER_IP} tcp dport != ${PARLEY_HTTP_PORT}`,
    );
    const roomId = randomRoomId();
    const pubPage = await openGuidePage(
      publisher.browser,
      publisher.appOrigin,
      parley,
      'pub',
      roomId,
    );
    const page = await openGuidePage(viewer.browser, viewer.appOrigin, parley, 'viewer', roomId);
    await expectFlowing(page, ['pub']);
    await expectFlowing(pubPage, ['viewer']);
    const paths = await selectedPaths(page);
    console.log(`[media-quality] TURN only: viewer paths ${JSON.stringify(paths)}`);
    expect(paths.length).toBeGreaterThanOrEqual(2);
    for (const path of paths) expect(path).toMatch(/^relay\//);
    await coturn?.stop();
  });

  it('all UDP blocked: the call works over ICE-TCP', async () => {
    const { parley, publisher, viewer } = env;
    viewer.client.impair.blockFromClient('meta l4proto udp');
    const roomId = randomRoomId();
    const pubPage = await openGuidePage(
      publisher.browser,
      publisher.appOrigin,
      parley,
      'pub',
      roomId,
    );
    const page = await openGuidePage(viewer.browser, viewer.appOrigin, parley, 'viewer', roomId);
    await expectFlowing(page, ['pub']);
    await expectFlowing(pubPage, ['viewer']);
    const paths = await selectedPaths(page);
    console.log(`[media-quality] UDP blocked: viewer paths ${JSON.stringify(paths)}`);
    expect(paths.length).toBeGreaterThanOrEqual(2);
    for (const path of paths) expect(path).toMatch(/\/tcp$/);
  });
});
