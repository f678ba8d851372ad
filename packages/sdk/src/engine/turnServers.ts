/**
 * `client.setTurnServer()`: v4's TURN server descriptions → the `iceServers` of both peer
 * connections. Parley's server needs no STUN (its candidates are real addresses), but a
 * client behind a firewall that blocks UDP to it can relay through a TURN server (TURN over
 * TCP/TLS too: `turn:host:443?transport=tcp`, `turns:host:443`).
 */
import { RtcError } from '../errors/RtcError.js';

/** One TURN server, as v4 describes it (`url` where RTCIceServer has `urls`). */
export interface TurnServerConfig extends Omit<RTCIceServer, 'urls'> {
  /** `turn:host:port`, `turns:host:port` (also `?transport=tcp`), or `stun:host:port`. */
  url: string;
  username?: string;
  credential?: string;
  /** Only `'password'` (the only kind browsers support). */
  credentialType?: 'password';
}

const URL_PATTERN = /^(turns?|stuns?):[^\s]+$/i;

/** The RTCIceServers for `config` (one server or a list); INVALID_PARAMETER naming the problem. */
export function toIceServers(config: unknown): RTCIceServer[] {
  const list: unknown[] = Array.isArray(config) ? config : [config];
  return list.map((entry, index) => {
    const where = Array.isArray(config) ? `setTurnServer() entry ${index}` : 'setTurnServer()';
    if (typeof entry !== 'object' || entry === null) {
      throw RtcError.invalidParameter(
        `${where} needs {url, username, credential}, got ${entry === null ? 'null' : typeof entry}`,
      );
    }
    const { url, username, credential, credentialType } = entry as Record<string, unknown>;
    if (typeof url !== 'string' || !URL_PATTERN.test(url)) {
      throw RtcError.invalidParameter(
        `${where}: url must be a turn:, turns:, stun: or stuns: URL, got ${JSON.stringify(url)}`,
      );
    }
    if (username !== undefined && typeof username !== 'string') {
      throw RtcError.invalidParameter(`${where}: username must be a string`);
    }
    if (credential !== undefined && typeof credential !== 'string') {
      throw RtcError.invalidParameter(`${where}: credential must be a string`);
    }
    if (credentialType !== undefined && credentialType !== 'password') {
      throw RtcError.invalidParameter(
        `${where}: credentialType must be 'password' (browsers support no other), got ${JSON.stringify(credentialType)}`,
      );
    }
    if (/^turns?:/i.test(url) && (username === undefined || credential === undefined)) {
      throw RtcError.invalidParameter(`${where}: a TURN server needs username and credential`);
    }
    return {
      urls: url,
      ...(username === undefined ? {} : { username }),
      ...(credential === undefined ? {} : { credential }),
    };
  });
}
