/**
 * A server restarted with callbacks still queued delivers them: the queue is on disk.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestServer, TestClient } from '../test/signalTestKit.js';

describe('callbacks across a restart', () => {
  it('delivers events queued before a restart after it, in order', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-restart-'));
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const env = {
      PARLEY_DATA_DIR: dataDir,
      PARLEY_CALLBACK_URL: `http://127.0.0.1:${port}/cb`,
      PARLEY_CALLBACK_KEY: 'restartKey1',
      PARLEY_CALLBACK_MAX_BACKOFF_MS: '200',
    };
    const first = await startTestServer(env);
    const client = await TestClient.open(first.origin);
    expect((await client.request('join', first.joinData('ann'))).ok).toBe(true);
    await client.request('leave', {});
    // The room's exit events are queued as it closes, just after the leave is answered.
    for (let end = Date.now() + 3000; first.server.ops.callbacks.depth < 4 && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 20));
    expect(first.server.ops.callbacks.depth).toBe(4); // 101, 103, 104, 102
    await first.close();

    const received: Array<{ type: number; seq: number }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({
          type: (JSON.parse(body) as { EventType: number }).EventType,
          seq: Number(req.headers['x-parley-sequence']),
        });
        res.writeHead(200).end('{"code":0}');
      });
    });
    await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
    const second = await startTestServer(env);
    const deadline = Date.now() + 5000;
    while (received.length < 4 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(received).toEqual([
      { type: 101, seq: 1 },
      { type: 103, seq: 2 },
      { type: 104, seq: 3 },
      { type: 102, seq: 4 },
    ]);
    await second.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });
});
