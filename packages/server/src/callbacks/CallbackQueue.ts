/**
 * Durable, ordered delivery of event callbacks. Every event is appended to a journal on disk
 * before anything is sent, so events queued when the server stops are delivered after it
 * starts again. Events of one room go out one at a time in order (a room's next event waits
 * until the previous one is delivered or given up), rooms in parallel. A failed attempt is
 * retried at once, then with doubling waits up to `maxBackoffMs`, for `retryMs` after the
 * first attempt; then the event is dropped and the drop logged. Each event carries an id and
 * a per-room sequence number in extra headers, so a receiver can de-duplicate and order.
 *
 * The journal holds no secrets: URL and key are looked up when sending.
 */
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { roomKey } from '@parley/protocol';
import type { Logger } from 'pino';
import type { CallbackTarget } from '../apps/appsConfig.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import type { CallbackEvent } from './events.js';
import { parleySignature, tencentSign } from './sign.js';

export interface QueuedCallback {
  id: string;
  sdkAppId: number;
  /** The room's key: the ordering lane. */
  lane: string;
  roomId: string | number;
  seq: number;
  eventType: number;
  body: string;
  enqueuedAt: number;
}

export interface DeliveryRecord {
  id: string;
  sdkAppId: number;
  roomId: string | number;
  eventType: number;
  seq: number;
  attempt: number;
  outcome: 'delivered' | 'failed' | 'dropped';
  /** HTTP status, when the receiver answered. */
  status?: number;
  error?: string;
  at: number;
  ms: number;
}

export interface CallbackQueueEvents {
  delivery: [DeliveryRecord];
}

export interface CallbackQueueOptions {
  /** Journal directory; null keeps the queue in memory only (tests). */
  dir: string | null;
  target: (sdkAppId: number) => CallbackTarget | undefined;
  retryMs: number;
  maxBackoffMs: number;
  log: Logger;
  /** Tencent waits 5 s for an answer. */
  timeoutMs?: number;
  concurrency?: number;
  now?: () => number;
}

type JournalLine =
  | { op: 'add'; item: QueuedCallback }
  | { op: 'done'; id: string }
  | { op: 'seq'; lane: string; seq: number };

interface Lane {
  items: QueuedCallback[];
  busy: boolean;
  attempts: number;
  firstAttemptAt: number;
  nextAttemptAt: number;
}

const FIRST_BACKOFF_MS = 500;
const RECENT_DELIVERIES = 300;
const MAX_DELIVERY_LOG_BYTES = 5 << 20;

