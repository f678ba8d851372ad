/**
 * Track changes on a published LocalStream: addTrack/removeTrack renegotiate and the others
 * get stream-updated with the new hasAudio/hasVideo (and the media to match); replaceTrack
 * swaps what is sent without renegotiation.
 */
import { describe, expect, it } from 'vitest';
import { useE2eEnvironment } from '../harness.js';
import {
  expectGrowing,
  expectStill,
  inbound,
  joinedPage,
  publishLocal,
  randomRoom,
  sourceStats,
  waitForEvent,
  type MediaWindow,
} from './media.js';

const env = useE2eEnvironment();

describe('track changes on a published stream', () => {
  it('addTrack and removeTrack renegotiate: stream-updated with hasVideo, video starts and stops', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await publishLocal(alice, { audio: true, video: false });
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    const added = await waitForEvent(bob, 'stream-added', (e) => e.name === 'stream-added');
    expect(added).toMatchObject({ userId: 'alice', hasAudio: true, hasVideo: false });
    await expectGrowing('bob receiving audio', async () => (await inbound(bob)).audioBytes);

    // Turn the voice call into a video call.
    let since = Date.now();
    await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const camera = w.TRTC.createStream({ userId: 'alice', audio: false, video: true });
      await camera.initialize();
      const track = camera.getVideoTrack();
      if (!track) throw new Error('no camera track');
      await w.local.addTrack(track);
    });
    const updated = await waitForEvent(
      bob,
      'stream-updated',
      (e) => e.name === 'stream-updated',
      since,
    );
    expect(updated).toMatchObject({ userId: 'alice', hasAudio: true, hasVideo: true });
    await expectGrowing(
      'bob decoding alice video',
      async () => (await inbound(bob)).framesDecoded,
      10,
    );
    expect(
      await bob.evaluate(() =>
        (window as unknown as MediaWindow).remotes['alice/main']!.hasVideo(),
      ),
    ).toBe(true);
    // Only the stream changed: still one stream, never removed and added again.
    expect((await sourceStats(env.parley, roomId)).map((s) => s.kind).sort()).toEqual([
      'audio',
      'video',
    ]);

    since = Date.now();
    await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const track = w.local.getVideoTrack();
      if (!track) throw new Error('no video track');
      await w.local.removeTrack(track);
      track.stop();
    });
    const removed = await waitForEvent(
      bob,
      'stream-updated without video',
      (e) => e.name === 'stream-updated' && e.hasVideo === false,
      since,
    );
    expect(removed).toMatchObject({ userId: 'alice', hasAudio: true });
    await expectStill('bob receiving video', async () => (await inbound(bob)).videoBytes);
    await expectGrowing('bob still receiving audio', async () => (await inbound(bob)).audioBytes);
    expect((await sourceStats(env.parley, roomId)).map((s) => s.kind)).toEqual(['audio']);
    const events = await bob.evaluate(() =>
      (window as unknown as MediaWindow).__events.map((e) => e.name),
    );
    expect(events).not.toContain('stream-removed');

    // And back: the recycled m-line carries a new track.
    since = Date.now();
    await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const camera = w.TRTC.createStream({ userId: 'alice', audio: false, video: true });
      await camera.initialize();
      await w.local.addTrack(camera.getVideoTrack()!);
    });
    await waitForEvent(
      bob,
      'stream-updated with video again',
      (e) => e.name === 'stream-updated' && e.hasVideo === true,
      since,
    );
    await expectGrowing(
      'bob decoding alice video again',
      async () => (await inbound(bob)).framesDecoded,
      10,
    );
    const sdpLines = await alice.evaluate(() => {
      const pcs = (window as unknown as MediaWindow).__pcs;
      const publisher = pcs.find(
        (pc) =>
          pc.connectionState !== 'closed' &&
          pc.getTransceivers().some((t) => t.direction === 'sendonly'),
      );
      if (!publisher) throw new Error('no publisher connection');
      return (publisher.localDescription?.sdp.match(/^m=/gm) ?? []).length;
    });
    expect(
      sdpLines,
      'add/remove/add does not grow the SDP beyond audio + video',
    ).toBeLessThanOrEqual(2);
  });

  it('removing and re-adding the audio (the first m-line) keeps the video flowing', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await publishLocal(alice);
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    await expectGrowing('bob receiving audio', async () => (await inbound(bob)).audioBytes);
    let since = Date.now();
    await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow & { __mic: MediaStreamTrack };
      w.__mic = w.local.getAudioTrack()!;
      await w.local.removeTrack(w.__mic);
    });
    await waitForEvent(
      bob,
      'stream-updated without audio',
      (e) => e.name === 'stream-updated' && e.hasAudio === false && e.hasVideo === true,
      since,
    );
    await expectStill('bob receiving audio', async () => (await inbound(bob)).audioBytes);
    await expectGrowing('bob decoding video', async () => (await inbound(bob)).framesDecoded, 10);
    since = Date.now();
    await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow & { __mic: MediaStreamTrack };
      await w.local.addTrack(w.__mic);
    });
    await waitForEvent(
      bob,
      'stream-updated with audio',
      (e) => e.name === 'stream-updated' && e.hasAudio === true,
      since,
    );
    await expectGrowing('bob hearing audio again', async () => (await inbound(bob)).audioEnergy);
    await expectGrowing(
      'bob decoding video after',
      async () => (await inbound(bob)).framesDecoded,
      10,
    );
  });

  it('removeTrack refuses to empty a published stream, and addTrack a second track of a kind', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await publishLocal(alice, { audio: true, video: false });
    const codes = await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const code = (p: Promise<unknown>) =>
        p.then(
          () => 0,
          (e: { getCode(): number }) => e.getCode(),
        );
      const audio = w.local.getAudioTrack()!;
      return {
        removeLast: await code(w.local.removeTrack(audio)),
        addSecondAudio: await code(w.local.addTrack(audio.clone())),
        replaceMissingVideo: await code(
          w.local.replaceTrack(
            document.createElement('canvas').captureStream().getVideoTracks()[0]!,
          ),
        ),
        notATrack: await code(w.local.addTrack({} as MediaStreamTrack)),
      };
    });
    expect(codes).toEqual({
      removeLast: 0x1001,
      addSecondAudio: 0x1001,
      replaceMissingVideo: 0x1001,
      notATrack: 0x1000,
    });
  });

  it('replaceTrack swaps the sent video without renegotiation: frames keep coming at the new size', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await publishLocal(alice);
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    await expectGrowing(
      'bob decoding alice camera',
      async () => (await inbound(bob)).framesDecoded,
      5,
    );
    expect((await inbound(bob)).frameWidth).toBe(640);
    const negotiationsBefore = await alice.evaluate(() => {
      const w = window as unknown as MediaWindow & { __offers?: number };
      w.__offers = 0;
      for (const pc of w.__pcs) {
        pc.addEventListener('signalingstatechange', () => {
          if (pc.signalingState === 'have-local-offer') w.__offers = (w.__offers ?? 0) + 1;
        });
      }
      return w.__offers;
    });
    const since = Date.now();
    await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      // A moving picture of another size (a processed camera, say).
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 180;
      const ctx = canvas.getContext('2d')!;
      let frame = 0;
      setInterval(() => {
        frame++;
        ctx.fillStyle = `hsl(${(frame * 7) % 360} 80% 50%)`;
        ctx.fillRect(0, 0, 320, 180);
        ctx.fillStyle = 'white';
        ctx.fillRect(frame % 300, 60, 20, 60);
      }, 50);
      const track = canvas.captureStream(20).getVideoTracks()[0]!;
      await w.local.replaceTrack(track);
      if (w.local.getVideoTrack() !== track)
        throw new Error('getVideoTrack() is not the new track');
    });
    const resized = await expectGrowing('bob decoding 320-wide frames', async () =>
      (await inbound(bob)).frameWidth === 320 ? 1 : 0,
    );
    expect(resized).toBe(1);
    await expectGrowing(
      'bob decoding after the swap',
      async () => (await inbound(bob)).framesDecoded,
      10,
    );
    expect((await inbound(bob)).frameHeight).toBe(180);
    const offers = await alice.evaluate(() => (window as unknown as { __offers: number }).__offers);
    expect(offers - (negotiationsBefore ?? 0), 'no renegotiation').toBe(0);
    const events = await bob.evaluate(() =>
      (window as unknown as MediaWindow).__events
        .filter((e) => e.name === 'stream-updated')
        .map((e) => e.at),
    );
    expect(events.filter((at) => at >= since)).toEqual([]);
  });
});
