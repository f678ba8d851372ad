import { describe, expect, it } from 'vitest';
import { LOSSY_JITTER_TARGET_MS, jitterTargetFor } from './LossResilience.js';

describe('jitterTargetFor', () => {
  it('raises the target on a lossy window', () => {
    expect(jitterTargetFor(0.2, null)).toBe(LOSSY_JITTER_TARGET_MS);
    expect(jitterTargetFor(0.03, null)).toBe(LOSSY_JITTER_TARGET_MS);
  });

  it('gives the browser its own target back on a clean window', () => {
    expect(jitterTargetFor(0, LOSSY_JITTER_TARGET_MS)).toBeNull();
    expect(jitterTargetFor(0.005, LOSSY_JITTER_TARGET_MS)).toBeNull();
  });

  it('keeps what it had in between (no flapping around one threshold)', () => {
    expect(jitterTargetFor(0.02, LOSSY_JITTER_TARGET_MS)).toBe(LOSSY_JITTER_TARGET_MS);
    expect(jitterTargetFor(0.02, null)).toBeNull();
  });
});
