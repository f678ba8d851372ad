/**
 * The Debian packages the benches drive, installed when missing, Janus's version, and the
 * build of Parley they measure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function ensureTools(withRedis = false): void {
  const missing = [
    ['ffmpeg', '/usr/bin/ffmpeg'],
    ['janus', '/usr/bin/janus'],
    ['chromium', '/usr/bin/chromium'],
    ...(withRedis ? [['redis-server', '/usr/bin/redis-server']] : []),
  ].filter(([, path]) => !existsSync(path!));
  if (!missing.length) return;
  const names = missing.map(([name]) => name!);
  console.log(`installing ${names.join(', ')} (apt-get)…`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...names], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  // Debian's package starts a system Redis on 6379 (and at every boot): the cluster bench runs
  // its own, in the servers' namespace.
  if (names.includes('redis-server') && existsSync('/etc/init.d/redis-server')) {
    spawnSync('/etc/init.d/redis-server', ['stop'], { stdio: 'ignore' });
    spawnSync('update-rc.d', ['redis-server', 'disable'], { stdio: 'ignore' });
    spawnSync('systemctl', ['disable', '--now', '--quiet', 'redis-server'], { stdio: 'ignore' });
  }
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
