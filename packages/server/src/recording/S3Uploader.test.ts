import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3TestServer, type S3TestServer } from '../test/s3TestServer.js';
import { loadRecordingStorage } from './storageConfig.js';
import { objectKey, S3Uploader, UploadError, type CloudStorageTarget } from './S3Uploader.js';

const OWNER = {
  accessKey: 'AKIDrecordings',
  secretKey: 'bucket-owner-secret',
  region: 'ap-test-1',
};
let s3: S3TestServer;
let dir: string;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  s3 = await startS3TestServer({ ...OWNER, buckets: ['records-1250000000'] });
  dir = mkdtempSync(join(tmpdir(), 's3uploader-'));
});
afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

const target = (overrides: Partial<CloudStorageTarget> = {}): CloudStorageTarget => ({
  vendor: 1,
  region: OWNER.region,
  bucket: 'records-1250000000',
  accessKey: OWNER.accessKey,
  secretKey: OWNER.secretKey,
  prefix: ['app', 'rooms'],
  ...overrides,
});

const withoutQuery = (r: S3TestServer['requests'][number]) => ({ ...r, url: r.url.split('?')[0] });

const uploader = (attempts = 3) =>
  new S3Uploader(
    loadRecordingStorage({ PARLEY_S3_ENDPOINT: s3.endpoint, PARLEY_S3_ATTEMPTS: String(attempts) }),
    log,
  );

describe('S3Uploader', () => {
  it('puts a small file in one signed request, under the prefix and the task', async () => {
    const path = join(dir, 'small.mp4');
    const bytes = randomBytes(300_000);
    writeFileSync(path, bytes);
    const key = objectKey(target(), 'task1', 'small.mp4');
    expect(key).toBe('app/rooms/task1/small.mp4');
    const before = s3.requests.length;
    await uploader().upload(target(), key, path);
    expect(s3.objects.get(`records-1250000000/${key}`)?.equals(bytes)).toBe(true);
    expect(s3.requests.slice(before).map(withoutQuery)).toEqual([
      { method: 'PUT', url: `/records-1250000000/${key}`, status: 200 },
    ]);
  });

  it('sends a large file as a multipart upload of 8 MiB parts', async () => {
    const path = join(dir, 'large.mp4');
    const bytes = randomBytes(20 * 1024 * 1024);
    writeFileSync(path, bytes);
    const before = s3.requests.length;
    await uploader().upload(target(), 'large.mp4', path);
    expect(s3.objects.get('records-1250000000/large.mp4')?.equals(bytes)).toBe(true);
    const calls = s3.requests.slice(before);
    expect(calls.filter((r) => r.url.includes('partNumber='))).toHaveLength(3);
    expect(calls.every((r) => r.status === 200)).toBe(true);
  });

  it('a wrong secret is refused with the storage cause and not tried again', async () => {
    const path = join(dir, 'refused.mp4');
    writeFileSync(path, randomBytes(1000));
    const before = s3.requests.length;
    const error = await uploader()
      .upload(target({ secretKey: 'not-the-secret' }), 'refused.mp4', path)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect((error as UploadError).code).toBe('SignatureDoesNotMatch');
    expect((error as UploadError).message).toMatch(/HTTP 403/);
    expect(s3.requests.slice(before).map(withoutQuery)).toEqual([
      { method: 'PUT', url: '/records-1250000000/refused.mp4', status: 403 },
    ]);
    expect(s3.objects.has('records-1250000000/refused.mp4')).toBe(false);
  });

  it('a missing bucket is NoSuchBucket', async () => {
    const path = join(dir, 'nobucket.mp4');
    writeFileSync(path, randomBytes(1000));
    const error = await uploader()
      .upload(target({ bucket: 'other-bucket' }), 'x.mp4', path)
      .catch((e: unknown) => e);
    expect((error as UploadError).code).toBe('NoSuchBucket');
  });

  it('an unreachable endpoint is tried again after a back-off, then fails with the network cause', async () => {
    const path = join(dir, 'unreachable.mp4');
    writeFileSync(path, randomBytes(1000));
    const down = new S3Uploader(
      loadRecordingStorage({
        PARLEY_S3_ENDPOINT: 'http://127.0.0.1:9', // discard port: connection refused
        PARLEY_S3_ATTEMPTS: '2',
      }),
      log,
    );
    const started = Date.now();
    const error = await down.upload(target(), 'x.mp4', path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect((error as UploadError).message).toMatch(/ECONNREFUSED/);
    // Two whole attempts with the first back-off (1 s) between them.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  }, 60_000);
});
