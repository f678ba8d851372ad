import { describe, expect, it } from 'vitest';
import { gradeOf } from './networkQuality.js';

describe('gradeOf', () => {
  it('grades loss and round trip, the worse of the two deciding', () => {
    expect(gradeOf(0, 1)).toBe(1);
    expect(gradeOf(0.009, 99)).toBe(1);
    expect(gradeOf(0.01, 10)).toBe(2);
    expect(gradeOf(0, 150)).toBe(2);
    expect(gradeOf(0.05, 10)).toBe(3);
    expect(gradeOf(0, 300)).toBe(3);
    expect(gradeOf(0.1, 500)).toBe(4);
    expect(gradeOf(0.2, 10)).toBe(5);
    expect(gradeOf(0, 2000)).toBe(5);
    expect(gradeOf(0.02, 700)).toBe(4);
  });
});
