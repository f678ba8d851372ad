#!/usr/bin/env node
/**
 * Root `postinstall`: makes sure mediasoup's C++ worker binary exists, once per machine.
 *
 * npm 11 does not run mediasoup's own postinstall (root package.json: allowScripts), and that
 * script fails offline anyway (it downloads from GitHub and pip). So, in order:
 *   1. the binary already in node_modules runs                    -> done
 *   2. a build for this mediasoup version + patch is in the cache -> copy it in place
 *      (npm ci wipes node_modules; ~/.cache survives)
 *   3. mediasoup's prebuilt binary downloads from GitHub and runs -> use it
 *   4. otherwise build from the package's sources against Debian's libraries, with
 *      scripts/mediasoup/mediasoup-<version>.patch applied, and cache the result.
 * MEDIASOUP_WORKER_BIN=<path> (mediasoup's own run-time override) makes this do nothing.
 * After `npm install --ignore-scripts`, run `node scripts/mediasoup-worker.mjs` by hand.
 */
/* global fetch, AbortController */
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PATCH_DIR = path.join(ROOT, 'scripts', 'mediasoup');
const APT_PACKAGES = [
  'build-essential',
  'pkg-config',
  'patch',
  'meson',
  'ninja-build',
  'libssl-dev',
  'libuv1-dev',
  'libsrtp2-dev',
  'flatbuffers-compiler',
  'libflatbuffers-dev',
];
// Written next to a binary this script installed, so a changed patch is noticed.
const STAMP_NAME = '.parley-build-key';

const log = (line) => process.stdout.write(`parley: ${line}\n`);

/** Cache directory name: the mediasoup version plus a hash of our patch (builds are reproducible). */
export function cacheKey(version, patchBytes) {
  return `${version}-${createHash('sha256').update(patchBytes).digest('hex').slice(0, 16)}`;
}

/** The prebuilt tarball name, as mediasoup's npm-scripts.mjs computes it. */
export function prebuiltTarName(version, platform, arch, kernelRelease) {
  // On Linux it names the kernel major version (kernels >= 6 get the io_uring build).
  const kernel = platform === 'linux' ? `-kernel${Number(kernelRelease.split('.')[0])}` : '';
  return `mediasoup-worker-${version}-${platform}-${arch}${kernel}.tgz`;
}

/** The contents of the regular file `name` in an (uncompressed) tar archive, or null. */
export function extractFromTar(tar, name) {
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break; // end-of-archive block
    const field = (start, length) =>
      header
        .subarray(start, start + length)
        .toString('latin1')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const entryName = path.posix.basename(field(345, 155) + '/' + field(0, 100));
    const body = offset + 512;
    if ((type === '0' || type === '') && entryName === name) return tar.subarray(body, body + size);
    offset = body + Math.ceil(size / 512) * 512; // skips pax headers and other entries too
  }
  return null;
}

/** mediasoup-worker exits with 41 when MEDIASOUP_VERSION is missing: proof that it loads and runs. */
function runs(binary) {
  if (!fs.existsSync(binary)) return false;
  const result = spawnSync(binary, [], { env: {}, stdio: 'ignore', timeout: 10_000 });
  return result.status === 41;
}

/** Copies `source` to `destination` atomically (a half-written binary must never be found). */
function installFile(source, destination) {
  fs.mkdirSync(path.dirname(destination), { recursive: true });
  const temporary = `${destination}.${process.pid}.tmp`;
  fs.copyFileSync(source, temporary);
  fs.chmodSync(temporary, 0o755);
  fs.renameSync(temporary, destination);
}

