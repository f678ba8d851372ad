/**
 * Per-IP admission: connections per second, open connections at once and joins per second
 * of each remote address. State for an address is dropped once it has no open connection
 * and its buckets have refilled, so the table stays as small as the set of active clients.
 */
import { RateLimiter } from '../util/RateLimiter.js';
import type { LimitsConfig } from './limitsConfig.js';

interface IpState {
  open: number;
  connections: RateLimiter;
  joins: RateLimiter;
  lastUsed: number;
}

export type ConnectionVerdict =
  { ok: true; release: () => void } | { ok: false; reason: 'rate' | 'concurrent'; message: string };

/** Idle state older than this (no open connection) is forgotten: every bucket is full again. */
const FORGET_AFTER_MS = 5_000;

export class IpLimits {
  readonly #ips = new Map<string, IpState>();

  constructor(
    private readonly limits: LimitsConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Admits a new connection from `ip`; call `release` once when it closes. */
  admitConnection(ip: string): ConnectionVerdict {
    const state = this.#state(ip);
    const { maxConnectionsPerIp, connectionsPerSecondPerIp } = this.limits;
    if (state.open >= maxConnectionsPerIp) {
      return {
        ok: false,
        reason: 'concurrent',
        message: `too many open connections from ${ip} (limit ${maxConnectionsPerIp}); close some and retry`,
      };
    }
    if (!state.connections.take()) {
      return {
        ok: false,
        reason: 'rate',
        message: `too many new connections from ${ip} (limit ${connectionsPerSecondPerIp} per second); retry in a second`,
      };
    }
    state.open++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        state.open--;
        state.lastUsed = this.now();
      },
    };
  }

  /** Takes a join token of `ip`; a message saying why when there is none left, else null. */
  admitJoin(ip: string): string | null {
    if (this.#state(ip).joins.take()) return null;
    return `too many joins from ${ip} (limit ${this.limits.joinsPerSecondPerIp} per second); retry in a second`;
  }

  /** Addresses with state (for tests). */
  get size(): number {
    return this.#ips.size;
  }

  /** Forgets addresses with no open connection whose buckets have refilled. */
  sweep(): void {
    const now = this.now();
    for (const [ip, state] of this.#ips) {
      if (state.open === 0 && now - state.lastUsed > FORGET_AFTER_MS) this.#ips.delete(ip);
    }
  }

  #state(ip: string): IpState {
    let state = this.#ips.get(ip);
    if (!state) {
      const { connectionsPerSecondPerIp: c, joinsPerSecondPerIp: j } = this.limits;
      state = {
        open: 0,
        connections: new RateLimiter(c, c, this.now),
        joins: new RateLimiter(j, j, this.now),
        lastUsed: this.now(),
      };
      this.#ips.set(ip, state);
    }
    state.lastUsed = this.now();
    return state;
  }
}
