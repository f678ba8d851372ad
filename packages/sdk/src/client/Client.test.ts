import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, ProtocolErrorCode } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { LocalStream } from '../stream/LocalStream.js';
import { RemoteStream } from '../stream/RemoteStream.js';
import { Logger, LogLevel, logUpload } from '../util/Logger.js';
import {
  FakeServer,
  NodeWebSocket,
  delay,
  joinResult,
  participant,
  streamInfo,
} from '../test/FakeServer.js';
import { Client } from './Client.js';
import type { ClientConfig, ClientEvents } from './types.js';

Logger.setLogLevel(LogLevel.NONE);

const baseConfig: ClientConfig = {
  mode: 'rtc',
  sdkAppId: 1400000000,
  userId: 'alice',
  userSig: 'sig',
};

async function rejection(promise: Promise<unknown>): Promise<RtcError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RtcError);
    return error as RtcError;
  }
  throw new Error('expected a rejection');
}

/** Records every client event as `name` or `name:userId`. */
function record(client: Client): string[] {
  const log: string[] = [];
  const names: Array<keyof ClientEvents> = [
    'peer-join',
    'peer-leave',
    'stream-added',
    'stream-removed',
    'stream-updated',
    'stream-subscribed',
    'mute-audio',
    'unmute-audio',
    'mute-video',
    'unmute-video',
    'connection-state-changed',
    'client-banned',
    'error',
  ];
  for (const name of names) {
    client.on(name, (payload: unknown) => {
      const p = payload as { userId?: string; stream?: RemoteStream; state?: string };
      const who = p.userId ?? p.stream?.getUserId() ?? p.state;
      log.push(who === undefined ? name : `${name}:${who}`);
    });
  }
  return log;
}

describe('Client argument and state checks (no network)', () => {
  const offline = (config: Partial<ClientConfig> = {}): Client =>
    new Client({ ...baseConfig, ...config } as ClientConfig);

  it.each([
    [0, /from 1 to 4294967294/],
    [4294967295, /from 1 to 4294967294/],
    [1.5, /integer/],
    ['1234', /useStringRoomId/],
    [undefined, /roomId must be a number/],
  ])('join with roomId %s rejects INVALID_PARAMETER', async (roomId, message) => {
    const error = await rejection(offline().join({ roomId } as never));
    expect(error.getCode()).toBe(ErrorCode.INVALID_PARAMETER);
    expect(error.message).toMatch(message);
  });

  it('join with a bad string roomId (useStringRoomId) rejects INVALID_PARAMETER', async () => {
    const client = offline({ useStringRoomId: true });
    expect((await rejection(client.join({ roomId: 'a/b' }))).getCode()).toBe(
      ErrorCode.INVALID_PARAMETER,
    );
    expect((await rejection(client.join({ roomId: 'x'.repeat(65) }))).getCode()).toBe(
      ErrorCode.INVALID_PARAMETER,
    );
    const numeric = await rejection(client.join({ roomId: 12 }));
    expect(numeric.message).toMatch(/roomId must be a string/);
  });

  it.each([
    [{ userId: 'has space' }, /userId/],
    [{ userId: 'x'.repeat(33) }, /userId/],
    [{ userId: undefined }, /userId/],
    [{ sdkAppId: 'abc' }, /sdkAppId/],
    [{ sdkAppId: 0 }, /sdkAppId/],
    [{ mode: 'meeting' }, /mode/],
    [{ userSig: 42 }, /userSig/],
    [{ autoSubscribe: 'yes' }, /autoSubscribe/],
    [{ serverUrl: 'ftp://x' }, /serverUrl/],
  ])('join with config %o rejects INVALID_PARAMETER naming the field', async (config, message) => {
    const error = await rejection(offline(config as Partial<ClientConfig>).join({ roomId: 1 }));
    expect(error.getCode()).toBe(ErrorCode.INVALID_PARAMETER);
    expect(error.message).toMatch(message);
  });

  it('join with a bad role rejects INVALID_PARAMETER', async () => {
    const error = await rejection(
      offline({ mode: 'live' }).join({ roomId: 1, role: 'host' as never }),
    );
    expect(error.message).toMatch(/role/);
  });

  it('join without any server URL explains how to give one', async () => {
    const client = offline();
    const events = record(client);
    const error = await rejection(client.join({ roomId: 1 }));
    expect(error.getCode()).toBe(ErrorCode.INVALID_PARAMETER);
    expect(error.message).toContain('serverUrl');
    expect(error.message).toContain('/sdk/trtc.js');
    // Nothing started: no state change was reported.
    expect(events).toEqual([]);
  });

  it('publish, unpublish, subscribe and unsubscribe before join reject INVALID_OPERATION', async () => {
    const client = offline();
    const local = new LocalStream({ audio: true });
    const remote = new RemoteStream(streamInfo('bob') as never);
    for (const call of [
      () => client.publish(local),
      () => client.unpublish(local),
      () => client.subscribe(remote),
      () => client.unsubscribe(remote),
    ]) {
      const error = await rejection(call());
      expect(error.getCode()).toBe(ErrorCode.INVALID_OPERATION);
      expect(error.message).toMatch(/join\(\) first/);
    }
  });

  it('leave before join resolves and changes nothing', async () => {
    const client = offline();
    const events = record(client);
    await client.leave();
    await client.leave();
    expect(events).toEqual([]);
    expect(client.getConnectionState()).toBe('DISCONNECTED');
  });

  it('a destroyed client refuses to join', async () => {
    const client = offline();
    await client.destroy();
    expect((await rejection(client.join({ roomId: 1 }))).getCode()).toBe(
      ErrorCode.INVALID_OPERATION,
    );
  });
});