async function downloadPrebuilt(version, destination) {
  if (process.env.MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD) return false;
  const base =
    process.env.MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL ??
    'https://github.com/versatica/mediasoup/releases/download';
  const url = `${base}/${version}/${prebuiltTarName(version, os.platform(), os.arch(), os.release())}`;
  // Offline, this must fail fast: 8 s to get an answer. The body (a few MB) gets a minute.
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), 8_000);
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok) {
      log(`no prebuilt mediasoup-worker (${response.status} from ${url})`);
      return false;
    }
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), 60_000);
    const binary = extractFromTar(
      gunzipSync(Buffer.from(await response.arrayBuffer())),
      'mediasoup-worker',
    );
    if (!binary) return false;
    const temporary = `${destination}.${process.pid}.download`;
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.writeFileSync(temporary, binary, { mode: 0o755 });
    // Prebuilt binaries can need a newer glibc than this machine has.
    if (!runs(temporary)) {
      fs.rmSync(temporary, { force: true });
      log('the prebuilt mediasoup-worker does not run on this machine');
      return false;
    }
    fs.renameSync(temporary, destination);
    return true;
  } catch (error) {
    log(`could not download a prebuilt mediasoup-worker (${error.cause?.code ?? error.name})`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function missingAptPackages() {
  const result = spawnSync(
    'dpkg-query',
    ['-W', '-f=${Package} ${db:Status-Status}\\n', ...APT_PACKAGES],
    {
      encoding: 'utf8',
    },
  );
  if (result.error) return []; // not Debian: let meson say what is missing
  const installed = new Set(
    result.stdout
      .split('\n')
      .filter((line) => line.endsWith(' installed'))
      .map((line) => line.split(' ')[0].replace(/:.*$/, '')),
  );
  return APT_PACKAGES.filter((name) => !installed.has(name));
}

function ensureAptPackages() {
  const missing = missingAptPackages();
  if (missing.length === 0) return;
  const command = `apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      `parley: building mediasoup-worker needs these Debian packages: ${missing.join(' ')}\n` +
        `Install them with:  sudo apt-get update && sudo ${command}\n` +
        'then run npm install again (or: node scripts/mediasoup-worker.mjs).\n',
    );
    process.exit(1);
  }
  log(`installing ${missing.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Waits for another apt (a fresh machine's unattended-upgrades, say) instead of failing.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  for (const args of [
    [...lock, 'update', '-qq'],
    [...lock, 'install', '-y', '-qq', ...missing],
  ]) {
    if (spawnSync('apt-get', args, { env, stdio: 'inherit' }).status !== 0) {
      process.stderr.write(`parley: "apt-get ${args.join(' ')}" failed; see above.\n`);
      process.exit(1);
    }
  }
}

function build(workerSources, patchFile, logFile) {
  const buildRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-mediasoup-'));
  const source = path.join(buildRoot, 'worker');
  const out = path.join(buildRoot, 'build');
  // Build outside node_modules, from a copy: the package's own files stay untouched.
  fs.cpSync(workerSources, source, {
    recursive: true,
    // Leave out earlier build output and what mediasoup's own postinstall may have left.
    filter: (file) =>
      !['out', 'prebuild', 'pip_invoke'].includes(path.relative(workerSources, file)),
  });
  fs.writeFileSync(logFile, '');
  // ~470 MB per compiler process: one job per GB of RAM, at most one per core.
  const jobs = String(
    Math.max(1, Math.min(os.availableParallelism(), Math.floor(os.totalmem() / 1e9))),
  );
  const steps = [
    ['patch', ['-p1', '--forward', '--batch', '-i', patchFile], source],
    [
      'meson',
      ['setup', '--wrap-mode=nodownload', '--buildtype', 'release', '-Db_ndebug=true', out],
      source,
    ],
    // The generated FlatBuffers headers first, then the worker, as mediasoup's tasks.py does.
    ['meson', ['compile', '-C', out, '-j', jobs, 'flatbuffers-generator'], source],
    ['meson', ['compile', '-C', out, '-j', jobs, 'mediasoup-worker'], source],
  ];
  for (const [command, args, cwd] of steps) {
    fs.appendFileSync(logFile, `\n$ ${command} ${args.join(' ')}\n`);
    const fd = fs.openSync(logFile, 'a');
    const result = spawnSync(command, args, { cwd, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    if (result.status !== 0) {
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      process.stderr.write(
        `${tail}\nparley: building mediasoup-worker failed at "${command}" ` +
          `(${result.error?.message ?? `exit ${result.status}`}).\n` +
          `Full log: ${logFile}; build directory kept at ${buildRoot}\n`,
      );
      process.exit(1);
    }
  }
  return { binary: path.join(out, 'mediasoup-worker'), buildRoot };
}

async function main() {
  const override = process.env.MEDIASOUP_WORKER_BIN;
  // mediasoup uses this binary instead of its own; 'skip' only silences mediasoup's postinstall.
  if (override && override !== 'skip') return;

  const mediasoupDir = [
    path.join(ROOT, 'node_modules', 'mediasoup'),
    path.join(ROOT, 'packages', 'server', 'node_modules', 'mediasoup'),
  ].find((dir) => fs.existsSync(path.join(dir, 'package.json')));
  if (!mediasoupDir) return; // e.g. installed with --omit: nothing needs the worker

  const { version } = JSON.parse(fs.readFileSync(path.join(mediasoupDir, 'package.json'), 'utf8'));
  const patchFile = path.join(PATCH_DIR, `mediasoup-${version}.patch`);
  const target = path.join(mediasoupDir, 'worker', 'out', 'Release', 'mediasoup-worker');
  const stampFile = path.join(path.dirname(target), STAMP_NAME);
  const key = fs.existsSync(patchFile) ? cacheKey(version, fs.readFileSync(patchFile)) : null;

  // 1. Already there. A binary without a stamp came from elsewhere (e.g. mediasoup's
  //    prebuilt download): keep it. One with a stamp is rebuilt when our patch changed.
  const stamp = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8').trim() : null;
  if ((stamp === null || stamp === key) && runs(target)) return;

  // 2. Built before on this machine.
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const cacheDir = path.join(cacheHome, 'parley', 'mediasoup-worker');
  const cached = key && path.join(cacheDir, key, 'mediasoup-worker');
  if (cached && runs(cached)) {
    installFile(cached, target);
    fs.writeFileSync(stampFile, `${key}\n`);
    log(`mediasoup-worker ${version} restored from ${cached}`);
    return;
  }

  // 3. mediasoup's prebuilt binary (machines with access to GitHub).
  if (await downloadPrebuilt(version, target)) {
    fs.rmSync(stampFile, { force: true });
    log(`mediasoup-worker ${version}: using the prebuilt binary from GitHub`);
    return;
  }

  // 4. Build from source.
  if (!key) {
    process.stderr.write(
      `parley: no prebuilt mediasoup-worker ${version} could be downloaded, and ${patchFile} ` +
        'does not exist, so it cannot be built against Debian libraries either.\n' +
        'Write that patch (see the one for the previous version) or pin mediasoup to a version that has one.\n',
    );
    process.exit(1);
  }
  ensureAptPackages();
  fs.mkdirSync(cacheDir, { recursive: true });
  const logFile = path.join(cacheDir, `build-${key}.log`);
  log(`building mediasoup-worker ${version} from source (about 3 minutes, once per machine)…`);
  const started = Date.now();
  const { binary, buildRoot } = build(path.join(mediasoupDir, 'worker'), patchFile, logFile);
  if (!runs(binary)) {
    process.stderr.write(
      `parley: the mediasoup-worker just built does not run (log: ${logFile}).\n`,
    );
    process.exit(1);
  }
  installFile(binary, cached);
  installFile(binary, target);
  fs.writeFileSync(stampFile, `${key}\n`);
  fs.rmSync(buildRoot, { recursive: true, force: true });
  log(
    `built mediasoup-worker ${version} in ${Math.round((Date.now() - started) / 1000)} s; ` +
      `cached at ${cached}`,
  );
}

// Imported by the unit test for its pure functions; run as a script by npm.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
