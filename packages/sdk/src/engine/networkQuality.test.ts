import { describe, expect, it } from 'vitest';
import { gradeOf, jitterMsOf } from './networkQuality.js';
import type { Stat } from './stats.js';

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

describe('jitter in the grade', () => {
  it('a jittery path grades worse even with no loss and a short round trip', () => {
    expect(gradeOf(0, 20, 5)).toBe(1);
    expect(gradeOf(0, 20, 25)).toBe(2);
    expect(gradeOf(0, 20, 60)).toBe(3);
    expect(gradeOf(0, 20, 120)).toBe(4);
    expect(gradeOf(0, 20, 300)).toBe(5);
    // The worst of the three decides.
    expect(gradeOf(0.05, 20, 25)).toBe(3);
  });

  it('takes the largest audio jitter of the direction, converted from seconds', () => {
    const stats: Stat[] = [
      { id: 'a', type: 'inbound-rtp', kind: 'audio', jitter: 0.012 },
      { id: 'a2', type: 'inbound-rtp', kind: 'audio', jitter: 0.018 },
      { id: 'v', type: 'inbound-rtp', kind: 'video', jitter: 0.045 },
      { id: 'r', type: 'remote-inbound-rtp', kind: 'video', jitter: 0.2 },
    ];
    // Video's jitter counts the sender's pacing too: audio decides when there is audio.
    expect(jitterMsOf(stats, 'inbound-rtp')).toBeCloseTo(18);
    // A direction with video only is still graded on it.
    expect(jitterMsOf(stats, 'remote-inbound-rtp')).toBeCloseTo(200);
    expect(jitterMsOf([], 'inbound-rtp')).toBe(0);
  });
});
