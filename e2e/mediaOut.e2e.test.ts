/**
 * Media out of a room, end to end: real Chromium users publish distinct pictures (solid
 * colours drawn on a canvas) and sounds (tones); v4's startMixTranscode + startPublishCDNStream
 * push a mix, and startPublishCDNStream alone a user's own stream, over RTMP to a local nginx
 * (libnginx-mod-rtmp, started here). What arrives is read back with ffprobe/ffmpeg: codecs,
 * size, frame rate, sample rate, channels, pixels where the layout put each user, the
 * background elsewhere, both tones, the layout changing, the stream ending on stop.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { roomKey } from '@parley/protocol';
import type { Page } from 'playwright-core';
// Tencent's TRTC client alone (the whole SDK takes seconds to load).
import { trtc } from 'tencentcloud-sdk-nodejs/tencentcloud/services/trtc/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { median, randomRoomId, useE2eEnvironment, waitFor } from './harness.js';
import {
  call,
  colourPublisher,
  isBlue,
  isGreen,
  isRed,
  isYellow,
  rgb,
  useRtmpServer,
} from './mediaOutKit.js';
import { cpuMs, FrameWatcher, grabFrame, meanVolume, probe, type Frame } from './rtmpServer.js';

const API = { secretId: 'AKIDparleyMediaOut01', secretKey: 'media-out-api-secret-key-1' };
const CALLBACK_KEY = 'relayCallbackKey42';
const serverEnv: Record<string, string> = {
  PARLEY_API_SECRET_ID: API.secretId,
  PARLEY_API_SECRET_KEY: API.secretKey,
  // The local nginx is on loopback, which media-out refuses unless listed (SSRF guard).
  PARLEY_CDN_ALLOWED_HOSTS: '127.0.0.1',
  PARLEY_CALLBACK_KEY: CALLBACK_KEY,
  PARLEY_CALLBACK_MAX_BACKOFF_MS: '1000',
};

/** Relay callbacks (group 4) as Tencent sends them: Sign = base64(HMAC-SHA256(key, body)). */
interface RelayCallback {
  EventGroupId: number;
  EventType: number;
  EventInfo: {
    RoomId: number | string;
    RoomType: number;
    UserId: string;
    TaskId: string;
    Payload: { Url: string; Status: number; ErrorMsg?: string };
  };
}
const relayCallbacks: RelayCallback[] = [];
const badSigns: string[] = [];
let receiver: Server;
beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.headers.sign !== createHmac('sha256', CALLBACK_KEY).update(raw).digest('base64')) {
        badSigns.push(raw);
        return void res.writeHead(403).end();
      }
      const body = JSON.parse(raw) as RelayCallback;
      if (body.EventGroupId === 4) relayCallbacks.push(body);
      res.writeHead(200).end('{"code":0}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  // Read by useE2eEnvironment's beforeAll, which runs after this one.
  serverEnv.PARLEY_CALLBACK_URL = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
});
afterAll(async () => {
  await new Promise<void>((r) => receiver.close(() => r()));
});

/** The relay callbacks of one push (its URL), their Status in order. */
const statusesOf = (url: string) =>
  relayCallbacks
    .filter((c) => c.EventInfo.Payload.Url === url)
    .map((c) => c.EventInfo.Payload.Status);

const env = useE2eEnvironment(serverEnv);
const TrtcClient = trtc.v20190722.Client;
const api = () =>
  new TrtcClient({
    credential: API,
    region: 'ap-guangzhou',
    profile: {
      httpProfile: { endpoint: env.parley.origin.replace('http://', ''), protocol: 'http://' },
    },
  });
const rtmp = useRtmpServer();

/** Joins `roomId` and publishes a canvas of one colour and a tone; the client is window.__client. */
const publisher = (userId: string, roomId: number, color: string, toneHz: number): Promise<Page> =>
  colourPublisher(
    { browser: env.browser, appOrigin: env.app.origin, parley: env.parley },
    userId,
    roomId,
    {
      color,
      toneHz,
    },
  );

