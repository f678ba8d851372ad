/**
 * The TURN servers Parley hands to clients at join (PARLEY_TURN_*), and whether media also
 * accepts ICE over TCP (PARLEY_ICE_TCP). Clients behind firewalls that block UDP reach the
 * media either through TURN or, when only TCP passes, through the server's TCP candidates.
 *
 * Credentials are either coturn's REST API ones (`use-auth-secret`): a username
 * `<expiry unix time>:<userId>` and an HMAC-SHA1 of it under the shared secret, valid for
 * PARLEY_TURN_TTL seconds; or one static username/credential pair.
 */
import { createHmac } from 'node:crypto';
import { ConfigError, integer, type Env } from '../configError.js';

export interface TurnConfig {
  urls: string[];
  /** coturn `static-auth-secret` (REST credentials), or */
  secret?: string;
  /** a static username and credential. */
  username?: string;
  credential?: string;
  ttlSeconds: number;
}

export interface IceServerInfo {
  urls: string[];
  username?: string;
  credential?: string;
}

const URL_PATTERN = /^(turns?|stuns?):[^\s,]+$/;
const MAX_URLS = 8;

/** PARLEY_TURN_URLS and its credentials; undefined when no TURN is configured. */
export function loadTurnConfig(env: Env): TurnConfig | undefined {
  const urls = (env.PARLEY_TURN_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const secret = env.PARLEY_TURN_SECRET || undefined;
  const username = env.PARLEY_TURN_USERNAME || undefined;
  const credential = env.PARLEY_TURN_CREDENTIAL || undefined;
  if (urls.length === 0) {
    if (secret || username || credential) {
      throw new ConfigError('PARLEY_TURN_SECRET/USERNAME/CREDENTIAL need PARLEY_TURN_URLS');
    }
    return undefined;
  }
  if (urls.length > MAX_URLS) throw new ConfigError(`PARLEY_TURN_URLS: at most ${MAX_URLS} URLs`);
  for (const url of urls) {
    if (!URL_PATTERN.test(url)) {
      throw new ConfigError(
        `PARLEY_TURN_URLS must list turn:, turns:, stun: or stuns: URLs, got ${JSON.stringify(url)}`,
      );
    }
  }
  if (secret && (username || credential)) {
    throw new ConfigError(
      'set PARLEY_TURN_SECRET (REST credentials) or PARLEY_TURN_USERNAME/PARLEY_TURN_CREDENTIAL, not both',
    );
  }
  if (Boolean(username) !== Boolean(credential)) {
    throw new ConfigError('set both PARLEY_TURN_USERNAME and PARLEY_TURN_CREDENTIAL, or neither');
  }
  if (!secret && !username && urls.some((u) => u.startsWith('turn'))) {
    throw new ConfigError(
      'TURN URLs need credentials: PARLEY_TURN_SECRET, or PARLEY_TURN_USERNAME and PARLEY_TURN_CREDENTIAL',
    );
  }
  return {
    urls,
    ...(secret ? { secret } : {}),
    ...(username && credential ? { username, credential } : {}),
    ttlSeconds: integer(env, 'PARLEY_TURN_TTL', 60, 7 * 24 * 3600) ?? 24 * 3600,
  };
}

/** PARLEY_ICE_TCP: on unless set to off/false/0. */
export function loadIceTcp(env: Env): boolean {
  const raw = (env.PARLEY_ICE_TCP ?? '').trim().toLowerCase();
  if (raw === '' || ['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(
    `PARLEY_ICE_TCP must be on or off, got ${JSON.stringify(env.PARLEY_ICE_TCP)}`,
  );
}

/** The iceServers for one joining user (REST credentials expire after the TTL). */
export function iceServersFor(
  config: TurnConfig,
  userId: string,
  nowMs = Date.now(),
): IceServerInfo[] {
  if (config.secret) {
    const username = `${Math.floor(nowMs / 1000) + config.ttlSeconds}:${userId}`;
    const credential = createHmac('sha1', config.secret).update(username).digest('base64');
    return [{ urls: config.urls, username, credential }];
  }
  if (config.username && config.credential) {
    return [{ urls: config.urls, username: config.username, credential: config.credential }];
  }
  return [{ urls: config.urls }];
}
