/**
 * A camera picture that costs real bits: Chrome's built-in fake camera compresses to a few
 * hundred kbit/s whatever the path, so quality tests feed a 720p `.y4m` of ffmpeg's
 * `testsrc2` under temporal noise instead (Chrome loops the file). Made once per checkout
 * under the gitignored `.parley/media/` (CI machines start clean), in a few seconds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface TestVideo {
  path: string;
  width: number;
  height: number;
  frameRate: number;
}

/** 2 s at 15 fps: 30 frames of 1.4 MB (41 MB); enough, as the noise differs per frame. */
const VIDEO = { width: 1280, height: 720, frameRate: 15, seconds: 2 } as const;

/** The high-entropy 720p clip, generated on first use; throws saying how to get ffmpeg. */
export function highEntropyVideo(): TestVideo {
  const { width, height, frameRate, seconds } = VIDEO;
  const path = join(
    ROOT,
    '.parley',
    'media',
    `noise-${width}x${height}-${frameRate}fps-${seconds}s.y4m`,
  );
  const frameBytes = (width * height * 3) / 2;
  if (existsSync(path) && statSync(path).size >= frameBytes * frameRate * seconds) {
    return { path, width, height, frameRate };
  }
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  const result = spawnSync(
    'ffmpeg',
    [
      ...['-v', 'error', '-y', '-f', 'lavfi'],
      ...['-i', `testsrc2=size=${width}x${height}:rate=${frameRate},noise=alls=30:allf=t+u`],
      ...['-t', String(seconds), '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', partial],
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.error || result.status !== 0) {
    const why = result.error?.message ?? result.stderr;
    throw new Error(
      `could not make the test video with ffmpeg (${why.trim()}); install it (Debian: apt-get install -y ffmpeg)`,
    );
  }
  renameSync(partial, path);
  return { path, width, height, frameRate };
}
