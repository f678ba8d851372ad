/**
 * Audio/video sync of a mix, measured end to end: a GStreamer source whose picture flashes
 * white and whose tone beeps at the same timestamps, once a second, publishes over WHIP
 * (e2e/tools/gst-whip-client.py); StartMCUMixTranscode mixes the room and pushes it to a
 * local nginx-rtmp, and a mixed CreateCloudRecording records it to an MP4 at the same time;
 * ffmpeg reads ~10 s of each back and gives each video frame's brightness and each 5 ms of
 * sound's level by PTS. Each flash is paired with the nearest beep: the offsets are printed,
 * and their median must be within 100 ms, for the RTMP output and for the file.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tencentcloud from 'tencentcloud-sdk-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { median, randomRoomId, useE2eEnvironment, waitFor } from './harness.js';
import { rtmpAvailable, startRtmpServer, type RtmpServer } from './rtmpServer.js';

const API = { secretId: 'AKIDparleyAvSync01', secretKey: 'media-out-av-sync-key-1' };
const env = useE2eEnvironment({
  PARLEY_API_SECRET_ID: API.secretId,
  PARLEY_API_SECRET_KEY: API.secretKey,
  PARLEY_CDN_ALLOWED_HOSTS: '127.0.0.1',
});
const GST_WHIP_CLIENT = fileURLToPath(new URL('./tools/gst-whip-client.py', import.meta.url));
/** Flashes: a solid colour the client's control source turns white at each whole second. */
const FLASHING_VIDEO =
  'videotestsrc name=flash is-live=true pattern=solid-color ! ' +
  'video/x-raw,width=320,height=240,framerate=15/1 ! videoconvert ! queue ! ' +
  'vp8enc deadline=1 target-bitrate=500000 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! ' +
  'application/x-rtp,media=video,encoding-name=VP8,payload=96';
/** Beeps: a 1 kHz tone the control source sounds at the same timestamps. */
const BEEPING_AUDIO =
  'audiotestsrc name=beep is-live=true wave=sine freq=1000 samplesperbuffer=240 ! ' +
  'audio/x-raw,rate=48000 ! audioconvert ! audioresample ! ' +
  'queue ! opusenc ! rtpopuspay pt=111 ! ' +
  'application/x-rtp,media=audio,encoding-name=OPUS,payload=111';

let rtmp: RtmpServer;
beforeAll(async () => {
  if (!rtmpAvailable()) {
    throw new Error(
      'nginx with libnginx-mod-rtmp is needed: apt-get install nginx libnginx-mod-rtmp',
    );
  }
  rtmp = await startRtmpServer();
});
afterAll(async () => {
  await rtmp?.close();
});

