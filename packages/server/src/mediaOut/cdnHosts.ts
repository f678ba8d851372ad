/**
 * Which RTMP hosts a client or an API caller may make this server push to. A URL given by
 * a client is a request to open TCP from inside the operator's network (SSRF), so its host
 * must be listed (PARLEY_CDN_ALLOWED_HOSTS / the app's cdnAllowedHosts; by default only the
 * host of the app's URL template); with `*` any host is allowed, except one that resolves
 * to a loopback, private or link-local address, which must be listed by name.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Addresses a public CDN never has: loopback, private, link-local, CGNAT, multicast. */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 3],
] as const) {
  INTERNAL.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(net, bits, 'ipv6');
}

export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return INTERNAL.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export type Resolve = (host: string) => Promise<string[]>;

const DNS_TIMEOUT_MS = 3000;

async function resolveAll(host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`resolving ${host} took over ${DNS_TIMEOUT_MS} ms`)),
      DNS_TIMEOUT_MS,
    );
  });
  try {
    const found = await Promise.race([lookup(host, { all: true }), timeout]);
    return found.map((a) => a.address);
  } finally {
    clearTimeout(timer);
  }
}

/** The default list: the host (and port, when it names one) of the app's URL template. */
export function templateHosts(template: string | null): string[] {
  if (!template) return [];
  const host = hostPort(template.replaceAll('{streamId}', 'x'));
  return host ? [host.port ? `${host.name}:${host.port}` : host.name] : [];
}

function hostPort(url: string): { name: string; port: string } | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'rtmp:' && parsed.protocol !== 'rtmps:') return null;
    const name = parsed.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    return name ? { name, port: parsed.port } : null;
  } catch {
    return null;
  }
}

/**
 * Null when `url` may be pushed to; otherwise why not, naming the setting to change.
 * `allowed`: host or host:port entries, `*` for any public host.
 */
export async function checkCdnUrl(
  url: string,
  allowed: readonly string[],
  resolve: Resolve = resolveAll,
): Promise<string | null> {
  const host = hostPort(url);
  if (!host) return 'the URL has no host';
  const port = host.port || (url.startsWith('rtmps:') ? '443' : '1935');
  const shown = `${host.name}:${port}`;
  const entries = allowed.map((e) =>
    e
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1'),
  );
  const listed = entries.some(
    (e) => e === host.name || e === shown || e === `[${host.name}]:${port}`,
  );
  if (listed) return null;
  if (!entries.includes('*')) {
    return `host ${shown} is not an allowed CDN host (PARLEY_CDN_ALLOWED_HOSTS, or the app's cdnAllowedHosts; allowed: ${entries.length ? entries.join(', ') : 'none'})`;
  }
  let addresses: string[];
  try {
    addresses = isIP(host.name) ? [host.name] : await resolve(host.name);
  } catch (error) {
    return `host ${host.name} could not be resolved: ${(error as Error).message}`;
  }
  const internal = addresses.find(isInternalAddress);
  if (internal !== undefined || addresses.length === 0) {
    return `host ${shown} is a loopback, private or link-local address (${internal ?? 'none'}): list it by name in PARLEY_CDN_ALLOWED_HOSTS (or the app's cdnAllowedHosts) to allow it`;
  }
  return null;
}
