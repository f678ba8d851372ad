/**
 * Test support for the server: an in-process ParleyServer in dev mode and a raw signaling
 * client that keeps every frame it receives. Used by the *.test.ts files beside the code.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { WebSocket, type ClientOptions } from 'ws';
import { PROTOCOL_VERSION } from '@parley/protocol';
import { genUserSig } from '@parley/usersig';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { ParleyServer } from '../ParleyServer.js';

export interface TestServer {
  server: ParleyServer;
  /** host:port */
  origin: string;
  sdkAppId: number;
  key: string;
  /** The data of a valid `join` request for `userId`, with `overrides` applied. */
  joinData(userId: string, overrides?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/** A log destination that keeps every line, for tests that read what the server logged. */
export class CapturedLog extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((l) => l !== ''),
    );
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

/**
 * Per-IP limits of a test server unless a test sets its own: every test client comes from
 * loopback, and at the defaults (10 joins, 20 connections per second) a test file's clients
 * would be refused on a quick machine and not on a slow one. The limits' own tests
 * (limits/limits.test.ts) set the limit they show refusing.
 */
export const TEST_CLIENT_LIMITS = {
  PARLEY_JOINS_PER_SECOND_PER_IP: '1000',
  PARLEY_CONNECTIONS_PER_SECOND_PER_IP: '1000',
  PARLEY_MAX_CONNECTIONS_PER_IP: '1000',
};

export async function startTestServer(
  env: Record<string, string> = {},
  /** Capture the server's log (all levels) here instead of discarding it. */
  capture?: CapturedLog,
): Promise<TestServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-test-')),
    ...TEST_CLIENT_LIMITS,
    ...env,
  });
  const log = capture
    ? createLogger('trace', { destination: capture, secrets: [config.secretKey] })
    : createLogger('silent');
  const server = new ParleyServer({ config, log });
  const { port } = await server.listen();
  const { sdkAppId, secretKey: key } = config;
  return {
    server,
    origin: `127.0.0.1:${port}`,
    sdkAppId,
    key,
    joinData: (userId, overrides = {}) => ({
      protocolVersion: PROTOCOL_VERSION,
      sdkVersion: 'test',
      sdkAppId,
      userId,
      userSig: genUserSig({ sdkAppId, key, userId, expire: 600 }),
      room: { kind: 'number', id: 4242 },
      mode: 'rtc',
      role: 'anchor',
      autoSubscribe: false,
      ...overrides,
    }),
    close: () => server.close(),
  };
}

export interface Frame {
  type: string;
  id?: number;
  ok?: boolean;
  method?: string;
  data?: Record<string, unknown>;
  error?: { code: number; extraCode?: number; message: string };
}

/** A raw signaling client: sends requests and keeps every frame it got. */
export class TestClient {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  closeReason = '';
  #id = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString()) as Frame));
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
  }

  /**
   * Opens a signaling socket to `origin` (host:port). `localAddress` (e.g. 127.0.0.2) makes
   * the server see another client IP; `options` go to ws (headers, TLS trust).
   */
  static async open(
    origin: string,
    localAddress?: string,
    options: ClientOptions & { scheme?: 'ws' | 'wss' } = {},
  ): Promise<TestClient> {
    const result = await TestClient.tryOpen(origin, localAddress, options);
    if ('status' in result) {
      throw new Error(`upgrade refused with ${result.status}: ${result.body}`);
    }
    return result;
  }

  /** Like open, but an HTTP refusal of the upgrade is returned (status and body), not thrown. */
  static async tryOpen(
    origin: string,
    localAddress?: string,
    options: ClientOptions & { scheme?: 'ws' | 'wss' } = {},
  ): Promise<TestClient | { status: number; body: string }> {
    const { scheme = 'ws', ...wsOptions } = options;
    const ws = new WebSocket(`${scheme}://${origin}/signal`, {
      ...wsOptions,
      ...(localAddress ? { localAddress } : {}),
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
      });
      ws.once('error', reject);
    });
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  async request(method: string, data: unknown): Promise<Frame> {
    const id = ++this.#id;
    this.ws.send(JSON.stringify({ type: 'req', id, method, data }));
    return this.waitFor((f) => f.type === 'res' && f.id === id);
  }

  notifications(method: string): Frame[] {
    return this.frames.filter((f) => f.type === 'ntf' && f.method === method);
  }

  async waitFor(match: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.frames.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no matching frame among ${JSON.stringify(this.frames)}`);
  }

  async waitClosed(timeoutMs = 3000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.closeCode ?? -1;
  }

  close(): void {
    this.ws.close();
  }
}