/** `pts_time` → value lines of ffmpeg's metadata=print output. */
function readMetadata(path: string, key: string): Array<{ t: number; v: number }> {
  const out: Array<{ t: number; v: number }> = [];
  let t: number | null = null;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const time = /pts_time:(-?[\d.]+)/.exec(line);
    if (time) t = Number(time[1]);
    else if (t !== null && line.startsWith(`${key}=`)) {
      const raw = line.slice(key.length + 1);
      out.push({ t, v: raw === '-inf' ? -Infinity : Number(raw) });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Reads `seconds` of a stream or file: video brightness per frame, audio level per 5 ms. */
async function readBack(
  url: string,
  seconds: number,
): Promise<{ luma: Array<{ t: number; v: number }>; level: Array<{ t: number; v: number }> }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-avsync-'));
  const video = join(dir, 'video.txt');
  const audio = join(dir, 'audio.txt');
  await new Promise<void>((resolve, reject) => {
    execFile(
      'ffmpeg',
      [
        '-v',
        'error',
        ...(url.startsWith('rtmp') ? ['-rw_timeout', '8000000'] : []),
        // The stream's own timestamps, the same clock for both tracks.
        '-copyts',
        '-i',
        url,
        '-t',
        String(seconds),
        '-filter_complex',
        `[0:v]signalstats,metadata=mode=print:key=lavfi.signalstats.YAVG:file=${video}[v];` +
          `[0:a]aresample=48000,asetnsamples=n=240,astats=metadata=1:reset=1,` +
          `ametadata=mode=print:key=lavfi.astats.Overall.RMS_level:file=${audio}[a]`,
        '-map',
        '[v]',
        '-map',
        '[a]',
        '-f',
        'null',
        '-',
      ],
      { timeout: (seconds + 40) * 1000 },
      (error, _stdout, stderr) =>
        error
          ? reject(
              new Error(
                `ffmpeg read-back failed (${error.signal ?? error.code}): ${stderr
                  .split('\n')
                  .filter((l) => !l.includes('non monotonically'))
                  .join('\n')
                  .slice(-800)}`,
              ),
            )
          : resolve(),
    );
  });
  return {
    luma: readMetadata(video, 'lavfi.signalstats.YAVG'),
    level: readMetadata(audio, 'lavfi.astats.Overall.RMS_level'),
  };
}

/** Times where a series rises over `threshold` after at least `quietS` under it. */
function onsets(series: Array<{ t: number; v: number }>, threshold: number, quietS: number) {
  const found: number[] = [];
  let lastLoud = -Infinity;
  for (const { t, v } of series) {
    if (v <= threshold) continue;
    if (t - lastLoud >= quietS) found.push(t);
    lastLoud = t;
  }
  return found;
}

/** Flashes and beeps read back, or null while either is not there yet (inputs binding). */
function flashesAndBeeps(read: Awaited<ReturnType<typeof readBack>>) {
  const values = read.luma.map((f) => f.v);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  // White against the black picture: well over half way up.
  const flashes = hi - lo > 100 ? onsets(read.luma, (lo + hi) / 2, 0.5) : [];
  const beeps = onsets(read.level, -30, 0.5);
  return flashes.length >= 5 && beeps.length >= 5 ? { ...read, flashes, beeps } : null;
}

/** Each flash's nearest beep (within 0.5 s): beep − flash, ms. */
function offsetsOf(flashes: number[], beeps: number[]): number[] {
  const offsets: number[] = [];
  for (const flash of flashes) {
    const beep = beeps.reduce((a, b) => (Math.abs(b - flash) < Math.abs(a - flash) ? b : a));
    if (Math.abs(beep - flash) < 0.5) offsets.push(Math.round((beep - flash) * 1000));
  }
  return offsets;
}

describe('media out: audio/video sync', () => {
  it('a mix of a source whose flashes and beeps coincide keeps them within 100 ms (median), over RTMP and in a mixed recording', async () => {
    const roomId = randomRoomId();
    const whipUrl = `${env.parley.origin}/whip/${env.parley.sdkAppId}/avsync?roomId=${roomId}`;
    const client: ChildProcess = spawn(
      '/usr/bin/python3',
      [GST_WHIP_CLIENT, whipUrl, env.parley.userSig('avsync'), FLASHING_VIDEO, BEEPING_AUDIO],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    client.stdout!.on('data', keep);
    client.stderr!.on('data', keep);
    try {
      await waitFor('the WHIP source in the room', async () => /WHIP 201/.test(output), 20_000);
      const api = new tencentcloud.trtc.v20190722.Client({
        credential: API,
        region: 'ap-guangzhou',
        profile: {
          httpProfile: { endpoint: env.parley.origin.replace('http://', ''), protocol: 'http://' },
        },
      });
      const url = rtmp.url(`avsync${roomId}`);
      await api.StartMCUMixTranscode({
        SdkAppId: env.parley.sdkAppId,
        RoomId: roomId,
        OutputParams: { StreamId: `avsync${roomId}` },
        EncodeParams: {
          AudioSampleRate: 48000,
          AudioBitrate: 64,
          AudioChannels: 1,
          VideoWidth: 320,
          VideoHeight: 240,
          VideoFramerate: 15,
          VideoBitrate: 400,
          VideoGop: 2,
          BackgroundColor: 0,
        },
        LayoutParams: { Template: 1 },
        PublishCdnParams: { BizId: 0, PublishCdnUrls: [url] },
      });
      await waitFor(
        'the mix on the RTMP server',
        async () => (await rtmp.publishing()).includes(`avsync${roomId}`),
        15_000,
      );
      // The same mix recorded to a file, at the same time.
      const { TaskId } = await api.CreateCloudRecording({
        SdkAppId: env.parley.sdkAppId,
        RoomId: String(roomId),
        UserId: 'recorder',
        UserSig: env.parley.userSig('recorder'),
        RecordParams: { RecordMode: 2, StreamType: 0, MaxIdleTime: 30 },
        StorageParams: { CloudVod: { TencentVod: {} } },
        MixTranscodeParams: {
          VideoParams: { Width: 320, Height: 240, Fps: 15, BitRate: 400, Gop: 2 },
        },
      });
      // And the user's own stream relayed alone (the same input branches, no mix).
      const relayUrl = rtmp.url(`avsyncrelay${roomId}`);
      const relay = await api.StartPublishCdnStream({
        SdkAppId: env.parley.sdkAppId,
        RoomId: String(roomId),
        RoomIdType: 0,
        AgentParams: { UserId: 'relay-bot' },
        WithTranscoding: 0,
        SingleSubscribeParams: {
          UserMediaStream: {
            UserInfo: { RoomId: String(roomId), RoomIdType: 0, UserId: 'avsync' },
            StreamType: 0,
          },
        },
        PublishCdnParams: [{ PublishCdnUrl: relayUrl, IsTencentCdn: 0 }],
      });
      // The flashes and the beeps both arrive in what is read back (the inputs are bound).
      const [mixed, relayed] = await Promise.all(
        [url, relayUrl].map((from) =>
          waitFor(
            `flashes and beeps read back from ${from}`,
            async () => flashesAndBeeps(await readBack(from, 10)),
            60_000,
          ),
        ),
      );
      const { luma, level, flashes, beeps } = mixed!;
      const offsets = offsetsOf(flashes, beeps);
      console.log(
        `[figure] A/V sync of the mix over RTMP (beep PTS − flash PTS, ms; + = sound late): ${offsets.join(', ')}; median ${median(offsets)} ms, median |offset| ${median(offsets.map(Math.abs))} ms (${luma.length} frames, ${level.length} audio blocks read)`,
      );
      const relayOffsets = offsetsOf(relayed!.flashes, relayed!.beeps);
      console.log(
        `[figure] A/V sync of the user's relay (StartPublishCdnStream, one user): ${relayOffsets.join(', ')}; median ${median(relayOffsets)} ms, median |offset| ${median(relayOffsets.map(Math.abs))} ms`,
      );
      await api.StopPublishCdnStream({ SdkAppId: env.parley.sdkAppId, TaskId: relay.TaskId! });
      await api.DeleteCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: TaskId! });
      const files = env.parley.server.recordings.get(env.parley.sdkAppId, TaskId!).files();
      expect(files).toHaveLength(1);
      const recorded = flashesAndBeeps(await readBack(files[0]!.path, 30));
      expect(recorded, 'flashes and beeps in the recorded file').not.toBeNull();
      const fileOffsets = offsetsOf(recorded!.flashes, recorded!.beeps);
      console.log(
        `[figure] A/V sync of the mixed recording (MP4): ${fileOffsets.join(', ')}; median ${median(fileOffsets)} ms, median |offset| ${median(fileOffsets.map(Math.abs))} ms`,
      );
      expect(offsets.length).toBeGreaterThanOrEqual(5);
      expect(median(offsets.map(Math.abs))).toBeLessThanOrEqual(100);
      expect(relayOffsets.length).toBeGreaterThanOrEqual(5);
      expect(median(relayOffsets.map(Math.abs))).toBeLessThanOrEqual(100);
      expect(fileOffsets.length).toBeGreaterThanOrEqual(5);
      expect(median(fileOffsets.map(Math.abs))).toBeLessThanOrEqual(100);
      await api.StopMCUMixTranscode({ SdkAppId: env.parley.sdkAppId, RoomId: roomId });
    } catch (error) {
      throw new Error(`${(error as Error).message}\nWHIP client output:\n${output.slice(-3000)}`);
    } finally {
      client.kill('SIGINT');
      await waitFor('the WHIP client exits', async () => client.exitCode !== null, 15_000).catch(
        () => client.kill('SIGKILL'),
      );
    }
  });
});
