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
