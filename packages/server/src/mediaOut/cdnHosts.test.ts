import { describe, expect, it } from 'vitest';
import { checkCdnUrl, isInternalAddress, templateHosts } from './cdnHosts.js';

const publicDns = () => Promise.resolve(['93.184.216.34']);

describe('cdnHosts', () => {
  it('knows loopback, private, link-local, CGNAT and IPv4-mapped addresses from public ones', () => {
    for (const a of ['127.0.0.1', '10.0.0.5', '172.20.1.1', '192.168.1.1', '169.254.169.254']) {
      expect(isInternalAddress(a), a).toBe(true);
    }
    for (const a of [
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
    ]) {
      expect(isInternalAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect(isInternalAddress(a), a).toBe(false);
    }
  });

  it('the default list is the template host, with its port when it names one', () => {
    expect(templateHosts('rtmp://cdn.example.com/live/{streamId}')).toEqual(['cdn.example.com']);
    expect(templateHosts('rtmps://Live.Example.com:8443/app/{streamId}?k=1')).toEqual([
      'live.example.com:8443',
    ]);
    expect(templateHosts(null)).toEqual([]);
  });

  it('host:port entries allow that port only; a bare host any port', async () => {
    const allowed = ['cdn.example.com:1935', 'other.example.com'];
    expect(await checkCdnUrl('rtmp://cdn.example.com/live/x', allowed, publicDns)).toBeNull();
    expect(await checkCdnUrl('rtmp://cdn.example.com:80/live/x', allowed, publicDns)).toMatch(
      /^host cdn\.example\.com:80 is not an allowed CDN host/,
    );
    expect(await checkCdnUrl('rtmp://OTHER.example.com:99/x', allowed, publicDns)).toBeNull();
  });

  it('with * a name resolving to an internal address, or not resolving, is refused', async () => {
    const internal = () => Promise.resolve(['93.184.216.34', '127.0.0.1']);
    expect(await checkCdnUrl('rtmp://evil.example.com/x', ['*'], internal)).toMatch(
      /evil\.example\.com:1935 is a loopback, private or link-local address \(127\.0\.0\.1\)/,
    );
    const failing = () => Promise.reject(new Error('resolving x took over 3000 ms'));
    expect(await checkCdnUrl('rtmp://slow.example.com/x', ['*'], failing)).toBe(
      'host slow.example.com could not be resolved: resolving x took over 3000 ms',
    );
    expect(await checkCdnUrl('rtmp://[fe80::1]:1935/x', ['*'], publicDns)).toMatch(
      /link-local address \(fe80::1\)/,
    );
    expect(await checkCdnUrl('rtmp://[fe80::1]:1935/x', ['*', '[fe80::1]'], publicDns)).toBeNull();
  });
});
