/** WHIP/WHEP settings (PARLEY_WHIP_*): how many sessions, how long a peer may take to connect. */
import { integer, type Env } from '../configError.js';

export interface WhipConfig {
  /** WHIP + WHEP sessions this server holds at once; more are refused with 429. */
  maxSessions: number;
  /** A session whose peer has not connected (ICE + DTLS) by then is ended. */
  connectTimeoutMs: number;
  /** A session whose peer's connection stays down this long is ended. */
  disconnectTimeoutMs: number;
}

export function loadWhipConfig(env: Env): WhipConfig {
  return {
    maxSessions: integer(env, 'PARLEY_WHIP_MAX_SESSIONS', 0, 100_000) ?? 200,
    connectTimeoutMs: integer(env, 'PARLEY_WHIP_CONNECT_TIMEOUT_MS', 1000, 600_000) ?? 15_000,
    disconnectTimeoutMs: integer(env, 'PARLEY_WHIP_DISCONNECT_TIMEOUT_MS', 1000, 600_000) ?? 10_000,
  };
}
