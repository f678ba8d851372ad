/**
 * Bearer tokens for log upload, one per joined session. A token names where the lines go
 * (the session's sdkAppId, room and userId), so an upload cannot claim another user's log.
 * It outlives its session by a grace period: the lines logged while leaving arrive after.
 */
import { randomBytes } from 'node:crypto';
import { LOG_TOKEN_GRACE_MS } from '@parley/protocol';
import { RateLimiter } from '../util/RateLimiter.js';
import type { LogKey } from './LogStore.js';

interface TokenEntry {
  key: LogKey;
  /** null while the session lives. */
  expiresAt: number | null;
  limiter: RateLimiter;
}

/** Uploads per token: the SDK sends one batch every few seconds; bursts at leave. */
const UPLOADS_PER_SECOND = 2;
const UPLOAD_BURST = 10;

export class LogTokens {
  readonly #tokens = new Map<string, TokenEntry>();

  constructor(
    private readonly graceMs = LOG_TOKEN_GRACE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#tokens.size;
  }

  issue(key: LogKey): string {
    const token = randomBytes(24).toString('base64url');
    this.register(token, key);
    return token;
  }

  /** Cluster: a token another node issued, for a session that resumed here. */
  register(token: string, key: LogKey): void {
    this.#tokens.set(token, {
      key,
      expiresAt: null,
      limiter: new RateLimiter(UPLOADS_PER_SECOND, UPLOAD_BURST, this.now),
    });
  }

  /** The session ended: the token works for the grace period more. */
  retire(token: string): void {
    const entry = this.#tokens.get(token);
    if (entry && entry.expiresAt === null) entry.expiresAt = this.now() + this.graceMs;
  }

  /**
   * Where an upload with `token` goes: the key, 'unknown' (never issued or expired) or
   * 'rate-limited'.
   */
  use(token: string): LogKey | 'unknown' | 'rate-limited' {
    const entry = this.#tokens.get(token);
    if (!entry) return 'unknown';
    if (entry.expiresAt !== null && entry.expiresAt <= this.now()) {
      this.#tokens.delete(token);
      return 'unknown';
    }
    return entry.limiter.take() ? entry.key : 'rate-limited';
  }

  /** Forgets expired tokens. */
  sweep(): void {
    const now = this.now();
    for (const [token, entry] of this.#tokens) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) this.#tokens.delete(token);
    }
  }
}
