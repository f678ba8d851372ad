/** PARLEY_ALLOWED_ORIGINS: parsing, and its effect on WebSocket upgrades and the HTTP API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../configError.js';
import {
  CapturedLog,
  startTestServer,
  TestClient,
  type TestServer,
} from '../test/signalTestKit.js';
import { loadAllowedOrigins, OriginPolicy } from './origins.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

describe('loadAllowedOrigins', () => {
  it('is open by default or with "*", and normalizes a list', () => {
    expect(loadAllowedOrigins({})).toBeNull();
    expect(loadAllowedOrigins({ PARLEY_ALLOWED_ORIGINS: '*' })).toBeNull();
    expect(
      loadAllowedOrigins({
        PARLEY_ALLOWED_ORIGINS: ' https://App.Example.com , http://localhost:3000/ ,',
      }),
    ).toEqual(['https://app.example.com', 'http://localhost:3000']);
  });

  it('refuses entries that are not origins, saying which', () => {
    for (const bad of [
      'app.example.com',
      'https://a.example/path',
      'ftp://a.example',
      'https://a.example,*',
    ]) {
      expect(() => loadAllowedOrigins({ PARLEY_ALLOWED_ORIGINS: bad })).toThrow(ConfigError);
    }
    expect(() => loadAllowedOrigins({ PARLEY_ALLOWED_ORIGINS: 'https://a.example/path' })).toThrow(
      /"https:\/\/a\.example\/path" is not an origin/,
    );
  });

  it('allows requests without Origin and same-origin pages', () => {
    const policy = new OriginPolicy([APP]);
    expect(policy.allows(undefined, 'parley.example:8443')).toBe(true);
    expect(policy.allows(APP, 'parley.example:8443')).toBe(true);
    expect(policy.allows('https://parley.example:8443', 'parley.example:8443')).toBe(true);
    expect(policy.allows(EVIL, 'parley.example:8443')).toBe(false);
    expect(policy.allows('null', 'parley.example:8443')).toBe(false);
  });
});

describe('a server with PARLEY_ALLOWED_ORIGINS', () => {
  let kit: TestServer;
  const log = new CapturedLog();
  beforeAll(async () => {
    kit = await startTestServer({ PARLEY_ALLOWED_ORIGINS: `${APP},http://localhost:3000` }, log);
  });
  afterAll(() => kit.close());

  it('refuses the WebSocket upgrade from another origin with 403 and the reason, and logs it', async () => {
    const refused = await TestClient.tryOpen(kit.origin, undefined, { origin: EVIL });
    expect(refused).toEqual({
      status: 403,
      body: `origin "${EVIL}" is not allowed to use this Parley server (PARLEY_ALLOWED_ORIGINS)`,
    });
    expect(log.text).toMatch(/websocket refused: origin not allowed/);
    // Allowed, same-origin and Origin-less clients join.
    for (const origin of [APP, `http://${kit.origin}`, undefined]) {
      const client = await TestClient.open(kit.origin, undefined, origin ? { origin } : {});
      expect((await client.request('join', kit.joinData(`user_${String(origin).length}`))).ok).toBe(
        true,
      );
      client.close();
    }
  });

  it('answers CORS only for allowed origins and refuses API requests from others', async () => {
    const base = `http://${kit.origin}`;
    const allowed = await fetch(`${base}/dev/usersig?userId=a`, { headers: { Origin: APP } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('vary')).toBe('Origin');

    const evil = await fetch(`${base}/dev/usersig?userId=a`, { headers: { Origin: EVIL } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await evil.json()) as { error: string }).error).toMatch(/is not allowed/);

    const preflight = await fetch(`${base}/v1/logs`, {
      method: 'OPTIONS',
      headers: { Origin: EVIL, 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    const upload = await fetch(`${base}/v1/logs`, {
      method: 'POST',
      headers: { Origin: EVIL, 'Content-Type': 'application/json' },
      body: JSON.stringify({ lines: [] }),
    });
    expect(upload.status).toBe(403);

    // Public files stay fetchable (a script tag), without CORS headers for that origin.
    const health = await fetch(`${base}/healthz`, { headers: { Origin: EVIL } });
    expect(health.status).toBe(200);
    expect(health.headers.get('access-control-allow-origin')).toBeNull();

    // Server-to-server calls carry no Origin.
    expect((await fetch(`${base}/dev/usersig?userId=a`)).status).toBe(200);
  });
});

describe('a server without PARLEY_ALLOWED_ORIGINS', () => {
  it('allows any origin, and warns at start in production mode only', async () => {
    const devLog = new CapturedLog();
    const dev = await startTestServer({}, devLog);
    const prodLog = new CapturedLog();
    const prod = await startTestServer(
      { PARLEY_SDK_APP_ID: '1400000001', PARLEY_SECRET_KEY: 'production-secret' },
      prodLog,
    );
    try {
      const client = await TestClient.open(dev.origin, undefined, { origin: EVIL });
      client.close();
      const res = await fetch(`http://${dev.origin}/dev/usersig?userId=a`, {
        headers: { Origin: EVIL },
      });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(devLog.text).not.toMatch(/PARLEY_ALLOWED_ORIGINS is not set/);
      expect(prodLog.text).toMatch(/PARLEY_ALLOWED_ORIGINS is not set/);
    } finally {
      await dev.close();
      await prod.close();
    }
  });
});
