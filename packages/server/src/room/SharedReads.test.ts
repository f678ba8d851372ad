import { describe, expect, it } from 'vitest';
import { SharedReads } from './SharedReads.js';

describe('SharedReads', () => {
  it('reads an object once within its ttl for every caller, then again; other objects apart', async () => {
    let now = 0;
    const reads = new SharedReads(500, () => now);
    const a = {};
    const b = {};
    let count = 0;
    const read = () => Promise.resolve(++count);
    expect(await reads.get(a, read)).toBe(1);
    expect(await reads.get(a, read)).toBe(1);
    expect(await reads.get(b, read)).toBe(2);
    now = 499;
    expect(await reads.get(a, read)).toBe(1);
    now = 500;
    expect(await reads.get(a, read)).toBe(3);
  });

  it('does not keep a failed read', async () => {
    const reads = new SharedReads(500, () => 0);
    const key = {};
    await expect(reads.get(key, () => Promise.reject(new Error('worker busy')))).rejects.toThrow(
      'worker busy',
    );
    expect(await reads.get(key, () => Promise.resolve('ok'))).toBe('ok');
  });
});
