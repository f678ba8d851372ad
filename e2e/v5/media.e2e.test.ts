/**
 * v5 local and remote media rows beyond the basic call: `captureVolume` (the viewer hears the
 * level follow), the recapture of an unplugged camera or microphone (DEVICE_CHANGED `active`
 * when the device changes, DEVICE_ERROR 5308 when it fails), VIDEO_SIZE_CHANGED, and
 * `enterRoom({proxy})` through a WebSocket relay and a TURN server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import {
  enterRoom,
  errorOf,
  expectVideoDecoded,
  inboundOf,
  openV5Page,
  v5Events,
  waitForEvent,
} from './v5Page.js';

const env = useE2eEnvironment();

type Trtc = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** Runs `trtc[method](arg)` in the page. */
const call = (page: Page, method: string, arg?: unknown): Promise<unknown> =>
  page.evaluate(({ method, arg }) => (window as unknown as { trtc: Trtc }).trtc[method]!(arg), {
    method,
    arg,
  });

/** The viewer's level of `userId`'s received audio: the loudest RMS over ~400 ms. */
function heardLevel(page: Page, userId: string): Promise<number> {
  return page.evaluate(async (userId) => {
    const w = window as unknown as {
      trtc: { getAudioTrack(q: object): MediaStreamTrack | null };
      __meter?: { track: MediaStreamTrack; analyser: AnalyserNode };
    };
    const track = w.trtc.getAudioTrack({ userId });
    if (!track) return -1;
    if (w.__meter?.track !== track) {
      const context = new AudioContext();
      await context.resume();
      const analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
      w.__meter = { track, analyser };
    }
    const { analyser } = w.__meter;
    const samples = new Float32Array(analyser.fftSize);
    let loudest = 0;
    for (let i = 0; i < 8; i++) {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      loudest = Math.max(loudest, Math.sqrt(sum / samples.length));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return loudest;
  }, userId);
}

const levelWhen = (page: Page, what: string, ok: (level: number) => boolean) =>
  waitFor(
    `pub's level ${what}`,
    async () => {
      const level = await heardLevel(page, 'pub');
      return level >= 0 && ok(level) ? { level } : null;
    },
    15_000,
  ).then((r) => r.level);

/** Ends the local `kind` track as unplugging the device does (stopped, `ended` fired). */
const unplug = (page: Page, kind: 'audio' | 'video'): Promise<string> =>
  page.evaluate((kind) => {
    const { trtc } = window as unknown as {
      trtc: { getAudioTrack(): MediaStreamTrack; getVideoTrack(): MediaStreamTrack };
    };
    const track = kind === 'audio' ? trtc.getAudioTrack() : trtc.getVideoTrack();
    track.stop();
    track.dispatchEvent(new Event('ended'));
    return track.id;
  }, kind);

/** The local `kind` track now: its id and state. */
const localTrack = (page: Page, kind: 'audio' | 'video') =>
  page.evaluate((kind) => {
    const { trtc } = window as unknown as {
      trtc: { getAudioTrack(): MediaStreamTrack | null; getVideoTrack(): MediaStreamTrack | null };
    };
    const track = kind === 'audio' ? trtc.getAudioTrack() : trtc.getVideoTrack();
    return track ? { id: track.id, state: track.readyState } : null;
  }, kind);

/** `userId`'s main video frames decoded by `page` keep rising. */
async function framesRising(page: Page, userId: string, since: string): Promise<void> {
  const frames = async () => (await inboundOf(page, 'video', userId))?.framesDecoded ?? 0;
  const start = await frames();
  await waitFor(`${userId}'s frames rising ${since}`, async () => (await frames()) > start + 10);
}

/** A publisher with camera (and microphone) in a room, and a viewer showing its video. */
async function publisherAndViewer(
  startPublisher: (page: Page) => Promise<void>,
  viewerVideo = true,
): Promise<{ pub: Page; viewer: Page }> {
  const roomId = randomRoomId();
  const pub = (await openV5Page(env.browser, env.app.origin)).page;
  await enterRoom(pub, env.parley, 'pub', { roomId });
  await startPublisher(pub);
  const viewer = (await openV5Page(env.browser, env.app.origin)).page;
  await enterRoom(viewer, env.parley, 'viewer', { roomId });
  if (viewerVideo) {
    await waitForEvent(viewer, 'remote-video-available', { userId: 'pub', streamType: 'main' });
    await call(viewer, 'startRemoteVideo', { userId: 'pub', streamType: 'main', view: 'remote' });
    await expectVideoDecoded(viewer, 'pub');
  }
  return { pub, viewer };
}

const cameraAndMicrophone = async (page: Page): Promise<void> => {
  await call(page, 'startLocalAudio');
  await call(page, 'startLocalVideo', { view: 'local', option: { profile: '240p' } });
};

describe('TRTC v5 local and remote media', () => {
  it('captureVolume: the viewer hears a tone at 100, silence at 0, and the tone again at 100', async () => {
    const { pub, viewer } = await publisherAndViewer(async (page) => {
      await page.evaluate(async () => {
        const w = window as unknown as { trtc: Trtc };
        const context = new AudioContext();
        await context.resume();
        const tone = context.createOscillator();
        tone.frequency.value = 440;
        const level = context.createGain();
        level.gain.value = 0.5;
        const out = context.createMediaStreamDestination();
        tone.connect(level).connect(out);
        tone.start();
        await w.trtc.startLocalAudio!({
          option: { audioTrack: out.stream.getAudioTracks()[0], captureVolume: 100 },
        });
      });
    }, false);
    const full = await levelWhen(viewer, 'audible', (l) => l > 0.1);
    await call(pub, 'updateLocalAudio', { option: { captureVolume: 0 } });
    const silent = await levelWhen(viewer, 'silent', (l) => l < 0.01);
    await call(pub, 'updateLocalAudio', { option: { captureVolume: 30 } });
    const low = await levelWhen(viewer, 'low', (l) => l > 0.03 && l < full * 0.6);
    await call(pub, 'updateLocalAudio', { option: { captureVolume: 100 } });
    const back = await levelWhen(viewer, 'full again', (l) => l > full * 0.7);
    console.log(
      `[figure] v5 received RMS: 100 → ${full.toFixed(3)}, 0 → ${silent.toFixed(4)}, 30 → ${low.toFixed(3)}, 100 → ${back.toFixed(3)}`,
    );
    expect(low / full).toBeGreaterThan(0.15);
    expect(low / full).toBeLessThan(0.5);
    const refused = await errorOf(pub, 'updateLocalAudio', { option: { captureVolume: -5 } });
    expect(refused).toMatchObject({ code: 5000, functionName: 'updateLocalAudio' });
  });

  it('an unplugged camera is captured again and sent: the viewer keeps decoding; the same device raises no DEVICE_CHANGED', async () => {
    const { pub, viewer } = await publisherAndViewer(cameraAndMicrophone);
    const active = await waitForEvent(pub, 'device-changed', { type: 'camera', action: 'active' });
    expect((active.payload.device as { deviceId: string }).deviceId).not.toBe('');
    const old = await unplug(pub, 'video');
    const fresh = await waitFor('a new live camera track', async () => {
      const t = await localTrack(pub, 'video');
      return t && t.id !== old && t.state === 'live' ? t : null;
    });
    expect(fresh.state).toBe('live');
    await framesRising(viewer, 'pub', 'after the camera came back');
    // The local preview shows the new track too.
    expect(
      await pub.evaluate(() => {
        const video = document.querySelector('#local video') as HTMLVideoElement;
        return (video.srcObject as MediaStream).getVideoTracks()[0]?.readyState;
      }),
    ).toBe('live');
    const events = await v5Events(pub);
    expect(events.filter((e) => e.name === 'error')).toEqual([]);
    expect(
      events.filter((e) => e.name === 'device-changed' && e.payload.type === 'camera'),
    ).toHaveLength(1);
  });

  it('a microphone whose device is gone is captured from the default one: DEVICE_CHANGED active names it', async () => {
    const roomId = randomRoomId();
    const pub = (await openV5Page(env.browser, env.app.origin)).page;
    await enterRoom(pub, env.parley, 'pub', { roomId });
    const devices = await pub.evaluate(async () => {
      await navigator.mediaDevices
        .getUserMedia({ audio: true })
        .then((s) => s.getTracks().forEach((t) => t.stop()));
      return (await navigator.mediaDevices.enumerateDevices())
        .filter((d) => d.kind === 'audioinput')
        .map((d) => d.deviceId);
    });
    const chosen = devices.find((id) => id !== 'default' && id !== 'communications');
    expect(chosen, `a second fake microphone among ${devices.join(', ')}`).toBeDefined();
    await call(pub, 'startLocalAudio', { option: { microphoneId: chosen } });
    await waitForEvent(pub, 'device-changed', {
      type: 'microphone',
      action: 'active',
    });
    const first = (await v5Events(pub)).find((e) => e.name === 'device-changed')!;
    expect((first.payload.device as { deviceId: string }).deviceId).toBe(chosen);
    // The chosen microphone is unplugged: the browser no longer lists it.
    await pub.evaluate((gone) => {
      const list = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices);
      navigator.mediaDevices.enumerateDevices = async () =>
        (await list()).filter((d) => d.deviceId !== gone);
    }, chosen!);
    await unplug(pub, 'audio');
    const moved = await waitFor('DEVICE_CHANGED active for another microphone', async () =>
      (await v5Events(pub)).find(
        (e) =>
          e.name === 'device-changed' &&
          e.payload.action === 'active' &&
          (e.payload.device as { deviceId: string }).deviceId !== chosen,
      ),
    );
    expect(moved.payload.type).toBe('microphone');
    expect(await localTrack(pub, 'audio')).toMatchObject({ state: 'live' });
  });

  it('DEVICE_ERROR 5300 / CAMERA_RECOVER_FAILED 5308 when the camera cannot be opened again', async () => {
    const { pub } = await publisherAndViewer(cameraAndMicrophone, false);
    await pub.evaluate(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('Could not start video source', 'NotReadableError'));
    });
    await unplug(pub, 'video');
    const error = await waitForEvent(pub, 'error', { code: 5300 });
    expect(error.payload.extraCode).toBe(5308);
    expect(error.payload.message).toMatch(/camera/);
  });

  it('VIDEO_SIZE_CHANGED: {userId, streamType, newWidth, newHeight} at the first frame and when the publisher changes profile', async () => {
    const { pub, viewer } = await publisherAndViewer(cameraAndMicrophone);
    const sizes = async (page: Page, userId: string) =>
      (await v5Events(page))
        .filter((e) => e.name === 'video-size-changed' && e.payload.userId === userId)
        .map((e) => e.payload as { streamType: string; newWidth: number; newHeight: number });
    // 240p is 4:3 (the encoder may scale it down under load; the shape stays).
    const first = await waitFor('a 4:3 size', async () =>
      (await sizes(viewer, 'pub')).find((s) => s.newHeight * 4 === s.newWidth * 3),
    );
    expect(first.streamType).toBe('main');
    // The local preview reports its own size, under the user's id once in a room.
    const local = await waitFor('the local preview size', async () => (await sizes(pub, 'pub'))[0]);
    expect(local).toMatchObject({ streamType: 'main', newWidth: 320, newHeight: 240 });
    await call(pub, 'updateLocalVideo', { option: { profile: '360p' } });
    const wide = await waitFor('a 16:9 size', async () =>
      (await sizes(viewer, 'pub')).find((s) => s.newHeight * 16 === s.newWidth * 9),
    );
    expect(wide.newWidth).toBeGreaterThanOrEqual(320);
    console.log(
      `[figure] sizes seen by the viewer: ${(await sizes(viewer, 'pub')).map((s) => `${s.newWidth}x${s.newHeight}`).join(' → ')}`,
    );
  });

  it('enterRoom({proxy: {websocketProxy}}): the signaling goes through the relay and the call works', async () => {
    const target = `${env.parley.origin.replace(/^http/, 'ws')}/signal`;
    const relay = await startWebSocketRelay(target);
    try {
      const roomId = randomRoomId();
      const pub = (await openV5Page(env.browser, env.app.origin)).page;
      await enterRoom(pub, env.parley, 'pub', { roomId }, { proxy: { websocketProxy: relay.url } });
      expect(relay.connections()).toBe(1);
      await cameraAndMicrophone(pub);
      const viewer = (await openV5Page(env.browser, env.app.origin)).page;
      await enterRoom(viewer, env.parley, 'viewer', { roomId });
      await waitForEvent(viewer, 'remote-video-available', { userId: 'pub', streamType: 'main' });
      await call(viewer, 'startRemoteVideo', { userId: 'pub', streamType: 'main', view: 'remote' });
      await expectVideoDecoded(viewer, 'pub');
      const frames = relay.frames();
      console.log(
        `[figure] relay: ${frames.up} frames up, ${frames.down} down over ${relay.connections()} connection(s)`,
      );
      // join, publish (offer/answer), candidates up; the join answer and more down.
      expect(frames.up).toBeGreaterThanOrEqual(2);
      expect(frames.down).toBeGreaterThanOrEqual(2);
      // Nothing went to the server directly: every socket the page opened was to the relay.
      const sockets = await pub.evaluate(() =>
        (window as unknown as { __sockets: WebSocket[] }).__sockets.map((s) => s.url),
      );
      expect(sockets.length).toBeGreaterThan(0);
      for (const url of sockets) expect(url.startsWith(`${relay.url}/signal`)).toBe(true);
    } finally {
      await relay.close();
    }
  });

  it("enterRoom({proxy: {turnServer, iceTransportPolicy: 'relay'}}): media goes through coturn", async () => {
    const turn = await startCoturn();
    try {
      const roomId = randomRoomId();
      const pub = (await openV5Page(env.browser, env.app.origin)).page;
      await enterRoom(
        pub,
        env.parley,
        'pub',
        { roomId },
        {
          proxy: {
            turnServer: {
              url: `turn:127.0.0.1:${turn.port}?transport=udp`,
              username: turn.username,
              credential: turn.credential,
            },
            iceTransportPolicy: 'relay',
          },
        },
      );
      await cameraAndMicrophone(pub);
      const viewer = (await openV5Page(env.browser, env.app.origin)).page;
      await enterRoom(viewer, env.parley, 'viewer', { roomId });
      await waitForEvent(viewer, 'remote-video-available', { userId: 'pub', streamType: 'main' });
      await call(viewer, 'startRemoteVideo', { userId: 'pub', streamType: 'main', view: 'remote' });
      await expectVideoDecoded(viewer, 'pub');
      // The publisher's connection runs on a relay candidate, and only relay ones were made.
      const path = await pub.evaluate(async () => {
        const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter(
          (pc) => pc.connectionState === 'connected',
        );
        const out: { selected: string[]; localTypes: string[]; policy: string[] } = {
          selected: [],
          localTypes: [],
          policy: [],
        };
        for (const pc of pcs) {
          out.policy.push(pc.getConfiguration().iceTransportPolicy ?? '');
          const report = await pc.getStats();
          const byId = new Map<string, Record<string, unknown>>();
          report.forEach((s: Record<string, unknown>) => byId.set(s.id as string, s));
          for (const s of byId.values()) {
            if (s.type === 'local-candidate') out.localTypes.push(s.candidateType as string);
            if (s.type === 'transport' && s.selectedCandidatePairId) {
              const pair = byId.get(s.selectedCandidatePairId as string);
              const local = pair && byId.get(pair.localCandidateId as string);
              if (local) out.selected.push(local.candidateType as string);
            }
          }
        }
        return out;
      });
      expect(path.policy.length).toBeGreaterThan(0);
      expect(new Set(path.policy)).toEqual(new Set(['relay']));
      expect(path.selected.length).toBeGreaterThan(0);
      expect(new Set(path.selected)).toEqual(new Set(['relay']));
      expect(new Set(path.localTypes)).toEqual(new Set(['relay']));
    } finally {
      turn.stop();
    }
  });
});

