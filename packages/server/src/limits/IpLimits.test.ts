import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from './limitsConfig.js';
import { IpLimits } from './IpLimits.js';

describe('IpLimits', () => {
  const limits = { ...DEFAULT_LIMITS, connectionsPerSecondPerIp: 3, maxConnectionsPerIp: 2 };

  it('counts open connections per IP and frees a slot on release', () => {
    let now = 0;
    const ips = new IpLimits(limits, () => now);
    const a1 = ips.admitConnection('10.0.0.1');
    const a2 = ips.admitConnection('10.0.0.1');
    const a3 = ips.admitConnection('10.0.0.1');
    expect([a1.ok, a2.ok, a3.ok]).toEqual([true, true, false]);
    expect(!a3.ok && a3.reason).toBe('concurrent');
    expect(ips.admitConnection('10.0.0.2').ok).toBe(true);
    if (a1.ok) {
      a1.release();
      a1.release(); // twice is once
    }
    now += 1000;
    expect(ips.admitConnection('10.0.0.1').ok).toBe(true);
    expect(ips.admitConnection('10.0.0.1').ok).toBe(false);
  });

  it('limits new connections per second and forgets idle addresses', () => {
    let now = 0;
    const ips = new IpLimits({ ...limits, maxConnectionsPerIp: 100 }, () => now);
    const verdicts = Array.from({ length: 4 }, () => ips.admitConnection('10.0.0.1'));
    expect(verdicts.map((v) => v.ok)).toEqual([true, true, true, false]);
    expect(!verdicts[3]!.ok && verdicts[3]!.reason).toBe('rate');
    for (const v of verdicts) if (v.ok) v.release();
    now += 10_000;
    ips.sweep();
    expect(ips.size).toBe(0);
  });

  it('limits joins per second per IP', () => {
    const now = 0;
    const ips = new IpLimits({ ...limits, joinsPerSecondPerIp: 2 }, () => now);
    expect(ips.admitJoin('10.0.0.1')).toBeNull();
    expect(ips.admitJoin('10.0.0.1')).toBeNull();
    expect(ips.admitJoin('10.0.0.1')).toMatch(
      /too many joins from 10\.0\.0\.1 \(limit 2 per second\)/,
    );
    expect(ips.admitJoin('10.0.0.2')).toBeNull();
  });
});
