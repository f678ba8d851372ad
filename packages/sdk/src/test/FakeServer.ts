/**
 * Test support: a scripted Parley signaling server on 127.0.0.1 (the `ws` package), for
 * SignalChannel and Client tests in Node. It speaks the real envelope; each test scripts
 * the answers.
 */
import { WebSocketServer, WebSocket } from 'ws';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
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
    if (this.server.frozen) return;
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
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
    private readonly gate: UpgradeGate,
  ) {
    wss.on('connection', (socket) => this.connections.push(new FakeConnection(socket, this)));
  }

  static async start(): Promise<FakeServer> {
    const gate: UpgradeGate = { frozen: false, held: new Set() };
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      path: '/signal',
      // A frozen server leaves the handshake unanswered (the TCP connection stays open).
      verifyClient: (info, done) => {
        if (!gate.frozen) done(true);
        else gate.held.add(info.req.socket);
      },
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const { port } = wss.address() as AddressInfo;
    return new FakeServer(wss, `ws://127.0.0.1:${port}/signal`, gate);
  }

  get frozen(): boolean {
    return this.gate.frozen;
  }

  /**
   * Like a SIGSTOPped node: nothing is answered any more (frames are still recorded) and new
   * WebSocket handshakes hang, but no connection is reset.
   */
  freeze(): void {
    this.gate.frozen = true;
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

  /** Drops every connection and stops listening (later connections are refused); idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const client of this.wss.clients) client.terminate();
      for (const socket of this.gate.held) socket.destroy();
      this.wss.close(() => resolve());
    });
    return this.closing;
  }
}

/** Handshakes of a frozen FakeServer wait here. */
interface UpgradeGate {
  frozen: boolean;
  held: Set<Socket>;
}

/** One WebSocket the SDK constructed: to which URL, when. */
export interface SocketAttempt {
  url: string;
  at: number;
}

/**
 * The `ws` client constructor recording every socket the SDK opens, in order, in `attempts`
 * (a refused connection reaches no server, so only the client side can see it was tried).
 */
export function recordingWebSocket(attempts: SocketAttempt[]): WebSocketCtor {
  class Recording extends WebSocket {
    constructor(url: string) {
      attempts.push({ url, at: Date.now() });
      super(url);
    }
  }
  return Recording as unknown as WebSocketCtor;
}

/** A signaling URL on a loopback port nothing listens on: connections are refused at once. */
export async function refusingUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `ws://127.0.0.1:${port}/signal`;
}

/**
 * A frozen node: TCP connections are accepted (as the kernel does for a SIGSTOPped process)
 * and never answered, so a WebSocket to it stays opening.
 */
export class HangingServer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<HangingServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new HangingServer(server, `ws://127.0.0.1:${port}/signal`);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
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
