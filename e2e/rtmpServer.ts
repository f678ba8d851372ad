/**
 * A local RTMP receiver for the media-out tests: Debian's nginx with libnginx-mod-rtmp, run by
 * the test with its own configuration in a temp dir (no system service), on loopback ports:
 * RTMP (application `live`: publish and play) and HTTP (`/stat`: which streams are being
 * published now). Output is read back with ffprobe/ffmpeg from `rtmp://127.0.0.1:port/live/<name>`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export interface RtmpServer {
  port: number;
  /** rtmp://127.0.0.1:port/live/<name> */
  url(name: string): string;
  /** Names of the streams being published now. */
  publishing(): Promise<string[]>;
  close(): Promise<void>;
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function rtmpAvailable(): boolean {
  return existsSync('/usr/sbin/nginx') && existsSync(RTMP_MODULE);
}

export async function startRtmpServer(): Promise<RtmpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-rtmp-'));
  const port = await freeTcpPort();
  const statPort = await freeTcpPort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `load_module ${RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    application live { live on; record off; wait_key on; wait_video on; }
  }
}
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${statPort};
    location /stat { rtmp_stat all; }
  }
}
`,
  );
  const child: ChildProcess = spawn(
    'nginx',
    ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port)) || !(await accepts(statPort))) {
    if (child.exitCode !== null)
      throw new Error(`nginx exited (${child.exitCode}); see ${dir}/error.log`);
    if (Date.now() > deadline)
      throw new Error(`nginx did not listen within 10 s; see ${dir}/error.log`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    url: (name) => `rtmp://127.0.0.1:${port}/live/${name}`,
    publishing: async () => {
      const response = await fetch(`http://127.0.0.1:${statPort}/stat`, {
        signal: AbortSignal.timeout(5000),
      });
      const xml = await response.text();
      // <stream><name>x</name>…<publishing/>…</stream>
      return [...xml.matchAll(/<stream>([\s\S]*?)<\/stream>/g)]
        .filter((m) => m[1]!.includes('<publishing/>'))
        .map((m) => /<name>([^<]*)<\/name>/.exec(m[1]!)?.[1] ?? '');
    },
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface ProbedStream {
  codec_type: 'video' | 'audio';
  codec_name: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  /** The frame rate of the stream (r_frame_rate is ffprobe's guess from FLV's millisecond time stamps). */
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
}

function run(command: string, args: string[], timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, encoding: 'buffer', maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${command} failed: ${error.message} ${stderr.toString().slice(-500)}`));
        else resolve(stdout);
      },
    );
  });
}

/** ffprobe's streams of an RTMP URL. */
export async function probe(url: string): Promise<ProbedStream[]> {
  const out = await run(
    'ffprobe',
    ['-v', 'error', '-rw_timeout', '8000000', '-show_streams', '-of', 'json', url],
    15_000,
  );
  return (JSON.parse(out.toString()) as { streams: ProbedStream[] }).streams;
}

/** One decoded video frame as RGB24, with its size. */
export interface Frame {
  width: number;
  height: number;
  /** [r, g, b] at (x, y) */
  at(x: number, y: number): [number, number, number];
}

export async function grabFrame(url: string, width: number, height: number): Promise<Frame> {
  // A few frames in: the first one may be decoded from the keyframe before the boxes filled.
  const raw = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-rw_timeout',
      '8000000',
      '-i',
      url,
      '-vf',
      'select=gte(n\\,3)',
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    15_000,
  );
  if (raw.length < width * height * 3) {
    throw new Error(`a ${width}×${height} frame is ${width * height * 3} bytes, got ${raw.length}`);
  }
  return {
    width,
    height,
    at: (x, y) => {
      const i = (y * width + x) * 3;
      return [raw[i]!, raw[i + 1]!, raw[i + 2]!];
    },
  };
}

/** Mean volume (dB) of `seconds` of the audio, after a band-pass around `hz` (none: all). */
export async function meanVolume(url: string, seconds: number, hz?: number): Promise<number> {
  const filter = `${hz ? `bandpass=f=${hz}:width_type=h:w=60,` : ''}volumedetect`;
  const { stderr } = await new Promise<{ stderr: string }>((resolve, reject) => {
    execFile(
      'ffmpeg',
      [
        '-v',
        'info',
        '-rw_timeout',
        '8000000',
        '-i',
        url,
        '-t',
        String(seconds),
        '-vn',
        '-af',
        filter,
        '-f',
        'null',
        '-',
      ],
      { timeout: 15_000 + seconds * 1000 },
      (error, _stdout, stderrText) => (error ? reject(error) : resolve({ stderr: stderrText })),
    );
  });
  const match = /mean_volume: (-?[\d.]+) dB/.exec(stderr);
  if (!match) throw new Error(`no volumedetect result: ${stderr.slice(-300)}`);
  return Number(match[1]);
}

/**
 * Reads an RTMP stream continuously (ffmpeg without buffering, RGB24 frames) and notes when
 * each frame arrived: for latencies (a change in a source → the frame that shows it). The
 * reader reconnects when the stream restarts.
 */
export class FrameWatcher {
  #child: ChildProcess | null = null;
  #buffer = Buffer.alloc(0);
  #lastFrameAt = Date.now();
  #framesThisRun = 0;
  readonly #stallTimer: NodeJS.Timeout;
  #closed = false;
  #waiters: Array<{
    test: (frame: Frame) => boolean;
    resolve: (at: number, frame: Frame) => void;
  }> = [];
  last: Frame | null = null;
  /** Connections made so far (1 + reconnections: the stream stalled or restarted). */
  connections = 0;

  constructor(
    private readonly url: string,
    private readonly width: number,
    private readonly height: number,
  ) {
    this.#spawn();
    // A publisher that restarts leaves nginx's players connected but fed nothing: reconnect.
    this.#stallTimer = setInterval(() => {
      // Frames came and stopped: the stream restarted. None yet: give the connect 6 s.
      if (Date.now() - this.#lastFrameAt > (this.#framesThisRun > 0 ? 600 : 6000)) {
        this.#lastFrameAt = Date.now();
        this.#child?.kill('SIGKILL');
      }
    }, 250);
  }

  #spawn(): void {
    if (this.#closed) return;
    this.connections++;
    const child = spawn(
      'ffmpeg',
      [
        '-v',
        'error',
        '-fflags',
        'nobuffer',
        '-flags',
        'low_delay',
        // A short probe: ffmpeg otherwise reads seconds of the stream before its first frame.
        '-probesize',
        '32768',
        '-analyzeduration',
        '200000',
        '-rw_timeout',
        '8000000',
        '-i',
        this.url,
        '-an',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    this.#child = child;
    this.#framesThisRun = 0;
    this.#lastFrameAt = Date.now();
    const size = this.width * this.height * 3;
    child.stdout!.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      while (this.#buffer.length >= size) {
        const raw = this.#buffer.subarray(0, size);
        this.#buffer = this.#buffer.subarray(size);
        const at = Date.now();
        this.#lastFrameAt = at;
        this.#framesThisRun++;
        const frame: Frame = {
          width: this.width,
          height: this.height,
          at: (x, y) => {
            const i = (y * this.width + x) * 3;
            return [raw[i]!, raw[i + 1]!, raw[i + 2]!];
          },
        };
        this.last = frame;
        this.#waiters = this.#waiters.filter((w) => {
          if (!w.test(frame)) return true;
          w.resolve(at, frame);
          return false;
        });
      }
    });
    child.once('exit', () => {
      this.#buffer = Buffer.alloc(0);
      if (!this.#closed) setTimeout(() => this.#spawn(), 100);
    });
  }

  /** Resolves with the arrival time (Date.now()) of the first frame from now on that passes. */
  async next(test: (frame: Frame) => boolean, timeoutMs = 20_000): Promise<number> {
    return (await this.nextFrame(test, timeoutMs)).at;
  }

  /** The first frame from now on that passes `test`, and when it arrived (Date.now()). */
  nextFrame(
    test: (frame: Frame) => boolean,
    timeoutMs = 20_000,
  ): Promise<{ at: number; frame: Frame }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no such frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (at: number, frame: Frame) => {
        clearTimeout(timer);
        resolve({ at, frame });
      };
      this.#waiters.push({ test, resolve: done });
    });
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#stallTimer);
    this.#child?.kill('SIGKILL');
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line (11 and 12 after the command).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
