/**
 * TRTC v5 live scene: an audience member is invisible and cannot send, receives the anchors,
 * and `switchRole` makes it an anchor whose started camera is then published (and back).
 */
import { describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment } from '../harness.js';
import {
  enterRoom,
  expectVideoDecoded,
  openV5Page,
  v5Events,
  waitForEvent,
  type V5ErrorData,
} from './v5Page.js';

const env = useE2eEnvironment();

describe('TRTC v5 live scene', () => {
  it('audience receives, is invisible, cannot send; switchRole publishes and unpublishes', async () => {
    const roomId = randomRoomId();
    const anchor = await openV5Page(env.browser, env.app.origin);
    const viewer = await openV5Page(env.browser, env.app.origin);
    await enterRoom(
      anchor.page,
      env.parley,
      'anchor',
      { roomId },
      { scene: 'live', role: 'anchor' },
    );
    await anchor.page.evaluate(() =>
      (
        window as unknown as { trtc: { startLocalVideo(o: object): Promise<void> } }
      ).trtc.startLocalVideo({ view: 'local' }),
    );
    await enterRoom(
      viewer.page,
      env.parley,
      'viewer',
      { roomId },
      { scene: 'live', role: 'audience' },
    );
    await viewer.page.evaluate(() =>
      (
        window as unknown as { trtc: { startLocalVideo(o: object): Promise<void> } }
      ).trtc.startLocalVideo({ view: 'local' }),
    );
    await waitForEvent(viewer.page, 'remote-video-available', {
      userId: 'anchor',
      streamType: 'main',
    });
    await viewer.page.evaluate(() =>
      (
        window as unknown as { trtc: { startRemoteVideo(o: object): Promise<void> } }
      ).trtc.startRemoteVideo({
        userId: 'anchor',
        streamType: 'main',
        view: 'remote',
      }),
    );
    await expectVideoDecoded(viewer.page, 'anchor');
    // The audience member is not announced, and may not send custom messages (5100 / 5107).
    expect((await v5Events(anchor.page)).filter((e) => e.name === 'remote-user-enter')).toEqual([]);
    const refused = await viewer.page.evaluate(() => {
      const w = window as unknown as {
        trtc: { sendCustomMessage(m: object): void };
        errorOf(call: () => unknown): Promise<V5ErrorData | null>;
      };
      return w.errorOf(() => w.trtc.sendCustomMessage({ cmdId: 1, data: new ArrayBuffer(1) }));
    });
    expect(refused).toMatchObject({ code: 5100, extraCode: 5107 });

    await viewer.page.evaluate(() =>
      (window as unknown as { trtc: { switchRole(r: string): Promise<void> } }).trtc.switchRole(
        'anchor',
      ),
    );
    await waitForEvent(anchor.page, 'remote-user-enter', { userId: 'viewer' });
    await waitForEvent(anchor.page, 'remote-video-available', {
      userId: 'viewer',
      streamType: 'main',
    });
    await anchor.page.evaluate(() =>
      (
        window as unknown as { trtc: { startRemoteVideo(o: object): Promise<void> } }
      ).trtc.startRemoteVideo({
        userId: 'viewer',
        streamType: 'main',
        view: 'remote',
      }),
    );
    await expectVideoDecoded(anchor.page, 'viewer');

    await viewer.page.evaluate(() =>
      (window as unknown as { trtc: { switchRole(r: string): Promise<void> } }).trtc.switchRole(
        'audience',
      ),
    );
    await waitForEvent(anchor.page, 'remote-video-unavailable', {
      userId: 'viewer',
      streamType: 'main',
    });
    await waitForEvent(anchor.page, 'remote-user-exit', { userId: 'viewer' });
    // Still receiving the anchor as an audience member.
    await expectVideoDecoded(viewer.page, 'anchor');
    expect(anchor.pageErrors).toEqual([]);
    expect(viewer.pageErrors).toEqual([]);
  });
});
