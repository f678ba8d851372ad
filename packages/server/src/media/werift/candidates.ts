/**
 * ICE candidate lines: `candidate:<foundation> <component> <proto> <priority> <address> <port> typ <type> ...`.
 * Replacing the address lets a server behind NAT (or in a container) announce its public IP,
 * as mediasoup's `announcedIp` does.
 */
export function rewriteCandidateAddress(line: string, address: string): string {
  const parts = line.split(' ');
  if (parts.length < 8 || parts[6] !== 'typ') return line;
  parts[4] = address;
  return parts.join(' ');
}

/**
 * Removes candidates whose address is an mDNS name (`*.local`): browsers use them to hide
 * host addresses, and we cannot resolve them. Peer-reflexive discovery covers those hosts.
 */
export function stripMdnsCandidates(sdp: string): string {
  return sdp.replace(/^a=candidate:\S+ \d+ \S+ \d+ [0-9a-f-]+\.local \d+ typ .*\r?\n/gim, '');
}

/** True for a candidate line whose address is an mDNS name. */
export function isMdnsCandidate(line: string): boolean {
  return /^(?:a=)?candidate:\S+ \d+ \S+ \d+ [0-9a-f-]+\.local /i.test(line);
}
