/**
 * Drives hostile clients at a server: many concurrent connections from several loopback
 * addresses, each living a short life of one profile (a joined session sending forbidden and
 * out-of-order requests with some garbage, pure garbage, requests before join, a flood over
 * the message rate), many dropped and resumed on a new socket. Counts what it sent and every
 * refusal it got back (error answers and notifications, HTTP refusals, close codes).
 */
import { WebSocket } from 'ws';
import type { FrameKind, FuzzMessages } from './messages.js';
import type { Random } from './random.js';

export interface FuzzStats {
  /** Frames sent, by kind (plus the valid joins, pings and resumes that carry the sessions). */
  sent: Record<FrameKind | 'valid', number>;
  connections: number;
  resumes: number;
  /** Error answers and `error` notifications by `code/extraCode`. */
  errors: Record<string, number>;
  /** Upgrades refused, by HTTP status. */
  refusedUpgrades: Record<string, number>;
  /** Sockets closed by the server, by close code. */
  closes: Record<string, number>;
  /** Valid requests (join, ping, resume, leave) the server did not answer in 4 s: must stay 0. */
  unanswered: string[];
  /** Frames that parsed as a room event (peer-join…) naming a user of the call: must stay 0. */
  leaks: number;
}

export const totalSent = (s: FuzzStats): number => Object.values(s.sent).reduce((a, b) => a + b, 0);

export const totalErrors = (s: FuzzStats): number =>
  Object.values(s.errors).reduce((a, b) => a + b, 0) +
  Object.values(s.refusedUpgrades).reduce((a, b) => a + b, 0);

export interface FuzzerOptions {
  url: string;
  /** Client addresses to spread the connections over (127.0.0.x). */
  ips: readonly string[];
  gen: FuzzMessages;
  rnd: Random;
  callUsers: readonly string[];
  fuzzRooms: readonly number[];
  /** The server's per-connection message rate (the flood profile goes over it). */
  messagesPerSecond: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Below the server's 20 invalid frames: a session that sends fewer is not closed for them. */
const GARBAGE_PER_SESSION = 12;

class Connection {
  readonly ws: WebSocket;
  closed = false;
  #pending = new Map<number, (frame: Record<string, unknown>) => void>();

  constructor(
    url: string,
    ip: string,
    private readonly stats: FuzzStats,
    private readonly callUsers: readonly string[],
  ) {
    this.ws = new WebSocket(url, { localAddress: ip });
    this.ws.on('message', (raw) => this.#onFrame(raw.toString()));
    this.ws.on('close', (code) => {
      this.closed = true;
      stats.closes[code] = (stats.closes[code] ?? 0) + 1;
    });
    this.ws.on('error', () => undefined);
  }

  /** Resolves true once open, false when the upgrade was refused or failed. */
  opened(): Promise<boolean> {
    return new Promise((resolve) => {
      this.ws.once('open', () => resolve(true));
      this.ws.once('unexpected-response', (_req, res) => {
        const key = String(res.statusCode);
        this.stats.refusedUpgrades[key] = (this.stats.refusedUpgrades[key] ?? 0) + 1;
        res.resume();
        this.closed = true;
        resolve(false);
      });
      this.ws.once('error', () => resolve(false));
    });
  }

  send(kind: FrameKind | 'valid', data: string | Buffer): boolean {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(data);
    this.stats.sent[kind]++;
    return true;
  }

  /** Sends a valid request and waits for its answer (null: none within the time). */
  async request(frame: string, timeoutMs = 4000): Promise<Record<string, unknown> | null> {
    const id = (JSON.parse(frame) as { id: number }).id;
    const method = (JSON.parse(frame) as { method: string }).method;
    const answer = new Promise<Record<string, unknown> | null>((resolve) => {
      this.#pending.set(id, resolve);
      setTimeout(() => {
        if (!this.closed && this.#pending.delete(id)) this.stats.unanswered.push(method);
        resolve(null);
      }, timeoutMs);
    });
    if (!this.send('valid', frame)) return null;
    return answer;
  }

  async drained(): Promise<void> {
    while (!this.closed && this.ws.bufferedAmount > 256 * 1024) await sleep(5);
  }

  #onFrame(text: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const error =
      (frame.type === 'res' && frame.ok === false ? frame.error : null) ??
      (frame.type === 'ntf' && frame.method === 'error' ? frame.data : null);
    if (error && typeof error === 'object') {
      const e = error as { code?: number; extraCode?: number };
      const key = `${e.code}/${e.extraCode ?? '-'}`;
      this.stats.errors[key] = (this.stats.errors[key] ?? 0) + 1;
    }
    if (frame.type === 'ntf' && frame.method !== 'error') {
      const named = JSON.stringify(frame.data ?? {});
      if (this.callUsers.some((u) => named.includes(`"${u}"`))) this.stats.leaks++;
    }
    if (frame.type === 'req' && frame.method === 'offer') {
      // A subscriber offer for a fuzz room: it may name fuzz users only.
      const named = JSON.stringify(frame.data ?? {});
      if (this.callUsers.some((u) => named.includes(`"${u}"`))) this.stats.leaks++;
    }
    if (frame.type === 'res' && typeof frame.id === 'number') {
      const resolve = this.#pending.get(frame.id);
      this.#pending.delete(frame.id);
      resolve?.(frame);
    }
  }

  end(how: 'close' | 'terminate'): void {
    if (how === 'close') this.ws.close();
    else this.ws.terminate();
  }
}

export class Fuzzer {
  readonly stats: FuzzStats = {
    sent: { malformed: 0, truncated: 0, oversized: 0, 'out-of-order': 0, forbidden: 0, valid: 0 },
    connections: 0,
    resumes: 0,
    errors: {},
    refusedUpgrades: {},
    closes: {},
    leaks: 0,
    unanswered: [],
  };
  #user = 0;

