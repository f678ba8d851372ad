import { describe, expect, it } from 'vitest';
import { LogTokens } from './LogTokens.js';

const key = { sdkAppId: 1, room: { kind: 'number' as const, id: 2 }, userId: 'u' };

describe('LogTokens', () => {
  it('resolves an issued token to its key until the grace period after retirement ends', () => {
    let now = 0;
    const tokens = new LogTokens(1000, () => now);
    const token = tokens.issue(key);
    expect(tokens.use(token)).toEqual(key);
    expect(tokens.use('made-up')).toBe('unknown');
    now += 60_000; // a live session's token does not expire
    expect(tokens.use(token)).toEqual(key);
    tokens.retire(token);
    now += 999;
    expect(tokens.use(token)).toEqual(key);
    now += 1;
    expect(tokens.use(token)).toBe('unknown');
  });

  it('sweeps expired tokens and rate-limits uploads per token', () => {
    let now = 0;
    const tokens = new LogTokens(10, () => now);
    const retired = tokens.issue(key);
    const live = tokens.issue(key);
    tokens.retire(retired);
    now += 10;
    tokens.sweep();
    expect(tokens.size).toBe(1);
    const uses = Array.from({ length: 12 }, () => tokens.use(live));
    expect(uses.filter((u) => u === 'rate-limited').length).toBeGreaterThan(0);
    now += 5000;
    expect(tokens.use(live)).toEqual(key);
  });
});
