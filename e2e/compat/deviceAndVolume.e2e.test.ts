/**
 * v4 LocalStream rows that v5 also needs: `setAudioCaptureVolume` (the viewer hears the
 * level follow), device auto-recovery (`device-auto-recovered`, DEVICE_AUTO_RECOVER_FAILED)
 * and a published stream's own `connection-state-changed` through a cut of the media path.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { remoteMedia, useE2eEnvironment, waitFor } from '../harness.js';
import { openCompatPage, joinAs, randomRoom, recorded, type RecordedEvent } from './compatPage.js';

const env = useE2eEnvironment();

/** The viewer's level of `userId`'s received audio: the loudest RMS over ~400 ms. */
async function heardLevel(page: Page, userId: string): Promise<number> {
  return page.evaluate(async (userId) => {
    const w = window as unknown as {
      __remoteStreams: Record<string, { getAudioTrack(): MediaStreamTrack | null }>;
      __meters?: Record<string, { track: MediaStreamTrack; analyser: AnalyserNode }>;
    };
    const track = w.__remoteStreams[`${userId}/main`]?.getAudioTrack();
    if (!track) return -1;
    w.__meters ??= {};
    let meter = w.__meters[userId];
    if (meter?.track !== track) {
      const context = new AudioContext();
      await context.resume();
      const analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
      meter = { track, analyser };
      w.__meters[userId] = meter;
    }
    const samples = new Float32Array(meter.analyser.fftSize);
    let loudest = 0;
    for (let i = 0; i < 8; i++) {
      meter.analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      loudest = Math.max(loudest, Math.sqrt(sum / samples.length));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return loudest;
  }, userId);
}

/** Waits until the viewer's level of `userId` satisfies `ok`; returns it. */
function levelWhen(page: Page, userId: string, what: string, ok: (level: number) => boolean) {
  return waitFor(
    `${userId}'s level ${what}`,
    async () => {
      const level = await heardLevel(page, userId);
      return level >= 0 && ok(level) ? { level } : null;
    },
    15_000,
  ).then((r) => r.level);
}

/** Records the page's `window.localStream` events as `stream:<name>`. */
async function recordStreamEvents(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as {
      localStream: { on(name: string, handler: (e: Record<string, unknown>) => void): void };
      __events: Array<Record<string, unknown>>;
    };
    for (const name of ['device-auto-recovered', 'error', 'connection-state-changed']) {
      w.localStream.on(name, (e) => {
        const copy: Record<string, unknown> = { ...e };
        if (e instanceof Error) {
          copy.code = (e as unknown as { getCode(): number }).getCode();
          copy.message = e.message;
          copy.errorName = e.name;
        }
        w.__events.push({ ...copy, name: `stream:${name}`, at: Date.now() });
      });
    }
  });
}

/** Frames of `userId` decoded on the page keep rising (more than 10 in a little while). */
async function framesRising(page: Page, userId: string, since: string): Promise<void> {
  const frames = async () =>
    (await remoteMedia(page)).find((m) => m.userId === userId)?.framesDecoded ?? 0;
  const start = await frames();
  await waitFor(`${userId}'s frames rising ${since}`, async () => (await frames()) > start + 10);
}

/** Ends the publisher's `kind` track as unplugging the device does (stopped, `ended` fired). */
async function unplug(page: Page, kind: 'audio' | 'video'): Promise<string> {
  return page.evaluate((kind) => {
    const w = window as unknown as {
      localStream: { getAudioTrack(): MediaStreamTrack; getVideoTrack(): MediaStreamTrack };
    };
    const track = kind === 'audio' ? w.localStream.getAudioTrack() : w.localStream.getVideoTrack();
    track.stop();
    track.dispatchEvent(new Event('ended'));
    return track.id;
  }, kind);
}

async function pair(publish: (page: Page) => Promise<void>): Promise<{ pub: Page; viewer: Page }> {
  const roomId = randomRoom();
  const pub = await openCompatPage(env.browser, env.app.origin);
  await joinAs(pub, env.parley, { userId: 'pub', roomId });
  await publish(pub);
  const viewer = await openCompatPage(env.browser, env.app.origin);
  await joinAs(viewer, env.parley, { userId: 'viewer', roomId });
  return { pub, viewer };
}

const streamEvents = async (page: Page, name: string): Promise<RecordedEvent[]> =>
  recorded(page, `stream:${name}`);

