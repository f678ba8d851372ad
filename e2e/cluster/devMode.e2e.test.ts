/**
 * Dev mode in a cluster (no credentials configured, only PARLEY_REDIS_URL): every node serves
 * and accepts the same generated credentials, so a UserSig from one node's /dev/usersig joins
 * on another, and the nodes print the same sdkAppId and key.
 */
import { PROTOCOL_VERSION } from '@parley/protocol';
import { afterAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startNode, startRedis, stopAll } from './clusterKit.js';

afterAll(() => stopAll());

const DEV = {
  PARLEY_SDK_APP_ID: '',
  PARLEY_SECRET_KEY: '',
  PARLEY_API_SECRET_ID: '',
  PARLEY_API_SECRET_KEY: '',
};

function joinOver(
  signalUrl: string,
  data: Record<string, unknown>,
): Promise<{ ok: boolean; error?: { message: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(signalUrl);
    const timer = setTimeout(() => reject(new Error('no join answer')), 10_000);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'req', id: 1, method: 'join', data })));
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as {
        type: string;
        id?: number;
        ok: boolean;
        error?: { message: string };
      };
      if (frame.type !== 'res' || frame.id !== 1) return;
      clearTimeout(timer);
      ws.close();
      resolve(frame);
    });
    ws.once('error', reject);
  });
}

it('every node of a dev-mode cluster accepts the UserSigs of the others', async () => {
  const redis = await startRedis();
  const a = await startNode({ redisUrl: redis.url, env: DEV });
  const b = await startNode({ redisUrl: redis.url, env: DEV });
  const sig = (await (await fetch(`${a.origin}/dev/usersig?userId=ada`)).json()) as {
    sdkAppId: number;
    userSig: string;
  };
  const fromB = (await (await fetch(`${b.origin}/dev/usersig?userId=ada`)).json()) as {
    sdkAppId: number;
  };
  expect(fromB.sdkAppId).toBe(sig.sdkAppId);
  const answer = await joinOver(b.signalUrl, {
    protocolVersion: PROTOCOL_VERSION,
    sdkVersion: 'test',
    sdkAppId: sig.sdkAppId,
    userId: 'ada',
    userSig: sig.userSig,
    room: { kind: 'number', id: 7 },
    mode: 'rtc',
    role: 'anchor',
    autoSubscribe: false,
  });
  expect(answer).toMatchObject({ ok: true });
});
