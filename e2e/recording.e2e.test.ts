/**
 * Cloud recording end to end: real Chromium users publish pictures (a solid colour with a
 * time code drawn from the page's clock) and tones; Tencent's Node SDK calls
 * CreateCloudRecording (single-stream and mixed), DescribeCloudRecording and
 * DeleteCloudRecording; the files are read back with ffprobe/ffmpeg (H.264 + AAC, duration,
 * each user's colour and tone where they belong); a publisher whose signaling socket is cut
 * and who republishes keeps one recording whose picture has no gap over 1 s (measured on the
 * time codes, whatever the segments); the group 3 callbacks arrive with a valid Sign.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
// Tencent's TRTC client alone (the whole SDK takes seconds to load).
import { trtc } from 'tencentcloud-sdk-nodejs/tencentcloud/services/trtc/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3TestServer, type S3TestServer } from '../packages/server/src/test/s3TestServer.js';
import { isBlue, isRed } from './mediaOutKit.js';
import { cpuMs } from './rtmpServer.js';
import {
  newPage,
  randomRoomId,
  sleep,
  startAppOrigin,
  startParley,
  useE2eEnvironment,
  waitFor,
  type ParleyUnderTest,
} from './harness.js';

const API = { secretId: 'AKIDparleyRecording01', secretKey: 'recording-api-secret-key-1' };
const CALLBACK_KEY = 'recordingCallbackKey42';
const serverEnv: Record<string, string> = {
  PARLEY_API_SECRET_ID: API.secretId,
  PARLEY_API_SECRET_KEY: API.secretKey,
  PARLEY_CALLBACK_KEY: CALLBACK_KEY,
  PARLEY_CALLBACK_MAX_BACKOFF_MS: '1000',
};

interface Callback {
  body: {
    EventGroupId: number;
    EventType: number;
    EventInfo: { TaskId?: string; UserId?: string; Payload?: Record<string, unknown> };
  };
}

/** A receiver as Tencent documents it: Sign = base64(HMAC-SHA256(key, raw body)). */
const received: Callback[] = [];
const refused: string[] = [];
let receiver: Server;
/** S3-compatible storage for CloudStorage uploads (PARLEY_S3_ENDPOINT). */
const BUCKET_OWNER = {
  AccessKey: 'AKIDbucketOwner',
  SecretKey: 'bucket-owner-secret-key-7',
  Region: 'ap-test-1',
  Bucket: 'recordings-1250000000',
};
let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3TestServer({
    accessKey: BUCKET_OWNER.AccessKey,
    secretKey: BUCKET_OWNER.SecretKey,
    region: BUCKET_OWNER.Region,
    buckets: [BUCKET_OWNER.Bucket],
  });
  serverEnv.PARLEY_S3_ENDPOINT = s3.endpoint;
  // Kept so the test can compare the object with the file.
  serverEnv.PARLEY_RECORDING_KEEP_UPLOADED = '1';
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const sign = createHmac('sha256', CALLBACK_KEY).update(raw).digest('base64');
      if (req.headers.sign !== sign) {
        refused.push(raw);
        return void res.writeHead(403).end();
      }
      received.push({ body: JSON.parse(raw) as Callback['body'] });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code":0}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  // Read by useE2eEnvironment's beforeAll, which runs after this one.
  serverEnv.PARLEY_CALLBACK_URL = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
});
afterAll(async () => {
  await new Promise<void>((r) => receiver.close(() => r()));
  await s3.close();
});

const env = useE2eEnvironment(serverEnv);
const api = (parley: ParleyUnderTest = env.parley) =>
  new trtc.v20190722.Client({
    credential: API,
    region: 'ap-guangzhou',
    profile: {
      httpProfile: { endpoint: parley.origin.replace('http://', ''), protocol: 'http://' },
    },
  });

/** Bits of the time code (tenths of a second of the page's clock, modulo 2^16). */
const CODE_BITS = 16;

/**
 * Joins `roomId` and publishes a 320×240 canvas: a time code (16 black/white blocks across
 * the top half) over `color` (the bottom half), and a tone. The client is window.__client.
 */
