/**
 * A small S3-compatible server for tests (there is no MinIO in Debian 12): path-style
 * PutObject, GetObject and multipart uploads (create, parts, complete, abort), objects kept
 * in memory. Every request's SigV4 signature is checked by signing it again with the AWS
 * SDK's own signer (`@smithy/signature-v4`) and the bucket owner's secret, and the body's
 * SHA-256 against the signed `x-amz-content-sha256`: a wrong secret gets S3's 403
 * SignatureDoesNotMatch, as real storage answers.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface S3TestServer {
  /** `http://127.0.0.1:<port>`: PARLEY_S3_ENDPOINT. */
  endpoint: string;
  /** Objects by `<bucket>/<key>`. */
  objects: Map<string, Buffer>;
  /** Each request: method, path with query, and the answer's status (signature refusals too). */
  requests: Array<{ method: string; url: string; status: number }>;
  close(): Promise<void>;
}

export interface S3TestServerOptions {
  accessKey: string;
  secretKey: string;
  region: string;
  buckets: string[];
}

function xml(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
) {
  res
    .writeHead(status, { 'Content-Type': 'application/xml', ...headers })
    .end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function s3Error(res: ServerResponse, status: number, code: string, message: string) {
  xml(res, status, `<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

/** `20261207T201500Z` → Date. */
function amzDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : null;
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

export async function startS3TestServer(options: S3TestServerOptions): Promise<S3TestServer> {
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  const requests: S3TestServer['requests'] = [];
  const signer = new SignatureV4({
    credentials: { accessKeyId: options.accessKey, secretAccessKey: options.secretKey },
    region: options.region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: true,
  });

  /** Null when the request is signed by the owner; otherwise S3's error code and message. */
  async function verify(req: IncomingMessage, body: Buffer): Promise<[string, string] | null> {
    const auth = AUTH.exec(req.headers.authorization ?? '');
    if (!auth) return ['AccessDenied', 'no AWS4-HMAC-SHA256 Authorization header'];
    const [, accessKey, , region, signedList, signature] = auth;
    if (accessKey !== options.accessKey)
      return ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist'];
    if (region !== options.region)
      return ['AuthorizationHeaderMalformed', `the region ${region} is wrong`];
    const date = amzDate(String(req.headers['x-amz-date'] ?? ''));
    if (!date) return ['AccessDenied', 'no x-amz-date'];
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (
      payloadHash !== 'UNSIGNED-PAYLOAD' &&
      payloadHash !== createHash('sha256').update(body).digest('hex')
    ) {
      return ['XAmzContentSHA256Mismatch', 'the body does not match x-amz-content-sha256'];
    }
    const signed = signedList!.split(';');
    const headers: Record<string, string> = {};
    for (const name of signed) {
      const value = req.headers[name];
      if (value === undefined) return ['AccessDenied', `signed header ${name} is missing`];
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const had = query[k];
      query[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
    }
    const again = await signer.sign(
      {
        method: req.method ?? 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: url.pathname,
        query,
        headers,
        body,
      },
      { signingDate: date, signableHeaders: new Set(signed) },
    );
    const expected = /Signature=([0-9a-f]{64})/.exec(String(again.headers.authorization))?.[1];
    return expected === signature
      ? null
      : [
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        ];
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const refused = await verify(req, body);
    if (refused) return s3Error(res, 403, ...refused);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (!options.buckets.includes(bucket))
      return s3Error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const name = `${bucket}/${key}`;
    const uploadId = url.searchParams.get('uploadId');
    const etag = (data: Buffer) => `"${createHash('md5').update(data).digest('hex')}"`;
    if (req.method === 'POST' && url.searchParams.has('uploads')) {
      const id = randomUUID();
      uploads.set(id, { key: name, parts: new Map() });
      return xml(
        res,
        200,
        `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (uploadId !== null) {
      const upload = uploads.get(uploadId);
      if (!upload || upload.key !== name)
        return s3Error(res, 404, 'NoSuchUpload', 'The specified upload does not exist');
      if (req.method === 'PUT') {
        upload.parts.set(Number(url.searchParams.get('partNumber')), body);
        return void res.writeHead(200, { ETag: etag(body) }).end();
      }
      if (req.method === 'DELETE') {
        uploads.delete(uploadId);
        return void res.writeHead(204).end();
      }
      if (req.method === 'POST') {
        const numbers = [...body.toString().matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) =>
          Number(m[1]),
        );
        const parts = numbers.map((n) => upload.parts.get(n));
        if (numbers.length === 0 || parts.some((p) => !p))
          return s3Error(res, 400, 'InvalidPart', 'a part is missing');
        const data = Buffer.concat(parts as Buffer[]);
        objects.set(name, data);
        uploads.delete(uploadId);
        return xml(
          res,
          200,
          `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>${etag(data)}</ETag></CompleteMultipartUploadResult>`,
        );
      }
    }
    if (req.method === 'PUT') {
      objects.set(name, body);
      return void res.writeHead(200, { ETag: etag(body) }).end();
    }
    if (req.method === 'GET') {
      const data = objects.get(name);
      if (!data) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      return void res.writeHead(200, { 'Content-Length': data.length }).end(data);
    }
    s3Error(res, 405, 'MethodNotAllowed', `${req.method} is not handled here`);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.on('finish', () =>
        requests.push({ method: req.method ?? '', url: req.url ?? '', status: res.statusCode }),
      );
      handle(req, res, Buffer.concat(chunks)).catch((error: unknown) =>
        s3Error(res, 500, 'InternalError', (error as Error).message),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
