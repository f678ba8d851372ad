import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { verifyPrivateMapKey, verifyUserSig } from './index.js';
import { VECTOR, decodeJson } from './testSupport.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const cliJs = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const { sdkAppId, key, userId } = VECTOR;
const common = ['--sdkappid', String(sdkAppId), '--key', key, '--userid', userId];

function runMain(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

function runNode(argv: string[]) {
  const r = spawnSync(process.execPath, [cliJs, ...argv], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('main()', () => {
  it('gen prints a userSig that verifies', () => {
    const r = runMain(['gen', ...common, '--expire', '3600']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith('\n')).toBe(true);
    const result = verifyUserSig({ sdkAppId, key, userId, userSig: r.stdout.trim() });
    expect(result).toMatchObject({ ok: true, expire: 3600 });
  });

  it('gen defaults to a 180-day lifetime', () => {
    const r = runMain(['gen', ...common]);
    expect(JSON.parse(decodeJson(r.stdout.trim()))).toMatchObject({ 'TLS.expire': 15552000 });
  });

  it('verify prints the result and exits 0 or 1', () => {
    const sig = runMain(['gen', ...common]).stdout.trim();
    const ok = runMain(['verify', ...common, '--sig', sig]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, expire: 15552000 });
    const bad = runMain(['verify', ...common.slice(0, 4), '--userid', 'bob', '--sig', sig]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toStrictEqual({
      ok: false,
      reason: 'wrong-user',
      extraCode: 70013,
      message: "userSig was signed for userId 'xiaojun', not 'bob'",
    });
  });

  it('privmapkey signs numeric and string rooms', () => {
    const numeric = runMain(['privmapkey', ...common, '--roomid', '1234', '--privilege', '42']);
    expect(numeric.code).toBe(0);
    const a = { sdkAppId, key, userId, privateMapKey: numeric.stdout.trim(), roomId: 1234 };
    expect(verifyPrivateMapKey(a)).toMatchObject({ ok: true, version: 0, privilege: 42 });

    const named = runMain(['privmapkey', ...common, '--roomid', 'room-1']);
    const b = { sdkAppId, key, userId, privateMapKey: named.stdout.trim(), roomId: 'room-1' };
    expect(verifyPrivateMapKey(b)).toMatchObject({ ok: true, version: 1, privilege: 255 });

    const digits = runMain(['privmapkey', ...common, '--strroomid', '1234', '--expire', '60']);
    const c = { sdkAppId, key, userId, privateMapKey: digits.stdout.trim(), roomId: '1234' };
    const result = verifyPrivateMapKey(c);
    expect(result).toMatchObject({ ok: true, version: 1, roomId: '1234' });
    if (!result.ok) throw new Error('unreachable');
    expect(Math.abs(result.expireAt - Math.floor(Date.now() / 1000) - 60)).toBeLessThanOrEqual(1);
  });

  it('--help prints usage', () => {
    const r = runMain(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: parley-usersig <command> \[options\]/);
    expect(r.stdout).toContain('privmapkey');
  });

  it.each([
    [[], 'missing command'],
    [['gen'], 'missing --sdkappid'],
    [['gen', '--sdkappid', '1400000000', '--key', key], 'missing --userid'],
    [
      ['gen', ...common.slice(2), '--sdkappid', 'abc'],
      "--sdkappid must be an integer from 1 to 4294967295, got 'abc'",
    ],
    [
      ['gen', ...common, '--expire', '1.5'],
      "--expire must be an integer from 0 to 9007199254740991, got '1.5'",
    ],
    [['verify', ...common], 'missing --sig'],
    [['privmapkey', ...common], 'missing --roomid'],
    [
      ['privmapkey', ...common, '--roomid', '0'],
      "--roomid must be an integer from 1 to 4294967295, got '0'",
    ],
    [['privmapkey', ...common, '--roomid', '1', '--strroomid', 'a'], 'not both'],
    [['frobnicate', ...common], "unknown command 'frobnicate'"],
    [['gen', ...common, '--bogus'], "Unknown option '--bogus'"],
    [['gen', 'extra', ...common], "unexpected argument 'extra'"],
  ])('%j exits 2', (argv, message) => {
    const r = runMain(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toMatch(/^parley-usersig: .*\nRun parley-usersig --help for usage\.\n$/s);
  });
});

describe('dist/cli.js', () => {
  beforeAll(() => {
    // Build (incremental) so that the compiled CLI under test is current.
    const require = createRequire(import.meta.url);
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', pkgDir]);
  });

  it('starts with a shebang', () => {
    expect(readFileSync(cliJs, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('generates a userSig that verifies, in and out of process', () => {
    const gen = runNode(['gen', ...common, '--expire', '600']);
    expect(gen.code).toBe(0);
    const sig = gen.stdout.trim();
    expect(verifyUserSig({ sdkAppId, key, userId, userSig: sig })).toMatchObject({
      ok: true,
      expire: 600,
    });
    const ok = runNode(['verify', ...common, '--sig', sig]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, expire: 600 });
    const bad = runNode([
      'verify',
      ...common.slice(0, 2),
      '--key',
      'x',
      '--userid',
      userId,
      '--sig',
      sig,
    ]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      reason: 'wrong-key',
      extraCode: 70009,
    });
  });

  it('exits 2 with a clear message on missing arguments', () => {
    const r = runNode(['gen', '--sdkappid', '1400000000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('parley-usersig: missing --key\nRun parley-usersig --help for usage.\n');
  });
});
