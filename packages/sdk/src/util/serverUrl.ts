/**
 * Where the signaling WebSocket lives. A Parley server serves the SDK at `/sdk/trtc.js`, so
 * by default the SDK talks to the origin it was loaded from; `serverUrl` overrides that.
 */
import { RtcError } from '../errors/RtcError.js';

/** The path the Parley server accepts WebSocket upgrades on. */
export const SIGNAL_PATH = '/signal';

/**
 * `document.currentScript.src`, read while a classic script is being evaluated (it is null
 * afterwards, in modules and outside browsers, where this returns undefined).
 */
export function currentScriptSrc(): string | undefined {
  if (typeof document === 'undefined') return undefined;
  const script = document.currentScript;
  if (script === null || !('src' in script) || typeof script.src !== 'string') return undefined;
  return script.src === '' ? undefined : script.src;
}

/** `https://host:port/sdk/trtc.js` → `wss://host:port/signal`; undefined for non-http(s) sources. */
export function signalUrlFromScriptSrc(src: string | undefined): string | undefined {
  if (src === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(src);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}${SIGNAL_PATH}`;
}

/**
 * Normalizes an app-given `serverUrl`: ws/wss/http/https with host[:port] and an optional
 * path; http(s) becomes ws(s); `/signal` is appended unless the path already ends with it.
 * Throws INVALID_PARAMETER naming the problem.
 */
export function normalizeServerUrl(serverUrl: unknown): string {
  if (typeof serverUrl !== 'string' || serverUrl.trim() === '') {
    throw RtcError.invalidParameter(
      `serverUrl must be a non-empty string like 'wss://parley.example.com:8443', got ${JSON.stringify(serverUrl)}`,
    );
  }
  let url: URL;
  try {
    url = new URL(serverUrl.trim());
  } catch {
    throw RtcError.invalidParameter(
      `serverUrl ${JSON.stringify(serverUrl)} is not a valid URL (expected ws://, wss://, http:// or https:// followed by host[:port])`,
    );
  }
  const protocols: Record<string, string> = {
    'ws:': 'ws:',
    'wss:': 'wss:',
    'http:': 'ws:',
    'https:': 'wss:',
  };
  const protocol = protocols[url.protocol];
  if (protocol === undefined || url.host === '') {
    throw RtcError.invalidParameter(
      `serverUrl ${JSON.stringify(serverUrl)} must start with ws://, wss://, http:// or https:// followed by host[:port]`,
    );
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith(SIGNAL_PATH)) path += SIGNAL_PATH;
  return `${protocol}//${url.host}${path}${url.search}`;
}

/**
 * The signaling URL for a join: the app's `serverUrl`, else the origin the SDK script came
 * from, else INVALID_PARAMETER explaining both ways to provide one.
 */
export function resolveSignalUrl(serverUrl: unknown, scriptSignalUrl: string | undefined): string {
  if (serverUrl !== undefined && serverUrl !== null) return normalizeServerUrl(serverUrl);
  if (scriptSignalUrl !== undefined) return scriptSignalUrl;
  throw RtcError.invalidParameter(
    "no Parley server to connect to: pass serverUrl in createClient({..., serverUrl: 'wss://host:port'}) " +
      "or load the SDK from the Parley server's /sdk/trtc.js",
  );
}
