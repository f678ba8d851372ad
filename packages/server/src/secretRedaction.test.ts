/**
 * Secrets never reach the logs: a production server logging everything (trace) into a
 * captured stream goes through joins with valid and refused userSigs and privateMapKeys, a
 * resume, log upload and log reading with the secret key as bearer; then the captured text
 * is searched for every secret used. Careless log lines a future change could add (a secret
 * in a field, in an error message) are written through the server's logger too.
 */
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@parley/protocol';
import { genPrivateMapKey, genUserSig, Privilege } from '@parley/usersig';
import { createLogger } from './logger.js';
import { createScrubber, REDACTED } from './secretRedaction.js';
import { CapturedLog, startTestServer, TestClient } from './test/signalTestKit.js';

const SDK_APP_ID = 1400000777;
const SECRET_KEY = 'prod-secret-key-5d41402abc4b2a76b9719d911017c592';

describe('secret redaction', () => {
  it('redacts secret fields at any of three levels and scrubs signatures from free text', () => {
    const log = new CapturedLog();
    const logger = createLogger('info', { destination: log, secrets: [SECRET_KEY] });
    const userSig = genUserSig({ sdkAppId: SDK_APP_ID, key: SECRET_KEY, userId: 'u' });
    logger.info(
      {
        userSig,
        data: { privateMapKey: userSig },
        req: { headers: { authorization: `Bearer ${SECRET_KEY}` } },
      },
      'fields',
    );
    logger.error(new Error(`verification of ${userSig} failed with key ${SECRET_KEY}`), 'text');
    logger.info(`a url ?userSig=${encodeURIComponent(userSig)}&x=1`);
    expect(log.lines).toHaveLength(3);
    expect(log.text).not.toContain(userSig);
    expect(log.text).not.toContain(encodeURIComponent(userSig));
    expect(log.text).not.toContain(SECRET_KEY);
    expect(log.text).toContain(REDACTED);
    // What is not secret stays readable.
    expect(createScrubber([SECRET_KEY])('joined room 1400000777/n/4242 as alice')).toBe(
      'joined room 1400000777/n/4242 as alice',
    );
  });

  it('keeps every secret of a whole session out of the server log', async () => {
    const log = new CapturedLog();
    const kit = await startTestServer(
      { PARLEY_SDK_APP_ID: String(SDK_APP_ID), PARLEY_SECRET_KEY: SECRET_KEY },
      log,
    );
    const secrets: string[] = [SECRET_KEY];
    const sig = (userId: string, key = SECRET_KEY, now?: number) => {
      const s = genUserSig({
        sdkAppId: SDK_APP_ID,
        key,
        userId,
        expire: 600,
        ...(now ? { now } : {}),
      });
      secrets.push(s);
      return s;
    };
    const room = { kind: 'number', id: 5151 };
    const join = (userId: string, userSig: string, extra: Record<string, unknown> = {}) => ({
      protocolVersion: PROTOCOL_VERSION,
      sdkVersion: 'test',
      sdkAppId: SDK_APP_ID,
      userId,
      userSig,
      room,
      mode: 'rtc',
      role: 'anchor',
      autoSubscribe: false,
      ...extra,
    });
    try {
      // A valid join with a privateMapKey.
      const privateMapKey = genPrivateMapKey({
        sdkAppId: SDK_APP_ID,
        key: SECRET_KEY,
        userId: 'alice',
        roomId: 5151,
        privilege: Privilege.ALL,
      });
      secrets.push(privateMapKey);
      const alice = await TestClient.open(kit.origin);
      const joined = await alice.request('join', join('alice', sig('alice'), { privateMapKey }));
      expect(joined.ok).toBe(true);
      const { logToken, resumeToken } = joined.data as { logToken: string; resumeToken: string };
      secrets.push(logToken, resumeToken);

      // Refused: wrong key, expired, another user's, a privateMapKey without enter rights.
      for (const [userId, userSig, extra] of [
        ['bob', sig('bob', 'not-the-secret-key'), {}],
        ['carol', sig('carol', SECRET_KEY, 1_600_000_000), {}],
        ['dave', sig('mallory'), {}],
        [
          'erin',
          sig('erin'),
          {
            privateMapKey: (() => {
              const k = genPrivateMapKey({
                sdkAppId: SDK_APP_ID,
                key: SECRET_KEY,
                userId: 'erin',
                roomId: 5151,
                privilege: Privilege.SEND_AUDIO,
              });
              secrets.push(k);
              return k;
            })(),
          },
        ],
      ] as const) {
        const client = await TestClient.open(kit.origin);
        const res = await client.request('join', join(userId, userSig, extra));
        expect(res.ok, userId).toBe(false);
        client.close();
      }
      // A frame that fails validation while carrying a userSig.
      const sloppy = await TestClient.open(kit.origin);
      await sloppy.request('join', { ...join('frank', sig('frank')), mode: 'party' });
      sloppy.close();

      // Resume on a new socket after the first one dropped.
      alice.ws.terminate();
      const again = await TestClient.open(kit.origin);
      expect(
        (await again.request('resume', { protocolVersion: PROTOCOL_VERSION, resumeToken })).ok,
      ).toBe(true);

      // Log upload with the log token, reading with the secret key, and with a wrong one.
      const base = `http://${kit.origin}/v1/logs`;
      const upload = await fetch(base, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          token: logToken,
          lines: [{ time: Date.now(), level: 'info', tag: 'client', message: 'joined' }],
        }),
      });
      expect(upload.status).toBe(204);
      const query = `?sdkAppId=${SDK_APP_ID}&roomId=5151&userId=alice`;
      expect(
        (await fetch(base + query, { headers: { Authorization: `Bearer ${SECRET_KEY}` } })).status,
      ).toBe(200);
      expect(
        (await fetch(base + query, { headers: { Authorization: `Bearer ${sig('x')}` } })).status,
      ).toBe(401);
      await again.request('leave', {});

      // Careless lines a future change might add: the logger still keeps the secrets out.
      kit.server.log.info({ join: join('alice', secrets[1]!, { privateMapKey }) }, 'join data');
      kit.server.log.warn(`retrying with userSig ${secrets[1]} and key ${SECRET_KEY}`);
    } finally {
      await kit.close();
    }
    expect(log.text).toMatch(/"msg":"joined"/);
    expect(log.text).toMatch(/request refused/);
    expect(log.lines.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(log.text.includes(secret), `a secret (${secret.slice(0, 12)}…) is in the log`).toBe(
        false,
      );
    }
  });
});
