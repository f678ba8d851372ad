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

if (!existsSync(CHROMIUM)) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    process.stderr.write(
      `Chromium is missing at ${CHROMIUM}. Install it with: sudo apt-get install -y chromium\n` +
        '(or point CHROMIUM_PATH at a Chromium/Chrome binary), then run npm test again.\n',
    );
    process.exit(1);
  }
  step('installing Chromium from Debian');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (
    run('apt-get', ['update', '-qq'], { env }) !== 0 ||
    run('apt-get', ['install', '-y', '-qq', 'chromium', 'fonts-dejavu-core'], { env }) !== 0
  ) {
    process.stderr.write('apt-get could not install chromium; see the output above.\n');
    process.exit(1);
  }
}

step('building');
if (run('npm', ['run', 'build']) !== 0) process.exit(1);

step('type-checking and linting');
if (run('npm', ['run', 'typecheck']) !== 0 || run('npm', ['run', 'lint']) !== 0) process.exit(1);

step('running unit and e2e tests');
const report = join(mkdtempSync(join(tmpdir(), 'parley-test-')), 'report.json');
const status = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
let summary = 'no test report';
if (existsSync(report)) {
  const result = JSON.parse(readFileSync(report, 'utf8'));
  summary = `${result.numPassedTests} passed, ${result.numFailedTests} failed`;
  if (result.numPendingTests) summary += `, ${result.numPendingTests} skipped`;
  if (result.numTotalTests === 0) {
    process.stdout.write('\nno test ran\n');
    process.exit(1);
  }
}
process.stdout.write(`\n${summary}\n`);
process.exit(status);
