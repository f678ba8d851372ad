/**
 * The address a client connects from, for per-IP limits and logs. Behind a reverse proxy
 * every connection comes from the proxy: with PARLEY_TRUST_PROXY=1 the last address of
 * X-Forwarded-For (the one the proxy appended) is used instead. Only set it when clients
 * cannot reach the server except through the proxy, or anyone could claim any address.
 */
import type { IncomingMessage } from 'node:http';
import { ConfigError, type Env } from '../configError.js';

export function loadTrustProxy(env: Env): boolean {
  const raw = env.PARLEY_TRUST_PROXY;
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`PARLEY_TRUST_PROXY must be 1 or 0, got ${JSON.stringify(raw)}`);
}

/** `::ffff:127.0.0.2` → `127.0.0.2`: one client, one key, whichever socket family it used. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const list = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    const last = list[list.length - 1]?.trim();
    if (last && /^[0-9a-fA-F.:]{2,45}$/.test(last)) return normalizeAddress(last);
  }
  return normalizeAddress(req.socket.remoteAddress ?? 'unknown');
}
