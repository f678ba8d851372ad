/** `/v1/logs` through a real server: upload with the join's log token, read back, refusals. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_LOG_UPLOAD_BYTES, PROTOCOL_VERSION } from '@parley/protocol';
import { genUserSig } from '@parley/usersig';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { ParleyServer } from '../ParleyServer.js';

/** A production-mode server (credentials set): reading logs needs the secret key. */
const SDK_APP_ID = 1400000123;
const SECRET = 'test-secret-key';
let server: ParleyServer;
let origin: string;

beforeAll(async () => {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PARLEY_SDK_APP_ID: String(SDK_APP_ID),
    PARLEY_SECRET_KEY: SECRET,
    PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-logapi-')),
  });
  server = new ParleyServer({ config, log: createLogger('silent') });
  const { port } = await server.listen();
  origin = `127.0.0.1:${port}`;
});
afterAll(() => server.close());

/** Joins over a raw socket; returns the join result's log token and a leave function. */
async function joinRoom(
  userId: string,
  roomId: number,
): Promise<{ token: string; leave(): Promise<void> }> {
  const ws = new WebSocket(`ws://${origin}/signal`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const answer = new Promise<{ data: { logToken: string } }>((resolve) =>
    ws.once('message', (d) => resolve(JSON.parse(d.toString()))),
  );
  ws.send(
    JSON.stringify({
      type: 'req',
      id: 1,
      method: 'join',
      data: {
        protocolVersion: PROTOCOL_VERSION,
        sdkVersion: 'test',
        sdkAppId: SDK_APP_ID,
        userId,
        userSig: genUserSig({ sdkAppId: SDK_APP_ID, key: SECRET, userId, expire: 600 }),
        room: { kind: 'number', id: roomId },
        mode: 'rtc',
        role: 'anchor',
        autoSubscribe: false,
      },
    }),
  );
  const { data } = await answer;
  return {
    token: data.logToken,
    leave: async () => {
      const left = new Promise<void>((resolve) =>
        ws.on('message', (d) => {
          if ((JSON.parse(d.toString()) as { id?: number }).id === 2) resolve();
        }),
      );
      ws.send(JSON.stringify({ type: 'req', id: 2, method: 'leave', data: {} }));
      await left;
      ws.close();
    },
  };
}

const line = (message: string) => ({ time: Date.now(), level: 'info', tag: 'client', message });
const upload = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`http://${origin}/v1/logs`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const read = (query: Record<string, string>, secret?: string) =>
  fetch(`http://${origin}/v1/logs?${new URLSearchParams(query)}`, {
    headers: secret ? { Authorization: `Bearer ${secret}` } : {},
  });

describe('/v1/logs', () => {
  it('stores lines under the token owner, readable with the secret key, also after leave', async () => {
    const { token, leave } = await joinRoom('logger', 77);
    expect(typeof token).toBe('string');
    const ok = await upload({ token, lines: [line('first')] }, { Origin: 'http://app.example' });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    // Bearer works as well as the body field.
    expect(
      (await upload({ lines: [line('second')] }, { Authorization: `Bearer ${token}` })).status,
    ).toBe(204);
    await leave();
    expect((await upload({ token, lines: [line('after leave')] })).status).toBe(204);

    const query = { sdkAppId: String(SDK_APP_ID), roomId: '77', userId: 'logger' };
    expect((await read(query)).status).toBe(401);
    expect((await read(query, 'wrong-secret')).status).toBe(401);
    const res = await read(query, SECRET);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { lines: Array<{ message: string }> };
    expect(body.lines.map((l) => l.message)).toEqual(['first', 'second', 'after leave']);
    expect((await read({ ...query, userId: 'someone' }, SECRET)).status).toBe(200);
    expect((await read({ ...query, roomId: '0' }, SECRET)).status).toBe(400);
    expect((await read({ sdkAppId: String(SDK_APP_ID), userId: 'logger' }, SECRET)).status).toBe(
      400,
    );
  });

  it('refuses uploads without a valid token, malformed or too large', async () => {
    const { token } = await joinRoom('refused', 78);
    const noToken = await upload({ lines: [line('x')] });
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { error: string }).error).toMatch(/logToken/);
    expect((await upload({ token: 'made-up', lines: [line('x')] })).status).toBe(401);
    expect((await upload('{not json')).status).toBe(400);
    const badLevel = await upload({ token, lines: [{ ...line('x'), level: 'loud' }] });
    expect(badLevel.status).toBe(400);
    expect(((await badLevel.json()) as { error: string }).error).toMatch(/level/);
    expect((await upload({ token, lines: [] })).status).toBe(400);
    const huge = await upload({ token, lines: [line('x'.repeat(MAX_LOG_UPLOAD_BYTES))] });
    expect(huge.status).toBe(413);
    expect(
      server.logs.read({
        sdkAppId: SDK_APP_ID,
        room: { kind: 'number', id: 78 },
        userId: 'refused',
      }),
    ).toEqual([]);
    // The server is still fine.
    expect((await fetch(`http://${origin}/healthz`)).status).toBe(200);
  });
});
