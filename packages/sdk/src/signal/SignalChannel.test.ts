import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, PROTOCOL_VERSION } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { Logger, LogLevel } from '../util/Logger.js';
import { SignalChannel, type ServerNotification } from './SignalChannel.js';
import { FakeServer, NodeWebSocket, delay, joinResult } from '../test/FakeServer.js';

Logger.setLogLevel(LogLevel.NONE);

let server: FakeServer;
const channels: SignalChannel[] = [];

function channel(
  options: Partial<ConstructorParameters<typeof SignalChannel>[0]> = {},
): SignalChannel {
  const c = new SignalChannel({
    url: server.url,
    WebSocketCtor: NodeWebSocket,
    reconnectDelaysMs: [20, 50],
    ...options,
  });
  channels.push(c);
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<RtcError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RtcError);
    return error as RtcError;
  }
  throw new Error('expected a rejection');
}

beforeEach(async () => {
  server = await FakeServer.start();
});

afterEach(async () => {
  for (const c of channels.splice(0)) c.close();
  await server.close();
});

const joinData = {
  protocolVersion: PROTOCOL_VERSION,
  sdkVersion: 'test',
  sdkAppId: 1400000000,
  userId: 'alice',
  userSig: 'sig',
  room: { kind: 'number' as const, id: 1234 },
  mode: 'rtc' as const,
  role: 'anchor' as const,
  autoSubscribe: true,
};

