import { describe, expect, it } from 'vitest';
import { RateLimiter } from './RateLimiter.js';

describe('RateLimiter', () => {
  it('allows a burst of `capacity`, then refills at the rate', () => {
    let now = 1000;
    const limiter = new RateLimiter(30, 30, () => now);
    const burst = Array.from({ length: 31 }, () => limiter.take());
    expect(burst.filter(Boolean)).toHaveLength(30);
    expect(burst[30]).toBe(false);
    now += 100; // 3 tokens back
    expect([limiter.take(), limiter.take(), limiter.take(), limiter.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now += 10_000; // never more than the capacity
    expect(Array.from({ length: 40 }, () => limiter.take()).filter(Boolean)).toHaveLength(30);
  });
});
