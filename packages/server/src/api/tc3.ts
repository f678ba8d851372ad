/**
 * TC3-HMAC-SHA256, the request signature of Tencent Cloud API 3.0, as a verifier (and a
 * signer for tests and tools). The service name is taken from the credential scope the
 * request names: official SDKs derive it from the endpoint's first label, so an SDK pointed
 * at `127.0.0.1:8080` signs for service `127`, at `parley.example.com` for `parley`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();
const sha256hex = (data: string | Buffer): string =>
  createHash('sha256').update(data).digest('hex');

/** The UTC `YYYY-MM-DD` of a Unix time in seconds. */
export function tc3Date(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

export interface Tc3Input {
  method: string;
  /** Raw query string without `?` (GET), empty for POST. */
  query: string;
  /** Lowercased signed header names with their values, in the order signed. */
  headers: Array<[name: string, value: string]>;
  /** The raw body, or the literal `UNSIGNED-PAYLOAD` when the client said so. */
  payload: string | Buffer;
  timestamp: number;
  date: string;
  service: string;
  secretKey: string;
}

/** The hex signature for a request (the last field of `Authorization`). */
export function tc3Signature(input: Tc3Input): string {
  const sorted = [...input.headers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = sorted.map(([name, value]) => `${name}:${value}\n`).join('');
  const signedHeaders = sorted.map(([name]) => name).join(';');
  const canonicalRequest = [
    input.method.toUpperCase(),
    '/',
    input.query,
    canonicalHeaders,
    signedHeaders,
    sha256hex(input.payload),
  ].join('\n');
  const scope = `${input.date}/${input.service}/tc3_request`;
  const stringToSign = `TC3-HMAC-SHA256\n${input.timestamp}\n${scope}\n${sha256hex(canonicalRequest)}`;
  const kDate = hmac('TC3' + input.secretKey, input.date);
  const kService = hmac(kDate, input.service);
  const kSigning = hmac(kService, 'tc3_request');
  return createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
}

export interface Tc3Authorization {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `TC3-HMAC-SHA256 Credential=id/date/service/tc3_request, SignedHeaders=…, Signature=…`. */
export function parseTc3Authorization(header: string): Tc3Authorization | null {
  const match =
    /^TC3-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/,\s]+)\/tc3_request\s*,\s*SignedHeaders=([a-z0-9;._-]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/i.exec(
      header.trim(),
    );
  if (!match) return null;
  return {
    secretId: match[1]!,
    date: match[2]!,
    service: match[3]!,
    signedHeaders: match[4]!.toLowerCase().split(';').filter(Boolean),
    signature: match[5]!.toLowerCase(),
  };
}

/** Constant-time comparison of two hex signatures. */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Builds the Authorization header a Tencent SDK would send (tests, docs, tools). */
export function tc3Authorization(input: Omit<Tc3Input, 'date'> & { secretId: string }): string {
  const date = tc3Date(input.timestamp);
  const signature = tc3Signature({ ...input, date });
  const signed = input.headers
    .map(([n]) => n)
    .sort()
    .join(';');
  return `TC3-HMAC-SHA256 Credential=${input.secretId}/${date}/${input.service}/tc3_request, SignedHeaders=${signed}, Signature=${signature}`;
}
