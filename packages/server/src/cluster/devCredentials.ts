/**
 * Dev mode in a cluster: every node must accept the same UserSigs and API credential, so the
 * first node to start puts its generated ones in Redis and the others take them from there.
 * Redis unreachable at start: the node keeps its own (and says so); a cluster without Redis
 * admits nobody anyway.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ParleyConfig } from '../config.js';
import { redactUrl } from './Cluster.js';
import { keys } from './records.js';

const SharedSchema = z.object({
  sdkAppId: z.number().int().positive(),
  secretKey: z.string().min(1),
  secretId: z.string().min(1),
  apiKey: z.string().min(1),
});

const CONNECT_TIMEOUT_MS = 5000;

/** What dev mode shares: the UserSig key and the API credential of the first application. */
export function sharedDevCredentials(config: ParleyConfig): string | null {
  const api = config.apps[0]?.apiCredentials[0];
  if (!config.devMode || !api) return null;
  return JSON.stringify({
    sdkAppId: config.sdkAppId,
    secretKey: config.secretKey,
    secretId: api.secretId,
    apiKey: api.secretKey,
  });
}

export async function shareDevCredentials(
  config: ParleyConfig,
  log: Logger,
): Promise<ParleyConfig> {
  if (!config.devMode || !config.cluster) return config;
  const app = config.apps[0];
  const api = app?.apiCredentials[0];
  if (!app || !api) return config;
  const redis = new Redis(config.cluster.redisUrl, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.set(keys.devCredentials, sharedDevCredentials(config)!, 'NX');
    const shared = SharedSchema.parse(JSON.parse((await redis.get(keys.devCredentials)) ?? 'null'));
    return {
      ...config,
      sdkAppId: shared.sdkAppId,
      secretKey: shared.secretKey,
      apps: [
        {
          ...app,
          sdkAppId: shared.sdkAppId,
          secretKey: shared.secretKey,
          apiCredentials: [{ secretId: shared.secretId, secretKey: shared.apiKey }],
        },
        ...config.apps.slice(1),
      ],
    };
  } catch (error) {
    log.warn(
      { err: error, redis: redactUrl(config.cluster.redisUrl) },
      'dev credentials not shared through Redis (unreachable): this node uses its own; other nodes will not accept its UserSigs',
    );
    return config;
  } finally {
    redis.disconnect();
  }
}
