/** `npm start` as a person runs it: the built server, configured only by the environment. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSelfSignedCertificate } from './test/tlsTestKit.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function start(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number>;
} {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PARLEY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, output: () => output, exited };
}

async function waitForOutput(
  output: () => string,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pattern.test(output())) return output();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${pattern} in output: ${output()}`);
}

describe('parley-server (dist/main.js)', () => {
  it('starts in dev mode with no configuration, prints the demo URL and credentials, keeps them across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-main-'));
    const port = await freePort();
    const first = start({ PORT: String(port), HOST: '127.0.0.1', PARLEY_DATA_DIR: dataDir });
    const printed = await waitForOutput(first.output, /secretKey:\s+[0-9a-f]{64}/);
    expect(printed).toContain(`http://localhost:${port}/`);
    expect(printed).toContain(`Node.js:    ${process.version} (${process.execPath})`);
    const appId = /sdkAppId:\s+(\d+)/.exec(printed)?.[1];
    expect(appId).toBeDefined();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const sig = (await (await fetch(`http://127.0.0.1:${port}/dev/usersig?userId=ann`)).json()) as {
      sdkAppId: number;
    };
    expect(String(sig.sdkAppId)).toBe(appId);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = start({ PORT: String(port), HOST: '127.0.0.1', PARLEY_DATA_DIR: dataDir });
    const again = await waitForOutput(second.output, /sdkAppId:\s+\d+/);
    expect(/sdkAppId:\s+(\d+)/.exec(again)?.[1]).toBe(appId);
  });

  it('refuses to start with only one credential and says which one is missing', async () => {
    const run = start({ PORT: String(await freePort()), PARLEY_SDK_APP_ID: '1400000001' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/PARLEY_SDK_APP_ID is set but PARLEY_SECRET_KEY is not/);
  });

  it('refuses to start with a TLS certificate it cannot read, saying which file', async () => {
    const { keyFile } = makeSelfSignedCertificate();
    const run = start({
      PORT: String(await freePort()),
      PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-main-')),
      PARLEY_TLS_CERT: '/nonexistent/cert.pem',
      PARLEY_TLS_KEY: keyFile,
    });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(
      /configuration error: PARLEY_TLS_CERT=\/nonexistent\/cert\.pem cannot be read \(ENOENT\)/,
    );
  });

  it('serves HTTPS with PARLEY_TLS_CERT and PARLEY_TLS_KEY and prints an https URL', async () => {
    const cert = makeSelfSignedCertificate();
    const port = await freePort();
    const run = start({
      PORT: String(port),
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-main-')),
      PARLEY_TLS_CERT: cert.certFile,
      PARLEY_TLS_KEY: cert.keyFile,
    });
    await waitForOutput(run.output, new RegExp(`https://localhost:${port}/`));
    const { request } = await import('node:https');
    const status = await new Promise<number>((resolve, reject) =>
      request(
        { host: '127.0.0.1', port, path: '/healthz', ca: cert.certPem, servername: 'localhost' },
        (res) => resolve(res.statusCode ?? 0),
      )
        .on('error', reject)
        .end(),
    );
    expect(status).toBe(200);
  });

  it('runs with production credentials: dev mode off', async () => {
    const port = await freePort();
    const run = start({
      PORT: String(port),
      HOST: '127.0.0.1',
      PARLEY_SDK_APP_ID: '1400000001',
      PARLEY_SECRET_KEY: 'k',
    });
    await waitForOutput(run.output, /./, 100).catch(() => undefined);
    let status = 0;
    for (let i = 0; i < 100 && status === 0; i++) {
      status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/dev/usersig?userId=a`)).status).toBe(404);
    expect(run.output()).not.toMatch(/secretKey/);
  });
});