async function publisher(
  userId: string,
  roomId: number,
  color: string,
  toneHz: number,
  target: { appOrigin: string; parley: ParleyUnderTest } = {
    appOrigin: env.app.origin,
    parley: env.parley,
  },
): Promise<Page> {
  const { page } = await newPage(env.browser);
  await page.goto(`${target.appOrigin}/sdk.html`);
  await page.evaluate(
    async ({ sdkAppId, userId, userSig, roomId, color, toneHz, bits }) => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 240;
      const g = canvas.getContext('2d')!;
      const draw = () => {
        g.fillStyle = color;
        g.fillRect(0, 0, 320, 240);
        const code = Math.floor(Date.now() / 100) % 2 ** bits;
        for (let i = 0; i < bits; i++) {
          g.fillStyle = (code >> (bits - 1 - i)) & 1 ? '#ffffff' : '#000000';
          g.fillRect(i * 20, 0, 20, 100);
        }
      };
      draw();
      setInterval(draw, 33);
      const video = canvas.captureStream(20).getVideoTracks()[0]!;
      const audioContext = new AudioContext();
      const oscillator = audioContext.createOscillator();
      oscillator.frequency.value = toneHz;
      const destination = audioContext.createMediaStreamDestination();
      oscillator.connect(destination);
      oscillator.start();
      const audio = destination.stream.getAudioTracks()[0]!;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const TRTC = (window as any).TRTC;
      const client = TRTC.createClient({ mode: 'rtc', sdkAppId, userId, userSig });
      const states: string[] = [];
      client.on('connection-state-changed', (e: { state: string }) => states.push(e.state));
      await client.join({ roomId });
      const stream = TRTC.createStream({ userId, audioSource: audio, videoSource: video });
      await stream.initialize();
      await client.publish(stream);
      Object.assign(window, { __client: client, __stream: stream, __states: states });
    },
    {
      sdkAppId: target.parley.sdkAppId,
      userId,
      userSig: target.parley.userSig(userId),
      roomId,
      color,
      toneHz,
      bits: CODE_BITS,
    },
  );
  return page;
}

