/**
 * Frames per second of one connection: a token bucket (burst of twice the rate). A frame
 * over it is refused (the caller answers it with an error); a connection that keeps going
 * over it, more than `perSecond` refused frames within 5 s, is to be closed.
 */
import { RateLimiter } from '../util/RateLimiter.js';

export type MessageVerdict = 'ok' | 'refuse' | 'close';

/** The window over which refusals count as sustained abuse. */
export const ABUSE_WINDOW_S = 5;

export class MessageLimiter {
  readonly #frames: RateLimiter;
  /** One token per refusal allowed; refills so that `perSecond` refusals per 5 s are tolerated. */
  readonly #refusals: RateLimiter;

  constructor(
    readonly perSecond: number,
    now: () => number = Date.now,
  ) {
    this.#frames = new RateLimiter(perSecond, perSecond * 2, now);
    this.#refusals = new RateLimiter(perSecond / ABUSE_WINDOW_S, perSecond, now);
  }

  admit(): MessageVerdict {
    if (this.#frames.take()) return 'ok';
    return this.#refusals.take() ? 'refuse' : 'close';
  }
}
