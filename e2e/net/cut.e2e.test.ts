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
