#!/usr/bin/env node
/**
 * `npm install` (postinstall): the Debian packages media out needs (GStreamer: mixing and
 * CDN relay, see docs/media-out.md). As root they are installed with apt-get (unless
 * PARLEY_SKIP_APT=1); otherwise they are named. Media out is optional: the server runs without it (and says so at start-up), so
 * this never fails the install.
 */
import { spawnSync } from 'node:child_process';

// Keep in step with packages/server/src/mediaOut/availability.ts (MEDIA_OUT_PACKAGES).
export const MEDIA_OUT_PACKAGES = [
  'gstreamer1.0-tools',
  'gstreamer1.0-plugins-base',
  'gstreamer1.0-plugins-good',
  'gstreamer1.0-plugins-bad',
  'gstreamer1.0-plugins-ugly',
  'gstreamer1.0-libav',
  // The pipeline program (packages/server/gst/parley-pipeline.py): Python's GStreamer bindings.
  'python3-gi',
  'gir1.2-gstreamer-1.0',
];

const log = (message) => process.stdout.write(`parley: ${message}\n`);

function missingPackages() {
  const result = spawnSync(
    'dpkg-query',
    ['-W', '-f=${Package} ${db:Status-Status}\\n', ...MEDIA_OUT_PACKAGES],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (result.error) return null; // not Debian
  const installed = new Set(
    result.stdout
      .split('\n')
      .filter((line) => line.endsWith(' installed'))
      .map((line) => line.split(' ')[0].replace(/:.*$/, '')),
  );
  return MEDIA_OUT_PACKAGES.filter((name) => !installed.has(name));
}

// PARLEY_SKIP_APT=1: never run apt-get (CI images, hosts managed otherwise); only name them.
const skipApt = process.env.PARLEY_SKIP_APT === '1';
const missing = missingPackages();
if (missing === null) {
  log(
    `media out (mixing, CDN relay) needs GStreamer 1.22 with x264, libav and rtmp2 plugins; see docs/media-out.md`,
  );
} else if (missing.length > 0) {
  const command = `apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0 || skipApt) {
    log(
      `media out (mixing, CDN relay) needs these Debian packages: ${missing.join(' ')}\n` +
        `Install them with:  sudo apt-get update && sudo ${command}\n` +
        'The server runs without them and refuses mixing and relays until they are there.',
    );
  } else {
    log(`installing ${missing.join(' ')} with apt-get (media out)`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // Short: an install must not hang for long on a busy apt lock or a slow mirror.
    const lock = ['-o', 'DPkg::Lock::Timeout=60'];
    for (const args of [
      [...lock, 'update', '-qq'],
      [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...missing],
    ]) {
      if (spawnSync('apt-get', args, { env, stdio: 'inherit', timeout: 180_000 }).status !== 0) {
        process.stderr.write(
          `parley: "apt-get ${args.join(' ')}" failed; media out stays unavailable until ${missing.join(' ')} are installed.\n`,
        );
        break;
      }
    }
  }
}
