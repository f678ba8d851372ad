/**
 * Mute on a published LocalStream stops the bytes, end to end: the publisher sends nothing,
 * the server forwards nothing, the subscriber receives nothing, and the others are told
 * (mute-audio/mute-video and getRemoteMutedState). Unmute restores all of it, video from a
 * fresh keyframe.
 */
import { describe, expect, it } from 'vitest';
import { useE2eEnvironment } from '../harness.js';
import {
  expectGrowing,
  expectStill,
  forwarded,
  inbound,
  joinedPage,
  outbound,
  publishLocal,
  randomRoom,
  waitForEvent,
  type MediaWindow,
} from './media.js';

const env = useE2eEnvironment();

describe('mute on a published stream', () => {
  it('muteAudio/muteVideo stop the bytes at the sender, the server and the receiver; unmute restores them', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await publishLocal(alice);
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    await expectGrowing('bob receiving audio', async () => (await inbound(bob)).audioBytes);
    await expectGrowing('bob decoding video', async () => (await inbound(bob)).framesDecoded);

    // ---- audio ----
    let since = Date.now();
    const audioResult = await alice.evaluate(() =>
      (window as unknown as MediaWindow).local.muteAudio(),
    );
    expect(audioResult, 'muteAudio() returns true synchronously').toBe(true);
    const muted = await waitForEvent(bob, 'mute-audio', (e) => e.name === 'mute-audio', since);
    expect(muted.userId).toBe('alice');
    expect(
      await bob.evaluate(() => (window as unknown as MediaWindow).client.getRemoteMutedState()),
    ).toEqual([expect.objectContaining({ userId: 'alice', audioMuted: true, videoMuted: false })]);
    await expectStill('alice sending audio', async () => (await outbound(alice)).audioBytes);
    await expectStill('the server forwarding audio', async () =>
      forwarded(env.parley, roomId, 'audio'),
    );
    await expectStill('bob receiving audio', async () => (await inbound(bob)).audioBytes);
    // The other kind is untouched.
    await expectGrowing(
      'bob decoding video while audio is muted',
      async () => (await inbound(bob)).framesDecoded,
    );

    since = Date.now();
    expect(await alice.evaluate(() => (window as unknown as MediaWindow).local.unmuteAudio())).toBe(
      true,
    );
    expect(
      (await waitForEvent(bob, 'unmute-audio', (e) => e.name === 'unmute-audio', since)).userId,
    ).toBe('alice');
    await expectGrowing(
      'bob receiving audio after unmute',
      async () => (await inbound(bob)).audioBytes,
    );
    await expectGrowing(
      'bob hearing audio energy after unmute',
      async () => (await inbound(bob)).audioEnergy,
    );

    // ---- video ----
    since = Date.now();
    expect(await alice.evaluate(() => (window as unknown as MediaWindow).local.muteVideo())).toBe(
      true,
    );
    expect(
      (await waitForEvent(bob, 'mute-video', (e) => e.name === 'mute-video', since)).userId,
    ).toBe('alice');
    expect(
      await bob.evaluate(() => (window as unknown as MediaWindow).client.getRemoteMutedState()),
    ).toEqual([expect.objectContaining({ userId: 'alice', audioMuted: false, videoMuted: true })]);
    await expectStill('alice sending video', async () => (await outbound(alice)).videoBytes);
    await expectStill('the server forwarding video', async () =>
      forwarded(env.parley, roomId, 'video'),
    );
    await expectStill('bob decoding video', async () => (await inbound(bob)).framesDecoded);

    since = Date.now();
    expect(await alice.evaluate(() => (window as unknown as MediaWindow).local.unmuteVideo())).toBe(
      true,
    );
    expect(
      (await waitForEvent(bob, 'unmute-video', (e) => e.name === 'unmute-video', since)).userId,
    ).toBe('alice');
    // Decoding resumes: the server held the stream back until a keyframe came.
    await expectGrowing(
      'bob decoding video after unmute',
      async () => (await inbound(bob)).framesDecoded,
      10,
    );
    expect(
      await bob.evaluate(() => (window as unknown as MediaWindow).client.getRemoteMutedState()),
    ).toEqual([expect.objectContaining({ userId: 'alice', audioMuted: false, videoMuted: false })]);
  });

  it('a stream muted before publish() is announced muted and sends nothing until unmuted', async () => {
    const roomId = randomRoom();
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      w.local = w.TRTC.createStream({ userId: 'alice', audio: true, video: true });
      await w.local.initialize();
      w.local.muteVideo();
      await w.client.publish(w.local);
    });
    await waitForEvent(bob, 'stream-added', (e) => e.name === 'stream-added');
    expect(
      await bob.evaluate(() => (window as unknown as MediaWindow).client.getRemoteMutedState()),
    ).toEqual([expect.objectContaining({ userId: 'alice', videoMuted: true })]);
    await expectGrowing('bob receiving audio', async () => (await inbound(bob)).audioBytes);
    await expectStill('alice sending video', async () => (await outbound(alice)).videoBytes);
    expect((await inbound(bob)).framesDecoded).toBe(0);
    const since = Date.now();
    await alice.evaluate(() => (window as unknown as MediaWindow).local.unmuteVideo());
    await waitForEvent(bob, 'unmute-video', (e) => e.name === 'unmute-video', since);
    await expectGrowing(
      'bob decoding video after unmute',
      async () => (await inbound(bob)).framesDecoded,
    );
  });
});