  constructor(private readonly o: FuzzerOptions) {}

  /** Runs `workers` connection loops until `target` frames are sent or `deadline` (ms epoch). */
  async run(workers: number, target: number, deadline: number): Promise<void> {
    const loops = Array.from({ length: workers }, (_, w) =>
      (async () => {
        const ip = this.o.ips[w % this.o.ips.length]!;
        while (totalSent(this.stats) < target && Date.now() < deadline) {
          await this.#life(ip).catch(() => undefined);
        }
      })(),
    );
    await Promise.all(loops);
  }

  /** Opens `count` sockets from one address at once: over the per-IP limits, they are refused. */
  async burst(ip: string, count: number): Promise<void> {
    const conns = Array.from({ length: count }, () => this.#open(ip));
    await Promise.all(conns.map((c) => c.opened()));
    for (const c of conns) c.end('terminate');
  }

  #open(ip: string): Connection {
    this.stats.connections++;
    return new Connection(this.o.url, ip, this.stats, this.o.callUsers);
  }

  async #life(ip: string): Promise<void> {
    const { rnd } = this.o;
    const r = rnd.next();
    if (r < 0.55) await this.#session(ip);
    else if (r < 0.8) await this.#garbage(ip);
    else if (r < 0.95) await this.#beforeJoin(ip);
    else await this.#flood(ip);
  }

  /** A joined session sending forbidden and out-of-order requests, some garbage; often resumed. */
  async #session(ip: string): Promise<void> {
    const { gen, rnd } = this.o;
    let conn = this.#open(ip);
    if (!(await conn.opened())) return;
    const userId = `f${++this.#user % 400}`;
    const joined = await conn.request(gen.join(userId, rnd.pick(this.o.fuzzRooms)));
    const result = joined?.ok === true ? (joined.data as { resumeToken: string }) : null;
    const lives = result && rnd.chance(0.35) ? 2 : 1;
    for (let life = 0; life < lives; life++) {
      let garbage = 0;
      const count = rnd.int(100, 400);
      for (let i = 0; i < count; i++) {
        let frame = gen.any(result !== null);
        if (
          frame.kind === 'malformed' ||
          frame.kind === 'truncated' ||
          frame.kind === 'oversized'
        ) {
          if (++garbage > GARBAGE_PER_SESSION) frame = { kind: 'forbidden', data: gen.forbidden() };
        }
        if (!conn.send(frame.kind, frame.data)) break;
        if (i % 50 === 49) await conn.drained();
      }
      await conn.request(gen.ping(1_000_000 + rnd.int(0, 1000)));
      if (life + 1 < lives && result) {
        // Drop the socket and resume the session on a new one, as a flaky network does.
        conn.end('terminate');
        await sleep(rnd.int(10, 200));
        conn = this.#open(ip);
        if (!(await conn.opened())) return;
        this.stats.resumes++;
        const resumed = await conn.request(
          JSON.stringify({
            type: 'req',
            id: 1,
            method: 'resume',
            data: { protocolVersion: 1, resumeToken: result.resumeToken },
          }),
        );
        if (resumed?.ok !== true) break;
      }
    }
    const end = rnd.next();
    if (end < 0.3)
      await conn.request(
        JSON.stringify({ type: 'req', id: 999_999_999, method: 'leave', data: {} }),
      );
    conn.end(end < 0.7 ? 'close' : 'terminate');
  }

  /** Garbage only, until the server closes the socket for it. */
  async #garbage(ip: string): Promise<void> {
    const { gen, rnd } = this.o;
    const conn = this.#open(ip);
    if (!(await conn.opened())) return;
    if (rnd.chance(0.5))
      await conn.request(gen.join(`f${++this.#user % 400}`, rnd.pick(this.o.fuzzRooms)));
    for (let i = 0; i < 40 && !conn.closed; i++) {
      const frame = gen.garbage();
      if (!conn.send(frame.kind, frame.data)) break;
    }
    const deadline = Date.now() + 1000;
    while (!conn.closed && Date.now() < deadline) await sleep(10);
    conn.end('terminate');
  }

  /** Requests before any join (or resume with made-up tokens), then a close. */
  async #beforeJoin(ip: string): Promise<void> {
    const { gen, rnd } = this.o;
    const conn = this.#open(ip);
    if (!(await conn.opened())) return;
    const count = rnd.int(50, 200);
    for (let i = 0; i < count; i++) {
      const frame = rnd.chance(0.5)
        ? { kind: 'out-of-order' as const, data: gen.outOfOrder(false) }
        : { kind: 'forbidden' as const, data: gen.forbidden() };
      if (!conn.send(frame.kind, frame.data)) break;
      if (i % 50 === 49) await conn.drained();
    }
    await conn.request(gen.ping(2_000_000));
    conn.end(rnd.chance(0.5) ? 'close' : 'terminate');
  }

  /** Far over the message rate: answered RATE_LIMITED, then closed with 1008. */
  async #flood(ip: string): Promise<void> {
    const { gen } = this.o;
    const conn = this.#open(ip);
    if (!(await conn.opened())) return;
    await conn.request(gen.join(`f${++this.#user % 400}`, this.o.fuzzRooms[0]!));
    const count = this.o.messagesPerSecond * 4;
    for (let i = 0; i < count && !conn.closed; i++) {
      if (!conn.send('forbidden', gen.forbidden())) break;
      if (i % 100 === 99) await conn.drained();
    }
    const deadline = Date.now() + 2000;
    while (!conn.closed && Date.now() < deadline) await sleep(10);
    conn.end('terminate');
  }
}