describe('LocalStream capture volume, device recovery and connection state (v4)', () => {
  it('setAudioCaptureVolume: the viewer hears the tone fall to silence at 0, ~20 % at 20, and come back at 100', async () => {
    // A steady 440 Hz tone as the audio source, so levels compare (the fake mic only beeps).
    const { pub, viewer } = await pair((page) =>
      page.evaluate(async () => {
        const w = window as unknown as {
          TRTC: { createStream(c: object): unknown };
          client: { publish(s: unknown): Promise<void> };
          localStream: unknown;
        };
        const context = new AudioContext();
        await context.resume();
        const tone = context.createOscillator();
        tone.frequency.value = 440;
        const level = context.createGain();
        level.gain.value = 0.5;
        const out = context.createMediaStreamDestination();
        tone.connect(level).connect(out);
        tone.start();
        const stream = w.TRTC.createStream({
          userId: 'pub',
          audioSource: out.stream.getAudioTracks()[0],
        }) as { initialize(): Promise<void> };
        await stream.initialize();
        await w.client.publish(stream);
        w.localStream = stream;
      }),
    );
    const setVolume = (volume: number) =>
      pub.evaluate(
        (volume) =>
          (
            window as unknown as {
              localStream: { setAudioCaptureVolume(v: number): boolean };
            }
          ).localStream.setAudioCaptureVolume(volume),
        volume,
      );
    const full = await levelWhen(viewer, 'pub', 'audible', (l) => l > 0.1);
    expect(await setVolume(0)).toBe(true);
    const silent = await levelWhen(viewer, 'pub', 'silent', (l) => l < 0.01);
    expect(await setVolume(20)).toBe(true);
    const low = await levelWhen(viewer, 'pub', 'back but low', (l) => l > 0.02 && l < full * 0.5);
    expect(await setVolume(100)).toBe(true);
    const back = await levelWhen(viewer, 'pub', 'full again', (l) => l > full * 0.7);
    console.log(
      `[figure] received RMS: 100 → ${full.toFixed(3)}, 0 → ${silent.toFixed(4)}, 20 → ${low.toFixed(3)}, 100 → ${back.toFixed(3)}`,
    );
    expect(low / full).toBeGreaterThan(0.1);
    expect(low / full).toBeLessThan(0.35);
    // v4's contract: false for a negative volume, INVALID_PARAMETER for a non-number.
    expect(await setVolume(-1)).toBe(false);
    const thrown = await pub.evaluate(() => {
      try {
        (
          window as unknown as { localStream: { setAudioCaptureVolume(v: unknown): boolean } }
        ).localStream.setAudioCaptureVolume('loud');
        return null;
      } catch (e) {
        return (e as { getCode(): number }).getCode();
      }
    });
    expect(thrown).toBe(0x1000);
  });

  it('device-auto-recovered: an unplugged camera and then microphone are captured again and the viewer keeps decoding', async () => {
    const { pub, viewer } = await pair(async (page) => {
      await page.evaluate(() => {
        const w = window as unknown as {
          publishCamera(c: unknown, u: string): Promise<unknown>;
          client: unknown;
        };
        return w.publishCamera(w.client, 'pub').then(() => undefined);
      });
    });
    await recordStreamEvents(pub);
    await framesRising(viewer, 'pub', 'before the unplug');

    const oldVideo = await unplug(pub, 'video');
    const camera = await waitFor('device-auto-recovered (camera)', async () =>
      (await streamEvents(pub, 'device-auto-recovered')).at(0),
    );
    expect(camera).toMatchObject({ isCamera: true, isMicrophone: false });
    expect((camera as unknown as { cameraId: string }).cameraId).not.toBe('');
    const sent = await pub.evaluate(() => {
      const w = window as unknown as {
        localStream: { getVideoTrack(): MediaStreamTrack };
        __pcs: RTCPeerConnection[];
      };
      const track = w.localStream.getVideoTrack();
      const sending = w.__pcs.some((pc) => pc.getSenders().some((s) => s.track === track));
      return { id: track.id, state: track.readyState, sending };
    });
    expect(sent.id).not.toBe(oldVideo);
    expect(sent).toMatchObject({ state: 'live', sending: true });
    await framesRising(viewer, 'pub', 'after the camera came back');

    const before = await remoteMedia(viewer);
    await unplug(pub, 'audio');
    const microphone = await waitFor('device-auto-recovered (microphone)', async () =>
      (await streamEvents(pub, 'device-auto-recovered')).at(1),
    );
    expect(microphone).toMatchObject({ isCamera: false, isMicrophone: true });
    expect((microphone as unknown as { microphoneId: string }).microphoneId).not.toBe('');
    await waitFor('audio energy from pub rising after the microphone came back', async () => {
      const now = (await remoteMedia(viewer)).find((m) => m.userId === 'pub');
      const then = before.find((m) => m.userId === 'pub');
      return now && then && now.audioEnergy > then.audioEnergy + 0.001;
    });
    expect(await streamEvents(pub, 'error')).toEqual([]);
  });

  it('DEVICE_AUTO_RECOVER_FAILED when the camera cannot be opened again', async () => {
    const { pub } = await pair(async (page) => {
      await page.evaluate(() => {
        const w = window as unknown as {
          publishCamera(c: unknown, u: string): Promise<unknown>;
          client: unknown;
        };
        return w.publishCamera(w.client, 'pub').then(() => undefined);
      });
    });
    await recordStreamEvents(pub);
    // The camera is gone for good: every capture fails as Chrome fails a missing device.
    await pub.evaluate(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));
    });
    await unplug(pub, 'video');
    const error = await waitFor(
      'the stream error',
      async () => (await streamEvents(pub, 'error')).at(0),
      15_000,
    );
    expect(error.code).toBe(0x4044);
    expect((error as unknown as { errorName: string }).errorName).toBe('NotFoundError');
    expect(error.message).toMatch(/camera/);
    expect(await streamEvents(pub, 'device-auto-recovered')).toEqual([]);
  });

  it('connection-state-changed (stream): CONNECTING → CONNECTED on publish, DISCONNECTED while the media path is cut, CONNECTED again, DISCONNECTED on unpublish', async () => {
    const { pub, viewer } = await pair(async (page) => {
      await page.evaluate(async () => {
        const w = window as unknown as {
          TRTC: { createStream(c: object): unknown };
          client: { publish(s: unknown): Promise<void> };
          localStream: unknown;
          __events: Array<Record<string, unknown>>;
        };
        const stream = w.TRTC.createStream({ userId: 'pub', audio: true, video: true }) as {
          initialize(): Promise<void>;
          on(n: string, h: (e: { prevState: string; state: string }) => void): void;
        };
        stream.on('connection-state-changed', (e) =>
          w.__events.push({
            name: 'stream:connection-state-changed',
            at: Date.now(),
            prevState: e.prevState,
            state: e.state,
          }),
        );
        await stream.initialize();
        await w.client.publish(stream);
        w.localStream = stream;
      });
    });
    const states = async () =>
      (await streamEvents(pub, 'connection-state-changed')).map((e) => `${e.prevState}>${e.state}`);
    expect(await states()).toEqual(['DISCONNECTED>CONNECTING', 'CONNECTING>CONNECTED']);
    await framesRising(viewer, 'pub', 'before the cut');

    // The media path goes silent: this server's media workers stop answering (a hung
    // machine on the way), then come back. The signaling socket stays up.
    const pids = env.parley.server.engine.workers().map((w) => w.pid);
    const stopped = Date.now();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      await waitFor(
        'the stream DISCONNECTED',
        async () => (await states()).includes('CONNECTED>DISCONNECTED'),
        20_000,
      );
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    console.log(`[figure] stream DISCONNECTED ${Date.now() - stopped} ms after the cut`);
    await waitFor(
      'the stream CONNECTED again',
      async () => (await states()).at(-1)?.endsWith('>CONNECTED'),
      20_000,
    );
    const afterCut = (await states()).slice(2);
    expect(afterCut[0]).toBe('CONNECTED>DISCONNECTED');
    // Back through RECONNECTING when an ICE restart ran, or straight when the path healed.
    expect(['DISCONNECTED>CONNECTED', 'RECONNECTING>CONNECTED']).toContain(afterCut.at(-1));
    await framesRising(viewer, 'pub', 'after the cut');

    await pub.evaluate(async () => {
      const w = window as unknown as {
        client: { unpublish(s: unknown): Promise<void> };
        localStream: unknown;
      };
      await w.client.unpublish(w.localStream);
    });
    expect((await states()).at(-1)).toBe('CONNECTED>DISCONNECTED');
  });
});
