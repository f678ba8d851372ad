/**
 * Uploads finished recording files to S3-compatible storage (Tencent COS, AWS S3, Alibaba
 * OSS, or the server's own endpoint such as MinIO) with the AWS SDK: one PUT for a small
 * file, a multipart upload of 8 MiB parts for a large one (bounded memory); each request has
 * a timeout and is retried by the SDK (exponential back-off), and a whole upload that still
 * fails for a reason that may pass (network, 5xx) is tried again after a back-off. Refusals
 * (wrong key, no such bucket) are not retried: the cause is reported at once.
 */
import { createReadStream, statSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Logger } from 'pino';
import type { RecordingStorageConfig } from './storageConfig.js';

/** StorageParams.CloudStorage of a CreateCloudRecording (checked by recordingParams). */
export interface CloudStorageTarget {
  /** 0 Tencent COS, 1 AWS S3, 2 Alibaba OSS. */
  vendor: number;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** FileNamePrefix: folders before `<TaskId>/<file>`. */
  prefix: string[];
}

export class UploadError extends Error {
  constructor(
    message: string,
    /** The storage's error code (`SignatureDoesNotMatch`, `NoSuchBucket`…) or the network's. */
    readonly code: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

const PART_BYTES = 8 * 1024 * 1024;
const BACKOFF_MS = [1000, 5000, 15_000];

/** The vendor's endpoint for a region (AWS: the SDK's own). */
export function vendorEndpoint(vendor: number, region: string): string | undefined {
  if (vendor === 0) return `https://cos.${region}.myqcloud.com`;
  if (vendor === 2) return `https://oss-${region}.aliyuncs.com`;
  return undefined;
}

/** The object key of a file: the prefix folders, the task, the file name. */
export function objectKey(target: CloudStorageTarget, taskId: string, fileName: string): string {
  return [...target.prefix, taskId, fileName].join('/');
}

interface Failure {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** A refusal by the storage (4xx but a timeout or throttling) will not pass by itself. */
function permanent(error: Failure): boolean {
  const status = error.$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export class S3Uploader {
  constructor(
    private readonly config: RecordingStorageConfig,
    private readonly log: Logger,
  ) {}

  /** Uploads `path` as `key`; resolves when the storage has it, rejects with an UploadError. */
  async upload(
    target: CloudStorageTarget,
    key: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const endpoint = this.config.endpoint ?? vendorEndpoint(target.vendor, target.region);
    const client = new S3Client({
      region: target.region,
      ...(endpoint ? { endpoint } : {}),
      forcePathStyle: this.config.forcePathStyle,
      credentials: { accessKeyId: target.accessKey, secretAccessKey: target.secretKey },
      maxAttempts: 4,
      // S3-compatible servers do not all take the SDK's newer CRC checksums (aws-chunked
      // bodies); the SigV4 signature covers the payload's SHA-256 either way.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: 10_000,
        requestTimeout: this.config.requestTimeoutMs,
      },
    });
    const size = statSync(path).size;
    try {
      for (let attempt = 1; ; attempt++) {
        if (signal?.aborted) throw new UploadError('the upload was cancelled', 'Aborted');
        const controller = new AbortController();
        const abort = () => controller.abort();
        signal?.addEventListener('abort', abort, { once: true });
        try {
          const upload = new Upload({
            client,
            params: {
              Bucket: target.bucket,
              Key: key,
              Body: createReadStream(path),
              ContentType: path.endsWith('.m4a') ? 'audio/mp4' : 'video/mp4',
            },
            partSize: PART_BYTES,
            queueSize: 2,
            leavePartsOnError: false,
            abortController: controller,
          });
          await upload.done();
          this.log.info({ object: key, bytes: size, attempt }, 'recording uploaded');
          return;
        } catch (error) {
          const e = error as Failure;
          const code = e.Code ?? e.name ?? 'Error';
          const status = e.$metadata?.httpStatusCode;
          const cause = `${code}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`;
          const last = attempt >= this.config.attempts || permanent(e) || signal?.aborted;
          this.log.warn({ object: key, attempt, cause, last }, 'recording upload failed');
          if (last) throw new UploadError(cause, code);
          await new Promise((r) => setTimeout(r, BACKOFF_MS[attempt - 1] ?? 15_000));
        } finally {
          signal?.removeEventListener('abort', abort);
        }
      }
    } finally {
      client.destroy();
    }
  }
}
