/** A small seeded PRNG (mulberry32) and helpers: the same seed replays the same fuzz run. */
export class Random {
  #state: number;

  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** `length` characters drawn from `alphabet` (default: any BMP code unit, surrogates too). */
  string(length: number, alphabet?: string): string {
    let out = '';
    for (let i = 0; i < length; i++) {
      out += alphabet
        ? alphabet[Math.floor(this.next() * alphabet.length)]
        : String.fromCharCode(this.int(0, 0xffff));
    }
    return out;
  }

  bytes(length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) buf[i] = this.int(0, 255);
    return buf;
  }
}
