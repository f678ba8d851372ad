/**
 * Test support for the server: an in-process ParleyServer in dev mode and a raw signaling
 * client that keeps every frame it receives. Used by the *.test.ts files beside the code.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
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

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-test-')),
    ...env,
  });
  const server = new ParleyServer({ config, log: createLogger('silent') });
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
  #id = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString()) as Frame));
    ws.on('close', (code) => (this.closeCode = code));
  }

  static async open(origin: string): Promise<TestClient> {
    const ws = new WebSocket(`ws://${origin}/signal`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return new TestClient(ws);
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
