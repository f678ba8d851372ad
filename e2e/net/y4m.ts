/**
 * A high-entropy 720p camera for Chromium (`--use-file-for-fake-video-capture`): ffmpeg
 * testsrc2 with temporal noise, which no encoder squeezes to a few hundred kbit/s the way it
 * does Chrome's built-in fake camera. Made once and cached in e2e/.cache (gitignored).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CACHE = fileURLToPath(new URL('../.cache/', import.meta.url));

/** Path of the .y4m (1280×720, 30 fps, 3 s looped by Chromium), made on first use. */
export function highEntropy720p(): string {
  const file = `${CACHE}testsrc2-noise-1280x720-30.y4m`;
  if (existsSync(file)) return file;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${file}.${process.pid}.partial.y4m`;
  execFileSync(
    'ffmpeg',
    [
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=30',
      '-vf',
      'noise=alls=24:allf=t+u',
      '-t',
      '3',
      '-pix_fmt',
      'yuv420p',
      partial,
    ],
    { timeout: 120_000, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // Atomic: a concurrent maker or a killed run never leaves half a file under the real name.
  renameSync(partial, file);
  return file;
}

/** Chromium arguments that make its camera the high-entropy picture. */
export const highEntropyCameraArgs = (): string[] => [
  `--use-file-for-fake-video-capture=${highEntropy720p()}`,
];