export class CallbackQueue extends SafeEmitter<CallbackQueueEvents> {
  readonly #lanes = new Map<string, Lane>();
  readonly #seqs = new Map<string, number>();
  readonly #recent: DeliveryRecord[] = [];
  readonly #journal: string | null;
  readonly #deliveryLog: string | null;
  readonly #now: () => number;
  #depth = 0;
  #doneSinceCompaction = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly options: CallbackQueueOptions) {
    super();
    this.#now = options.now ?? Date.now;
    this.#journal = options.dir ? join(options.dir, 'queue.jsonl') : null;
    this.#deliveryLog = options.dir ? join(options.dir, 'deliveries.jsonl') : null;
    if (options.dir) mkdirSync(options.dir, { recursive: true });
    this.#load();
  }

  /** Events waiting (not yet delivered nor dropped). */
  get depth(): number {
    return this.#depth;
  }

  /** The latest delivery attempts, newest first. */
  deliveries(limit = 50): DeliveryRecord[] {
    return this.#recent.slice(-limit).reverse();
  }

  enqueue(event: CallbackEvent): void {
    if (this.#closed || !this.options.target(event.sdkAppId)) return;
    const lane = roomKey(event.sdkAppId, event.room);
    const seq = (this.#seqs.get(lane) ?? 0) + 1;
    this.#seqs.set(lane, seq);
    const item: QueuedCallback = {
      id: randomUUID(),
      sdkAppId: event.sdkAppId,
      lane,
      roomId: event.room.id,
      seq,
      eventType: event.body.EventType,
      body: JSON.stringify(event.body),
      enqueuedAt: this.#now(),
    };
    this.#write({ op: 'add', item });
    this.#push(item);
    this.#pump();
  }

  /** Stops sending; waits for attempts in flight. Queued events stay in the journal. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await Promise.all([...this.#pending]);
  }

  #push(item: QueuedCallback): void {
    let lane = this.#lanes.get(item.lane);
    if (!lane) {
      lane = { items: [], busy: false, attempts: 0, firstAttemptAt: 0, nextAttemptAt: 0 };
      this.#lanes.set(item.lane, lane);
    }
    lane.items.push(item);
    this.#depth++;
  }

  #pump(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = this.#now();
    const concurrency = this.options.concurrency ?? 8;
    let nextWake = Infinity;
    for (const [key, lane] of this.#lanes) {
      if (lane.items.length === 0) {
        if (!lane.busy) this.#lanes.delete(key);
        continue;
      }
      if (lane.busy) continue;
      if (lane.nextAttemptAt > now) {
        nextWake = Math.min(nextWake, lane.nextAttemptAt);
        continue;
      }
      if (this.#inFlight >= concurrency) break;
      const attempt = this.#attempt(lane).finally(() => {
        this.#pending.delete(attempt);
        this.#pump();
      });
      this.#pending.add(attempt);
    }
    if (nextWake < Infinity) {
      this.#timer = setTimeout(() => this.#pump(), Math.max(0, nextWake - now));
      this.#timer.unref();
    }
  }

  async #attempt(lane: Lane): Promise<void> {
    const item = lane.items[0]!;
    lane.busy = true;
    this.#inFlight++;
    const started = this.#now();
    if (lane.attempts === 0) lane.firstAttemptAt = started;
    lane.attempts++;
    const target = this.options.target(item.sdkAppId);
    let status: number | undefined;
    let error: string | undefined;
    if (!target) {
      error = 'no callback URL is configured for this application any more';
    } else {
      try {
        const headers: Record<string, string> = {
          'Content-Type': 'application/json; charset=utf-8',
          SdkAppId: String(item.sdkAppId),
          'X-Parley-Event-Id': item.id,
          'X-Parley-Sequence': String(item.seq),
          'X-Parley-Room': String(item.roomId),
          'X-Parley-Attempt': String(lane.attempts),
        };
        if (target.key) {
          headers.Sign = tencentSign(target.key, item.body);
          headers['X-Parley-Signature'] = parleySignature(target.key, item.body, Date.now());
        }
        const response = await fetch(target.url, {
          method: 'POST',
          headers,
          body: item.body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
          redirect: 'manual',
        });
        status = response.status;
        await response.arrayBuffer().catch(() => undefined);
        if (status !== 200) error = `HTTP ${status}`;
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause;
        error = cause?.code ?? (e as Error).message;
      }
    }
    this.#inFlight--;
    lane.busy = false;
    const finished = this.#now();
    const base = {
      id: item.id,
      sdkAppId: item.sdkAppId,
      roomId: item.roomId,
      eventType: item.eventType,
      seq: item.seq,
      attempt: lane.attempts,
      at: finished,
      ms: finished - started,
      ...(status !== undefined ? { status } : {}),
    };
    if (error === undefined) {
      this.#finish(lane, item, { ...base, outcome: 'delivered' });
      return;
    }
    if (finished - lane.firstAttemptAt >= this.options.retryMs) {
      this.options.log.warn(
        {
          eventId: item.id,
          eventType: item.eventType,
          room: item.roomId,
          attempts: lane.attempts,
          error,
        },
        'callback dropped after its retry window',
      );
      this.#finish(lane, item, { ...base, outcome: 'dropped', error });
      return;
    }
    // Tencent retries at once after a failure; then back off.
    const wait =
      lane.attempts === 1
        ? 0
        : Math.min(this.options.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** (lane.attempts - 2));
    lane.nextAttemptAt = finished + wait;
    this.#record({ ...base, outcome: 'failed', error });
  }

  #finish(lane: Lane, item: QueuedCallback, record: DeliveryRecord): void {
    lane.items.shift();
    lane.attempts = 0;
    lane.nextAttemptAt = 0;
    this.#depth--;
    this.#write({ op: 'done', id: item.id });
    this.#record(record);
    if (++this.#doneSinceCompaction > 1000 && this.#doneSinceCompaction > 2 * this.#depth) {
      this.#compact();
    }
  }

  #record(record: DeliveryRecord): void {
    this.#recent.push(record);
    if (this.#recent.length > RECENT_DELIVERIES) this.#recent.shift();
    this.safeEmit('delivery', record);
    const file = this.#deliveryLog;
    if (!file) return;
    try {
      if ((statSync(file, { throwIfNoEntry: false })?.size ?? 0) > MAX_DELIVERY_LOG_BYTES) {
        renameSync(file, `${file}.1`);
      }
      appendFileSync(file, JSON.stringify(record) + '\n');
    } catch (error) {
      this.options.log.warn({ err: error }, 'cannot write the callback delivery log');
    }
  }

  #write(line: JournalLine): void {
    if (!this.#journal) return;
    // Synchronous on purpose: an event is on disk before anyone can observe it was queued.
    appendFileSync(this.#journal, JSON.stringify(line) + '\n');
  }

  #load(): void {
    if (!this.#journal) return;
    let text: string;
    try {
      text = readFileSync(this.#journal, 'utf8');
    } catch {
      return;
    }
    const items = new Map<string, QueuedCallback>();
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      let line: JournalLine;
      try {
        line = JSON.parse(raw) as JournalLine;
      } catch {
        continue; // torn by a crash
      }
      if (line.op === 'add') {
        items.set(line.item.id, line.item);
        this.#seqs.set(
          line.item.lane,
          Math.max(this.#seqs.get(line.item.lane) ?? 0, line.item.seq),
        );
      } else if (line.op === 'done') {
        items.delete(line.id);
      } else {
        this.#seqs.set(line.lane, Math.max(this.#seqs.get(line.lane) ?? 0, line.seq));
      }
    }
    for (const item of items.values()) this.#push(item);
    this.#compact();
    if (this.#depth > 0) {
      this.options.log.info({ queued: this.#depth }, 'callbacks queued before the restart resume');
      setImmediate(() => this.#pump());
    }
  }

  /** Rewrites the journal with the sequence counters and what is still queued. */
  #compact(): void {
    if (!this.#journal) return;
    const lines: JournalLine[] = [];
    for (const [lane, seq] of this.#seqs) lines.push({ op: 'seq', lane, seq });
    for (const lane of this.#lanes.values()) {
      for (const item of lane.items) lines.push({ op: 'add', item });
    }
    const tmp = `${this.#journal}.tmp`;
    writeFileSync(tmp, lines.map((l) => JSON.stringify(l) + '\n').join(''));
    renameSync(tmp, this.#journal);
    this.#doneSinceCompaction = 0;
  }
}
