/**
 * v4 and v5 users in one room (a company mid-migration): a v4 user's stream is a v5 user's
 * main stream and its auxiliary stream the v5 sub stream, and back. Both decode each other's
 * camera and screen; mute states cross as each API reports them.
 */
import { describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import {
  joinedPage,
  publishLocal,
  receivedByStream,
  waitForEvent as waitForV4Event,
  type MediaWindow,
} from '../compat/media.js';
import {
  enterRoom,
  expectAudioEnergy,
  expectVideoDecoded,
  openV5Page,
  waitForEvent,
} from './v5Page.js';

const env = useE2eEnvironment();

interface ScreenWindow extends MediaWindow {
  screen: MediaWindow['local'];
}

/** Waits until the v4 page decodes frames (and a real size) of every stream key. */
function v4Decoding(page: Parameters<typeof receivedByStream>[0], keys: string[]) {
  return waitFor(
    `${keys.join(' + ')} decoded on the v4 page`,
    async () => {
      const first = await receivedByStream(page);
      if (!keys.every((k) => (first[k]?.framesDecoded ?? 0) > 0)) return null;
      return first;
    },
    20_000,
  ).then((first) =>
    waitFor(
      `${keys.join(' + ')} frames rising on the v4 page`,
      async () => {
        const now = await receivedByStream(page);
        const ok = keys.every(
          (k) =>
            (now[k]?.framesDecoded ?? 0) > (first[k]?.framesDecoded ?? 0) + 5 &&
            (now[k]?.frameWidth ?? 0) >= 160,
        );
        return ok ? now : null;
      },
      20_000,
    ),
  );
}

describe('v4 and v5 users in one room', () => {
  it('decode each other both ways, camera and screen (v4 auxiliary = v5 sub), with mute events', async () => {
    const roomId = randomRoomId();
    const v4 = await joinedPage(env.browser, env.parley, env.app.origin, 'alice4', roomId);
    await publishLocal(v4);
    await v4.evaluate(async () => {
      const w = window as unknown as ScreenWindow;
      w.screen = w.TRTC.createStream({ userId: 'alice4', audio: false, screen: true });
      await w.screen.initialize();
      await w.client.publish(w.screen, { isAuxiliary: true });
    });

    const bob = await openV5Page(env.browser, env.app.origin);
    await enterRoom(bob.page, env.parley, 'bob5', { roomId });
    await bob.page.evaluate(async () => {
      const { trtc } = window as unknown as {
        trtc: {
          startLocalAudio(): Promise<void>;
          startLocalVideo(o: object): Promise<void>;
          startScreenShare(o: object): Promise<void>;
        };
      };
      await trtc.startLocalAudio();
      await trtc.startLocalVideo({ view: 'local' });
      await trtc.startScreenShare({ view: null });
    });

    // v5 sees the v4 user's main and auxiliary streams as main and sub.
    await waitForEvent(bob.page, 'remote-user-enter', { userId: 'alice4' });
    await waitForEvent(bob.page, 'remote-video-available', {
      userId: 'alice4',
      streamType: 'main',
    });
    await waitForEvent(bob.page, 'remote-video-available', { userId: 'alice4', streamType: 'sub' });
    await waitForEvent(bob.page, 'remote-audio-available', { userId: 'alice4' });
    await bob.page.evaluate(async () => {
      const { trtc } = window as unknown as {
        trtc: { startRemoteVideo(o: object): Promise<void> };
      };
      await trtc.startRemoteVideo({ userId: 'alice4', streamType: 'main', view: 'remote' });
      await trtc.startRemoteVideo({ userId: 'alice4', streamType: 'sub', view: 'remote-sub' });
    });
    await expectVideoDecoded(bob.page, 'alice4', 'main');
    await expectVideoDecoded(bob.page, 'alice4', 'sub');
    await expectAudioEnergy(bob.page, 'alice4');

    // v4 sees the v5 user's camera as its main stream and its screen as its auxiliary one.
    await waitForV4Event(
      v4,
      'bob5 main stream-added',
      (e) => e.name === 'stream-added' && e.userId === 'bob5' && e.streamType === 'main',
    );
    await waitForV4Event(
      v4,
      'bob5 auxiliary stream-added',
      (e) => e.name === 'stream-added' && e.userId === 'bob5' && e.streamType === 'auxiliary',
    );
    const v4Media = await v4Decoding(v4, ['bob5/main', 'bob5/auxiliary']);
    expect(v4Media['bob5/main']!.audioBytes).toBeGreaterThan(0);

    // Mute states cross: v4 mutes its video → v5 REMOTE_VIDEO_UNAVAILABLE; v5 mutes → v4 mute-video.
    await v4.evaluate(() => (window as unknown as MediaWindow).local.muteVideo());
    await waitForEvent(bob.page, 'remote-video-unavailable', {
      userId: 'alice4',
      streamType: 'main',
    });
    await v4.evaluate(() => (window as unknown as MediaWindow).local.unmuteVideo());
    await waitForEvent(bob.page, 'remote-video-available', {
      userId: 'alice4',
      streamType: 'main',
    });
    const since = Date.now();
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { updateLocalVideo(o: object): Promise<void> } }
      ).trtc.updateLocalVideo({ mute: true }),
    );
    await waitForV4Event(
      v4,
      'mute-video of bob5',
      (e) => e.name === 'mute-video' && e.userId === 'bob5',
      since,
    );
    await bob.page.evaluate(() =>
      (
        window as unknown as { trtc: { updateLocalAudio(o: object): Promise<void> } }
      ).trtc.updateLocalAudio({ mute: true }),
    );
    await waitForV4Event(
      v4,
      'mute-audio of bob5',
      (e) => e.name === 'mute-audio' && e.userId === 'bob5',
      since,
    );

    // The v5 user stops sharing: the v4 user's auxiliary stream of it goes away.
    await bob.page.evaluate(() =>
      (window as unknown as { trtc: { stopScreenShare(): Promise<void> } }).trtc.stopScreenShare(),
    );
    await waitForV4Event(
      v4,
      'bob5 auxiliary stream-removed',
      (e) => e.name === 'stream-removed' && e.userId === 'bob5' && e.streamType === 'auxiliary',
    );
    expect(bob.pageErrors).toEqual([]);
  });
});
