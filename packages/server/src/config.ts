/**
 * Configuration from environment variables. With no credentials configured the server runs in
 * dev mode: it generates an sdkAppId and secret key once, keeps them in the data directory so
 * restarts keep them, and serves /dev/usersig for the demo.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfigFile, readConfigFile, type AppConfig } from './apps/appsConfig.js';
import { devApiCredential } from './apps/devApi.js';
import { ConfigError, flag, integer, type Env } from './configError.js';
import { loadLimits, type LimitsConfig } from './limits/limitsConfig.js';
import { loadTrustProxy } from './net/clientAddress.js';
import { loadAllowedOrigins } from './net/origins.js';
import { loadTls, type TlsCredentials } from './net/tls.js';
import { loadIceTcp, loadTurnConfig, type TurnConfig } from './turn/turnConfig.js';
import { loadClusterConfig, type ClusterConfig } from './cluster/clusterConfig.js';
import { loadWhipConfig, type WhipConfig } from './whip/whipConfig.js';
import { loadRecordingStorage, type RecordingStorageConfig } from './recording/storageConfig.js';

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
  /** Local addresses media listens on (each one an ICE candidate). */
  rtcListenIps: string[];
  /** Media worker processes (mediasoup), one per core by default. */
  workers: number;
  /** A worker's load (transports + producers + consumers) past which a room spans another. */
  workerMaxLoad?: number;
  /** Time between media-counter snapshots (metrics) when nobody watches live rates. */
  statsIntervalMs: number;
  /** Media-out pipelines (mixes, relays) this server runs at once (PARLEY_MEDIA_OUT_MAX_JOBS). */
  mediaOutMaxJobs: number;
  /** Media-out jobs one room may run at once (PARLEY_MEDIA_OUT_MAX_JOBS_PER_ROOM). */
  mediaOutMaxJobsPerRoom: number;
  /**
   * Where a mix's `backgroundImage` ids are looked up as `<id>.png` / `<id>.jpg`
   * (PARLEY_MIX_IMAGES_DIR; default `<PARLEY_DATA_DIR or .parley>/mix-images`).
   */
  mixImagesDir: string;
  /**
   * PARLEY_DATA_DIR when it is set explicitly: uploaded SDK logs are also appended to files
   * under `<dataDir>/logs/`. (Dev credentials use `.parley` when it is unset.)
   */
  dataDir?: string;
  /** How long a participant without a sign of life stays in the room. */
  sessionTimeoutMs: number;
  /** WHIP ingest and WHEP playback (whip/whipConfig.ts). */
  whip: WhipConfig;
  /** Recording uploads to S3-compatible storage (recording/storageConfig.ts). */
  recordingStorage: RecordingStorageConfig;
  heartbeatMs: number;
  /** Every application served (the first is `sdkAppId`/`secretKey` above). */
  apps: AppConfig[];
  /** PARLEY_ADMIN_TOKEN or the config file's adminToken: opens /admin besides API credentials. */
  adminToken?: string;
  /** How long an event callback is retried before it is dropped (PARLEY_CALLBACK_RETRY_MS). */
  callbackRetryMs: number;
  /** Longest wait between two attempts of one callback (PARLEY_CALLBACK_MAX_BACKOFF_MS). */
  callbackMaxBackoffMs: number;
  /** Where bans, history and the callback queue are kept (PARLEY_DATA_DIR or `.parley`). */
  stateDir: string;
  /** PARLEY_TLS_CERT/PARLEY_TLS_KEY, read and checked: the server speaks HTTPS and WSS. */
  tls?: TlsCredentials;
  /** PARLEY_ALLOWED_ORIGINS; null or absent: any origin (the default). */
  allowedOrigins?: string[] | null;
  /** PARLEY_TRUST_PROXY: take the client address from X-Forwarded-For (see net/clientAddress.ts). */
  trustProxy?: boolean;
  /** Per-IP and per-connection limits (see limits/limitsConfig.ts); absent: the defaults. */
  limits?: LimitsConfig;
  /** PARLEY_TURN_*: TURN servers handed to clients at join (turn/turnConfig.ts). */
  turn?: TurnConfig;
  /** PARLEY_ICE_TCP (default on): media also accepts ICE over TCP. */
  iceTcp: boolean;
  /** PARLEY_REDIS_URL and the node's id/URL: cluster mode (cluster/); absent: one node. */
  cluster?: ClusterConfig;
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
  const config = loadBaseConfig(env);
  // PARLEY_REQUIRE_PRIVATE_MAP_KEY turns room permission on for every application (a config
  // file can also turn it on per application with requireRoomPermission).
  if (!flag(env, 'PARLEY_REQUIRE_PRIVATE_MAP_KEY')) return config;
  return { ...config, apps: config.apps.map((app) => ({ ...app, requireRoomPermission: true })) };
}

