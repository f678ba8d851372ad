/**
 * v5's AudioMixer plugin in real Chromium: music served over HTTP (another origin, with CORS)
 * is mixed into the audio a v5 user sends, next to its microphone. The receiving v5 user
 * measures the received audio with an AnalyserNode at each tone's frequency: the music's tone
 * rises after startPlugin and falls after stopPlugin or at volume 0 while the microphone's
 * tone stays; two ids mix at once; bad options reject with v5's codes and change nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import { enterRoom, errorOf, openV5Page, waitForEvent } from './v5Page.js';

const env = useE2eEnvironment();

/** The "microphone" (an oscillator track given to startLocalAudio), the music, the effect. */
const MIC_HZ = 600;
const MUSIC_HZ = 1000;
const EFFECT_HZ = 2500;
/**
 * A tone is there above PRESENT_DB and gone below ABSENT_DB (the analyser's dB; the tones
 * arrive at about -20 dB, their absence measures -80 to -130 dB through Opus).
 */
const PRESENT_DB = -45;
const ABSENT_DB = -60;

/** A WAV (16-bit mono, 48 kHz) of `seconds` of a sine at `hz`, half scale. */
function sineWav(hz: number, seconds: number): Buffer {
  const rate = 48_000;
  const n = rate * seconds;
  const wav = Buffer.alloc(44 + n * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + n * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) {
    wav.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 16_000), 44 + i * 2);
  }
  return wav;
}

/** A music host on its own origin (a CDN to the page): the tones, with CORS. */
let music: { server: Server; origin: string };