/** A WebSocket relay on 127.0.0.1 forwarding every connection to `target`, counting frames. */
async function startWebSocketRelay(target: string): Promise<{
  url: string;
  connections(): number;
  frames(): { up: number; down: number };
  close(): Promise<void>;
}> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  let connections = 0;
  const frames = { up: 0, down: 0 };
  const upstreams = new Set<WebSocket>();
  server.on('connection', (client, request) => {
    connections++;
    const query = new URL(request.url ?? '/', 'http://relay').search;
    const upstream = new WebSocket(`${target}${query}`, {
      headers: request.headers.origin ? { origin: request.headers.origin } : {},
    });
    upstreams.add(upstream);
    const pending: Array<[Buffer, boolean]> = [];
    upstream.on('open', () => {
      for (const [data, binary] of pending.splice(0)) upstream.send(data, { binary });
    });
    client.on('message', (data: Buffer, binary: boolean) => {
      frames.up++;
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
      else pending.push([data, binary]);
    });
    upstream.on('message', (data: Buffer, binary: boolean) => {
      frames.down++;
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary });
    });
    const closeBoth = () => {
      if (client.readyState <= WebSocket.OPEN) client.close();
      if (upstream.readyState <= WebSocket.OPEN) upstream.close();
      upstreams.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    connections: () => connections,
    frames: () => ({ ...frames }),
    close: () =>
      new Promise((resolve) => {
        for (const ws of upstreams) ws.terminate();
        for (const ws of server.clients) ws.terminate();
        server.close(() => resolve());
      }),
  };
}

/** A free UDP/TCP port on 127.0.0.1 (TCP checked; coturn listens on both). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** coturn on 127.0.0.1 with one long-term user, relaying to loopback peers (the server). */
async function startCoturn(): Promise<{
  port: number;
  username: string;
  credential: string;
  stop(): void;
}> {
  const port = await freePort();
  const username = 'parley';
  const credential = `pw${Math.random().toString(36).slice(2)}`;
  const relayBase = 40_000 + Math.floor(Math.random() * 20_000);
  const child: ChildProcess = spawn(
    'turnserver',
    [
      '-n',
      '--listening-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--relay-ip=127.0.0.1',
      `--min-port=${relayBase}`,
      `--max-port=${relayBase + 200}`,
      '--lt-cred-mech',
      `--user=${username}:${credential}`,
      '--realm=parley.test',
      '--allow-loopback-peers',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--log-file=stdout',
      '--simple-log',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(
    'coturn listening',
    async () => {
      if (child.exitCode !== null) throw new Error(`turnserver exited: ${output.slice(-2000)}`);
      return /listener opened|Total General servers|IPv4\. UDP listener/i.test(output);
    },
    10_000,
  );
  return { port, username, credential, stop: () => void child.kill('SIGTERM') };
}
