import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, PROTOCOL_VERSION } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { Logger, LogLevel } from '../util/Logger.js';
import { SignalChannel, type ServerNotification } from './SignalChannel.js';
import {
  FakeServer,
  HangingServer,
  NodeWebSocket,
  delay,
  joinResult,
  recordingWebSocket,
  refusingUrl,
  type SocketAttempt,
} from '../test/FakeServer.js';

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
    // Two pings, however slow the machine (a wait on the condition, not on a fixed time).
    while (server.last.requests('ping').length < 2) await delay(10);
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

describe('SignalChannel in a cluster (several node URLs)', () => {
  /** Servers of one test, closed after it (FakeServer.close is idempotent). */
  const started: Array<{ close(): Promise<void> }> = [];
  let attempts: SocketAttempt[];

  async function node(): Promise<FakeServer> {
    const s = await FakeServer.start();
    s.handlers.resume = () => ({ result: { participants: [] } });
    started.push(s);
    return s;
  }

  async function hanging(): Promise<HangingServer> {
    const s = await HangingServer.start();
    started.push(s);
    return s;
  }

  /** A channel joined on `first` that knows `nodes`, recording the sockets it opens. */
  async function joined(
    first: string,
    nodes: string[],
    options: Partial<ConstructorParameters<typeof SignalChannel>[0]> = {},
  ): Promise<SignalChannel> {
    const c = channel({
      url: first,
      WebSocketCtor: recordingWebSocket(attempts),
      // A long second delay: a wait between two nodes of one round would show.
      reconnectDelaysMs: [20, 3000],
      ...options,
    });
    await c.open();
    c.useNodes(nodes);
    c.enableResume('token-1', 10_000);
    return c;
  }

  /** The URLs tried since the first socket, and the time between two of them. */
  const tried = (): string[] => attempts.slice(1).map((a) => a.url);
  const gap = (from: number, to: number): number =>
    (attempts[to]?.at ?? NaN) - (attempts[from]?.at ?? NaN);

  beforeEach(() => {
    attempts = [];
  });

  afterEach(async () => {
    for (const c of channels.splice(0)) c.close();
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  it('resumes on the next node at once when the current one refuses, then starts there', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    const ch = await joined(a.url, [a.url, b.url, c.url]);
    expect(ch.nodeUrls).toEqual([a.url, b.url, c.url]);
    const moved = new Promise((resolve) => ch.on('moved', resolve));
    const resumed = new Promise((resolve) => ch.on('resumed', resolve));
    const droppedAt = Date.now();
    await a.close(); // the node dies: its socket drops and it refuses connections
    await expect(moved).resolves.toEqual({ from: a.url, to: b.url });
    await expect(resumed).resolves.toEqual({ snapshot: { participants: [] } });
    const elapsed = Date.now() - droppedAt;
    expect(tried()).toEqual([a.url, b.url]);
    // B right after A's refusal, in the same round (the next round would wait 3 s).
    expect(gap(1, 2)).toBeLessThan(300);
    expect(elapsed).toBeLessThan(1000);
    expect(b.last.requests('resume')[0]?.data).toEqual({
      protocolVersion: PROTOCOL_VERSION,
      resumeToken: 'token-1',
    });
    expect(c.connections).toHaveLength(0);
    expect(ch.currentUrl).toBe(b.url);
    expect(ch.nodeUrls).toEqual([b.url, c.url, a.url]);
    expect(ch.state).toBe('open');
    await expect(ch.request('ping', {})).resolves.toEqual({});
    expect(b.last.requests('ping')).toHaveLength(1);

    // The next drop starts on B, where the session now is.
    const again = new Promise((resolve) => ch.on('resumed', resolve));
    let movedAgain = false;
    ch.on('moved', () => (movedAgain = true));
    b.last.drop();
    await again;
    expect(tried()).toEqual([a.url, b.url, b.url]);
    expect(movedAgain).toBe(false);
    expect(b.connections).toHaveLength(2);
  });

  it('skips a node whose socket never opens after the short cluster open timeout (1 s)', async () => {
    const a = await node();
    const frozen = await hanging();
    const b = await node();
    const ch = await joined(a.url, [a.url, frozen.url, b.url]);
    const resumed = new Promise((resolve) => ch.on('resumed', resolve));
    await a.close();
    await resumed;
    expect(tried()).toEqual([a.url, frozen.url, b.url]);
    // The default single-server open timeout is 5 s; in a cluster the first round waits 1 s.
    expect(gap(2, 3)).toBeGreaterThanOrEqual(950);
    expect(gap(2, 3)).toBeLessThan(1500);
    expect(ch.currentUrl).toBe(b.url);
  });

  it('skips a node that opens but does not answer resume after the cluster resume timeout', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    b.handlers.resume = () => 'ignore';
    const ch = await joined(a.url, [a.url, b.url, c.url], { clusterResumeTimeoutMs: 200 });
    const resumed = new Promise((resolve) => ch.on('resumed', resolve));
    await a.close();
    await resumed;
    expect(tried()).toEqual([a.url, b.url, c.url]);
    expect(gap(2, 3)).toBeGreaterThanOrEqual(190);
    expect(gap(2, 3)).toBeLessThan(1000);
    expect(b.last.requests('resume')).toHaveLength(1);
    expect(ch.currentUrl).toBe(c.url);
    // B's socket, whose resume went unanswered, was closed rather than kept.
    await delay(50);
    expect(b.last.socket.readyState).toBe(3);
  });

  it('detects a frozen node within ~1 s of its last answer and resumes on another one', async () => {
    const [a, b] = [await node(), await node()];
    const ch = await joined(a.url, [a.url, b.url]);
    ch.startHeartbeat(100);
    while (a.last.requests('ping').length < 2) await delay(10);
    const reconnecting = new Promise<{ reason: string }>((resolve) =>
      ch.on('reconnecting', resolve),
    );
    const resumed = new Promise((resolve) => ch.on('resumed', resolve));
    const frozenAt = Date.now();
    a.freeze(); // SIGSTOP: no reset, no answers, new handshakes hang
    await expect(reconnecting).resolves.toEqual({ reason: 'heartbeat timeout' });
    const detected = Date.now() - frozenAt;
    // The next ping (within 100 ms) plus the 1 s cluster ping timeout, not the 2 s one (the
    // upper bound leaves a loaded machine its slack and still tells the two apart).
    expect(detected).toBeGreaterThanOrEqual(900);
    expect(detected).toBeLessThan(1950);
    await resumed;
    expect(tried()).toEqual([a.url, b.url]);
    // A's handshake hangs: given up after the 1 s cluster open timeout.
    expect(gap(1, 2)).toBeGreaterThanOrEqual(950);
    // Not the single server's 5 s open timeout.
    expect(gap(1, 2)).toBeLessThan(4000);
    expect(Date.now() - frozenAt).toBeLessThan(6000);
    expect(ch.currentUrl).toBe(b.url);
  });

  it('a single server keeps the gentler ping timeout (at least 2 s)', async () => {
    const a = await node();
    const ch = await joined(a.url, []);
    expect(ch.nodeUrls).toEqual([a.url]);
    let lost = false;
    ch.on('reconnecting', () => (lost = true));
    ch.startHeartbeat(40);
    a.handlers.ping = () => 'ignore';
    await delay(1300);
    expect(lost).toBe(false);
    expect(ch.state).toBe('open');
  });

  it('a refused resume on another node ends the loop (any node answers for the cluster)', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    b.handlers.resume = () => ({
      error: {
        code: ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED,
        extraCode: -200005,
        message: 'session expired',
      },
    });
    const ch = await joined(a.url, [a.url, b.url, c.url]);
    const failed = new Promise<RtcError>((resolve) => ch.on('failed', resolve));
    await a.close();
    const error = await failed;
    expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED);
    expect(error.getExtraCode()).toBe(-200005);
    expect(tried()).toEqual([a.url, b.url]);
    expect(c.connections).toHaveLength(0);
    expect(ch.state).toBe('closed');
  });

  it('keeps the node list from `nodes` notifications: current first, bad and repeated entries out', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    const ch = await joined(a.url, [a.url, b.url, 'ws://[::1', b.url, 'ws://127.0.0.1:1/x']);
    expect(ch.nodeUrls).toEqual([a.url, b.url, 'ws://127.0.0.1:1/x']);
    const seen: string[] = [];
    ch.on('notification', (n) => seen.push(n.method));
    // The node list changes: B left, C came; the current node is kept first though unlisted.
    a.last.notify('nodes', { urls: [c.url] });
    await expect(ch.request('ping', {})).resolves.toEqual({});
    expect(ch.nodeUrls).toEqual([a.url, c.url]);
    expect(seen).toEqual(['nodes']);
    // An invalid notification (not ws URLs) is dropped whole by the protocol check.
    a.last.notify('nodes', { urls: ['http://127.0.0.1:9/signal'] });
    await expect(ch.request('ping', {})).resolves.toEqual({});
    expect(ch.nodeUrls).toEqual([a.url, c.url]);
    // A drop now goes to C, and B (no longer listed) is never tried.
    const resumed = new Promise((resolve) => ch.on('resumed', resolve));
    await a.close();
    await resumed;
    expect(tried()).toEqual([a.url, c.url]);
    expect(b.connections).toHaveLength(0);
  });

  it('on wss:// keeps only wss:// nodes (the resume token never goes in plain text)', () => {
    const ch = channel({ url: 'wss://a.example/signal' });
    ch.useNodes([
      'wss://a.example/signal',
      'ws://b.example/signal',
      'wss://C.example:443/signal',
      'wss://c.example/signal',
    ]);
    expect(ch.nodeUrls).toEqual(['wss://a.example/signal', 'wss://C.example:443/signal']);
    const plain = channel({ url: 'ws://a.example/signal' });
    plain.useNodes(['wss://b.example/signal', 'ws://c.example/signal']);
    expect(plain.nodeUrls).toEqual([
      'ws://a.example/signal',
      'wss://b.example/signal',
      'ws://c.example/signal',
    ]);
  });

  it('gives up after the session timeout when every node is gone, naming them', async () => {
    const a = await node();
    const other = await refusingUrl();
    const ch = channel({
      url: a.url,
      WebSocketCtor: recordingWebSocket(attempts),
      reconnectDelaysMs: [20, 50],
    });
    await ch.open();
    ch.useNodes([other]);
    ch.enableResume('token-1', 400);
    const failed = new Promise<RtcError>((resolve) => ch.on('failed', resolve));
    await a.close();
    const error = await failed;
    expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED);
    expect(error.message).toContain(a.url);
    expect(error.message).toContain(other);
    // Whole rounds, each starting at the current node.
    const urls = tried();
    expect(urls.length).toBeGreaterThanOrEqual(4);
    urls.forEach((url, i) => expect(url).toBe(i % 2 === 0 ? a.url : other));
  });
});
