import { describe, expect, it } from 'vitest';
import { MessageLimiter } from './MessageLimiter.js';

describe('MessageLimiter', () => {
  it('allows a burst of twice the rate, refuses the rest, and closes on sustained abuse', () => {
    const now = 0;
    const limiter = new MessageLimiter(10, () => now);
    const burst = Array.from({ length: 20 }, () => limiter.admit());
    expect(burst.every((v) => v === 'ok')).toBe(true);
    // 10 refusals are tolerated, the 11th within the window closes.
    const over = Array.from({ length: 11 }, () => limiter.admit());
    expect(over.slice(0, 10).every((v) => v === 'refuse')).toBe(true);
    expect(over[10]).toBe('close');
  });

  it('never closes a client that stays within the rate, nor one that overshoots now and then', () => {
    let now = 0;
    const limiter = new MessageLimiter(10, () => now);
    const verdicts: string[] = [];
    for (let second = 0; second < 60; second++) {
      // 12 frames in each second: a little over the rate, absorbed by the burst at first.
      for (let i = 0; i < 12; i++) {
        now += 1000 / 12;
        verdicts.push(limiter.admit());
      }
      if (second % 10 === 0) now += 2000; // pauses refill the bucket
    }
    expect(verdicts).not.toContain('close');
    expect(verdicts.filter((v) => v === 'ok').length).toBeGreaterThan(600);
  });
});