describe('SignalChannel', () => {
  it('matches responses to requests by id, whatever the answer order', async () => {
    server.handlers.ping = async () => {
      await delay(30);
      return { result: {} };
    };
    server.handlers.join = () => joinResult();
    const c = channel();
    await c.open();
    const ping = c.request('ping', {});
    const join = c.request('join', joinData);
    const joined = await join;
    expect(joined.resumeToken).toBe('token-1');
    await expect(ping).resolves.toEqual({});
    const ids = server.last.requests().map((f) => f.id);
    expect(new Set(ids).size).toBe(2);
  });

  it('rejects with the server error verbatim (code, extraCode, message)', async () => {
    server.handlers.join = () => ({
      error: {
        code: ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED,
        extraCode: 70001,
        message: 'userSig expired',
      },
    });
    const c = channel();
    await c.open();
    const error = await rejection(c.request('join', joinData));
    expect(error.getCode()).toBe(0x4001);
    expect(error.getExtraCode()).toBe(70001);
    expect(error.message).toBe('userSig expired');
    expect(error.name).toBe('RtcError');
  });

  it('times out an unanswered request with SERVER_TIMEOUT', async () => {
    server.handlers.ping = () => 'ignore';
    const c = channel();
    await c.open();
    const error = await rejection(c.request('ping', {}, { timeoutMs: 50 }));
    expect(error.getCode()).toBe(ErrorCode.SERVER_TIMEOUT);
    expect(error.message).toContain('ping');
  });

  it('rejects a result that fails validation', async () => {
    server.handlers.join = () => ({ result: { participants: 'nope' } });
    const c = channel();
    await c.open();
    const error = await rejection(c.request('join', joinData));
    expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_ERROR);
  });

  it('ignores invalid frames and keeps working', async () => {
    const c = channel();
    const seen: ServerNotification[] = [];
    c.on('notification', (n) => seen.push(n));
    await c.open();
    const conn = server.last;
    conn.sendRaw('not json');
    conn.sendRaw(JSON.stringify({ type: 'what' }));
    conn.sendRaw(JSON.stringify({ type: 'ntf', method: 'no-such-method', data: {} }));
    conn.sendRaw(
      JSON.stringify({
        type: 'ntf',
        method: 'peer-join',
        data: { userId: 'x'.repeat(40), role: 'anchor' },
      }),
    );
    conn.sendRaw(JSON.stringify({ type: 'res', id: 999, ok: true, data: {} }));
    conn.notify('peer-join', { userId: 'bob', role: 'anchor' });
    await expect(c.request('ping', {})).resolves.toEqual({});
    expect(seen).toEqual([{ method: 'peer-join', data: { userId: 'bob', role: 'anchor' } }]);
  });

  it('answers server requests with the handler result, and invalid ones with an error', async () => {
    const c = channel({
      onRequest: async (request) => ({ sdp: `answer to ${request.data.sdp}` }),
    });
    await c.open();
    const ok = await server.last.request('offer', { sdp: 'v=0 offer', tracks: [] });
    expect(ok).toMatchObject({ type: 'res', ok: true, data: { sdp: 'answer to v=0 offer' } });
    const bad = await server.last.request('offer', { sdp: '' });
    expect(bad).toMatchObject({
      type: 'res',
      ok: false,
      error: { code: ErrorCode.INVALID_PARAMETER },
    });
  });

  it('answers a failing handler with its RtcError', async () => {
    const c = channel({
      onRequest: () => Promise.reject(RtcError.invalidOperation('nope')),
    });
    await c.open();
    const res = await server.last.request('offer', { sdp: 'v=0', tracks: [] });
    expect(res).toMatchObject({
      ok: false,
      error: { code: ErrorCode.INVALID_OPERATION, message: 'nope' },
    });
  });

  it('fails to open with SIGNAL_CHANNEL_SETUP_FAILED naming the URL', async () => {
    const url = server.url;
    await server.close();
    const c = channel({ url });
    const error = await rejection(c.open());
    expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED);
    expect(error.message).toContain(url);
    server = await FakeServer.start();
  });

  it('times out opening a socket that never completes the handshake', async () => {
    // A TCP server that accepts and never answers the HTTP upgrade.
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/signal`;
    try {
      const c = channel({ url, openTimeoutMs: 100 });
      const error = await rejection(c.open());
      expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED);
      expect(error.message).toContain(url);
      expect(error.message).toContain('timed out');
    } finally {
      silent.close();
    }
  });

  it('reconnects after the server drops the socket and resumes with the token', async () => {
    server.handlers.resume = () => ({ result: { participants: [] } });
    const c = channel();
    const events: string[] = [];
    c.on('reconnecting', () => events.push('reconnecting'));
    const resumed = new Promise((resolve) => c.on('resumed', resolve));
    await c.open();
    c.enableResume('token-1', 5000);
    server.last.drop();
    await expect(resumed).resolves.toEqual({ snapshot: { participants: [] } });
    expect(events).toEqual(['reconnecting']);
    expect(server.connections).toHaveLength(2);
    const resume = server.last.requests('resume');
    expect(resume).toHaveLength(1);
    expect(resume[0]?.data).toEqual({ protocolVersion: PROTOCOL_VERSION, resumeToken: 'token-1' });
    expect(c.state).toBe('open');
    await expect(c.request('ping', {})).resolves.toEqual({});
  });

  it('queues requests and notifications made while reconnecting, after the resume', async () => {
    let allowResume: () => void = () => {};
    const gate = new Promise<void>((resolve) => (allowResume = resolve));
    server.handlers.resume = async () => {
      await gate;
      return { result: { participants: [] } };
    };
    const c = channel();
    await c.open();
    c.enableResume('token-1', 5000);
    const reconnecting = new Promise((resolve) => c.on('reconnecting', resolve));
    server.last.drop();
    await reconnecting;
    c.notify('candidate', {
      pc: 'subscriber',
      candidate: { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host' },
    });
    const ping = c.request('ping', {});
    await server.waitForConnections(2);
    await delay(50);
    allowResume();
    await expect(ping).resolves.toEqual({});
    const methods = server.last.frames.map((f) => f.method);
    expect(methods).toEqual(['resume', 'candidate', 'ping']);
  });

  it('keeps trying while the server is down, within the session timeout', async () => {
    const c = channel();
    await c.open();
    c.enableResume('token-1', 5000);
    const resumed = new Promise((resolve) => c.on('resumed', resolve));
    // Refuse the first two attempts by dropping them before they can resume.
    let attempts = 0;
    server.handlers.resume = (_data, connection) => {
      attempts++;
      if (attempts < 3) {
        connection.drop();
        return 'ignore';
      }
      return { result: { participants: [] } };
    };
    server.last.drop();
    await resumed;
    expect(attempts).toBe(3);
  });

  it('fails with SIGNAL_CHANNEL_RECONNECTION_FAILED when the resume is refused', async () => {
    server.handlers.resume = () => ({
      error: {
        code: ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED,
        extraCode: -200005,
        message: 'session expired',
      },
    });
    const c = channel();
    await c.open();
    c.enableResume('token-1', 5000);
    const failed = new Promise<RtcError>((resolve) => c.on('failed', resolve));
    server.last.drop();
    const error = await failed;
    expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED);
    expect(error.getExtraCode()).toBe(-200005);
    expect(error.message).toContain('session expired');
    expect(c.state).toBe('closed');
  });

  it('gives up after the session timeout when the server stays away', async () => {
    const c = channel({ openTimeoutMs: 100 });
    await c.open();
    c.enableResume('token-1', 300);
    const failed = new Promise<RtcError>((resolve) => c.on('failed', resolve));
    const url = server.url;
    await server.close();
    const error = await failed;
    expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED);
    expect(error.message).toContain(url);
    server = await FakeServer.start();
  });

  it('rejects requests in flight when the socket drops', async () => {
    server.handlers.ping = () => 'ignore';
    server.handlers.resume = () => ({ result: { participants: [] } });
    const c = channel();
    await c.open();
    c.enableResume('token-1', 5000);
    const ping = c.request('ping', {});
    await server.nextFrame((f) => f.method === 'ping');
    server.last.drop();
    const error = await rejection(ping);
    expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_ERROR);
  });

  it('sends a ping every heartbeat interval and reconnects when pings go unanswered', async () => {
    const c = channel();
    await c.open();
    c.enableResume('token-1', 10_000);
    c.startHeartbeat(40);
    await delay(150);
    expect(server.last.requests('ping').length).toBeGreaterThanOrEqual(2);
    // Now the server stops answering: the ping timeout (at least 2 s) counts as a drop.
    server.handlers.ping = () => 'ignore';
    server.handlers.resume = () => ({ result: { participants: [] } });
    const reconnecting = new Promise((resolve) => c.on('reconnecting', resolve));
    await expect(reconnecting).resolves.toEqual({ reason: 'heartbeat timeout' });
  });

  it('measures the round trip of answered heartbeats (for network quality)', async () => {
    server.handlers.ping = async () => {
      await delay(30);
      return { result: {} };
    };
    const c = channel();
    await c.open();
    expect(c.rttMs).toBeUndefined();
    c.startHeartbeat(20);
    await server.nextFrame((f) => f.method === 'ping');
    await delay(100);
    expect(c.rttMs).toBeGreaterThanOrEqual(30);
  });

  it('does not reconnect after close() and rejects pending requests', async () => {
    server.handlers.ping = () => 'ignore';
    const c = channel();
    await c.open();
    c.enableResume('token-1', 5000);
    const ping = c.request('ping', {});
    c.close();
    const error = await rejection(ping);
    expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_ERROR);
    await delay(100);
    expect(server.connections).toHaveLength(1);
    await expect(c.request('ping', {})).rejects.toBeInstanceOf(RtcError);
  });
});
