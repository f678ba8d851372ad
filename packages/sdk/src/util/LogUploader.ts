/**
 * Sends SDK log lines to the Parley server (`TRTC.Logger.enableUploadLog()`): buffered,
 * batched every few seconds, as CORS simple requests (text/plain, the token in the body) so
 * no preflight is needed and the last batch can go out with `keepalive` while the page
 * unloads. Lines wait in a bounded buffer until a joined Client gives a destination.
 *
 * It never logs itself (it is fed by the logger); failures are retried with back-off or
 * dropped, never thrown.
 */
import {
  LOG_UPLOAD_PATH,
  MAX_LOG_LINES_PER_UPLOAD,
  MAX_LOG_MESSAGE_CHARS,
  type LogLine,
} from '@parley/protocol';
import { SIGNAL_PATH } from './serverUrl.js';

export interface LogDestination {
  /** `http(s)://host:port/v1/logs` */
  url: string;
  /** The join result's logToken. */
  token: string;
}

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; keepalive: boolean },
) => Promise<{ status: number }>;

export interface LogUploaderOptions {
  fetch?: FetchLike;
  /** Delay between a line and the batch that carries it. */
  flushDelayMs?: number;
  /** Lines kept while the server cannot be reached; the oldest go first. */
  maxBuffered?: number;
}

/** Browsers cap the bodies of all pending keepalive requests at 64 kB together. */
const KEEPALIVE_BATCH_BYTES = 48 * 1024;
const MAX_RETRY_DELAY_MS = 30_000;

/** `ws(s)://host:port[/prefix]/signal` → `http(s)://host:port[/prefix]/v1/logs`. */
export function logUploadUrl(signalUrl: string): string {
  const url = new URL(signalUrl);
  const protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  const prefix = url.pathname.endsWith(SIGNAL_PATH)
    ? url.pathname.slice(0, -SIGNAL_PATH.length)
    : url.pathname.replace(/\/+$/, '');
  return `${protocol}//${url.host}${prefix}${LOG_UPLOAD_PATH}`;
}

export class LogUploader {
  private enabled = false;
  private buffer: LogLine[] = [];
  private dropped = 0;
  private destination: LogDestination | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sending: Promise<void> | null = null;
  private retryDelayMs: number;
  private readonly fetchImpl: FetchLike | undefined;
  private readonly flushDelayMs: number;
  private readonly maxBuffered: number;

  constructor(options: LogUploaderOptions = {}) {
    this.fetchImpl = options.fetch;
    this.flushDelayMs = options.flushDelayMs ?? 2000;
    this.retryDelayMs = this.flushDelayMs;
    this.maxBuffered = options.maxBuffered ?? 1000;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  enable(): void {
    this.enabled = true;
    this.schedule();
  }

  /** Stops uploading and forgets the lines not sent yet. */
  disable(): void {
    this.enabled = false;
    this.buffer = [];
    this.dropped = 0;
    this.clearTimer();
  }

  /** Where lines go from now on (the latest joined Client's session). */
  setDestination(destination: LogDestination | null): void {
    this.destination = destination;
    this.retryDelayMs = this.flushDelayMs;
    this.schedule();
  }

  add(line: LogLine): void {
    if (!this.enabled) return;
    const message =
      line.message.length > MAX_LOG_MESSAGE_CHARS
        ? line.message.slice(0, MAX_LOG_MESSAGE_CHARS - 1) + '…'
        : line.message;
    this.buffer.push({ ...line, tag: line.tag.slice(0, 32), message });
    this.trim();
    if (this.buffer.length >= MAX_LOG_LINES_PER_UPLOAD) void this.flush();
    else this.schedule();
  }

  /**
   * Sends every buffered line now. With `keepalive` (page unloading, leave) the requests
   * outlive the page.
   */
  flush(options: { keepalive?: boolean } = {}): Promise<void> {
    this.clearTimer();
    if (this.sending) return this.sending.then(() => this.flush(options));
    const destination = this.destination;
    if (!this.enabled || !destination || this.buffer.length === 0) return Promise.resolve();
    this.sending = this.sendAll(destination, options.keepalive ?? false).finally(() => {
      this.sending = null;
      this.schedule();
    });
    return this.sending;
  }

  private async sendAll(destination: LogDestination, keepalive: boolean): Promise<void> {
    while (this.buffer.length > 0 && this.destination === destination && this.enabled) {
      const batch = this.takeBatch(keepalive);
      const body = JSON.stringify({ token: destination.token, lines: batch });
      let status: number;
      try {
        status = await this.post(destination.url, body, keepalive);
      } catch {
        status = 0;
      }
      if (status >= 200 && status < 300) {
        this.retryDelayMs = this.flushDelayMs;
        continue;
      }
      if (status === 0 || status === 429 || status >= 500) {
        // Unreachable or busy: keep the lines and try again later, more slowly.
        this.buffer.unshift(...batch);
        this.trim();
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, MAX_RETRY_DELAY_MS);
        return;
      }
      // Refused (bad token, bad batch): retrying would be refused again.
      if (status === 401 && this.destination === destination) this.destination = null;
    }
  }

  private takeBatch(keepalive: boolean): LogLine[] {
    const batch = this.buffer.splice(0, MAX_LOG_LINES_PER_UPLOAD);
    if (this.dropped > 0) {
      batch.unshift({
        time: Date.now(),
        level: 'warn',
        tag: 'logger',
        message: `${this.dropped} log lines were dropped before upload (buffer full)`,
      });
      if (batch.length > MAX_LOG_LINES_PER_UPLOAD) this.buffer.unshift(batch.pop()!);
      this.dropped = 0;
    }
    if (!keepalive) return batch;
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) {
      bytes += batch[i]!.message.length * 3 + 80;
      if (bytes > KEEPALIVE_BATCH_BYTES && i > 0) {
        this.buffer.unshift(...batch.splice(i));
        break;
      }
    }
    return batch;
  }

  private async post(url: string, body: string, keepalive: boolean): Promise<number> {
    const impl =
      this.fetchImpl ??
      (typeof fetch === 'function' ? (fetch.bind(globalThis) as unknown as FetchLike) : null);
    if (!impl) return 0;
    const response = await impl(url, {
      method: 'POST',
      // text/plain keeps it a CORS simple request: no preflight (see the protocol's logs.ts).
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body,
      keepalive,
    });
    return response.status;
  }

  private trim(): void {
    const excess = this.buffer.length - this.maxBuffered;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.dropped += excess;
    }
  }

  private schedule(): void {
    if (this.timer !== null || this.sending || !this.enabled) return;
    if (!this.destination || this.buffer.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.retryDelayMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
