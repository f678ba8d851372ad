import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { CallbackQueue } from './CallbackQueue.js';
import type { CallbackEvent } from './events.js';
import { tencentSign } from './sign.js';

const KEY = 'abc123';
const log = createLogger('silent');

interface Received {
  body: { EventType: number; EventInfo: { UserId?: string } };
  seq: number;
  id: string;
  signOk: boolean;
}

/** A receiver that verifies Sign as Tencent documents and answers 200 (or 500 when `failing`). */
async function receiver(port = 0) {
  const received: Received[] = [];
  const state = { failing: false };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (state.failing) return void res.writeHead(500).end();
      received.push({
        body: JSON.parse(raw),
        seq: Number(req.headers['x-parley-sequence']),
        id: String(req.headers['x-parley-event-id']),
        signOk: req.headers.sign === tencentSign(KEY, raw),
      });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code":0}');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    received,
    state,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const event = (type: number, userId: string, roomId = 7): CallbackEvent => ({
  sdkAppId: 1,
  room: { kind: 'number', id: roomId },
  body: {
    EventGroupId: 1,
    EventType: type,
    CallbackTs: Date.now(),
    EventInfo: { RoomId: roomId, UserId: userId },
  },
});

const waitFor = async (check: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const queues: CallbackQueue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

function queue(dir: string | null, url: string, retryMs = 60_000) {
  const q = new CallbackQueue({
    dir,
    target: () => ({ url, key: KEY }),
    retryMs,
    maxBackoffMs: 200,
    log,
  });
  queues.push(q);
  return q;
}

describe('CallbackQueue', () => {
  it('delivers signed events of a room in order, after the receiver recovers', async () => {
    const r = await receiver();
    r.state.failing = true;
    const q = queue(null, `http://127.0.0.1:${r.port}/cb`);
    for (let i = 0; i < 5; i++) q.enqueue(event(103, `u${i}`));
    await waitFor(() => q.deliveries().filter((d) => d.outcome === 'failed').length >= 2);
    expect(r.received).toHaveLength(0);
    expect(q.deliveries().some((d) => d.outcome === 'failed' && d.status === 500)).toBe(true);
    r.state.failing = false;
    await waitFor(() => r.received.length === 5 && q.depth === 0);
    expect(r.received.map((x) => x.body.EventInfo.UserId)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
    expect(r.received.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(r.received.every((x) => x.signOk)).toBe(true);
    expect(q.depth).toBe(0);
    await r.close();
  });

  it('keeps queued events on disk across a restart and delivers them after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cbq-'));
    const down = await receiver();
    const port = down.port;
    await down.close(); // nobody listens: connection refused
    const first = queue(dir, `http://127.0.0.1:${port}/`);
    first.enqueue(event(101, ''));
    first.enqueue(event(103, 'a'));
    await waitFor(() => first.deliveries().some((d) => d.outcome === 'failed'));
    await first.close();
    const up = await receiver(port);
    const second = queue(dir, `http://127.0.0.1:${port}/`);
    expect(second.depth).toBe(2);
    second.enqueue(event(104, 'a'));
    await waitFor(() => up.received.length === 3);
    expect(up.received.map((x) => [x.body.EventType, x.seq])).toEqual([
      [101, 1],
      [103, 2],
      [104, 3],
    ]);
    await up.close();
  });

  it('drops an event after its retry window and goes on with the next', async () => {
    const r = await receiver();
    r.state.failing = true;
    const q = queue(null, `http://127.0.0.1:${r.port}/`, 300);
    q.enqueue(event(103, 'x'));
    await waitFor(() => q.deliveries().some((d) => d.outcome === 'dropped'));
    r.state.failing = false;
    q.enqueue(event(104, 'x'));
    await waitFor(() => r.received.length === 1);
    expect(r.received[0]!.body.EventType).toBe(104);
    await r.close();
  });
});