describe('media out over RTMP', () => {
  it("relays one user's own stream, and stop ends it", async () => {
    const roomId = randomRoomId();
    const alice = await publisher('alice', roomId, '#ff0000', 440);
    const url = rtmp.url(`relay${roomId}`);
    const started = Date.now();
    expect(await call(alice, 'startPublishCDNStream', { url, appId: 1, bizId: 2 })).toEqual({
      ok: true,
    });
    await waitFor(
      'the relay published on the RTMP server',
      async () => (await rtmp.publishing()).includes(`relay${roomId}`),
      10_000,
    );
    console.log(
      `[figure] relay: startPublishCDNStream → RTMP publish seen ${Date.now() - started} ms`,
    );
    // Relay callback 401: pushing (Status 2), signed, with the room, the user and the URL.
    await waitFor('the 401 pushing callback', async () => statusesOf(url).includes(2), 10_000);
    expect(relayCallbacks.find((c) => c.EventInfo.Payload.Url === url)).toMatchObject({
      EventGroupId: 4,
      EventType: 401,
      EventInfo: { RoomId: roomId, RoomType: 0, UserId: 'alice', Payload: { Url: url, Status: 2 } },
    });
    // Read back side by side (each reader waits for a keyframe): the codecs, then the picture
    // at the size ffprobe found, and the tone.
    const [{ video, audio, frame }, volume] = await Promise.all([
      probe(url).then(async (streams) => {
        const video = streams.find((s) => s.codec_type === 'video');
        const audio = streams.find((s) => s.codec_type === 'audio');
        expect(video?.codec_name).toBe('h264');
        const frame = await waitFor(
          'alice red in the relayed picture',
          async () => {
            const f = await grabFrame(url, video!.width!, video!.height!);
            return isRed(f.at(f.width >> 1, f.height >> 1)) ? f : null;
          },
          20_000,
        );
        return { video, audio, frame };
      }),
      meanVolume(url, 2, 440),
    ]);
    expect(video?.codec_name).toBe('h264');
    expect(audio?.codec_name).toBe('aac');
    expect(isRed(frame.at(frame.width >> 1, frame.height >> 1))).toBe(true);
    expect(volume).toBeGreaterThan(-45);

    // The pipeline process dies: the supervisor restarts it and the stream comes back.
    const media = env.parley.server.mediaOut.existing(
      roomKey(env.parley.sdkAppId, { kind: 'number', id: roomId }),
    );
    const job = media!.jobs()[0]!;
    const killed = Date.now();
    process.kill(job.pid!, 'SIGKILL');
    await waitFor(
      'the relay back after the pipeline was killed',
      async () => {
        if (job.restarts < 1 || !(await rtmp.publishing()).includes(`relay${roomId}`)) return false;
        const f = await grabFrame(url, video!.width!, video!.height!).catch(() => null);
        return f && isRed(f.at(f.width >> 1, f.height >> 1));
      },
      20_000,
    );
    console.log(
      `[figure] relay: pipeline killed → red picture back on RTMP ${Date.now() - killed} ms`,
    );
    // Recovering (3, with the cause) then pushing again.
    await waitFor(
      '401 recovering then pushing',
      async () => statusesOf(url).join() === '2,3,2',
      10_000,
    );
    expect(
      relayCallbacks.find(
        (c) => c.EventInfo.Payload.Url === url && c.EventInfo.Payload.Status === 3,
      )!.EventInfo.Payload.ErrorMsg,
    ).toBeTruthy();

    expect(await call(alice, 'stopPublishCDNStream')).toEqual({ ok: true });
    await waitFor(
      'the relay gone from the RTMP server',
      async () => !(await rtmp.publishing()).includes(`relay${roomId}`),
      5_000,
    );
    // Nothing relayed any more: v4's INVALID_OPERATION.
    expect(await call(alice, 'stopPublishCDNStream')).toMatchObject({ ok: false, code: 0x1001 });
    // Ended (Status 0).
    await waitFor(
      'the 401 ended callback',
      async () => statusesOf(url).join() === '2,3,2,0',
      10_000,
    );
    expect(badSigns).toEqual([]);
  });

  it('mixes two users by the layout, updates it in place, and stop ends the output', async () => {
    const roomId = randomRoomId();
    const alice = await publisher('alice', roomId, '#ff0000', 440);
    await publisher('bob', roomId, '#0000ff', 1200);
    const streamId = `mix${roomId}`;
    const url = rtmp.url(streamId);
    const layout = (aliceAt: [number, number], bobAt: [number, number]) => ({
      streamId,
      videoWidth: 640,
      videoHeight: 360,
      videoFramerate: 15,
      videoBitrate: 600,
      videoGOP: 2,
      audioSampleRate: 44100,
      audioChannels: 2,
      audioBitrate: 96,
      backgroundColor: 0x00ff00,
      mixUsers: [
        {
          userId: 'alice',
          pureAudio: false,
          width: 320,
          height: 180,
          locationX: aliceAt[0],
          locationY: aliceAt[1],
          zOrder: 1,
        },
        {
          userId: 'bob',
          pureAudio: false,
          width: 320,
          height: 180,
          locationX: bobAt[0],
          locationY: bobAt[1],
          zOrder: 2,
        },
      ],
    });
    // v4's checks first: a video user without zOrder in 1–15 is refused, naming the field.
    const bad = layout([0, 0], [200, 100]);
    bad.mixUsers[1]!.zOrder = 0;
    const refused = await call(alice, 'startMixTranscode', bad);
    expect(refused).toMatchObject({ ok: false, code: 0x1000 });
    expect(refused.message).toContain('zOrder');

    expect(await call(alice, 'startMixTranscode', layout([0, 0], [200, 100]))).toEqual({
      ok: true,
    });
    // A continuous reader from before the push (nginx holds it until the stream is published),
    // kept for the whole test: it reads every frame, so nothing waits for a new keyframe.
    const watcher = new FrameWatcher(url, 640, 360);
    try {
      const bothSeen = watcher.nextFrame(
        (f) => isRed(f.at(100, 50)) && isBlue(f.at(450, 250)),
        20_000,
      );
      const started = Date.now();
      expect(await call(alice, 'startPublishCDNStream', { streamId, url })).toEqual({ ok: true });
      const resolvedIn = Date.now() - started;
      const { at: firstBoth, frame } = await bothSeen;
      console.log(
        `[figure] mix: startPublishCDNStream resolved in ${resolvedIn} ms; both users in a frame read from RTMP ${firstBoth - started} ms after the call`,
      );
      await waitFor(
        'the mix published on the RTMP server',
        async () => (await rtmp.publishing()).includes(streamId),
        10_000,
      );
      // Alice (red) at (0,0) 320×180, Bob (blue) at (200,100) 320×180 above her, green elsewhere.
      expect(isRed(frame.at(100, 50)), `alice's box ${rgb(frame, 100, 50)}`).toBe(true);
      expect(isBlue(frame.at(450, 250)), `bob's box ${rgb(frame, 450, 250)}`).toBe(true);
      expect(
        isBlue(frame.at(260, 140)),
        `overlap: bob (zOrder 2) on top ${rgb(frame, 260, 140)}`,
      ).toBe(true);
      expect(isGreen(frame.at(600, 20)), `background ${rgb(frame, 600, 20)}`).toBe(true);
      expect(isGreen(frame.at(60, 320)), `background ${rgb(frame, 60, 320)}`).toBe(true);

      // The codecs, size and rates, and both tones in the mixed sound (read side by side).
      const [streams, aliceTone, bobTone] = await Promise.all([
        probe(url),
        meanVolume(url, 2, 440),
        meanVolume(url, 2, 1200),
      ]);
      const video = streams.find((s) => s.codec_type === 'video');
      const audio = streams.find((s) => s.codec_type === 'audio');
      expect(video, JSON.stringify(streams)).toMatchObject({
        codec_name: 'h264',
        width: 640,
        height: 360,
        avg_frame_rate: '15/1',
      });
      expect(audio, JSON.stringify(streams)).toMatchObject({
        codec_name: 'aac',
        sample_rate: '44100',
        channels: 2,
      });
      expect(aliceTone, "alice's 440 Hz").toBeGreaterThan(-45);
      expect(bobTone, "bob's 1200 Hz").toBeGreaterThan(-45);

      // Mix latency: Alice's picture changes colour; the first output frame that shows it.
      await watcher.next((f) => isRed(f.at(100, 50)));
      // CPU of the mixing process (2 inputs decoded, composed, x264 + AAC encoded), over the
      // latency runs (the mix works the same whatever colour it is given).
      const job = env.parley.server.mediaOut
        .existing(roomKey(env.parley.sdkAppId, { kind: 'number', id: roomId }))!
        .jobs()[0]!;
      const cpu0 = cpuMs(job.pid!);
      const t0 = Date.now();
      const latencies: number[] = [];
      for (const [color, test] of [
        ['#ffff00', isYellow],
        ['#ff0000', isRed],
        ['#ffff00', isYellow],
        ['#ff0000', isRed],
      ] as const) {
        const seen = watcher.next((f) => test(f.at(100, 50)));
        const changed = await alice.evaluate(
          (c) => (window as unknown as { __setColor(c: string): number }).__setColor(c),
          color,
        );
        latencies.push((await seen) - changed);
      }
      const cores = (cpuMs(job.pid!) - cpu0) / (Date.now() - t0);
      console.log(
        `[figure] mix latency (canvas colour change → RTMP frame read back, 640×360@15): ${latencies.join(', ')} ms; median ${median(latencies)} ms`,
      );
      console.log(
        `[figure] mix CPU (2 users → 640×360@15 H.264 600 kbit/s + AAC): ${cores.toFixed(2)} cores over ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );

      // The same streamId again: the new layout (swapped) shows in the output, changed live in
      // the running pipeline: same process, same RTMP publish, the player never reconnects.
      const pid = job.pid;
      const connections = watcher.connections;
      const isSwapped = (f: Frame) =>
        isBlue(f.at(100, 50)) && isRed(f.at(550, 300)) && isGreen(f.at(600, 20));
      const swapped = watcher.next(isSwapped);
      const updated = Date.now();
      expect(await call(alice, 'startMixTranscode', layout([300, 160], [0, 0]))).toEqual({
        ok: true,
      });
      const resolved = Date.now();
      const seenAt = await swapped;
      console.log(
        `[figure] mix: layout update (live): call resolved in ${resolved - updated} ms; new layout read by a player connected throughout ${seenAt - resolved} ms after it resolved (changes ${JSON.stringify(job.changes)}, pid ${job.pid === pid ? 'same' : 'new'})`,
      );
      expect(seenAt - resolved).toBeLessThanOrEqual(2000);
      expect(job.pid).toBe(pid);
      expect(job.restarts).toBe(0);
      expect(job.changes.restarts).toBe(0);
      expect(job.changes.live).toBeGreaterThanOrEqual(1);
      expect(watcher.connections).toBe(connections);
      const after = watcher.last!;
      expect(isGreen(after.at(600, 20)), `background ${rgb(after, 600, 20)}`).toBe(true);
      expect(isBlue(after.at(100, 50)), `bob now top left ${rgb(after, 100, 50)}`).toBe(true);
    } finally {
      watcher.close();
    }

    const stopped = Date.now();
    expect(await call(alice, 'stopMixTranscode')).toEqual({ ok: true });
    await waitFor(
      'the mix gone from the RTMP server',
      async () => !(await rtmp.publishing()).includes(streamId),
      5_000,
    );
    console.log(`[figure] mix: stopMixTranscode → RTMP stream ended ${Date.now() - stopped} ms`);
    expect(await call(alice, 'stopMixTranscode')).toMatchObject({ ok: false, code: 0x1001 });
  });

  it('an unreachable RTMP URL rejects with START_PUBLISH_CDN_FAILED and the cause', async () => {
    const roomId = randomRoomId();
    const alice = await publisher('alice', roomId, '#ff0000', 440);
    const outcome = await call(alice, 'startPublishCDNStream', {
      url: 'rtmp://127.0.0.1:9/live/nowhere',
    });
    expect(outcome).toMatchObject({ ok: false, code: 0x4045 });
    expect(outcome.message).toMatch(/refused/i);
    // Relay callback 401 with Status 4 (failed) and the cause.
    const url = 'rtmp://127.0.0.1:9/live/nowhere';
    await waitFor('the 401 failed callback', async () => statusesOf(url).includes(4), 10_000);
    const failed = relayCallbacks.find((c) => c.EventInfo.Payload.Url === url)!;
    expect(failed.EventInfo).toMatchObject({ RoomId: roomId, UserId: 'alice' });
    expect(failed.EventInfo.Payload.ErrorMsg).toMatch(/refused/i);
    expect(statusesOf(url)).toEqual([4]);
  });

  it('a URL whose host is not allowed is refused before any connection: the SDK with 0x4045, the API with InvalidParameter', async () => {
    const roomId = randomRoomId();
    const alice = await publisher('alice', roomId, '#ff0000', 440);
    const outcome = await call(alice, 'startPublishCDNStream', {
      url: 'rtmp://169.254.169.254:80/latest/meta-data',
    });
    expect(outcome).toMatchObject({ ok: false, code: 0x4045 });
    expect(outcome.message).toContain(
      'host 169.254.169.254:80 is not an allowed CDN host (PARLEY_CDN_ALLOWED_HOSTS',
    );
    const refused = await api()
      .StartPublishCdnStream({
        SdkAppId: env.parley.sdkAppId,
        RoomId: String(roomId),
        RoomIdType: 0,
        AgentParams: { UserId: 'cdn-agent' },
        WithTranscoding: 0,
        SingleSubscribeParams: {
          UserMediaStream: {
            UserInfo: { RoomId: String(roomId), RoomIdType: 0, UserId: 'alice' },
            StreamType: 0,
          },
        },
        PublishCdnParams: [{ PublishCdnUrl: 'rtmp://10.0.0.5:6379/x', IsTencentCdn: 0 }],
      })
      .then(() => null)
      .catch((e: { code?: string; message: string }) => e);
    expect(refused?.code).toBe('InvalidParameter.PublishCdnUrl');
    expect(refused?.message).toContain('host 10.0.0.5:6379 is not an allowed CDN host');
    expect(
      env.parley.server.mediaOut
        .existing(roomKey(env.parley.sdkAppId, { kind: 'number', id: roomId }))
        ?.jobs() ?? [],
    ).toEqual([]);
  });

  it("the server API through Tencent's Node SDK: StartMCUMixTranscode (grid) and StartPublishCdnStream (one user), then Stop", async () => {
    const roomId = randomRoomId();
    await publisher('alice', roomId, '#ff0000', 440);
    await publisher('bob', roomId, '#0000ff', 1200);
    const client = api();
    const mixUrl = rtmp.url(`mcu${roomId}`);
    await client.StartMCUMixTranscode({
      SdkAppId: env.parley.sdkAppId,
      RoomId: roomId,
      OutputParams: { StreamId: `mcu${roomId}` },
      EncodeParams: {
        AudioSampleRate: 48000,
        AudioBitrate: 64,
        AudioChannels: 1,
        VideoWidth: 640,
        VideoHeight: 240,
        VideoFramerate: 15,
        VideoBitrate: 500,
        VideoGop: 2,
        BackgroundColor: 0x00ff00,
      },
      LayoutParams: { Template: 1 },
      PublishCdnParams: { BizId: 0, PublishCdnUrls: [mixUrl] },
    });
    // Grid of two: alice (joined first) left, bob right, each 320×240; read by a continuous
    // reader while ffprobe reads the format beside it.
    const grid = new FrameWatcher(mixUrl, 640, 240);
    const [{ frame }, mixStreams] = await Promise.all([
      grid
        .nextFrame((f) => isRed(f.at(160, 120)) && isBlue(f.at(480, 120)), 25_000)
        .finally(() => grid.close()),
      // Once more if a slow start outlasts its read timeout.
      waitFor('ffprobe of the mix', () => probe(mixUrl).catch(() => null), 25_000),
    ]);
    expect(isRed(frame.at(160, 120))).toBe(true);
    expect(mixStreams.find((s) => s.codec_type === 'video')).toMatchObject({
      width: 640,
      height: 240,
    });
    expect(mixStreams.find((s) => s.codec_type === 'audio')).toMatchObject({
      sample_rate: '48000',
      channels: 1,
    });
    await client.StopMCUMixTranscode({ SdkAppId: env.parley.sdkAppId, RoomId: roomId });
    await waitFor(
      'the MCU mix gone',
      async () => !(await rtmp.publishing()).includes(`mcu${roomId}`),
      5_000,
    );
    const again = await client
      .StopMCUMixTranscode({ SdkAppId: env.parley.sdkAppId, RoomId: roomId })
      .then(
        () => 'no error',
        (e: { code?: string }) => e.code,
      );
    expect(again).toBe('FailedOperation.MixSessionNotExist');

    const relayUrl = rtmp.url(`cdn${roomId}`);
    const { TaskId } = await client.StartPublishCdnStream({
      SdkAppId: env.parley.sdkAppId,
      RoomId: String(roomId),
      RoomIdType: 0,
      AgentParams: { UserId: 'relay-bot' },
      WithTranscoding: 0,
      SingleSubscribeParams: {
        UserMediaStream: {
          UserInfo: { RoomId: String(roomId), RoomIdType: 0, UserId: 'bob' },
          StreamType: 0,
        },
      },
      PublishCdnParams: [{ PublishCdnUrl: relayUrl, IsTencentCdn: 0 }],
    });
    expect(TaskId).toMatch(/\S/);
    const relay = new FrameWatcher(relayUrl, 640, 480);
    const { frame: relayed } = await relay
      .nextFrame((f) => isBlue(f.at(320, 240)), 25_000)
      .finally(() => relay.close());
    expect(isBlue(relayed.at(320, 240))).toBe(true);
    await client.StopPublishCdnStream({ SdkAppId: env.parley.sdkAppId, TaskId: TaskId! });
    await waitFor(
      'the relay task gone',
      async () => !(await rtmp.publishing()).includes(`cdn${roomId}`),
      5_000,
    );
    const unknown = await client
      .StopPublishCdnStream({ SdkAppId: env.parley.sdkAppId, TaskId: TaskId! })
      .then(
        () => 'no error',
        (e: { code?: string }) => e.code,
      );
    expect(unknown).toBe('InvalidParameter.TaskId');
  });
});
