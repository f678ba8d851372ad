import { describe, expect, it } from 'vitest';
import { rewriteCandidateAddress } from './candidates.js';

describe('rewriteCandidateAddress', () => {
  it('replaces the address of a host candidate and keeps the rest', () => {
    const line = 'candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host generation 0';
    expect(rewriteCandidateAddress(line, '203.0.113.7')).toBe(
      'candidate:1 1 udp 2130706431 203.0.113.7 40000 typ host generation 0',
    );
  });
  it('leaves lines it does not understand alone', () => {
    expect(rewriteCandidateAddress('garbage', '203.0.113.7')).toBe('garbage');
  });
});