function loadBaseConfig(env: Env): ParleyConfig {
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
  const rtcListenIps = listenIps(env.PARLEY_RTC_LISTEN_IPS, host);
  const tls = loadTls(env);
  const common = {
    ...(tls ? { tls } : {}),
    allowedOrigins: loadAllowedOrigins(env),
    trustProxy: loadTrustProxy(env),
    limits: loadLimits(env),
    whip: loadWhipConfig(env),
    recordingStorage: loadRecordingStorage(env),
    ...optional('turn', loadTurnConfig(env)),
    ...optional('cluster', loadClusterConfig(env)),
    iceTcp: loadIceTcp(env),
    port,
    host,
    ...(dataDir ? { dataDir } : {}),
    ...(announcedIp ? { announcedIp } : {}),
    ...(minPort !== undefined && maxPort !== undefined
      ? { rtcPortRange: [minPort, maxPort] as [number, number] }
      : {}),
    sessionTimeoutMs: integer(env, 'PARLEY_SESSION_TIMEOUT_MS', 1000, 600_000) ?? 9000,
    rtcListenIps,
    workers: integer(env, 'PARLEY_WORKERS', 1, 256) ?? availableParallelism(),
    ...optional('workerMaxLoad', integer(env, 'PARLEY_WORKER_MAX_LOAD', 1, 1_000_000)),
    statsIntervalMs: integer(env, 'PARLEY_STATS_INTERVAL_MS', 1000, 3_600_000) ?? 10_000,
    // A 640×360 mix takes ~0.2 cores: two per core leaves room for the media workers.
    mediaOutMaxJobs:
      integer(env, 'PARLEY_MEDIA_OUT_MAX_JOBS', 0, 1000) ?? 2 * availableParallelism(),
    // Two users of one room must not take the whole server's media-out capacity.
    mediaOutMaxJobsPerRoom: integer(env, 'PARLEY_MEDIA_OUT_MAX_JOBS_PER_ROOM', 1, 1000) ?? 4,
    mixImagesDir: resolve(
      env.PARLEY_MIX_IMAGES_DIR || join(env.PARLEY_DATA_DIR || '.parley', 'mix-images'),
    ),
    // In a cluster a client must notice a frozen node quickly to resume on another one.
    heartbeatMs: env.PARLEY_REDIS_URL ? 1000 : 2000,
  };
  const stateDir = resolve(env.PARLEY_DATA_DIR || '.parley');
  const ops = {
    stateDir,
    callbackRetryMs: integer(env, 'PARLEY_CALLBACK_RETRY_MS', 1000, 30 * 86_400_000) ?? 3_600_000,
    callbackMaxBackoffMs: integer(env, 'PARLEY_CALLBACK_MAX_BACKOFF_MS', 100, 3_600_000) ?? 30_000,
    ...(env.PARLEY_ADMIN_TOKEN ? { adminToken: env.PARLEY_ADMIN_TOKEN } : {}),
  };
  if (env.PARLEY_CONFIG) {
    for (const name of ['PARLEY_SDK_APP_ID', 'PARLEY_SECRET_KEY', ...APP_ENV]) {
      if (env[name]) {
        throw new ConfigError(
          `${name} is set but so is PARLEY_CONFIG: put the application in the config file instead`,
        );
      }
    }
    let file;
    try {
      file = readConfigFile(env.PARLEY_CONFIG);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
    const first = file.apps[0]!;
    return {
      ...common,
      ...ops,
      ...(file.adminToken && !ops.adminToken ? { adminToken: file.adminToken } : {}),
      sdkAppId: first.sdkAppId,
      secretKey: first.secretKey,
      devMode: false,
      apps: file.apps,
    };
  }
  if (hasAppId && hasKey) {
    const sdkAppId = integer(env, 'PARLEY_SDK_APP_ID', 1, 0xffffffff)!;
    const app = appFromEnv(env, sdkAppId, keyRaw!, undefined);
    return { ...common, ...ops, sdkAppId, secretKey: keyRaw!, devMode: false, apps: [app] };
  }
  const dev = loadDevCredentials(stateDir);
  const devApi = devApiCredential(stateDir);
  return {
    ...common,
    ...ops,
    sdkAppId: dev.sdkAppId,
    secretKey: dev.secretKey,
    devMode: true,
    devCredentialsFile: dev.file,
    apps: [appFromEnv(env, dev.sdkAppId, dev.secretKey, devApi)],
  };
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Where media listens: PARLEY_RTC_LISTEN_IPS, else HOST when it names one address, else every
 * IPv4 address of this machine (loopback first, so a browser on the same machine connects at
 * once).
 */
function listenIps(raw: string | undefined, host: string): string[] {
  if (raw) {
    const ips = raw
      .split(',')
      .map((ip) => ip.trim())
      .filter(Boolean);
    for (const ip of ips) {
      if (!IPV4.test(ip)) {
        throw new ConfigError(
          `PARLEY_RTC_LISTEN_IPS must list IPv4 addresses, got ${JSON.stringify(ip)}`,
        );
      }
    }
    if (ips.length > 0) return ips;
  }
  if (IPV4.test(host) && host !== '0.0.0.0') return [host];
  const ips = Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined && i.family === 'IPv4')
    .sort((a, b) => Number(b!.internal) - Number(a!.internal))
    .map((i) => i!.address);
  return ips.length > 0 ? [...new Set(ips)] : ['127.0.0.1'];
}

const APP_ENV = [
  'PARLEY_API_SECRET_ID',
  'PARLEY_API_SECRET_KEY',
  'PARLEY_CALLBACK_URL',
  'PARLEY_CALLBACK_KEY',
];

/** The single application of the environment variables, validated like a config file entry. */
function appFromEnv(
  env: Env,
  sdkAppId: number,
  secretKey: string,
  devApi: { secretId: string; secretKey: string } | undefined,
): AppConfig {
  const secretId = env.PARLEY_API_SECRET_ID || undefined;
  const apiKey = env.PARLEY_API_SECRET_KEY || undefined;
  if ((secretId === undefined) !== (apiKey === undefined)) {
    throw new ConfigError('set both PARLEY_API_SECRET_ID and PARLEY_API_SECRET_KEY, or neither');
  }
  if (env.PARLEY_CALLBACK_KEY && !env.PARLEY_CALLBACK_URL) {
    throw new ConfigError('PARLEY_CALLBACK_KEY is set but PARLEY_CALLBACK_URL is not');
  }
  const apiCredentials =
    secretId !== undefined && apiKey !== undefined
      ? [{ secretId, secretKey: apiKey }]
      : devApi
        ? [devApi]
        : [];
  const document = {
    apps: [
      {
        sdkAppId,
        secretKey,
        apiCredentials,
        ...(env.PARLEY_CALLBACK_URL
          ? {
              callback: {
                url: env.PARLEY_CALLBACK_URL,
                ...(env.PARLEY_CALLBACK_KEY ? { key: env.PARLEY_CALLBACK_KEY } : {}),
              },
            }
          : {}),
        ...(env.PARLEY_CDN_URL_TEMPLATE ? { cdnUrlTemplate: env.PARLEY_CDN_URL_TEMPLATE } : {}),
        ...(env.PARLEY_CDN_ALLOWED_HOSTS
          ? {
              cdnAllowedHosts: env.PARLEY_CDN_ALLOWED_HOSTS.split(',')
                .map((h) => h.trim())
                .filter((h) => h !== ''),
            }
          : {}),
      },
    ],
  };
  try {
    return parseConfigFile(document, 'the environment').apps[0]!;
  } catch (error) {
    // Map the file paths back to the variable names an operator set.
    throw new ConfigError(
      (error as Error).message
        .replace('apps[0].apiCredentials[0].secretId', 'PARLEY_API_SECRET_ID')
        .replace('apps[0].apiCredentials[0].secretKey', 'PARLEY_API_SECRET_KEY')
        .replace('apps[0].callback.url', 'PARLEY_CALLBACK_URL')
        .replace('apps[0].callback.key', 'PARLEY_CALLBACK_KEY')
        .replace('apps[0].cdnUrlTemplate', 'PARLEY_CDN_URL_TEMPLATE')
        .replace(/apps\[0\]\.cdnAllowedHosts(\[\d+\])?/, 'PARLEY_CDN_ALLOWED_HOSTS'),
    );
  }
}
