/**
 * A token bucket: `capacity` events at once, refilled at `perSecond`. Used to cap what one
 * client may make the server do (SEI relays, log uploads) without tracking time windows.
 */
export class RateLimiter {
  #tokens: number;
  #last: number;

  constructor(
    readonly perSecond: number,
    readonly capacity: number = perSecond,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = capacity;
    this.#last = now();
  }

  /** Takes `count` tokens (one event, or its bytes); false when too few are left (refuse it). */
  take(count = 1): boolean {
    const now = this.now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.capacity, this.#tokens + (elapsed * this.perSecond) / 1000);
    if (this.#tokens < count) return false;
    this.#tokens -= count;
    return true;
  }
}
