/** The Debian packages the benches drive, installed when missing, and Janus's version. */
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
