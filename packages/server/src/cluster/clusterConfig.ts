/**
 * Cluster mode's settings: on when PARLEY_REDIS_URL is set (see docs/scaling.md). The node's
 * id and URL default from the host name, announced address and port once the port is known.
 */
import { ConfigError, type Env } from '../configError.js';

export interface ClusterConfig {
  /** redis:// or rediss:// (password in the URL). */
  redisUrl: string;
  /** PARLEY_NODE_ID; default: host name + port. */
  nodeId?: string;
  /** PARLEY_NODE_URL: how clients reach this node (http(s)://host:port); default from the address. */
  nodeUrl?: string;
}

const NODE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function loadClusterConfig(env: Env): ClusterConfig | undefined {
  const redisUrl = env.PARLEY_REDIS_URL || undefined;
  if (!redisUrl) {
    for (const name of ['PARLEY_NODE_ID', 'PARLEY_NODE_URL']) {
      if (env[name])
        throw new ConfigError(
          `${name} is set but PARLEY_REDIS_URL is not: a node id or URL only means something in a cluster`,
        );
    }
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(redisUrl);
  } catch {
    throw new ConfigError(
      `PARLEY_REDIS_URL must be a redis:// or rediss:// URL, got an unparsable value`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError(
      `PARLEY_REDIS_URL must be a redis:// or rediss:// URL, got ${parsed.protocol}//…`,
    );
  }
  const nodeId = env.PARLEY_NODE_ID || undefined;
  if (nodeId !== undefined && !NODE_ID.test(nodeId)) {
    throw new ConfigError(
      `PARLEY_NODE_ID must be 1-64 letters, digits and . _ : -, got ${JSON.stringify(nodeId)}`,
    );
  }
  const nodeUrl = env.PARLEY_NODE_URL || undefined;
  if (nodeUrl !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(nodeUrl);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/') {
      throw new ConfigError(
        `PARLEY_NODE_URL must be an http:// or https:// origin like https://node1.example.com:8080, got ${JSON.stringify(nodeUrl)}`,
      );
    }
  }
  return {
    redisUrl,
    ...(nodeId ? { nodeId } : {}),
    ...(nodeUrl ? { nodeUrl: nodeUrl.replace(/\/$/, '') } : {}),
  };
}

/** Where clients reach a node: PARLEY_NODE_URL, else its announced address (or host) and port. */
export function defaultNodeUrl(options: {
  host: string;
  announcedIp?: string;
  port: number;
  tls: boolean;
  hostname: string;
}): string {
  const address =
    options.announcedIp ??
    (options.host && options.host !== '0.0.0.0' && options.host !== '::'
      ? options.host
      : options.hostname);
  return `${options.tls ? 'https' : 'http'}://${address}:${options.port}`;
}

/** The signaling WebSocket URL of a node URL. */
export function signalUrlOf(nodeUrl: string): string {
  return `${nodeUrl.replace(/^http/, 'ws')}/signal`;
}
