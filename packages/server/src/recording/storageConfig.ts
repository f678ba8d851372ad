/**
 * Where recordings are uploaded when CreateCloudRecording names third-party storage
 * (StorageParams.CloudStorage): the server's side of it (PARLEY_S3_*, PARLEY_RECORDING_*).
 * The bucket, region and keys come with each request; the endpoint is the vendor's unless
 * PARLEY_S3_ENDPOINT names another (MinIO, Ceph, a local S3-compatible server).
 */
import { ConfigError, flag, integer, type Env } from '../configError.js';

export interface RecordingStorageConfig {
  /** Every upload goes here instead of the vendor's endpoint (http:// or https://). */
  endpoint?: string;
  /** Bucket in the path (`<endpoint>/<bucket>/<key>`) instead of the host name. */
  forcePathStyle: boolean;
  /** Keep a file in the data directory once it is uploaded (a failed upload always keeps it). */
  keepUploaded: boolean;
  /** One HTTP request of an upload (a part of at most 8 MiB) may take this long (ms). */
  requestTimeoutMs: number;
  /** Attempts of a whole upload (each request is also retried by the SDK). */
  attempts: number;
}

export function loadRecordingStorage(env: Env): RecordingStorageConfig {
  const endpoint = env.PARLEY_S3_ENDPOINT || undefined;
  if (endpoint !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(endpoint);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ConfigError(
        `PARLEY_S3_ENDPOINT must be an http:// or https:// URL, got ${JSON.stringify(endpoint)}`,
      );
    }
  }
  const pathStyle = env.PARLEY_S3_FORCE_PATH_STYLE;
  return {
    ...(endpoint ? { endpoint } : {}),
    // Own endpoints (MinIO, Ceph) are usually reached by address: path style unless told.
    forcePathStyle:
      pathStyle === undefined || pathStyle === ''
        ? endpoint !== undefined
        : flag(env, 'PARLEY_S3_FORCE_PATH_STYLE'),
    keepUploaded: flag(env, 'PARLEY_RECORDING_KEEP_UPLOADED'),
    requestTimeoutMs: integer(env, 'PARLEY_S3_TIMEOUT_MS', 1000, 3_600_000) ?? 120_000,
    attempts: integer(env, 'PARLEY_S3_ATTEMPTS', 1, 20) ?? 3,
  };
}
