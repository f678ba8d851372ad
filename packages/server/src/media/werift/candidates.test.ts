import { describe, expect, it } from 'vitest';
import { isMdnsCandidate, rewriteCandidateAddress, stripMdnsCandidates } from './candidates.js';

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

describe('mDNS candidates', () => {
  const mdns =
    'candidate:3 1 udp 2122260223 1f5b8c2e-2b6a-4a7e-9f3d-8c1e2a3b4c5d.local 51000 typ host generation 0';
  const host = 'candidate:1 1 udp 2122260223 192.0.2.7 51001 typ host generation 0';
  it('are recognised by their .local address', () => {
    expect(isMdnsCandidate(mdns)).toBe(true);
    expect(isMdnsCandidate(`a=${mdns}`)).toBe(true);
    expect(isMdnsCandidate(host)).toBe(false);
  });
  it('are removed from an SDP, other lines kept', () => {
    const sdp = `v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=${mdns}\r\na=${host}\r\na=mid:0\r\n`;
    expect(stripMdnsCandidates(sdp)).toBe(
      `v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=${host}\r\na=mid:0\r\n`,
    );
  });
});
