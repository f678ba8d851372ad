/**
 * subscribe(stream, {audio, video}) pulls only what it asks for, a later subscribe() changes
 * it, and unsubscribe() stops the media at the subscriber and at the server.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useE2eEnvironment } from '../harness.js';
import {
  expectGrowing,
  expectStill,
  forwarded,
  inbound,
  joinedPage,
  publishLocal,
  randomRoom,
  sourceStats,
  waitForEvent,
  type MediaWindow,
} from './media.js';

const env = useE2eEnvironment();

/** Subscribes bob's page to alice's main stream with `options` (undefined: v4 defaults). */
function subscribeAlice(page: Page, options?: { audio?: boolean; video?: boolean }) {
  return page.evaluate(async (opts) => {
    const w = window as unknown as MediaWindow;
    const stream = w.remotes['alice/main'];
    if (!stream) throw new Error('no stream from alice');
    await w.client.subscribe(stream, opts);
    return { audio: stream.getAudioTrack() !== null, video: stream.getVideoTrack() !== null };
  }, options);
}

/** Sinks (subscribers) per kind on the server for the room's sources. */
const sinks = async (roomId: number) =>
  Object.fromEntries((await sourceStats(env.parley, roomId)).map((s) => [s.kind, s.sinks]));

describe('subscribe options and unsubscribe', () => {
  it('{audio: false} receives only video; subscribe() again adds audio; unsubscribe() stops both at the server', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await publishLocal(alice);
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId, {
      subscribe: false,
      autoSubscribe: false,
    });
    await waitForEvent(
      bob,
      'stream-added',
      (e) => e.name === 'stream-added' && e.userId === 'alice',
    );

    expect(await subscribeAlice(bob, { audio: false, video: true })).toEqual({
      audio: false,
      video: true,
    });
    const subscribed = await waitForEvent(
      bob,
      'stream-subscribed',
      (e) => e.name === 'stream-subscribed',
    );
    expect(subscribed.userId).toBe('alice');
    await expectGrowing('bob decoding video', async () => (await inbound(bob)).framesDecoded, 5);
    expect((await inbound(bob)).audioBytes, 'no audio received').toBe(0);
    expect(await sinks(roomId)).toEqual({ audio: 0, video: 1 });

    // The v4 defaults: both.
    expect(await subscribeAlice(bob)).toEqual({ audio: true, video: true });
    await expectGrowing('bob receiving audio', async () => (await inbound(bob)).audioBytes);
    await expectGrowing('bob hearing audio energy', async () => (await inbound(bob)).audioEnergy);
    expect(await sinks(roomId)).toEqual({ audio: 1, video: 1 });

    await bob.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      await w.client.unsubscribe(w.remotes['alice/main']!);
    });
    expect(await sinks(roomId)).toEqual({ audio: 0, video: 0 });
    await expectStill('the server forwarding audio', async () =>
      forwarded(env.parley, roomId, 'audio'),
    );
    await expectStill('the server forwarding video', async () =>
      forwarded(env.parley, roomId, 'video'),
    );
    await expectStill('bob receiving audio', async () => (await inbound(bob)).audioBytes);
    await expectStill('bob receiving video', async () => (await inbound(bob)).videoBytes);
    expect(
      await bob.evaluate(() => {
        const stream = (window as unknown as MediaWindow).remotes['alice/main']!;
        return { audio: stream.getAudioTrack(), video: stream.getVideoTrack() };
      }),
    ).toEqual({ audio: null, video: null });

    // Subscribing again after unsubscribe brings the media back.
    expect(await subscribeAlice(bob)).toEqual({ audio: true, video: true });
    await expectGrowing(
      'bob decoding video again',
      async () => (await inbound(bob)).framesDecoded,
      5,
    );
  });

  it('with autoSubscribe, subscribe(stream, {audio: false}) drops the audio the server already sent', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await publishLocal(alice);
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId, {
      subscribe: false,
    });
    await waitForEvent(bob, 'stream-added', (e) => e.name === 'stream-added');
    await expectGrowing(
      'bob receiving audio (auto-subscribed)',
      async () => (await inbound(bob)).audioBytes,
    );
    expect(await subscribeAlice(bob, { audio: false })).toEqual({ audio: false, video: true });
    expect(await sinks(roomId)).toEqual({ audio: 0, video: 1 });
    await expectStill('bob receiving audio', async () => (await inbound(bob)).audioBytes);
    await expectGrowing('bob decoding video', async () => (await inbound(bob)).framesDecoded, 5);
  });
});
