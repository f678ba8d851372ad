/**
 * Random packet loss on the viewer's link, each way (nftables in its edge): what the viewer
 * sees of a 720p high-entropy publisher on a clean link.
 */
import { describe, expect, it } from 'vitest';
import { openGuidePage, randomRoomId, receivingFrom, sleep } from '../harness.js';
import { figures, inboundTotals, skipReason, useNetCall } from './netCall.js';

describe.skipIf(skipReason !== null)('random loss on the viewer link', () => {
  const env = useNetCall();

  it('20% each way: ≥ 12 fps, ≤ 2 s frozen in 20 s, ≤ 10% audio concealed; 30%: ≥ 10 fps', async () => {
    const { parley, publisher, viewer } = env;
    const roomId = randomRoomId();
    await openGuidePage(publisher.browser, publisher.appOrigin, parley, 'pub', roomId);
    const page = await openGuidePage(viewer.browser, viewer.appOrigin, parley, 'viewer', roomId);
    await receivingFrom(page, ['pub']);
    await sleep(3000);

    viewer.client.impair.loss({ uplinkPercent: 20, downlinkPercent: 20 });
    await sleep(2000);
    const a = await inboundTotals(page);
    await sleep(20_000);
    const b = await inboundTotals(page);
    const at20 = figures(a, b);
    console.log(`[media-quality] 20% loss each way (viewer link): ${JSON.stringify(at20)}`);

    viewer.client.impair.loss({ uplinkPercent: 30, downlinkPercent: 30 });
    await sleep(2000);
    const c = await inboundTotals(page);
    await sleep(10_000);
    const d = await inboundTotals(page);
    const at30 = figures(c, d);
    console.log(`[media-quality] 30% loss each way (viewer link): ${JSON.stringify(at30)}`);

    expect(at20.fps).toBeGreaterThanOrEqual(12);
    expect(at20.freezesSeconds).toBeLessThanOrEqual(2);
    expect(at20.concealedPercent).toBeLessThanOrEqual(10);
    expect(at30.fps).toBeGreaterThanOrEqual(10);
  });
});
