/**
 * Starts a recording pipeline (the arguments the server gives gst-launch-1.0 for a
 * single-stream recording) many times in a row against a live VP8 + Opus RTP sender, and
 * counts the runs that fail: the proof for mp4mux's "Buffer has no PTS" at start.
 *
 *   npx tsx e2e/tools/recordingStarts.ts [runs=24] [--without ELEMENT]
 *
 * `--without videorate` drops that element from the pipeline to see the failure again.
 * Each run records ~3 s, ends with SIGINT (EOS) and is checked with ffprobe (H.264 + AAC,
 * at least 1.5 s long: the 3 s are counted from the process start). Prints one line per run and a summary; exits 1 if any run failed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gstLaunchArgs } from '../../packages/server/src/mediaOut/pipeline.js';

const VIDEO_PORT = 39400;
const AUDIO_PORT = 39402;

function sender(): ChildProcess {
  return spawn(
    'gst-launch-1.0',
    [
      '-q',
      'videotestsrc',
      'is-live=true',
      'pattern=ball',
      '!',
      'video/x-raw,width=320,height=240,framerate=15/1',
      '!',
      'vp8enc',
      'deadline=1',
      'keyframe-max-dist=30',
      '!',
      'rtpvp8pay',
      'pt=101',
      '!',
      'udpsink',
      'host=127.0.0.1',
      `port=${VIDEO_PORT}`,
      'audiotestsrc',
      'is-live=true',
      'freq=440',
      '!',
      'audio/x-raw,rate=48000,channels=2',
      '!',
      'opusenc',
      '!',
      'rtpopuspay',
      'pt=100',
      '!',
      'udpsink',
      'host=127.0.0.1',
      `port=${AUDIO_PORT}`,
    ],
    { stdio: 'ignore' },
  );
}

/** Removes `element` and its properties (up to the next `!`) from gst-launch arguments. */
function without(args: string[], element: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== element) {
      out.push(args[i]!);
      continue;
    }
    while (i < args.length && args[i] !== '!') i++; // skip it and its properties, and the `!`
  }
  return out;
}

function probe(path: string): Promise<{ streams: string[]; duration: number }> {
  return new Promise((resolve) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path],
      { timeout: 20_000 },
      (error, stdout) => {
        if (error) {
          console.error(String(error));
          return resolve({ streams: [], duration: 0 });
        }
        const j = JSON.parse(stdout) as {
          streams: Array<{ codec_name: string }>;
          format: { duration?: string };
        };
        resolve({
          streams: j.streams.map((s) => s.codec_name).sort(),
          duration: Number(j.format.duration ?? 0),
        });
      },
    );
  });
}

/** One run: plays until it has written 3 s (progressreport), then EOS. */
function record(args: string[]): Promise<{ ok: boolean; error: string }> {
  return new Promise((resolve) => {
    const child = spawn('gst-launch-1.0', ['-e', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stopping = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      // Once: a second SIGINT would kill gst-launch before EOS finishes the file.
      if (!stopping && /\(00:00:0[3-9]\)/.test(out)) {
        stopping = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timeout);
      const error = /ERROR: .*\n(?:.*\n){0,3}/.exec(out)?.[0].replace(/\s+/g, ' ') ?? '';
      resolve({ ok: code === 0 && error === '', error: error || (code ? `exit ${code}` : '') });
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runs = Number(argv.find((a) => /^\d+$/.test(a)) ?? 24);
  const drop = argv.includes('--without') ? argv[argv.indexOf('--without') + 1] : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'recording-starts-'));
  const send = sender();
  let failed = 0;
  try {
    for (let i = 1; i <= runs; i++) {
      const path = join(dir, `run${i}.mp4`);
      let args = gstLaunchArgs({
        video: { width: 320, height: 240, fps: 15, bitrateKbps: 300, gopSeconds: 2, background: 0 },
        audio: { sampleRate: 48000, channels: 2, bitrateKbps: 64 },
        inputs: [
          {
            kind: 'video',
            port: VIDEO_PORT,
            codec: { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 },
            box: { x: 0, y: 0, width: 320, height: 240, zOrder: 1, fit: 'fit' },
          },
          {
            kind: 'audio',
            port: AUDIO_PORT,
            codec: { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 },
          },
        ],
        sink: { kind: 'file', path },
      });
      if (drop) args = without(args, drop);
      const run = await record(args);
      const probed = run.ok ? await probe(path) : { streams: [], duration: 0 };
      const playable = probed.streams.join(',') === 'aac,h264' && probed.duration >= 1.5;
      if (!run.ok || !playable) failed++;
      console.log(
        `run ${i}: ${run.ok && playable ? 'ok' : 'FAILED'} ${probed.streams.join('+')} ${probed.duration.toFixed(2)} s ${run.error}`,
      );
      rmSync(path, { force: true });
    }
  } finally {
    send.kill('SIGINT');
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `${runs - failed}/${runs} recording pipelines started and played${drop ? ` (without ${drop})` : ''}`,
  );
  process.exitCode = failed ? 1 : 0;
}

void main();
