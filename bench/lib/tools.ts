/**
 * The Debian packages the benches drive, installed when missing, Janus's version, and the
 * build of Parley they measure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function ensureTools(): void {
  const missing = [
    ['ffmpeg', '/usr/bin/ffmpeg'],
    ['janus', '/usr/bin/janus'],
    ['chromium', '/usr/bin/chromium'],
  ].filter(([, path]) => !existsSync(path!));
  if (!missing.length) return;
  const names = missing.map(([name]) => name!);
  console.log(`installing ${names.join(', ')} (apt-get)…`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...names], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export function janusVersion(): string {
  const out = spawnSync('janus', ['--version'], { encoding: 'utf8' });
  return `${out.stdout}${out.stderr}`.match(/\(([\d.]+)\)/)?.[1] ?? '';
}

const ROOT = new URL('../../', import.meta.url).pathname;

/** Builds Parley (npm run build) before a bench measures it; 5 minutes at most. */
export function buildParley(): void {
  console.log('building Parley (npm run build)…');
  execFileSync('npm', ['run', 'build', '--silent'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 300_000,
  });
}
