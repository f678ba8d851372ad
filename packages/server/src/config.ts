/**
 * Configuration from environment variables. With no credentials configured the server runs in
 * dev mode: it generates an sdkAppId and secret key once, keeps them in the data directory so
 * restarts keep them, and serves /dev/usersig for the demo.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, integer, type Env } from './configError.js';
import { loadLimits, type LimitsConfig } from './limits/limitsConfig.js';
import { loadTrustProxy } from './net/clientAddress.js';
import { loadAllowedOrigins } from './net/origins.js';
import { loadTls, type TlsCredentials } from './net/tls.js';

export { ConfigError };

export interface ParleyConfig {
  port: number;
  host: string;
  sdkAppId: number;
  secretKey: string;
  /** True when the credentials were generated here (dev mode). */
  devMode: boolean;
  /** Where dev credentials live, when in dev mode. */
  devCredentialsFile?: string;
  announcedIp?: string;
  rtcPortRange?: [number, number];
  /**
   * PARLEY_DATA_DIR when it is set explicitly: uploaded SDK logs are also appended to files
   * under `<dataDir>/logs/`. (Dev credentials use `.parley` when it is unset.)
   */
  dataDir?: string;
  /** How long a participant without a sign of life stays in the room. */
  sessionTimeoutMs: number;
  heartbeatMs: number;
  /** PARLEY_TLS_CERT/PARLEY_TLS_KEY, read and checked: the server speaks HTTPS and WSS. */
  tls?: TlsCredentials;
  /** PARLEY_ALLOWED_ORIGINS; null or absent: any origin (the default). */
  allowedOrigins?: string[] | null;
  /** PARLEY_TRUST_PROXY: take the client address from X-Forwarded-For (see net/clientAddress.ts). */
  trustProxy?: boolean;
  /** Per-IP and per-connection limits (see limits/limitsConfig.ts); absent: the defaults. */
  limits?: LimitsConfig;
}

function loadDevCredentials(dataDir: string): {
  sdkAppId: number;
  secretKey: string;
  file: string;
} {
  const file = join(dataDir, 'dev-credentials.json');
  if (existsSync(file)) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'sdkAppId' in parsed &&
      'secretKey' in parsed &&
      typeof parsed.sdkAppId === 'number' &&
      typeof parsed.secretKey === 'string'
    ) {
      return { sdkAppId: parsed.sdkAppId, secretKey: parsed.secretKey, file };
    }
    throw new ConfigError(`${file} is not valid; delete it to generate new dev credentials`);
  }
  mkdirSync(dataDir, { recursive: true });
  // TRTC sdkAppIds are 14000xxxxx; dev ids look alike but start with 1999 to stand out.
  const credentials = {
    sdkAppId: 1999000000 + randomInt(0, 999999),
    secretKey: randomBytes(32).toString('hex'),
  };
  writeFileSync(file, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  return { ...credentials, file };
}

export function loadConfig(env: Env = process.env): ParleyConfig {
  const port = integer(env, 'PORT', 0, 65535) ?? 8080;
  const host = env.HOST || '0.0.0.0';
  const appIdRaw = env.PARLEY_SDK_APP_ID;
  const keyRaw = env.PARLEY_SECRET_KEY;
  const hasAppId = appIdRaw !== undefined && appIdRaw !== '';
  const hasKey = keyRaw !== undefined && keyRaw !== '';
  if (hasAppId !== hasKey) {
    throw new ConfigError(
      hasAppId
        ? 'PARLEY_SDK_APP_ID is set but PARLEY_SECRET_KEY is not: set both for production, or neither for dev mode'
        : 'PARLEY_SECRET_KEY is set but PARLEY_SDK_APP_ID is not: set both for production, or neither for dev mode',
    );
  }
  const minPort = integer(env, 'PARLEY_RTC_MIN_PORT', 1024, 65535);
  const maxPort = integer(env, 'PARLEY_RTC_MAX_PORT', 1024, 65535);
  if ((minPort === undefined) !== (maxPort === undefined)) {
    throw new ConfigError('set both PARLEY_RTC_MIN_PORT and PARLEY_RTC_MAX_PORT, or neither');
  }
  if (minPort !== undefined && maxPort !== undefined && minPort >= maxPort) {
    throw new ConfigError(
      `PARLEY_RTC_MIN_PORT (${minPort}) must be below PARLEY_RTC_MAX_PORT (${maxPort})`,
    );
  }
  const announcedIp = env.PARLEY_ANNOUNCED_IP || undefined;
  if (announcedIp !== undefined && !/^[0-9a-fA-F.:]+$/.test(announcedIp)) {
    throw new ConfigError(
      `PARLEY_ANNOUNCED_IP must be an IP address, got ${JSON.stringify(announcedIp)}`,
    );
  }
  const dataDir = env.PARLEY_DATA_DIR ? resolve(env.PARLEY_DATA_DIR) : undefined;
  const tls = loadTls(env);
  const common = {
    ...(tls ? { tls } : {}),
    allowedOrigins: loadAllowedOrigins(env),
    trustProxy: loadTrustProxy(env),
    limits: loadLimits(env),
    port,
    host,
    ...(dataDir ? { dataDir } : {}),
    ...(announcedIp ? { announcedIp } : {}),
    ...(minPort !== undefined && maxPort !== undefined
      ? { rtcPortRange: [minPort, maxPort] as [number, number] }
      : {}),
    sessionTimeoutMs: integer(env, 'PARLEY_SESSION_TIMEOUT_MS', 1000, 600_000) ?? 9000,
    heartbeatMs: 2000,
  };
  if (hasAppId && hasKey) {
    const sdkAppId = integer(env, 'PARLEY_SDK_APP_ID', 1, 0xffffffff);
    return { ...common, sdkAppId: sdkAppId!, secretKey: keyRaw!, devMode: false };
  }
  const dev = loadDevCredentials(resolve(env.PARLEY_DATA_DIR || '.parley'));
  return {
    ...common,
    sdkAppId: dev.sdkAppId,
    secretKey: dev.secretKey,
    devMode: true,
    devCredentialsFile: dev.file,
  };
}