function run(command: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: 60_000, encoding: 'buffer', maxBuffer: 512 << 20 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${command} failed: ${error.message} ${stderr.toString().slice(-800)}`));
        else
          resolve(
            command === 'ffmpeg' ? Buffer.concat([stdout, Buffer.from('\n'), stderr]) : stdout,
          );
      },
    );
  });
}

interface Probed {
  streams: Array<{
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    sample_rate?: string;
  }>;
  format: { duration: string };
}

async function probeFile(path: string): Promise<Probed> {
  const out = await run('ffprobe', [
    '-v',
    'error',
    '-show_streams',
    '-show_format',
    '-of',
    'json',
    path,
  ]);
  return JSON.parse(out.toString()) as Probed;
}

/**
 * Waits until a segment being written plays `seconds` or more in ffprobe (its fragments so
 * far: the recording writes a fragmented MP4, a fragment a second).
 */
async function recordedAtLeast(path: string, seconds: number): Promise<void> {
  await waitFor(
    `${seconds} s recorded in ${path}`,
    async () => {
      const probed = await probeFile(path).catch(() => null);
      return probed !== null && Number(probed.format?.duration) >= seconds;
    },
    20_000,
  );
}

/** Every frame of a file scaled to w×h, RGB24. */
async function frames(
  path: string,
  w: number,
  h: number,
): Promise<Array<(x: number, y: number) => [number, number, number]>> {
  const raw = await new Promise<Buffer>((resolve, reject) => {
    execFile(
      'ffmpeg',
      [
        '-v',
        'error',
        '-i',
        path,
        '-vf',
        `scale=${w}:${h}`,
        '-vsync',
        'passthrough',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-',
      ],
      { timeout: 60_000, encoding: 'buffer', maxBuffer: 1 << 30 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
  const size = w * h * 3;
  const list: Array<(x: number, y: number) => [number, number, number]> = [];
  for (let o = 0; o + size <= raw.length; o += size) {
    const frame = raw.subarray(o, o + size);
    list.push((x, y) => {
      const i = (y * w + x) * 3;
      return [frame[i]!, frame[i + 1]!, frame[i + 2]!];
    });
  }
  return list;
}

/** The time code of a frame whose picture fills w×h (null: no code there, e.g. background). */
function timeCode(
  at: (x: number, y: number) => [number, number, number],
  w: number,
  h: number,
): number | null {
  // The user's colour below the code: not the background (black, which reads as code 0).
  const [r0, g0, b0] = at(Math.round(w / 2), Math.round((h * 200) / 240));
  if (Math.max(r0, g0, b0) < 150) return null;
  let code = 0;
  const y = Math.round((h * 50) / 240);
  for (let i = 0; i < CODE_BITS; i++) {
    const [r, g, b] = at(Math.round(((i * 20 + 10) * w) / 320), y);
    const lum = (r + g + b) / 3;
    if (lum > 90 && lum < 165) return null; // neither black nor white: not a code
    code = code * 2 + (lum >= 165 ? 1 : 0);
  }
  return code;
}

/** Mean volume (dB) of a file's sound around `hz`. */
async function toneLevel(path: string, hz: number): Promise<number> {
  const out = await run('ffmpeg', [
    '-v',
    'info',
    '-i',
    path,
    '-af',
    `bandpass=f=${hz}:width_type=h:w=60,volumedetect`,
    '-vn',
    '-f',
    'null',
    '-',
  ]);
  const match = /mean_volume: (-?[\d.]+) dB/.exec(out.toString());
  if (!match) throw new Error(`no volume of ${path}`);
  return Number(match[1]);
}

const STORAGE = { CloudVod: { TencentVod: {} } };

function recordingDir(
  roomId: number,
  taskId: string,
  parley: ParleyUnderTest = env.parley,
): string {
  const dataDir = join(parley.logFile, '..');
  return join(dataDir, 'recordings', String(parley.sdkAppId), String(roomId), taskId);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('cloud recording', () => {
  it('validates parameters with Tencent codes and refuses a second recording of a room and unknown tasks', async () => {
    const roomId = randomRoomId();
    await publisher('vera', roomId, '#ff0000', 440);
    const client = api();
    const base = {
      SdkAppId: env.parley.sdkAppId,
      RoomId: String(roomId),
      UserId: 'bot',
      UserSig: 'sig',
    };
    expect(
      await codeOf(client.CreateCloudRecording({ ...base, StorageParams: STORAGE } as never)),
    ).toBe('MissingParameter.RecordParams');
    expect(
      await codeOf(
        client.CreateCloudRecording({
          ...base,
          RecordParams: { RecordMode: 3 },
          StorageParams: STORAGE,
        }),
      ),
    ).toBe('InvalidParameter.OutOfRange');
    expect(
      await codeOf(
        client.CreateCloudRecording({ ...base, RecordParams: { RecordMode: 1 } } as never),
      ),
    ).toBe('MissingParameter.StorageParams');
    expect(
      await codeOf(
        client.CreateCloudRecording({
          ...base,
          RoomId: String(roomId + 1),
          RecordParams: { RecordMode: 1 },
          StorageParams: STORAGE,
        }),
      ),
    ).toBe('FailedOperation.RoomNotExist');
    const { TaskId } = await client.CreateCloudRecording({
      ...base,
      RecordParams: { RecordMode: 1 },
      StorageParams: STORAGE,
    });
    expect(
      await codeOf(
        client.CreateCloudRecording({
          ...base,
          RecordParams: { RecordMode: 2 },
          StorageParams: STORAGE,
        }),
      ),
    ).toBe('FailedOperation.RestrictedConcurrency');
    expect(
      await codeOf(
        client.DescribeCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: 'nope' }),
      ),
    ).toBe('ResourceNotFound');
    expect(
      await codeOf(client.DeleteCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: 'nope' })),
    ).toBe('ResourceNotFound');
    await client.DeleteCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: TaskId! });
    expect(
      await codeOf(client.DeleteCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: TaskId! })),
    ).toBe('ResourceNotFound');
  });

  it("single-stream: Tencent's Node SDK records each user to an MP4 of their own (H.264 + AAC, their picture and tone, the recorded duration)", async () => {
    const roomId = randomRoomId();
    await publisher('alice', roomId, '#ff0000', 440);
    await publisher('bob', roomId, '#0000ff', 1200);
    const client = api();
    const askedAt = Date.now();
    const { TaskId } = await client.CreateCloudRecording({
      SdkAppId: env.parley.sdkAppId,
      RoomId: String(roomId),
      UserId: 'recorder',
      UserSig: env.parley.userSig('recorder'),
      RecordParams: { RecordMode: 1, StreamType: 0, MaxIdleTime: 30 },
      StorageParams: STORAGE,
      MixTranscodeParams: {
        VideoParams: { Width: 320, Height: 240, Fps: 15, BitRate: 500, Gop: 2 },
      },
    });
    const taskId = TaskId!;
    const described = await waitFor(
      'both users recorded',
      async () => {
        const d = await client.DescribeCloudRecording({
          SdkAppId: env.parley.sdkAppId,
          TaskId: taskId,
        });
        const task = env.parley.server.recordings.get(env.parley.sdkAppId, taskId);
        const running = task.jobs().filter((j) => j.pid !== null).length;
        return d.Status === 'InProgress' && d.StorageFileList?.length === 2 && running === 2
          ? d
          : null;
      },
      20_000,
    );
    const startLatency = Date.now() - askedAt;
    console.log(
      `[figure] single-stream recording of 2 users: InProgress with 2 pipelines ${startLatency} ms after CreateCloudRecording`,
    );
    expect(described.StorageFileList!.map((f) => f.UserId).sort()).toEqual(['alice', 'bob']);
    const task = env.parley.server.recordings.get(env.parley.sdkAppId, taskId);
    await waitFor(
      'both pipelines recording',
      async () => task.jobs().every((j) => j.running),
      20_000,
    );
    const pids = task.jobs().map((j) => j.pid!);
    const cpuBefore = pids.map(cpuMs);
    const cpuFrom = Date.now();
    // 3 s recorded: enough frames and sound to tell each user's colour and tone apart.
    await sleep(3000);
    const cpu = pids.map((pid, i) => cpuMs(pid) - cpuBefore[i]!);
    const cpuPct = cpu.map((ms) => (ms / (Date.now() - cpuFrom)) * 100);
    console.log(
      `[figure] CPU per single-stream recording pipeline (320x240 15 fps): ${cpuPct.map((p) => p.toFixed(1)).join(' %, ')} % of a core`,
    );
    await client.DeleteCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: taskId });
    const stoppedAt = Date.now();
    const files = task.files();
    expect(files).toHaveLength(2);
    // Both files read back side by side.
    await Promise.all(
      files.map(async (file) => {
        expect(file.path.startsWith(recordingDir(roomId, taskId))).toBe(true);
        const [probed, list, own, other] = await Promise.all([
          probeFile(file.path),
          frames(file.path, 32, 24),
          toneLevel(file.path, file.userId === 'alice' ? 440 : 1200),
          toneLevel(file.path, file.userId === 'alice' ? 1200 : 440),
        ]);
        expect(probed.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual([
          'audio:aac',
          'video:h264',
        ]);
        expect(probed.streams.find((s) => s.codec_type === 'video')).toMatchObject({
          width: 320,
          height: 240,
        });
        const recordedSeconds = (stoppedAt - file.beginMs) / 1000;
        const duration = Number(probed.format.duration);
        console.log(
          `[figure] ${file.userId}: file ${duration.toFixed(2)} s for ${recordedSeconds.toFixed(2)} s of recording`,
        );
        expect(Math.abs(duration - recordedSeconds)).toBeLessThanOrEqual(1);
        // Near the end (the last frames after EOS may be the background alone).
        const last = list.at(-5)!;
        // The bottom of each user's picture is their colour; the tone is theirs.
        expect(file.userId === 'alice' ? isRed(last(16, 20)) : isBlue(last(16, 20))).toBe(true);
        expect(own).toBeGreaterThan(other + 10);
      }),
    );
    const done = await client.DescribeCloudRecording({
      SdkAppId: env.parley.sdkAppId,
      TaskId: taskId,
    });
    expect(done.Status).toBe('Exited');
    // Callbacks: 301 start, a 310 per file (its name and times), 302 stop; all signed.
    const mine = await waitFor(
      'the recording callbacks',
      async () => {
        const list = received.filter(
          (c) => c.body.EventGroupId === 3 && c.body.EventInfo.TaskId === taskId,
        );
        return list.some((c) => c.body.EventType === 302) ? list : null;
      },
      15_000,
    );
    expect(refused).toEqual([]);
    expect(mine[0]!.body.EventType).toBe(301);
    expect(mine[0]!.body.EventInfo.UserId).toBe('recorder');
    const done310 = mine.filter((c) => c.body.EventType === 310);
    const names = done310.flatMap(
      (c) =>
        c.body.EventInfo.Payload!.FileMessage as Array<{
          FileName: string;
          UserId: string;
          StartTimeStamp: number;
          EndTimeStamp: number;
        }>,
    );
    expect(names.map((n) => n.FileName).sort()).toEqual(files.map((f) => f.fileName).sort());
    for (const n of names) expect(n.EndTimeStamp).toBeGreaterThan(n.StartTimeStamp);
    expect(mine.at(-1)!.body).toMatchObject({
      EventType: 302,
      EventInfo: { Payload: { LeaveCode: 0 } },
    });
  });

  it('mixed: an MP4 of the grid of both users and both tones; ModifyCloudRecording changes the layout live (the same file goes on)', async () => {
    const roomId = randomRoomId();
    await publisher('carol', roomId, '#ff0000', 440);
    await publisher('dave', roomId, '#0000ff', 1200);
    const client = api();
    const { TaskId } = await client.CreateCloudRecording({
      SdkAppId: env.parley.sdkAppId,
      RoomId: String(roomId),
      UserId: 'recorder',
      UserSig: env.parley.userSig('recorder'),
      RecordParams: { RecordMode: 2 },
      StorageParams: STORAGE,
      MixTranscodeParams: {
        VideoParams: { Width: 640, Height: 240, Fps: 15, BitRate: 600, Gop: 2 },
        AudioParams: { SampleRate: 1, Channel: 1, BitRate: 64 },
      },
      MixLayoutParams: { MixLayoutMode: 3 },
    });
    const taskId = TaskId!;
    const task = env.parley.server.recordings.get(env.parley.sdkAppId, taskId);
    await waitFor(
      'the mix recorded with both users',
      async () => {
        const job = task.jobs()[0];
        return job && job.pid !== null && job.layout.users.length === 2;
      },
      20_000,
    );
    // The pipeline running (a run that failed at start is made again: wait for it), then 2 s
    // of the grid recorded before the layout changes.
    await waitFor('the mix pipeline running', async () => task.jobs()[0]?.running, 20_000);
    await sleep(2000);
    const d = await client.DescribeCloudRecording({
      SdkAppId: env.parley.sdkAppId,
      TaskId: taskId,
    });
    expect(d.Status).toBe('InProgress');
    expect(d.StorageFileList!.length).toBeGreaterThanOrEqual(1);
    expect(d.StorageFileList![0]!.UserId).toBe('');
    const segments = task.files().length;
    const first = task.files().at(-1)!;
    const pid = task.jobs()[0]!.pid;
    const restartsBefore = task.jobs()[0]!.restarts;
    // ModifyCloudRecording: a custom layout, dave left and carol right, changed live.
    await client.ModifyCloudRecording({
      SdkAppId: env.parley.sdkAppId,
      TaskId: taskId,
      MixLayoutParams: {
        MixLayoutMode: 4,
        MixLayoutList: [
          { UserId: 'dave', Top: 0, Left: 0, Width: 320, Height: 240, ImageLayer: 1 },
          { UserId: 'carol', Top: 0, Left: 320, Width: 320, Height: 240, ImageLayer: 1 },
        ],
      },
    });
    // 3 s of the new layout recorded (it shows within 2 s of the change, see media out).
    await sleep(3000);
    // Changed live: no restart made for it, so the same pipeline and file go on (unless the
    // pipeline crashed meanwhile, which the supervisor restarts in a new segment).
    expect(task.jobs()[0]!.changes.restarts).toBe(0);
    expect(task.jobs()[0]!.changes.live).toBeGreaterThanOrEqual(1);
    if (task.jobs()[0]!.restarts === restartsBefore) {
      expect(task.jobs()[0]!.pid).toBe(pid);
      expect(task.files()).toHaveLength(segments);
    }
    await client.DeleteCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: taskId });
    // Every segment's frames in order (a pipeline that crashed meanwhile starts the next).
    const all: Awaited<ReturnType<typeof frames>> = [];
    for (const f of task.files()) all.push(...(await frames(f.path, 64, 24)));
    // The grid (carol red left, dave blue right) first, then the new layout.
    const grid = all.findIndex((f) => isRed(f(16, 20)) && isBlue(f(48, 20)));
    const swapped = all.findIndex((f) => isBlue(f(16, 20)) && isRed(f(48, 20)));
    expect(grid).toBeGreaterThanOrEqual(0);
    expect(swapped).toBeGreaterThan(grid);
    const files = task.files();
    const file = files.at(-1)!;
    expect(file.fileName >= first.fileName).toBe(true);
    const probed = await probeFile(file.path);
    expect(probed.streams.find((s) => s.codec_type === 'video')).toMatchObject({
      codec_name: 'h264',
      width: 640,
      height: 240,
    });
    expect(probed.streams.find((s) => s.codec_type === 'audio')).toMatchObject({
      codec_name: 'aac',
      sample_rate: '48000',
    });
    const last = all.at(-5)!;
    // After the change: dave (blue) left, carol (red) right.
    expect(isBlue(last(16, 20))).toBe(true);
    expect(isRed(last(48, 20))).toBe(true);
    expect(await toneLevel(file.path, 440)).toBeGreaterThan(-60);
    expect(await toneLevel(file.path, 1200)).toBeGreaterThan(-60);
  });

  it('a publisher whose socket is cut and who republishes keeps one recording with no gap over 1 s', async () => {
    const roomId = randomRoomId();
    const page = await publisher('erin', roomId, '#ff0000', 440);
    const client = api();
    const { TaskId } = await client.CreateCloudRecording({
      SdkAppId: env.parley.sdkAppId,
      RoomId: String(roomId),
      UserId: 'recorder',
      UserSig: env.parley.userSig('recorder'),
      RecordParams: { RecordMode: 1 },
      StorageParams: STORAGE,
      MixTranscodeParams: {
        VideoParams: { Width: 320, Height: 240, Fps: 15, BitRate: 500, Gop: 2 },
      },
    });
    const taskId = TaskId!;
    const task = env.parley.server.recordings.get(env.parley.sdkAppId, taskId);
    // Recording (its output moving) before the time it records.
    await waitFor('erin recorded', async () => task.jobs()[0]?.running, 20_000);
    await sleep(2500);
    // A signaling blip: the SDK reconnects and resumes.
    await page.evaluate(() => {
      for (const ws of (window as unknown as { __sockets: WebSocket[] }).__sockets)
        ws.close(3000, 'blip');
    });
    await waitFor(
      'erin connected again',
      () =>
        page.evaluate(() => {
          const states = (window as unknown as { __states: string[] }).__states;
          return states.includes('RECONNECTING') && states.at(-1) === 'CONNECTED';
        }),
      15_000,
    );
    await sleep(1500);
    // A republish: a new producer for the same user.
    const republishedAt = Date.now();
    await page.evaluate(async () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const w = window as any;
      await w.__client.unpublish(w.__stream);
      await w.__client.publish(w.__stream);
    });
    console.log(`[figure] republish took ${Date.now() - republishedAt} ms in the page`);
    await sleep(3000);
    await client.DeleteCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: taskId });
    const files = task.files().filter((f) => f.userId === 'erin');
    console.log(
      `[figure] erin's recording: ${files.length} segment(s): ${files.map((f) => f.fileName).join(', ')}`,
    );
    // The republished tracks are sent to the running pipeline's ports: one file.
    expect(files).toHaveLength(1);
    const codes = new Set<number>();
    for (const file of files) {
      const probed = await probeFile(file.path).catch(() => null);
      if (!probed || probed.streams.length === 0) continue;
      expect(probed.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
      for (const at of await frames(file.path, 160, 120)) {
        const code = timeCode(at, 160, 120);
        if (code !== null) codes.add(code);
      }
    }
    const sorted = [...codes].sort((a, b) => a - b);
    expect(sorted.length).toBeGreaterThan(50);
    let gap = 0;
    let gapAt = 0;
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]! - sorted[i - 1]! > gap) {
        gap = sorted[i]! - sorted[i - 1]!;
        gapAt = sorted[i - 1]!;
      }
    }
    const span = (sorted.at(-1)! - sorted[0]!) / 10;
    console.log(
      `[figure] largest gap in erin's recorded picture across a socket cut and a republish: ${gap * 100} ms (at code ${gapAt}); ${span.toFixed(1)} s of picture recorded`,
    );
    expect(gap * 100).toBeLessThanOrEqual(1000);
  });

  it('a crashed pipeline is restarted and the recording continues in a new segment', async () => {
    const roomId = randomRoomId();
    await publisher('finn', roomId, '#0000ff', 1200);
    const client = api();
    const { TaskId } = await client.CreateCloudRecording({
      SdkAppId: env.parley.sdkAppId,
      RoomId: String(roomId),
      UserId: 'recorder',
      UserSig: env.parley.userSig('recorder'),
      RecordParams: { RecordMode: 1 },
      StorageParams: STORAGE,
      MixTranscodeParams: {
        VideoParams: { Width: 320, Height: 240, Fps: 15, BitRate: 500, Gop: 2 },
      },
    });
    const taskId = TaskId!;
    const task = env.parley.server.recordings.get(env.parley.sdkAppId, taskId);
    // Recording (its output moving) before the time it records.
    await waitFor('finn recorded', async () => task.jobs()[0]?.running, 20_000);
    // Fragments of the first segment on disk (the kill keeps those) before the kill.
    await recordedAtLeast(task.files().at(-1)!.path, 1);
    const before = task.files().length;
    const pid = task.jobs()[0]!.pid!;
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      'a new segment written',
      async () => {
        const job = task.jobs()[0];
        return job && job.pid !== null && job.pid !== pid && task.files().length === before + 1;
      },
      20_000,
    );
    await recordedAtLeast(task.files().at(-1)!.path, 1);
    const d = await client.DescribeCloudRecording({
      SdkAppId: env.parley.sdkAppId,
      TaskId: taskId,
    });
    expect(d.StorageFileList!.length).toBe(before + 1);
    expect(new Set(d.StorageFileList!.map((f) => f.UserId))).toEqual(new Set(['finn']));
    await client.DeleteCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: taskId });
    const [first, second] = task.files().slice(before - 1);
    // The killed run's fragmented MP4 plays up to its last fragment; the new one to the end.
    for (const file of [first!, second!]) {
      const probed = await probeFile(file.path);
      expect(probed.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
      expect(Number(probed.format.duration)).toBeGreaterThan(0.5);
    }
    console.log(
      `[figure] pipeline crash: the next segment's pipeline started ${second!.beginMs - killedAt} ms after the kill`,
    );
  });

  it('a server stop (ParleyServer.close) finalises the files of a running recording', async () => {
    // A server of its own, stopped while it records.
    const parley = await startParley({
      PARLEY_API_SECRET_ID: API.secretId,
      PARLEY_API_SECRET_KEY: API.secretKey,
    });
    const app = await startAppOrigin(parley.origin);
    let closed = false;
    try {
      const roomId = randomRoomId();
      await publisher('gina', roomId, '#ff0000', 440, { appOrigin: app.origin, parley });
      const { TaskId } = await api(parley).CreateCloudRecording({
        SdkAppId: parley.sdkAppId,
        RoomId: String(roomId),
        UserId: 'recorder',
        UserSig: parley.userSig('recorder'),
        RecordParams: { RecordMode: 2 },
        StorageParams: STORAGE,
        MixTranscodeParams: {
          VideoParams: { Width: 320, Height: 240, Fps: 15, BitRate: 500, Gop: 2 },
        },
      });
      const task = parley.server.recordings.get(parley.sdkAppId, TaskId!);
      await waitFor('gina recorded', async () => task.jobs()[0]?.running, 20_000);
      await recordedAtLeast(task.files().at(-1)!.path, 2);
      // The files end at the EOS the close sends as it begins (the sessions leave first).
      const stoppedAt = Date.now();
      await parley.close();
      closed = true;
      const files = task.files();
      expect(task.status).toBe('Exited');
      expect(files.length).toBeGreaterThanOrEqual(1);
      const file = files.at(-1)!;
      expect(file.path.startsWith(recordingDir(roomId, TaskId!, parley))).toBe(true);
      const probed = await probeFile(file.path);
      expect(probed.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual([
        'audio:aac',
        'video:h264',
      ]);
      expect(
        Math.abs(Number(probed.format.duration) - (stoppedAt - file.beginMs) / 1000),
      ).toBeLessThanOrEqual(1);
      expect(isRed((await frames(file.path, 32, 24)).at(-5)!(16, 20))).toBe(true);
    } finally {
      await app.close();
      if (!closed) await parley.close();
    }
  });

  it('CloudStorage: StreamType 1 (audio only) files are uploaded to S3-compatible storage as they finish (303, 310 Status 0, 305); the object is the file and plays', async () => {
    env.parley.recordSecret(BUCKET_OWNER.SecretKey);
    const roomId = randomRoomId();
    await publisher('hana', roomId, '#ff0000', 440);
    const client = api();
    const { TaskId } = await client.CreateCloudRecording({
      SdkAppId: env.parley.sdkAppId,
      RoomId: String(roomId),
      UserId: 'recorder',
      UserSig: env.parley.userSig('recorder'),
      RecordParams: { RecordMode: 1, StreamType: 1 },
      StorageParams: {
        CloudStorage: { Vendor: 1, ...BUCKET_OWNER, FileNamePrefix: ['parley', 'e2e'] },
      },
    });
    const taskId = TaskId!;
    const task = env.parley.server.recordings.get(env.parley.sdkAppId, taskId);
    // Recording (its output moving) before the time it records.
    await waitFor('hana recorded', async () => task.jobs()[0]?.running, 20_000);
    await sleep(4000);
    await client.DeleteCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: taskId });
    const mine = await waitFor(
      'the upload callbacks',
      async () => {
        const list = received.filter(
          (c) => c.body.EventGroupId === 3 && c.body.EventInfo.TaskId === taskId,
        );
        return list.some((c) => c.body.EventType === 305) ? list : null;
      },
      60_000,
    );
    expect(refused).toEqual([]);
    const files = task.files();
    expect(files.length).toBeGreaterThanOrEqual(1);
    let uploadedSeconds = 0;
    for (const file of files) {
      expect(file.fileName).toMatch(/^hana_main_\d{3}_\d+\.m4a$/);
      expect(file.trackType).toBe('audio');
      const probed = await probeFile(file.path);
      expect(probed.streams.map((s) => `${s.codec_type}:${s.codec_name}`)).toEqual(['audio:aac']);
      expect(file.uploadedAs).toBe(`parley/e2e/${taskId}/${file.fileName}`);
      const object = s3.objects.get(`${BUCKET_OWNER.Bucket}/${file.uploadedAs!}`);
      expect(object?.equals(readFileSync(file.path))).toBe(true);
      // The object itself plays: the tone is in it.
      const copy = join(mkdtempSync(join(tmpdir(), 'uploaded-')), file.fileName);
      writeFileSync(copy, object!);
      const uploaded = await probeFile(copy);
      expect(uploaded.streams.map((s) => s.codec_type)).toEqual(['audio']);
      uploadedSeconds += Number(uploaded.format.duration);
      expect(await toneLevel(copy, 440)).toBeGreaterThan((await toneLevel(copy, 1200)) + 10);
    }
    // ~4 s recorded (a loaded machine may have cut it into segments).
    expect(uploadedSeconds).toBeGreaterThan(2);
    const types = mine.map((c) => c.body.EventType);
    expect(types.slice(0, 2)).toEqual([301, 303]);
    expect(mine.find((c) => c.body.EventType === 303)!.body.EventInfo.Payload).toEqual({
      Status: 0,
    });
    const done = mine.filter((c) => c.body.EventType === 310);
    expect(done.map((c) => c.body.EventInfo.Payload!.Status)).toEqual(files.map(() => 0));
    expect(done.flatMap((c) => c.body.EventInfo.Payload!.FileList as string[]).sort()).toEqual(
      files.map((f) => f.fileName).sort(),
    );
    expect(mine.at(-1)!.body.EventType).toBe(305);
    expect(mine.at(-1)!.body.EventInfo.Payload).toEqual({
      Status: 0,
      FileList: files.map((f) => f.fileName),
    });
  });

  it('CloudStorage with a wrong secret: StreamType 2 (video only) mix, 310 Status 1 with the cause, 305 Status 1, the file kept locally', async () => {
    const wrong = 'not-the-bucket-secret-9';
    env.parley.recordSecret(wrong);
    const roomId = randomRoomId();
    await publisher('ivan', roomId, '#0000ff', 1200);
    const client = api();
    const { TaskId } = await client.CreateCloudRecording({
      SdkAppId: env.parley.sdkAppId,
      RoomId: String(roomId),
      UserId: 'recorder',
      UserSig: env.parley.userSig('recorder'),
      RecordParams: { RecordMode: 2, StreamType: 2 },
      StorageParams: { CloudStorage: { Vendor: 1, ...BUCKET_OWNER, SecretKey: wrong } },
      MixTranscodeParams: {
        VideoParams: { Width: 320, Height: 240, Fps: 15, BitRate: 500, Gop: 2 },
      },
    });
    const taskId = TaskId!;
    const task = env.parley.server.recordings.get(env.parley.sdkAppId, taskId);
    // Recording (its output moving) before the time it records.
    await waitFor('ivan recorded', async () => task.jobs()[0]?.running, 20_000);
    await recordedAtLeast(task.files().at(-1)!.path, 2);
    await client.DeleteCloudRecording({ SdkAppId: env.parley.sdkAppId, TaskId: taskId });
    const mine = await waitFor(
      'the upload callbacks',
      async () => {
        const list = received.filter(
          (c) => c.body.EventGroupId === 3 && c.body.EventInfo.TaskId === taskId,
        );
        return list.some((c) => c.body.EventType === 305) ? list : null;
      },
      60_000,
    );
    const files = task.files();
    expect(files.length).toBeGreaterThanOrEqual(1);
    for (const file of files) {
      expect(file.trackType).toBe('video');
      expect(file.uploadedAs).toBeNull();
      expect(existsSync(file.path)).toBe(true);
      const probed = await probeFile(file.path);
      expect(probed.streams.map((s) => `${s.codec_type}:${s.codec_name}`)).toEqual(['video:h264']);
      expect(isBlue((await frames(file.path, 32, 24)).at(-5)!(16, 20))).toBe(true);
    }
    const done = mine.filter((c) => c.body.EventType === 310);
    expect(done).toHaveLength(files.length);
    for (const c of done) {
      expect(c.body.EventInfo.Payload).toMatchObject({ Status: 1 });
      expect(String(c.body.EventInfo.Payload!.UploadError)).toMatch(
        /^SignatureDoesNotMatch \(HTTP 403\)/,
      );
    }
    expect(mine.at(-1)!.body.EventInfo.Payload).toMatchObject({
      Status: 1,
      FileList: [],
      FailedFileList: files.map((f) => ({
        FileName: f.fileName,
        Error: expect.stringMatching(/SignatureDoesNotMatch/) as unknown,
      })),
    });
    expect([...s3.objects.keys()].some((k) => k.includes(taskId))).toBe(false);
  });
});