beforeAll(async () => {
  const files: Record<string, Buffer> = {
    '/music.wav': sineWav(MUSIC_HZ, 2),
    '/effect.wav': sineWav(EFFECT_HZ, 2),
  };
  const server = createServer((req, res) => {
    const body = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!body) {
      res.writeHead(404, { 'Access-Control-Allow-Origin': '*' }).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'audio/wav',
      'Content-Length': body.length,
      'Access-Control-Allow-Origin': '*',
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  music = { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});

afterAll(async () => {
  await new Promise((resolve) => music?.server.close(resolve));
});

/** Starts a meter on the page on `userId`'s received audio. */
async function meterRemoteAudio(page: Page, userId: string): Promise<void> {
  await waitFor(`${userId}'s audio track`, () =>
    page.evaluate(
      (userId) =>
        (
          window as unknown as { trtc: { getAudioTrack(q: object): MediaStreamTrack | null } }
        ).trtc.getAudioTrack({ userId }) !== null,
      userId,
    ),
  );
  await page.evaluate((userId) => {
    const w = window as unknown as {
      trtc: { getAudioTrack(q: object): MediaStreamTrack };
      __meter: { context: AudioContext; analyser: AnalyserNode };
    };
    const context = new AudioContext();
    const source = context.createMediaStreamSource(
      new MediaStream([w.trtc.getAudioTrack({ userId })]),
    );
    const analyser = context.createAnalyser();
    analyser.fftSize = 4096;
    analyser.smoothingTimeConstant = 0;
    source.connect(analyser);
    w.__meter = { context, analyser };
  }, userId);
}

/** The loudest level (dB) at each frequency over ~0.6 s of the received audio. */
function toneLevels(page: Page, freqs: number[]): Promise<number[]> {
  return page.evaluate(async (freqs) => {
    const { context, analyser } = (
      window as unknown as { __meter: { context: AudioContext; analyser: AnalyserNode } }
    ).__meter;
    const data = new Float32Array(analyser.frequencyBinCount);
    const hzPerBin = context.sampleRate / analyser.fftSize;
    const peaks = freqs.map(() => -Infinity);
    for (let round = 0; round < 6; round++) {
      analyser.getFloatFrequencyData(data);
      freqs.forEach((hz, i) => {
        const bin = Math.round(hz / hzPerBin);
        for (let b = bin - 2; b <= bin + 2; b++) peaks[i] = Math.max(peaks[i]!, data[b]!);
      });
      await new Promise((r) => setTimeout(r, 100));
    }
    return peaks.map((p) => Math.round(p));
  }, freqs);
}

type Levels = { mic: number; music: number; effect: number };

/** Waits until the levels satisfy `ok` (each read is a fresh 0.6 s window). */
async function waitForLevels(
  page: Page,
  what: string,
  ok: (levels: Levels) => boolean,
): Promise<Levels> {
  let last: Levels | null = null;
  try {
    return await waitFor(
      what,
      async () => {
        const [mic, musicDb, effect] = await toneLevels(page, [MIC_HZ, MUSIC_HZ, EFFECT_HZ]);
        last = { mic: mic!, music: musicDb!, effect: effect! };
        return ok(last) ? last : null;
      },
      20_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last levels (dB): ${JSON.stringify(last)}`);
  }
}

const plugin = (page: Page, method: string, name: string, options: unknown) =>
  page.evaluate(
    async ({ method, name, options }) => {
      const trtc = (
        window as unknown as { trtc: Record<string, (n: string, o: unknown) => Promise<unknown>> }
      ).trtc;
      await trtc[method]!(name, options);
    },
    { method, name, options },
  );

describe('TRTC v5: the AudioMixer plugin', () => {
  it('mixes music into the sent microphone audio: rises on start, silent at volume 0, gone on stop; several ids at once', async () => {
    const roomId = randomRoomId();
    const alice = await openV5Page(env.browser, env.app.origin);
    const bob = await openV5Page(env.browser, env.app.origin);
    // Alice's microphone is a steady MIC_HZ tone, so the mix can be told apart from it.
    await alice.page.evaluate(async (hz) => {
      const context = new AudioContext();
      const tone = context.createOscillator();
      tone.frequency.value = hz;
      const gain = context.createGain();
      gain.gain.value = 0.3;
      const out = context.createMediaStreamDestination();
      tone.connect(gain).connect(out);
      tone.start();
      const { trtc } = window as unknown as { trtc: { startLocalAudio(o: object): Promise<void> } };
      await trtc.startLocalAudio({ option: { audioTrack: out.stream.getAudioTracks()[0] } });
    }, MIC_HZ);
    await enterRoom(alice.page, env.parley, 'alice', { roomId });
    await enterRoom(bob.page, env.parley, 'bob', { roomId });
    await waitForEvent(bob.page, 'remote-audio-available', { userId: 'alice' });
    await meterRemoteAudio(bob.page, 'alice');

    const before = await waitForLevels(
      bob.page,
      'the microphone tone arriving',
      (l) => l.mic > PRESENT_DB,
    );
    // Nothing at the music's frequencies yet.
    const floor = Math.max(before.music, before.effect);
    expect(floor).toBeLessThan(ABSENT_DB);

    await plugin(alice.page, 'startPlugin', 'AudioMixer', {
      id: 'music',
      url: `${music.origin}/music.wav`,
      loop: true,
      volume: 1,
    });
    const mixing = await waitForLevels(
      bob.page,
      'the music tone arriving with the microphone',
      (l) => l.music > PRESENT_DB && l.mic > PRESENT_DB,
    );
    console.log(`[audio mixer] floor ${floor} dB; mixing: ${JSON.stringify(mixing)}`);

    // A second id at once: a sound effect on top.
    await plugin(alice.page, 'startPlugin', 'AudioMixer', {
      id: 'effect',
      url: `${music.origin}/effect.wav?v=1`,
      loop: true,
    });
    await waitForLevels(
      bob.page,
      'music and effect mixed together',
      (l) => l.music > PRESENT_DB && l.effect > PRESENT_DB && l.mic > PRESENT_DB,
    );

    // Volume 0 silences the music alone; back to 1 brings it back.
    await plugin(alice.page, 'updatePlugin', 'AudioMixer', { id: 'music', volume: 0 });
    await waitForLevels(
      bob.page,
      'the music silenced at volume 0',
      (l) => l.music < ABSENT_DB && l.effect > PRESENT_DB && l.mic > PRESENT_DB,
    );
    await plugin(alice.page, 'updatePlugin', 'AudioMixer', { id: 'music', volume: 1 });
    await waitForLevels(bob.page, 'the music back at volume 1', (l) => l.music > PRESENT_DB);
    // pause / resume.
    await plugin(alice.page, 'updatePlugin', 'AudioMixer', { id: 'music', operation: 'pause' });
    await waitForLevels(bob.page, 'the music paused', (l) => l.music < ABSENT_DB);
    await plugin(alice.page, 'updatePlugin', 'AudioMixer', { id: 'music', operation: 'resume' });
    await waitForLevels(bob.page, 'the music resumed', (l) => l.music > PRESENT_DB);
    // Muting the microphone mutes what is sent: the music with it.
    const setMute = (mute: boolean) =>
      alice.page.evaluate(async (mute) => {
        const { trtc } = window as unknown as {
          trtc: { updateLocalAudio(o: object): Promise<void> };
        };
        await trtc.updateLocalAudio({ mute });
      }, mute);
    await setMute(true);
    await waitForEvent(bob.page, 'remote-audio-unavailable', { userId: 'alice' });
    await waitForLevels(
      bob.page,
      'microphone and music silent while muted',
      (l) => l.music < ABSENT_DB && l.mic < ABSENT_DB,
    );
    await setMute(false);
    await waitForLevels(
      bob.page,
      'microphone and music back after unmute',
      (l) => l.music > PRESENT_DB && l.mic > PRESENT_DB,
    );

    // Bad options reject with v5's codes and leave the mix as it was.
    const bad = async (method: string, name: string, options: unknown) =>
      errorOf(alice.page, method, name, options);
    expect(
      await bad('startPlugin', 'AudioMixer', { id: 'x', url: `${music.origin}/notes.txt` }),
    ).toMatchObject({ code: 5000, name: 'INVALID_PARAMETER', functionName: 'startPlugin' });
    expect(await bad('startPlugin', 'AudioMixer', { url: 'a.mp3' })).toMatchObject({
      code: 5000,
      extraCode: 5001,
    });
    expect(
      await bad('startPlugin', 'AudioMixer', { id: 'x', url: 'a.mp3', volume: 2 }),
    ).toMatchObject({
      code: 5000,
      extraCode: 5008,
    });
    expect(
      await bad('startPlugin', 'AudioMixer', { id: 'x', url: 'a.mp3', loop: 'yes' }),
    ).toMatchObject({
      code: 5000,
      extraCode: 5002,
    });
    expect(
      await bad('updatePlugin', 'AudioMixer', { id: 'music', operation: 'rewind' }),
    ).toMatchObject({ code: 5000, extraCode: 5005 });
    expect(await bad('stopPlugin', 'AudioMixer', {})).toMatchObject({
      code: 5000,
      extraCode: 5001,
    });
    // Music that cannot load: OPERATION_FAILED, and nothing left mixing for that id.
    expect(
      await bad('startPlugin', 'AudioMixer', { id: 'missing', url: `${music.origin}/missing.mp3` }),
    ).toMatchObject({ code: 5500, functionName: 'startPlugin' });
    // A plugin Parley does not run: ENV_NOT_SUPPORTED / NOT_SUPPORTED_PLUGIN.
    expect(await bad('startPlugin', 'VirtualBackground', {})).toMatchObject({
      code: 5200,
      extraCode: 5210,
    });
    await waitForLevels(
      bob.page,
      'the mix unchanged by the rejected calls',
      (l) => l.music > PRESENT_DB && l.effect > PRESENT_DB && l.mic > PRESENT_DB,
    );

    // Stop one: the other keeps mixing; stop all ('*'): only the microphone is left.
    await plugin(alice.page, 'stopPlugin', 'AudioMixer', { id: 'music' });
    await waitForLevels(
      bob.page,
      'the music gone after stopPlugin, the effect still there',
      (l) => l.music < ABSENT_DB && l.effect > PRESENT_DB && l.mic > PRESENT_DB,
    );
    await plugin(alice.page, 'stopPlugin', 'AudioMixer', { id: '*' });
    const after = await waitForLevels(
      bob.page,
      'only the microphone after stopPlugin *',
      (l) => l.music < ABSENT_DB && l.effect < ABSENT_DB && l.mic > PRESENT_DB,
    );
    console.log(`[audio mixer] after stop: ${JSON.stringify(after)}`);
    // The microphone is sent as captured again, on the same connection (replaceTrack).
    const sent = await alice.page.evaluate(() => {
      const w = window as unknown as {
        __pcs: RTCPeerConnection[];
        trtc: { getAudioTrack(): MediaStreamTrack };
      };
      const mic = w.trtc.getAudioTrack();
      return w.__pcs
        .filter((pc) => pc.connectionState !== 'closed')
        .flatMap((pc) => pc.getSenders())
        .some((s) => s.track === mic);
    });
    expect(sent).toBe(true);
    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
  });
});
