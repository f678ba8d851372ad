/**
 * A minimal typed event emitter with TRTC v4's calling convention: `on(event, handler,
 * context?)`, `off(event, handler?)`, `off('*')` removes every listener, one payload
 * argument per event. Listener exceptions are caught and logged (`safeEmit` in
 * mediasoup's words) so an application bug never breaks the SDK's own state machine.
 */
import { createLogger } from './Logger.js';

const log = createLogger('emitter');

/** Event name → payload type. */
export type EventMap = object;

export type Handler<T> = (payload: T) => void;

interface Entry {
  handler: Handler<never>;
  context: unknown;
  once: boolean;
}

export class TypedEmitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Entry[]>();

  /** Calls `handler` (with `this` = `context` when given) each time `event` fires. */
  on<K extends keyof E>(event: K, handler: Handler<E[K]>, context?: unknown): this {
    return this.add(event, handler, context, false);
  }

  /** Like `on`, for the next firing only. */
  once<K extends keyof E>(event: K, handler: Handler<E[K]>, context?: unknown): this {
    return this.add(event, handler, context, true);
  }

  /**
   * Removes `handler` from `event`; without a handler, every listener of `event`;
   * `off('*')` removes every listener of every event.
   */
  off<K extends keyof E>(event: K | '*', handler?: Handler<E[K]>, context?: unknown): this {
    if (event === '*') {
      this.listeners.clear();
      return this;
    }
    if (handler === undefined) {
      this.listeners.delete(event);
      return this;
    }
    const entries = this.listeners.get(event);
    if (!entries) return this;
    const kept = entries.filter(
      (e) => e.handler !== handler || (context !== undefined && e.context !== context),
    );
    if (kept.length === 0) this.listeners.delete(event);
    else this.listeners.set(event, kept);
    return this;
  }

  /** How many listeners `event` has (all events when omitted). */
  listenerCount(event?: keyof E): number {
    if (event !== undefined) return this.listeners.get(event)?.length ?? 0;
    let n = 0;
    for (const entries of this.listeners.values()) n += entries.length;
    return n;
  }

  /**
   * Fires `event`. Iterates over a copy so handlers may call on/off; a throwing handler is
   * logged and the others still run.
   */
  protected emit<K extends keyof E>(event: K, payload: E[K]): void {
    const entries = this.listeners.get(event);
    if (!entries || entries.length === 0) return;
    if (entries.some((e) => e.once)) {
      const kept = entries.filter((e) => !e.once);
      if (kept.length === 0) this.listeners.delete(event);
      else this.listeners.set(event, kept);
    }
    for (const entry of [...entries]) {
      try {
        (entry.handler as Handler<E[K]>).call(entry.context, payload);
      } catch (error) {
        log.error(`a '${String(event)}' event handler threw`, error);
      }
    }
  }

  private add<K extends keyof E>(
    event: K,
    handler: Handler<E[K]>,
    context: unknown,
    once: boolean,
  ): this {
    if (typeof handler !== 'function') return this;
    const entries = this.listeners.get(event) ?? [];
    entries.push({ handler: handler as Handler<never>, context, once });
    this.listeners.set(event, entries);
    return this;
  }
}
