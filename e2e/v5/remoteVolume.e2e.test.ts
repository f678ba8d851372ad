/**
 * v5 `setRemoteAudioVolume` above 100 amplifies: the received track is played through a Web
 * Audio gain, whose output (`getAudioTrack({userId, processed: true})`) an AnalyserNode
 * measures at the asked multiple of the received level; at 100 and below the received track
 * itself is played (the element's volume).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import { enterRoom, openV5Page, waitForEvent } from './v5Page.js';

const env = useE2eEnvironment();

interface VolumePage {
  trtc: {
    startLocalAudio(o: object): Promise<void>;
    setRemoteAudioVolume(userId: string, volume: number): void;
    getAudioTrack(o: object): MediaStreamTrack | null;
  };
}

/**
 * RMS of alice's received and processed tracks, read together by two AnalyserNodes 20 times
 * 50 ms apart; the median of their ratios and of the received level.
 */
const levels = (page: Page): Promise<{ received: number; ratio: number; same: boolean }> =>
  page.evaluate(async () => {
    const { trtc } = window as unknown as VolumePage;
    const received = trtc.getAudioTrack({ userId: 'alice' })!;
    const processed = trtc.getAudioTrack({ userId: 'alice', processed: true })!;
    const context = new AudioContext();
    await context.resume();
    const analyser = (track: MediaStreamTrack) => {
      const node = context.createAnalyser();
      node.fftSize = 2048;
      context.createMediaStreamSource(new MediaStream([track])).connect(node);
      return node;
    };
    const a = analyser(received);
    const b = analyser(processed);
    const buffer = new Float32Array(2048);
    const rms = (node: AnalyserNode) => {
      node.getFloatTimeDomainData(buffer);
      return Math.sqrt(buffer.reduce((sum, v) => sum + v * v, 0) / buffer.length);
    };
    const ratios: number[] = [];
    const levels: number[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const ra = rms(a);
      levels.push(ra);
      if (ra > 0.01) ratios.push(rms(b) / ra);
    }
    void context.close();
    const mid = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] ?? 0;
    return { received: mid(levels), ratio: mid(ratios), same: received.id === processed.id };
  });

describe('TRTC v5 setRemoteAudioVolume', () => {
  it('above 100 amplifies through a gain (measured by an AnalyserNode); 100 and below play the received track', async () => {
    const roomId = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);
    await enterRoom(alice.page, env.parley, 'alice', { roomId });
    // A quiet 440 Hz tone (amplitude 0.1), so three times louder does not clip.
    await alice.page.evaluate(async () => {
      const context = new AudioContext();
      const oscillator = context.createOscillator();
      oscillator.frequency.value = 440;
      const gain = context.createGain();
      gain.gain.value = 0.1;
      const destination = context.createMediaStreamDestination();
      oscillator.connect(gain).connect(destination);
      oscillator.start();
      await context.resume();
      await (window as unknown as VolumePage).trtc.startLocalAudio({
        option: { audioTrack: destination.stream.getAudioTracks()[0] },
      });
    });
    await enterRoom(bob.page, env.parley, 'bob', { roomId });
    await waitForEvent(bob.page, 'audio-play-state-changed', { userId: 'alice', state: 'PLAYING' });
    const setVolume = (volume: number) =>
      bob.page.evaluate(
        (v) => (window as unknown as VolumePage).trtc.setRemoteAudioVolume('alice', v),
        volume,
      );

    // 100: the received track is what plays.
    const plain = await waitFor('alice heard', async () => {
      const l = await levels(bob.page);
      return l.received > 0.02 ? l : null;
    });
    expect(plain.same).toBe(true);

    await setVolume(300);
    const loud = await levels(bob.page);
    expect(loud.same).toBe(false);
    expect(loud.ratio).toBeGreaterThan(2.7);
    expect(loud.ratio).toBeLessThan(3.3);

    await setVolume(150);
    const louder = await levels(bob.page);
    expect(louder.ratio).toBeGreaterThan(1.35);
    expect(louder.ratio).toBeLessThan(1.65);

    // Back to 50: the gain is gone, the element plays the received track at half volume.
    await setVolume(50);
    expect((await levels(bob.page)).same).toBe(true);
    console.log(
      `received RMS ${plain.received.toFixed(3)}; ratio at 300: ${loud.ratio.toFixed(2)}, at 150: ${louder.ratio.toFixed(2)}`,
    );
    expect(bob.pageErrors).toEqual([]);
  });
});
