/**
 * Test support: a scripted Parley signaling server on 127.0.0.1 (the `ws` package), for
 * SignalChannel and Client tests in Node. It speaks the real envelope; each test scripts
 * the answers.
 */
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import type { ErrorPayload } from '@parley/protocol';
import type { WebSocketCtor } from '../signal/SignalChannel.js';

/** The `ws` client constructor, typed for SignalChannel (their event typings differ). */
export const NodeWebSocket = WebSocket as unknown as WebSocketCtor;

export type Reply = { result: unknown } | { error: ErrorPayload } | 'ignore';
export type RequestHandler = (data: unknown, connection: FakeConnection) => Reply | Promise<Reply>;

export interface Frame {
  type: string;
  id?: number;
  method?: string;
  data?: unknown;
  ok?: boolean;
  error?: ErrorPayload;
}

export class FakeConnection {
  readonly frames: Frame[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, (frame: Frame) => void>();

  constructor(
    readonly socket: WebSocket,
    private readonly server: FakeServer,
  ) {
    socket.on('message', (raw) => void this.onMessage(String(raw)));
  }

  /** Requests received, by method. */
  requests(method?: string): Frame[] {
    return this.frames.filter(
      (f) => f.type === 'req' && (method === undefined || f.method === method),
    );
  }

  notifications(method?: string): Frame[] {
    return this.frames.filter(
      (f) => f.type === 'ntf' && (method === undefined || f.method === method),
    );
  }

  notify(method: string, data: unknown): void {
    this.socket.send(JSON.stringify({ type: 'ntf', method, data }));
  }

  /** A server request; resolves with the SDK's response frame. */
  request(method: string, data: unknown): Promise<Frame> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ type: 'req', id, method, data }));
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** Kills the TCP connection without a close handshake, like a network failure. */
  drop(): void {
    this.socket.terminate();
  }

  private async onMessage(text: string): Promise<void> {
    const frame = JSON.parse(text) as Frame;
    this.frames.push(frame);
    this.server.emitFrame(frame, this);
    if (frame.type === 'res' && frame.id !== undefined) {
      this.waiting.get(frame.id)?.(frame);
      this.waiting.delete(frame.id);
      return;
    }
    if (frame.type !== 'req' || frame.id === undefined || frame.method === undefined) return;
    const handler = this.server.handlers[frame.method];
    const reply: Reply = handler ? await handler(frame.data, this) : { result: {} };
    if (reply === 'ignore' || this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(
      JSON.stringify(
        'error' in reply
          ? { type: 'res', id: frame.id, ok: false, error: reply.error }
          : { type: 'res', id: frame.id, ok: true, data: reply.result },
      ),
    );
  }
}

export class FakeServer {
  readonly connections: FakeConnection[] = [];
  /** Answers by method; unlisted methods get `{}`. */
  handlers: Record<string, RequestHandler> = {};
  private frameListeners: Array<(frame: Frame, connection: FakeConnection) => void> = [];

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {
    wss.on('connection', (socket) => this.connections.push(new FakeConnection(socket, this)));
  }

  static async start(): Promise<FakeServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/signal' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const { port } = wss.address() as AddressInfo;
    return new FakeServer(wss, `ws://127.0.0.1:${port}/signal`);
  }

  get last(): FakeConnection {
    const connection = this.connections[this.connections.length - 1];
    if (!connection) throw new Error('no connection yet');
    return connection;
  }

  /** Resolves with the next frame matching `predicate` (from any connection). */
  nextFrame(
    predicate: (frame: Frame) => boolean,
  ): Promise<{ frame: Frame; connection: FakeConnection }> {
    return new Promise((resolve) => {
      const listener = (frame: Frame, connection: FakeConnection): void => {
        if (!predicate(frame)) return;
        this.frameListeners = this.frameListeners.filter((l) => l !== listener);
        resolve({ frame, connection });
      };
      this.frameListeners.push(listener);
    });
  }

  /** Resolves when `count` connections have been made in total. */
  async waitForConnections(count: number): Promise<void> {
    while (this.connections.length < count) await new Promise((r) => setTimeout(r, 5));
  }

  emitFrame(frame: Frame, connection: FakeConnection): void {
    for (const listener of [...this.frameListeners]) listener(frame, connection);
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** A join result with the given participants. */
export function joinResult(
  participants: unknown[] = [],
  overrides: Record<string, unknown> = {},
): { result: unknown } {
  return {
    result: {
      participants,
      sessionId: 's1',
      resumeToken: 'token-1',
      heartbeatMs: 5000,
      sessionTimeoutMs: 5000,
      ...overrides,
    },
  };
}

export function streamInfo(
  userId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    userId,
    streamType: 'main',
    hasAudio: true,
    hasVideo: true,
    audioMuted: false,
    videoMuted: false,
    hasSmall: false,
    ...overrides,
  };
}

export function participant(userId: string, streams: unknown[] = []): Record<string, unknown> {
  return { userId, role: 'anchor', streams };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