describe('Client against a scripted server', () => {
  let server: FakeServer;
  const clients: Client[] = [];

  function client(config: Partial<ClientConfig> = {}): Client {
    const c = new Client(
      { ...baseConfig, serverUrl: server.url, ...config },
      { WebSocketCtor: NodeWebSocket, reconnectDelaysMs: [20, 50] },
    );
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    server = await FakeServer.start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.leave();
    await server.close();
  });

  it('joins: sends the join request and reports the room after join resolves', async () => {
    server.handlers.join = () =>
      joinResult([participant('bob', [streamInfo('bob')]), participant('carol')]);
    const c = client();
    const events = record(c);
    await c.join({ roomId: 1234 });
    expect(events).toEqual([
      'connection-state-changed:CONNECTING',
      'connection-state-changed:CONNECTED',
    ]);
    // Registered after `await join()`: still sees the room (events come one task later).
    const late: string[] = [];
    c.on('stream-added', (e) => late.push(e.stream.getUserId()));
    await delay(10);
    expect(events.slice(2)).toEqual(['peer-join:bob', 'stream-added:bob', 'peer-join:carol']);
    expect(late).toEqual(['bob']);
    const [join] = server.last.requests('join');
    expect(join?.data).toMatchObject({
      sdkAppId: 1400000000,
      userId: 'alice',
      userSig: 'sig',
      room: { kind: 'number', id: 1234 },
      mode: 'rtc',
      role: 'anchor',
      autoSubscribe: true,
    });
    expect(c.getConnectionState()).toBe('CONNECTED');
  });

  it('sends string room ids, live roles and autoSubscribe: false as given', async () => {
    server.handlers.join = () => joinResult();
    const c = client({ useStringRoomId: true, mode: 'live', autoSubscribe: false });
    await c.join({ roomId: 'team-42', role: 'audience', privateMapKey: 'pmk' });
    expect(server.last.requests('join')[0]?.data).toMatchObject({
      room: { kind: 'string', id: 'team-42' },
      mode: 'live',
      role: 'audience',
      privateMapKey: 'pmk',
      autoSubscribe: false,
    });
  });

  it("callExperimentalAPI('updatePrivateMapKey') sends the key and rejects with the server's refusal", async () => {
    server.handlers.join = () => joinResult();
    const c = client();
    await expect(
      c.callExperimentalAPI('updatePrivateMapKey', { privateMapKey: 'k1' }),
    ).rejects.toMatchObject({ code: ErrorCode.INVALID_OPERATION });
    await c.join({ roomId: 1, privateMapKey: 'k0' });
    await c.callExperimentalAPI('updatePrivateMapKey', { privateMapKey: 'k1' });
    expect(server.last.requests('update-private-map-key').map((r) => r.data)).toEqual([
      { privateMapKey: 'k1' },
    ]);
    server.handlers['update-private-map-key'] = () => ({
      error: { code: 0x1000, extraCode: -100006, message: 'privateMapKey refused: expired' },
    });
    const refused = await rejection(
      c.callExperimentalAPI('updatePrivateMapKey', { privateMapKey: 'k2' }),
    );
    expect([refused.getCode(), refused.getExtraCode(), refused.message]).toEqual([
      0x1000,
      -100006,
      'privateMapKey refused: expired',
    ]);
    for (const options of [{}, { privateMapKey: '' }, { privateMapKey: 5 }]) {
      expect(
        (await rejection(c.callExperimentalAPI('updatePrivateMapKey', options))).getCode(),
      ).toBe(ErrorCode.INVALID_PARAMETER);
    }
    expect(
      (
        await rejection(
          c.callExperimentalAPI('somethingElse' as 'updatePrivateMapKey', { privateMapKey: 'k' }),
        )
      ).getCode(),
    ).toBe(ErrorCode.INVALID_PARAMETER);
    expect(server.last.requests('update-private-map-key')).toHaveLength(2);
  });

  it('rejects a refused userSig with the server code, extraCode and message verbatim', async () => {
    server.handlers.join = () => ({
      error: { code: 0x4001, extraCode: 70001, message: 'userSig expired at 2024-01-01T00:00:00Z' },
    });
    const c = client();
    const events = record(c);
    const error = await rejection(c.join({ roomId: 1 }));
    expect([error.getCode(), error.getExtraCode(), error.message]).toEqual([
      0x4001,
      70001,
      'userSig expired at 2024-01-01T00:00:00Z',
    ]);
    expect(events).toEqual([
      'connection-state-changed:CONNECTING',
      'connection-state-changed:DISCONNECTED',
    ]);
    // The client is reusable after a failed join.
    server.handlers.join = () => joinResult();
    await c.join({ roomId: 1 });
  });

  it('fails SIGNAL_CHANNEL_SETUP_FAILED naming the URL when nothing listens', async () => {
    const url = server.url;
    await server.close();
    const c = client({ serverUrl: url });
    const error = await rejection(c.join({ roomId: 1 }));
    expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED);
    expect(error.message).toContain(url);
    server = await FakeServer.start();
  });

  it('join twice rejects INVALID_OPERATION (while pending and once joined)', async () => {
    server.handlers.join = async () => {
      await delay(30);
      return joinResult();
    };
    const c = client();
    const first = c.join({ roomId: 1 });
    await delay(0);
    expect((await rejection(c.join({ roomId: 1 }))).getCode()).toBe(ErrorCode.INVALID_OPERATION);
    await first;
    expect((await rejection(c.join({ roomId: 1 }))).getCode()).toBe(ErrorCode.INVALID_OPERATION);
  });

  it('leave() during a pending join aborts it and says goodbye', async () => {
    server.handlers.join = async () => {
      await delay(50);
      return joinResult();
    };
    const c = client();
    const events = record(c);
    const joining = c.join({ roomId: 1 });
    await server.nextFrame((f) => f.method === 'join');
    await c.leave();
    const error = await rejection(joining);
    expect(error.getCode()).toBe(ErrorCode.INVALID_OPERATION);
    expect(error.message).toBe('join aborted by leave');
    expect(server.last.requests('leave')).toHaveLength(1);
    expect(events).toEqual([
      'connection-state-changed:CONNECTING',
      'connection-state-changed:DISCONNECTED',
    ]);
  });

  it('leave() while the socket is still opening aborts the join', async () => {
    const c = client();
    const joining = c.join({ roomId: 1 });
    void c.leave();
    const error = await rejection(joining);
    expect(error.message).toBe('join aborted by leave');
  });

  it('leaves and rejoins with the same Client', async () => {
    server.handlers.join = () => joinResult([participant('bob', [streamInfo('bob')])]);
    const c = client();
    const events = record(c);
    await c.join({ roomId: 1 });
    await delay(5);
    await c.leave();
    await c.leave();
    expect(server.connections[0]?.requests('leave')).toHaveLength(1);
    await c.join({ roomId: 2 });
    await delay(5);
    expect(events).toEqual([
      'connection-state-changed:CONNECTING',
      'connection-state-changed:CONNECTED',
      'peer-join:bob',
      'stream-added:bob',
      'connection-state-changed:DISCONNECTED',
      'connection-state-changed:CONNECTING',
      'connection-state-changed:CONNECTED',
      'peer-join:bob',
      'stream-added:bob',
    ]);
    expect(server.last.requests('join')[0]?.data).toMatchObject({ room: { id: 2 } });
  });

  it('turns room notifications into events, mute events from stream-updated flags', async () => {
    server.handlers.join = () => joinResult();
    const c = client();
    const events = record(c);
    await c.join({ roomId: 1 });
    await delay(5);
    events.length = 0;
    const conn = server.last;
    conn.notify('peer-join', { userId: 'bob', role: 'anchor' });
    conn.notify('stream-added', { stream: streamInfo('bob') });
    conn.notify('stream-updated', { stream: streamInfo('bob', { audioMuted: true }) });
    conn.notify('stream-updated', {
      stream: streamInfo('bob', { audioMuted: true, videoMuted: true }),
    });
    conn.notify('stream-updated', {
      stream: streamInfo('bob', { audioMuted: false, videoMuted: true }),
    });
    conn.notify('stream-updated', {
      stream: streamInfo('bob', { hasVideo: false, videoMuted: true }),
    });
    conn.notify('stream-removed', { userId: 'bob', streamType: 'main' });
    conn.notify('peer-leave', { userId: 'bob', reason: 'leave' });
    await delay(30);
    expect(events).toEqual([
      'peer-join:bob',
      'stream-added:bob',
      'mute-audio:bob',
      'mute-video:bob',
      'unmute-audio:bob',
      'stream-updated:bob',
      'stream-removed:bob',
      'peer-leave:bob',
    ]);
    expect(c.getRemoteMutedState()).toEqual([]);
  });

  it('subscribe: sends the request, fires stream-subscribed when the needed tracks are there', async () => {
    // An audio/video-less stream needs no track: stream-subscribed follows the answer at once.
    server.handlers.join = () =>
      joinResult([participant('bob', [streamInfo('bob', { hasAudio: false, hasVideo: false })])]);
    const c = client();
    const added = new Promise<RemoteStream>((resolve) =>
      c.on('stream-added', (e) => resolve(e.stream)),
    );
    const subscribed: RemoteStream[] = [];
    c.on('stream-subscribed', (e) => subscribed.push(e.stream));
    await c.join({ roomId: 1 });
    const stream = await added;
    expect(stream.getType()).toBe('main');
    expect(stream.getUserId()).toBe('bob');
    await c.subscribe(stream, { video: false });
    expect(subscribed).toEqual([stream]);
    expect(server.last.requests('subscribe')[0]?.data).toEqual({
      userId: 'bob',
      streamType: 'main',
      audio: true,
      video: false,
    });
    await c.unsubscribe(stream);
    expect(server.last.requests('unsubscribe')[0]?.data).toEqual({
      userId: 'bob',
      streamType: 'main',
    });
  });

  it('subscribe to a removed stream rejects REMOTE_STREAM_NOT_EXIST', async () => {
    server.handlers.join = () => joinResult([participant('bob', [streamInfo('bob')])]);
    const c = client();
    const added = new Promise<RemoteStream>((resolve) =>
      c.on('stream-added', (e) => resolve(e.stream)),
    );
    await c.join({ roomId: 1 });
    const stream = await added;
    const removed = new Promise((resolve) => c.on('stream-removed', resolve));
    server.last.notify('stream-removed', { userId: 'bob', streamType: 'main' });
    await removed;
    const error = await rejection(c.subscribe(stream));
    expect(error.getCode()).toBe(ErrorCode.REMOTE_STREAM_NOT_EXIST);
  });

  it('a subscribe waiting for media rejects REMOTE_STREAM_NOT_EXIST when the stream goes', async () => {
    server.handlers.join = () => joinResult([participant('bob', [streamInfo('bob')])]);
    const c = client();
    const added = new Promise<RemoteStream>((resolve) =>
      c.on('stream-added', (e) => resolve(e.stream)),
    );
    await c.join({ roomId: 1 });
    const stream = await added;
    const subscribing = c.subscribe(stream);
    await server.nextFrame((f) => f.method === 'subscribe');
    await delay(10);
    server.last.notify('stream-removed', { userId: 'bob', streamType: 'main' });
    expect((await rejection(subscribing)).getCode()).toBe(ErrorCode.REMOTE_STREAM_NOT_EXIST);
  });

  it('publish rejects an uninitialized stream with INVALID_OPERATION', async () => {
    server.handlers.join = () => joinResult();
    const c = client();
    await c.join({ roomId: 1 });
    const error = await rejection(c.publish(new LocalStream({ audio: true, video: true })));
    expect(error.getCode()).toBe(ErrorCode.INVALID_OPERATION);
    expect(error.message).toMatch(/initialize/);
    expect((await rejection(c.publish({} as never))).getCode()).toBe(ErrorCode.INVALID_PARAMETER);
  });

  it('an audience member cannot publish in live mode', async () => {
    server.handlers.join = () => joinResult();
    const c = client({ mode: 'live' });
    await c.join({ roomId: 1, role: 'audience' });
    expect((await rejection(c.publish(new LocalStream({ audio: true })))).getCode()).toBe(
      ErrorCode.INVALID_OPERATION,
    );
  });

  it('client-banned: fires {reason, message}, cleans up like leave', async () => {
    server.handlers.join = () => joinResult([participant('bob')]);
    const c = client();
    const events = record(c);
    const banned = new Promise<ClientEvents['client-banned']>((resolve) =>
      c.on('client-banned', resolve),
    );
    await c.join({ roomId: 1 });
    await delay(5);
    server.last.notify('banned', { reason: 'kick', message: 'alice joined from another device' });
    const event = await banned;
    expect(event.reason).toBe('kick');
    expect(event.message).toBe('alice joined from another device');
    expect(event.getCode()).toBe(ErrorCode.CLIENT_BANNED);
    expect(events.slice(-2)).toEqual(['connection-state-changed:DISCONNECTED', 'client-banned']);
    expect((await rejection(c.publish(new LocalStream({ audio: true })))).getCode()).toBe(
      ErrorCode.INVALID_OPERATION,
    );
    // Joinable again.
    await c.join({ roomId: 1 });
  });

  it('reconnects after a dropped socket: RECONNECTING, resume, CONNECTED, reconciled events', async () => {
    server.handlers.join = () =>
      joinResult([participant('bob', [streamInfo('bob')]), participant('carol')]);
    server.handlers.resume = () => ({
      result: { participants: [participant('carol'), participant('dave', [streamInfo('dave')])] },
    });
    const c = client();
    const events = record(c);
    await c.join({ roomId: 1 });
    await delay(5);
    events.length = 0;
    const connected = new Promise<void>((resolve) =>
      c.on('connection-state-changed', (e) => e.state === 'CONNECTED' && resolve()),
    );
    server.last.drop();
    await connected;
    expect(events).toEqual([
      'connection-state-changed:RECONNECTING',
      'connection-state-changed:CONNECTED',
      'stream-removed:bob',
      'peer-leave:bob',
      'peer-join:dave',
      'stream-added:dave',
    ]);
    expect(server.last.requests('resume')[0]?.data).toMatchObject({ resumeToken: 'token-1' });
    expect(server.connections).toHaveLength(2);
  });

  it('resumes on another node of the cluster when its node dies; logs follow it', async () => {
    const other = await FakeServer.start();
    try {
      server.handlers.join = () =>
        joinResult([participant('bob', [streamInfo('bob')])], {
          nodes: [server.url, other.url],
          logToken: 'log-1',
        });
      other.handlers.resume = () => ({
        result: { participants: [participant('bob', [streamInfo('bob')])] },
      });
      const destinations = vi.spyOn(logUpload, 'setDestination');
      const c = client();
      const events = record(c);
      await c.join({ roomId: 1 });
      await delay(5);
      expect(destinations).toHaveBeenLastCalledWith({
        url: server.url.replace('ws:', 'http:').replace('/signal', '/v1/logs'),
        token: 'log-1',
      });
      events.length = 0;
      const connected = new Promise<void>((resolve) =>
        c.on('connection-state-changed', (e) => e.state === 'CONNECTED' && resolve()),
      );
      await server.close(); // the node dies and refuses connections
      await connected;
      // Nothing changed in the room: no leave or stream events, as for a resume on one node.
      expect(events).toEqual([
        'connection-state-changed:RECONNECTING',
        'connection-state-changed:CONNECTED',
      ]);
      expect(other.last.requests('resume')[0]?.data).toMatchObject({ resumeToken: 'token-1' });
      expect(destinations).toHaveBeenLastCalledWith({
        url: other.url.replace('ws:', 'http:').replace('/signal', '/v1/logs'),
        token: 'log-1',
      });
      destinations.mockRestore();
      await c.leave();
      expect(other.last.requests('leave')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('a node that cannot reach the cluster to resume passes the session on to the next', async () => {
    const other = await FakeServer.start();
    try {
      server.handlers.join = () => joinResult([], { nodes: [server.url, other.url] });
      server.handlers.resume = () => ({
        error: {
          code: ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED,
          extraCode: ProtocolErrorCode.CLUSTER_UNAVAILABLE,
          message: 'this Parley node cannot reach the cluster (Redis)',
        },
      });
      other.handlers.resume = () => ({ result: { participants: [] } });
      const c = client();
      await c.join({ roomId: 1 });
      const connected = new Promise<void>((resolve) =>
        c.on('connection-state-changed', (e) => e.state === 'CONNECTED' && resolve()),
      );
      server.last.drop();
      await connected;
      expect(server.connections.flatMap((x) => x.requests('resume'))).toHaveLength(1);
      expect(other.last.requests('resume')[0]?.data).toMatchObject({ resumeToken: 'token-1' });
      await c.leave();
    } finally {
      await other.close();
    }
  });

  it('joins at the lighter node a cluster node over its load limit names, once', async () => {
    const other = await FakeServer.start();
    try {
      server.handlers.join = () => ({
        error: {
          code: ErrorCode.JOIN_ROOM_FAILED,
          extraCode: ProtocolErrorCode.NODE_OVERLOADED,
          message: 'this node (a) is over its load limit',
          redirect: other.url,
        },
      });
      other.handlers.join = () => joinResult([participant('bob')]);
      const c = client();
      const events = record(c);
      await c.join({ roomId: 1 });
      expect(other.last.requests('join')).toHaveLength(1);
      expect(c.getConnectionState()).toBe('CONNECTED');
      // One connecting phase for the app, not a failure and a second join.
      expect(events.filter((e) => e.startsWith('connection-state-changed'))).toEqual([
        'connection-state-changed:CONNECTING',
        'connection-state-changed:CONNECTED',
      ]);
      await c.leave();
      // A second refusal is not followed again: the join fails with it.
      other.handlers.join = server.handlers.join;
      const d = client();
      const error = (await d.join({ roomId: 1 }).catch((e: unknown) => e)) as RtcError;
      expect(error.getCode()).toBe(ErrorCode.JOIN_ROOM_FAILED);
      expect(error.getExtraCode()).toBe(ProtocolErrorCode.NODE_OVERLOADED);
      expect(d.getConnectionState()).toBe('DISCONNECTED');
    } finally {
      await other.close();
    }
  });

  it('a refused resume ends the session with error SIGNAL_CHANNEL_RECONNECTION_FAILED', async () => {
    server.handlers.join = () => joinResult();
    server.handlers.resume = () => ({
      error: { code: 0x4006, extraCode: -200005, message: 'resume token expired' },
    });
    const c = client();
    const events = record(c);
    const failed = new Promise<RtcError>((resolve) => c.on('error', resolve));
    await c.join({ roomId: 1 });
    server.last.drop();
    const error = await failed;
    expect(error.getCode()).toBe(ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED);
    expect(error.message).toContain('resume token expired');
    expect(events.slice(-3)).toEqual([
      'connection-state-changed:RECONNECTING',
      'connection-state-changed:DISCONNECTED',
      'error',
    ]);
  });
});
