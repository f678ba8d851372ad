/** Built-in TLS: configuration errors at start, and a server speaking HTTPS and WSS. */
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../configError.js';
import { loadConfig } from '../config.js';
import { startTestServer, TestClient, type TestServer } from '../test/signalTestKit.js';
import { makeSelfSignedCertificate, type TestCertificate } from '../test/tlsTestKit.js';
import { loadTls } from './tls.js';

let cert: TestCertificate;
let other: TestCertificate;
beforeAll(() => {
  cert = makeSelfSignedCertificate();
  other = makeSelfSignedCertificate();
});

const configError = (env: Record<string, string>): string => {
  try {
    loadTls(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('no ConfigError');
};

describe('TLS configuration', () => {
  it('is off with neither variable, and reads and checks both files when set', () => {
    expect(loadTls({})).toBeUndefined();
    const tls = loadTls({ PARLEY_TLS_CERT: cert.certFile, PARLEY_TLS_KEY: cert.keyFile });
    expect(tls?.cert).toContain('BEGIN CERTIFICATE');
    expect(tls?.certFile).toBe(cert.certFile);
    expect(Date.parse(tls!.validTo)).toBeGreaterThan(Date.now());
  });

  it('refuses one variable without the other, naming the missing one', () => {
    expect(configError({ PARLEY_TLS_CERT: cert.certFile })).toMatch(
      /PARLEY_TLS_CERT is set but PARLEY_TLS_KEY is not/,
    );
    expect(configError({ PARLEY_TLS_KEY: cert.keyFile })).toMatch(
      /PARLEY_TLS_KEY is set but PARLEY_TLS_CERT is not/,
    );
  });

  it('refuses unreadable files, non-PEM content and a key of another certificate', () => {
    const missing = join(cert.dir, 'missing.pem');
    expect(configError({ PARLEY_TLS_CERT: missing, PARLEY_TLS_KEY: cert.keyFile })).toMatch(
      /PARLEY_TLS_CERT=.*missing\.pem cannot be read \(ENOENT\)/,
    );
    const junk = join(cert.dir, 'junk.pem');
    writeFileSync(junk, 'not a pem file');
    expect(configError({ PARLEY_TLS_CERT: junk, PARLEY_TLS_KEY: cert.keyFile })).toMatch(
      /PARLEY_TLS_CERT=.*junk\.pem is not a PEM certificate/,
    );
    expect(configError({ PARLEY_TLS_CERT: cert.certFile, PARLEY_TLS_KEY: junk })).toMatch(
      /PARLEY_TLS_KEY=.*junk\.pem is not an unencrypted PEM private key/,
    );
    expect(configError({ PARLEY_TLS_CERT: cert.certFile, PARLEY_TLS_KEY: other.keyFile })).toMatch(
      /is not the private key of the certificate/,
    );
  });

  it('is part of loadConfig, so the server refuses to start with a bad setting', () => {
    expect(() => loadConfig({ PARLEY_DATA_DIR: cert.dir, PARLEY_TLS_CERT: cert.certFile })).toThrow(
      ConfigError,
    );
  });
});

describe('a server with PARLEY_TLS_CERT and PARLEY_TLS_KEY', () => {
  let kit: TestServer;
  beforeAll(async () => {
    kit = await startTestServer({ PARLEY_TLS_CERT: cert.certFile, PARLEY_TLS_KEY: cert.keyFile });
  });
  afterAll(() => kit.close());

  it('answers HTTPS for a client trusting the certificate', async () => {
    const [host, port] = kit.origin.split(':');
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const req = request(
          { host, port: Number(port), path: '/healthz', ca: cert.certPem, servername: 'localhost' },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ status: 'ok' });
  });

  it('speaks WSS: a join over TLS works, and a client not trusting the certificate is refused', async () => {
    const client = await TestClient.open(kit.origin, undefined, {
      scheme: 'wss',
      ca: cert.certPem,
    });
    const joined = await client.request('join', kit.joinData('secure'));
    expect(joined.ok).toBe(true);
    client.close();
    await expect(TestClient.open(kit.origin, undefined, { scheme: 'wss' })).rejects.toThrow(
      /self[- ]signed/i,
    );
    // Plain ws:// to a TLS port is not a WebSocket.
    await expect(TestClient.open(kit.origin)).rejects.toThrow();
  });
});
