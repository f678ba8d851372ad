/**
 * v5 `startLocalVideo({option: {small}})`: the camera is sent with a small stream (two
 * simulcast encodings), and a viewer asking for it (`startRemoteVideo({option: {small: true}})`)
 * decodes the small picture, then the big one again when it asks for that.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import { enterRoom, errorOf, inboundOf, openV5Page, waitForEvent } from './v5Page.js';

const env = useE2eEnvironment();

interface SmallPage {
  trtc: {
    startLocalVideo(o: object): Promise<void>;
    startRemoteVideo(o: object): Promise<void>;
    updateRemoteVideo(o: object): Promise<void>;
  };
}

/** The rids of the published video sender's encodings. */
const sentEncodings = (page: Page): Promise<string[]> =>
  page.evaluate(() => {
    const w = window as unknown as { __pcs: RTCPeerConnection[] };
    for (const pc of w.__pcs) {
      if (pc.connectionState === 'closed') continue;
      for (const sender of pc.getSenders()) {
        if (sender.track?.kind === 'video') {
          return sender.getParameters().encodings.map((e) => e.rid ?? '');
        }
      }
    }
    return [];
  });

/** Waits until alice's decoded width satisfies `ok` (frames still rising). */
const decodedWidth = (page: Page, what: string, ok: (width: number) => boolean): Promise<number> =>
  waitFor(
    what,
    async () => {
      const v = await inboundOf(page, 'video', 'alice');
      return v && v.framesDecoded > 0 && ok(v.frameWidth) ? v.frameWidth : null;
    },
    20_000,
  );

describe('TRTC v5 small stream', () => {
  it('option.small sends a small stream; the viewer decodes small, then big', async () => {
    const roomId = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);
    await enterRoom(alice.page, env.parley, 'alice', { roomId });
    await alice.page.evaluate(() =>
      (window as unknown as SmallPage).trtc.startLocalVideo({
        view: 'local',
        option: { profile: '480p', small: true },
      }),
    );
    expect((await sentEncodings(alice.page)).length).toBe(2);

    await enterRoom(bob.page, env.parley, 'bob', { roomId });
    await waitForEvent(bob.page, 'remote-video-available', { userId: 'alice', streamType: 'main' });
    await bob.page.evaluate(() =>
      (window as unknown as SmallPage).trtc.startRemoteVideo({
        userId: 'alice',
        streamType: 'main',
        view: 'remote',
        option: { small: true },
      }),
    );
    // The small profile's box is 160×120: the 640×480 camera scaled down by 4.
    const small = await decodedWidth(bob.page, 'the small picture', (w) => w > 0 && w <= 160);
    expect(small).toBeLessThanOrEqual(160);
    await bob.page.evaluate(() =>
      (window as unknown as SmallPage).trtc.updateRemoteVideo({
        userId: 'alice',
        streamType: 'main',
        option: { small: false },
      }),
    );
    expect(await decodedWidth(bob.page, 'the big picture', (w) => w >= 320)).toBeGreaterThanOrEqual(
      320,
    );
    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
  });

  it('without option.small one encoding is sent; a bad small profile rejects 5000', async () => {
    const { page } = await openV5Page(env.browser, env.app.origin);
    expect(
      await errorOf(page, 'startLocalVideo', { view: 'local', option: { small: '7p' } }),
    ).toMatchObject({ code: 5000, functionName: 'startLocalVideo' });
    await enterRoom(page, env.parley, 'carol', { roomId: randomRoomId() });
    await page.evaluate(() =>
      (window as unknown as SmallPage).trtc.startLocalVideo({ view: 'local' }),
    );
    expect((await sentEncodings(page)).length).toBe(1);
  });
});
