import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../configError.js';
import { clientAddress, loadTrustProxy } from './clientAddress.js';

const req = (remoteAddress: string, forwarded?: string) =>
  ({
    socket: { remoteAddress },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as IncomingMessage;

describe('clientAddress', () => {
  it('is the peer address, IPv4-mapped addresses unmapped', () => {
    expect(clientAddress(req('::ffff:127.0.0.2'), false)).toBe('127.0.0.2');
    expect(clientAddress(req('::1'), false)).toBe('::1');
  });

  it('ignores X-Forwarded-For unless the proxy is trusted, then takes its last entry', () => {
    expect(clientAddress(req('10.0.0.1', '203.0.113.9'), false)).toBe('10.0.0.1');
    expect(clientAddress(req('10.0.0.1', '1.2.3.4, 203.0.113.9'), true)).toBe('203.0.113.9');
    expect(clientAddress(req('10.0.0.1', 'garbage<script>'), true)).toBe('10.0.0.1');
    expect(clientAddress(req('10.0.0.1'), true)).toBe('10.0.0.1');
  });

  it('reads PARLEY_TRUST_PROXY strictly', () => {
    expect(loadTrustProxy({})).toBe(false);
    expect(loadTrustProxy({ PARLEY_TRUST_PROXY: '1' })).toBe(true);
    expect(() => loadTrustProxy({ PARLEY_TRUST_PROXY: 'yes' })).toThrow(ConfigError);
  });
});
