/**
 * PARLEY_ALLOWED_ORIGINS: the web origins whose pages may use this server. It gates the
 * WebSocket upgrade and the HTTP API (CORS answers name only allowed origins). Requests
 * without an Origin header (servers, curl, native apps) and same-origin requests (the demo
 * served by Parley itself) are always allowed: the check exists to stop other sites' pages
 * from using a user's browser against this server, which is what a browser's Origin tells.
 */
import { ConfigError, type Env } from '../configError.js';

/** `scheme://host[:port]` in the form browsers send, or a ConfigError naming the entry. */
function normalizeOrigin(entry: string): string {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new ConfigError(
      `PARLEY_ALLOWED_ORIGINS: ${JSON.stringify(entry)} is not an origin like https://app.example.com`,
    );
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    /^[a-z]+:\/\/[^/]*\/./i.test(entry)
  ) {
    throw new ConfigError(
      `PARLEY_ALLOWED_ORIGINS: ${JSON.stringify(entry)} is not an origin: give scheme://host[:port] only, like https://app.example.com`,
    );
  }
  return url.origin;
}

/** The allowed origins of the environment; null when any origin may connect (the default). */
export function loadAllowedOrigins(env: Env): string[] | null {
  const raw = env.PARLEY_ALLOWED_ORIGINS?.trim();
  if (raw === undefined || raw === '' || raw === '*') return null;
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.includes('*')) {
    throw new ConfigError('PARLEY_ALLOWED_ORIGINS: use "*" alone (any origin), not in a list');
  }
  return [...new Set(entries.map(normalizeOrigin))];
}

export class OriginPolicy {
  readonly #allowed: ReadonlySet<string> | null;

  /** `allowed`: null for any origin. */
  constructor(allowed: readonly string[] | null) {
    this.#allowed = allowed === null ? null : new Set(allowed);
  }

  /** True when any origin is allowed. */
  get open(): boolean {
    return this.#allowed === null;
  }

  /**
   * Whether a request with this Origin header may proceed. `host` is the request's Host
   * header: a page of this server's own origin is always allowed.
   */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined || this.#allowed === null) return true;
    if (this.#allowed.has(origin)) return true;
    return host !== undefined && originHost(origin) === host.toLowerCase();
  }

  /** What to tell a refused client. */
  refusal(origin: string): string {
    return `origin ${JSON.stringify(origin.slice(0, 200))} is not allowed to use this Parley server (PARLEY_ALLOWED_ORIGINS)`;
  }

  /** CORS headers for a response to a request with this Origin header. */
  corsHeaders(origin: string | undefined, host: string | undefined): Record<string, string> {
    const common = {
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type, Authorization',
      'Access-Control-Max-Age': '600',
    };
    if (this.#allowed === null) return { ...common, 'Access-Control-Allow-Origin': '*' };
    // The answer depends on the Origin: caches must not hand one origin's answer to another.
    if (origin !== undefined && this.allows(origin, host)) {
      return { ...common, 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
    }
    return { Vary: 'Origin' };
  }
}

/** `https://a.example:8443` → `a.example:8443` (as a Host header says it); '' if unparsable. */
function originHost(origin: string): string {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return '';
  }
}
