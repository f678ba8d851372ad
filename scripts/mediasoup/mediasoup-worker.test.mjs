// Unit tests for the pure parts of scripts/mediasoup-worker.mjs:
// (vitest, unit project)
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { cacheKey, extractFromTar, prebuiltTarName } from '../mediasoup-worker.mjs';

test('cache key: mediasoup version plus a short hash of the patch', () => {
  const key = cacheKey('3.32.2', Buffer.from('patch one'));
  assert.match(key, /^3\.32\.2-[0-9a-f]{16}$/);
  assert.equal(cacheKey('3.32.2', Buffer.from('patch one')), key);
  assert.notEqual(cacheKey('3.32.2', Buffer.from('patch two')), key);
});

test('prebuilt tarball name follows mediasoup npm-scripts.mjs', () => {
  assert.equal(
    prebuiltTarName('3.32.2', 'linux', 'x64', '6.1.0-28-amd64'),
    'mediasoup-worker-3.32.2-linux-x64-kernel6.tgz',
  );
  assert.equal(
    prebuiltTarName('3.32.2', 'darwin', 'arm64', '23.1.0'),
    'mediasoup-worker-3.32.2-darwin-arm64.tgz',
  );
});

test('extracts one file from a gzipped tar made by tar(1)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-tar-test-'));
  try {
    fs.writeFileSync(path.join(dir, 'README'), 'not this one\n');
    const binary = Buffer.from(Array.from({ length: 1300 }, (_, i) => i % 256));
    fs.writeFileSync(path.join(dir, 'mediasoup-worker'), binary);
    const tgz = execFileSync('tar', ['-czf', '-', '-C', dir, 'README', 'mediasoup-worker']);
    const tar = gunzipSync(tgz);
    assert.deepEqual(extractFromTar(tar, 'mediasoup-worker'), binary);
    assert.equal(extractFromTar(tar, 'missing'), null);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
