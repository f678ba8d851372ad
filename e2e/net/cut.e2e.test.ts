/**
 * A 5 s network cut on the viewer's link (everything dropped both ways): the call comes back
 * by itself, without a new join: the picture is back both ways within 3 s of the cut ending
 * (the first new frame decoded each way), frames flow steadily again soon after (the
 * publisher's encoder climbs back from the rate it fell to during the cut; a figure, bounded
 * loosely), and the publisher never sees the viewer leave.
 */
import { describe, expect, it } from 'vitest';
import { events, openGuidePage, randomRoomId, receivingFrom, sleep, waitFor } from '../harness.js';
import { inboundTotals, skipReason, useNetCall } from './netCall.js';

// One lab, server and pair of browsers for both tests (impairments are cleared after each).
describe.skipIf(skipReason !== null)('network events', () => {
  const env = useNetCall();

  describe('a 5 s network cut', () => {
    it('the picture is back both ways within 3 s of the cut ending; the others never see the user leave', async () => {
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

      // The SDK's own account of the recovery (ICE restarts, connections back), for the figures.
      const sdkLog: string[] = [];
      let restored = 0;
      for (const [who, p] of [
        ['viewer', page],
        ['pub', pubPage],
      ] as const) {
        await p.evaluate(() => {
          const w = window as unknown as {
            TRTC?: { Logger: { setLogLevel(l: number): void; LogLevel: { DEBUG: number } } };
          };
          w.TRTC?.Logger.setLogLevel(w.TRTC.Logger.LogLevel.DEBUG);
        });
        p.on('console', (m) => {
          const text = m.text();
          if (/ICE|connection|signaling/i.test(text) && restored === 0)
            sdkLog.push(`${who} (cut) ${text}`);
          else if (/ICE|connection|signaling/i.test(text))
            sdkLog.push(`${who} +${Date.now() - restored}ms ${text}`);
        });
      }
      viewer.client.impair.cut();
      await sleep(5000);
      const before = { viewer: await inboundTotals(page), pub: await inboundTotals(pubPage) };
      viewer.client.impair.restore();
      restored = Date.now();
      // Both directions: the viewer decodes the publisher again, the publisher the viewer. When
      // bytes and then frames came back in each direction says where the time went.
      const seen: Record<string, number> = {};
      const note = (what: string, cond: boolean) => {
        if (cond && seen[what] === undefined) seen[what] = Date.now() - restored;
      };
      const back = await waitFor(
        'frames flowing both ways again',
        async () => {
          const v = await inboundTotals(page);
          const p = await inboundTotals(pubPage);
          note('viewerBytes', v.videoBytes > before.viewer.videoBytes);
          note('viewerFrame', v.framesDecoded > before.viewer.framesDecoded);
          note('viewer5Frames', v.framesDecoded > before.viewer.framesDecoded + 5);
          note('pubBytes', p.videoBytes > before.pub.videoBytes);
          note('pubFrame', p.framesDecoded > before.pub.framesDecoded);
          note('pub5Frames', p.framesDecoded > before.pub.framesDecoded + 5);
          return v.framesDecoded > before.viewer.framesDecoded + 5 &&
            p.framesDecoded > before.pub.framesDecoded + 5
            ? Date.now()
            : null;
        },
        20_000,
      );
      console.log(`[media-quality] 5 s cut, after the cut (ms): ${JSON.stringify(seen)}`);
      console.log(`[media-quality] 5 s cut, SDK log:\n  ${sdkLog.join('\n  ')}`);
      const recoveryMs = back - restored;
      const seenByPub = await events(pubPage);
      const seenByViewer = await events(page);
      const states = seenByViewer
        .filter((e) => e.name === 'connection-state-changed')
        .map((e) => `${e.state}@${e.at - restored}ms`);
      console.log(
        `[media-quality] 5 s cut: ${JSON.stringify({ recoveryMs, viewerConnectionStates: states })}`,
      );
      const pictureBackMs = Math.max(seen.viewerFrame ?? Infinity, seen.pubFrame ?? Infinity);
      expect(pictureBackMs, 'first new frame decoded both ways').toBeLessThanOrEqual(3000);
      // Five frames more each way: steady flow again, not a lone frame.
      expect(recoveryMs).toBeLessThanOrEqual(8000);
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

  describe('a network change', () => {
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
      // More than 20 new frames each way within 3 s: done as soon as both are seen, the
      // assertions on the first sample 3 s on otherwise.
      const a = { viewer: await inboundTotals(page), pub: await inboundTotals(pubPage) };
      const deadline = Date.now() + 3000;
      let b = { viewer: await inboundTotals(page), pub: await inboundTotals(pubPage) };
      while (
        (b.viewer.framesDecoded <= a.viewer.framesDecoded + 20 ||
          b.pub.framesDecoded <= a.pub.framesDecoded + 20) &&
        Date.now() < deadline
      ) {
        await sleep(100);
        b = { viewer: await inboundTotals(page), pub: await inboundTotals(pubPage) };
      }
      expect(b.viewer.framesDecoded).toBeGreaterThan(a.viewer.framesDecoded + 20);
      expect(b.pub.framesDecoded).toBeGreaterThan(a.pub.framesDecoded + 20);
      const seen = [...(await events(pubPage)), ...(await events(page))];
      expect(seen.filter((e) => e.name === 'peer-leave' || e.name === 'stream-removed')).toEqual(
        [],
      );
    });
  });
});
