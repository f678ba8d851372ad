/**
 * One read of an object's figures shared by every caller within `ttlMs` (the layer selectors of
 * many viewers read the same producer and transport each tick; each read is a worker request).
 */
export class SharedReads {
  readonly #reads = new WeakMap<object, { at: number; value: Promise<unknown> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get<T>(key: object, read: () => Promise<T>): Promise<T> {
    const at = this.now();
    const cached = this.#reads.get(key);
    if (cached && at - cached.at < this.ttlMs) return cached.value as Promise<T>;
    const value = read();
    this.#reads.set(key, { at, value });
    // A failed read is not kept: the next caller tries again.
    value.catch(() => {
      if (this.#reads.get(key)?.value === value) this.#reads.delete(key);
    });
    return value;
  }
}
