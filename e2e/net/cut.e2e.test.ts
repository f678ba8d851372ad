/**
 * A 5 s network cut on the viewer's link (everything dropped both ways): the call comes back
 * by itself within 3 s of the cut ending, without a new join, and the publisher never sees
 * the viewer leave.
 */
import { describe, expect, it } from 'vitest';
import { events, openGuidePage, randomRoomId, receivingFrom, sleep, waitFor } from '../harness.js';
import { inboundTotals, skipReason, useNetCall } from './netCall.js';

describe.skipIf(skipReason !== null)('a 5 s network cut', () => {
  const env = useNetCall();

  it('recovers within 3 s of the cut ending; the others never see the user leave', async () => {
    const { parley, publisher, viewer } = env;
    const roomId = randomRoomId();
    const pubPage = await openGuidePage(
      publisher.browser,
      publisher.appOrigin,
      parley,
      'pub',
      roomId,
    );
    const page = await openGuidePage(viewer.browser, viewer.appOrigin, parley, 'viewer', roomId);
    await receivingFrom(page, ['pub']);
    await receivingFrom(pubPage, ['viewer']);
    await sleep(2000);

    viewer.client.impair.cut();
    await sleep(5000);
    const before = { viewer: await inboundTotals(page), pub: await inboundTotals(pubPage) };
    viewer.client.impair.restore();
    const restored = Date.now();
    // Both directions: the viewer decodes the publisher again, the publisher the viewer.
    const back = await waitFor(
      'frames flowing both ways again',
      async () => {
        const v = await inboundTotals(page);
        const p = await inboundTotals(pubPage);
        return v.framesDecoded > before.viewer.framesDecoded + 5 &&
          p.framesDecoded > before.pub.framesDecoded + 5
          ? Date.now()
          : null;
      },
      20_000,
    );
    const recoveryMs = back - restored;
    const seenByPub = await events(pubPage);
    const seenByViewer = await events(page);
    const states = seenByViewer
      .filter((e) => e.name === 'connection-state-changed')
      .map((e) => `${e.state}@${e.at - restored}ms`);
    console.log(
      `[media-quality] 5 s cut: ${JSON.stringify({ recoveryMs, viewerConnectionStates: states })}`,
    );
    expect(recoveryMs).toBeLessThanOrEqual(3000);
    const left = seenByPub.filter(
      (e) => (e.name === 'peer-leave' || e.name === 'stream-removed') && e.userId === 'viewer',
    );
    expect(left, 'the publisher saw the viewer leave').toEqual([]);
    const joins = seenByPub.filter((e) => e.name === 'peer-join' && e.userId === 'viewer');
    expect(joins.length, 'no re-join').toBeLessThanOrEqual(1);
    // The viewer's own view of the publisher never went away either.
    expect(seenByViewer.filter((e) => e.name === 'stream-removed')).toEqual([]);
  });
});

describe.skipIf(skipReason !== null)('a network change', () => {
  const env = useNetCall();

  it('restarts ICE on both connections (new credentials); media keeps flowing, nobody leaves', async () => {
    const { parley, publisher, viewer } = env;
    const roomId = randomRoomId();
    const pubPage = await openGuidePage(
      publisher.browser,
      publisher.appOrigin,
      parley,
      'pub',
      roomId,
    );
    const page = await openGuidePage(viewer.browser, viewer.appOrigin, parley, 'viewer', roomId);
    await receivingFrom(page, ['pub']);
    await receivingFrom(pubPage, ['viewer']);
    const ufrags = () =>
      page.evaluate(() =>
        (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
          .filter((pc) => pc.connectionState !== 'closed')
          .map((pc) => /a=ice-ufrag:(\S+)/.exec(pc.localDescription?.sdp ?? '')?.[1] ?? ''),
      );
    const before = await ufrags();
    expect(before.length).toBe(2);
    // What the browser fires when the device gets a network back (or another one).
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    const after = await waitFor('new ICE credentials on both connections', async () => {
      const now = await ufrags();
      return now.length === 2 && now.every((u, i) => u !== '' && u !== before[i]) ? now : null;
    });
    console.log(
      `[reconnect] network change: ufrags ${JSON.stringify(before)} → ${JSON.stringify(after)}`,
    );
    const a = { viewer: await inboundTotals(page), pub: await inboundTotals(pubPage) };
    await sleep(3000);
    expect((await inboundTotals(page)).framesDecoded).toBeGreaterThan(a.viewer.framesDecoded + 20);
    expect((await inboundTotals(pubPage)).framesDecoded).toBeGreaterThan(a.pub.framesDecoded + 20);
    const seen = [...(await events(pubPage)), ...(await events(page))];
    expect(seen.filter((e) => e.name === 'peer-leave' || e.name === 'stream-removed')).toEqual([]);
  });
});
