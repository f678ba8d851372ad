/**
 * 200 ms round trip to the server on both the publisher's and the viewer's link (our relay,
 * 100 ms each way, ± 10 ms jitter, signaling and media alike): the call works and the
 * viewer's join-to-first-frame is printed.
 */
import { describe, expect, it } from 'vitest';
import { expectFlowing, openGuidePage, randomRoomId, receivingFrom } from '../harness.js';
import { MEDIA_PORTS, PARLEY_HTTP_PORT } from './index.js';
import { figures, inboundTotals, skipReason, useNetCall } from './netCall.js';

const mediaTcp = Array.from(
  { length: MEDIA_PORTS[1] - MEDIA_PORTS[0] + 1 },
  (_, i) => MEDIA_PORTS[0] + i,
);

describe.skipIf(skipReason !== null)('200 ms RTT', () => {
  const env = useNetCall();

  it('joins, publishes and plays both ways; prints join-to-first-frame', async () => {
    const { parley, publisher, viewer } = env;
    for (const peer of [publisher, viewer]) {
      await peer.client.impair.delay({
        oneWayMs: 100,
        jitterMs: 10,
        udpPorts: MEDIA_PORTS,
        tcpPorts: [PARLEY_HTTP_PORT, ...mediaTcp],
      });
    }
    const roomId = randomRoomId();
    const pubPage = await openGuidePage(
      publisher.browser,
      publisher.appOrigin,
      parley,
      'pub',
      roomId,
    );
    await receivingFrom(pubPage, []);
    const started = Date.now();
    const page = await openGuidePage(viewer.browser, viewer.appOrigin, parley, 'viewer', roomId);
    const joined = Date.now();
    await receivingFrom(page, ['pub']);
    const firstFrame = Date.now();
    await expectFlowing(page, ['pub']);
    await expectFlowing(pubPage, ['viewer']);
    const rtt = await page.evaluate(async () => {
      const w = window as unknown as { __pcs: RTCPeerConnection[] };
      let ms = 0;
      for (const pc of w.__pcs) {
        (await pc.getStats()).forEach((s: Record<string, unknown>) => {
          if (
            s.type === 'candidate-pair' &&
            s.nominated &&
            typeof s.currentRoundTripTime === 'number'
          )
            ms = Math.max(ms, s.currentRoundTripTime * 1000);
        });
      }
      return Math.round(ms);
    });
    const a = await inboundTotals(page);
    await new Promise((r) => setTimeout(r, 5000));
    const media = figures(a, await inboundTotals(page));
    console.log(
      `[media-quality] 200 ms RTT: ${JSON.stringify({
        measuredRttMs: rtt,
        joinMs: joined - started,
        joinToFirstFrameMs: firstFrame - started,
        ...media,
      })}`,
    );
    expect(rtt, 'the ICE round trip shows the added delay').toBeGreaterThanOrEqual(180);
    expect(media.fps, 'video keeps playing').toBeGreaterThanOrEqual(10);
  });
});
