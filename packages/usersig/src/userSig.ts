/**
 * UserSig signing and verification, byte-compatible with Tencent's TLSSigAPIv2 libraries
 * (see docs in /shared/usersig.md): HMAC-SHA256 over a fixed text, a JSON envelope,
 * zlib, and a URL-safe-ish base64 variant.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { AccountErrorCode } from '@parley/protocol';
import { stdBase64Decode, tlsBase64Decode, tlsBase64Encode } from './base64url.js';

/** Default lifetime of a generated signature: 180 days, as in Tencent's samples. */
export const DEFAULT_EXPIRE_SECONDS = 86400 * 180;
/** Longest signature string the verifier looks at. */
export const MAX_SIG_LENGTH = 8 * 1024;
/** Largest decompressed JSON the verifier accepts (zip-bomb guard). */
export const MAX_INFLATED_BYTES = 64 * 1024;

export interface GenUserSigOptions {
  sdkAppId: number;
  key: string;
  userId: string;
  /** Lifetime in seconds; default 86400 * 180. */
  expire?: number;
  /** Unix seconds of signing; default the current time. */
  now?: number;
  userbuf?: Uint8Array;
}

export type VerifyFailureReason =
  'empty' | 'malformed' | 'wrong-sdk-app-id' | 'wrong-user' | 'wrong-key' | 'expired';

export type VerifyResult =
  | { ok: true; time: number; expire: number; expiresAt: number; userbuf?: Uint8Array }
  | { ok: false; reason: VerifyFailureReason; extraCode: number; message: string };

export interface VerifyOptions {
  sdkAppId: number;
  key: string;
  userId: string;
  userSig: string;
  /** Unix seconds to check expiry against; default the current time. */
  now?: number;
}

const EXTRA_CODES: Record<VerifyFailureReason, number> = {
  empty: AccountErrorCode.USERSIG_EMPTY,
  malformed: AccountErrorCode.USERSIG_INVALID,
  'wrong-sdk-app-id': AccountErrorCode.USERSIG_WRONG_SDK_APP_ID,
  'wrong-user': AccountErrorCode.USERSIG_WRONG_USER,
  'wrong-key': AccountErrorCode.USERSIG_WRONG_KEY,
  expired: AccountErrorCode.USERSIG_EXPIRED,
};

export type VerifyFailure = Extract<VerifyResult, { ok: false }>;

export function failure(reason: VerifyFailureReason, message: string): VerifyFailure {
  return { ok: false, reason, extraCode: EXTRA_CODES[reason], message };
}

/** Current Unix time in whole seconds. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Unix seconds as `2026-01-01T00:00:00Z`, or `unix time N` when out of Date's range. */
export function formatUnix(seconds: number): string {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return `unix time ${seconds}`;
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

interface SignedFields {
  userId: string;
  sdkAppId: number;
  time: number;
  expire: number;
  /** Standard base64 of the userbuf, exactly as it appears in the JSON. */
  userbuf?: string;
}

/** HMAC-SHA256 of the TLSSigAPIv2 content text, keyed with the UTF-8 bytes of `key`. */
function hmac(key: string, f: SignedFields): Buffer {
  let content =
    `TLS.identifier:${f.userId}\n` +
    `TLS.sdkappid:${f.sdkAppId}\n` +
    `TLS.time:${f.time}\n` +
    `TLS.expire:${f.expire}\n`;
  if (f.userbuf !== undefined) content += `TLS.userbuf:${f.userbuf}\n`;
  return createHmac('sha256', key).update(content, 'utf8').digest();
}

/** The `TLS.sig` field (standard base64 HMAC) for the given fields. */
export function computeTlsSig(key: string, f: SignedFields): string {
  return hmac(key, f).toString('base64');
}

export function requireInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

export function requireString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
  return value;
}

/** Signs a UserSig. Throws TypeError/RangeError on invalid options. */
export function genUserSig(o: GenUserSigOptions): string {
  const sdkAppId = requireInteger('sdkAppId', o.sdkAppId, 1);
  const key = requireString('key', o.key);
  const userId = requireString('userId', o.userId);
  const expire = requireInteger('expire', o.expire ?? DEFAULT_EXPIRE_SECONDS, 0);
  const time = requireInteger('now', o.now ?? unixNow(), 0);
  const userbuf =
    o.userbuf === undefined
      ? undefined
      : Buffer.from(o.userbuf.buffer, o.userbuf.byteOffset, o.userbuf.byteLength).toString(
          'base64',
        );
  const fields: SignedFields = { userId, sdkAppId, time, expire, userbuf };
  // Same key order as Tencent's Node library, so that output is byte-identical.
  const doc: Record<string, string | number> = {
    'TLS.ver': '2.0',
    'TLS.identifier': userId,
    'TLS.sdkappid': sdkAppId,
    'TLS.time': time,
    'TLS.expire': expire,
  };
  if (userbuf !== undefined) doc['TLS.userbuf'] = userbuf;
  doc['TLS.sig'] = computeTlsSig(key, fields);
  return tlsBase64Encode(deflateSync(Buffer.from(JSON.stringify(doc), 'utf8')));
}

interface Envelope {
  identifier: string;
  sdkappid: number;
  time: number;
  expire: number;
  userbuf?: string;
  sig: Uint8Array;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `a ${typeof value}`;
}

/** Undoes base64, zlib and JSON and checks field types; never throws. */
function decodeEnvelope(sig: string, label: string): Envelope | VerifyFailure {
  const malformed = (why: string): VerifyFailure =>
    failure('malformed', `${label} is malformed: ${why}`);
  if (sig.length > MAX_SIG_LENGTH) {
    return malformed(
      `it is ${sig.length} characters long, more than the ${MAX_SIG_LENGTH} allowed`,
    );
  }
  let compressed: Uint8Array;
  try {
    compressed = tlsBase64Decode(sig);
  } catch (err) {
    return malformed(`not TLS base64 (${errorText(err)})`);
  }
  let json: string;
  try {
    json = inflateSync(compressed, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      return malformed(`it decompresses to more than ${MAX_INFLATED_BYTES} bytes`);
    }
    return malformed(`not zlib-compressed data (${errorText(err)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    return malformed(`the decompressed content is not JSON (${errorText(err)})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return malformed(`the decompressed JSON is ${describe(doc)}, not an object`);
  }
  const d = doc as Record<string, unknown>;
  const ver = d['TLS.ver'];
  if (ver === undefined) return malformed('it has no TLS.ver field (not a TLSSigAPIv2 signature)');
  if (ver !== '2.0') {
    return malformed(
      `TLS.ver is ${JSON.stringify(ver)}, only "2.0" (TLSSigAPIv2) signatures are accepted`,
    );
  }
  const field = (name: string, type: 'string' | 'integer'): string | number | VerifyFailure => {
    const value = d[name];
    if (value === undefined) return malformed(`it has no ${name} field`);
    if (type === 'string' ? typeof value === 'string' : Number.isSafeInteger(value)) {
      return value as string | number;
    }
    return malformed(
      `${name} must be ${type === 'string' ? 'a string' : 'an integer'}, got ${describe(value)}`,
    );
  };
  const identifier = field('TLS.identifier', 'string');
  if (typeof identifier === 'object') return identifier;
  const sdkappid = field('TLS.sdkappid', 'integer');
  if (typeof sdkappid === 'object') return sdkappid;
  const time = field('TLS.time', 'integer');
  if (typeof time === 'object') return time;
  const expire = field('TLS.expire', 'integer');
  if (typeof expire === 'object') return expire;
  const sigText = field('TLS.sig', 'string');
  if (typeof sigText === 'object') return sigText;
  let userbuf: string | undefined;
  if (d['TLS.userbuf'] !== undefined) {
    const value = field('TLS.userbuf', 'string');
    if (typeof value === 'object') return value;
    userbuf = value as string;
    try {
      stdBase64Decode(userbuf);
    } catch (err) {
      return malformed(`TLS.userbuf is ${errorText(err)}`);
    }
  }
  let sigBytes: Uint8Array;
  try {
    sigBytes = stdBase64Decode(sigText as string);
  } catch (err) {
    return malformed(`TLS.sig is ${errorText(err)}`);
  }
  if (sigBytes.length !== 32) {
    return malformed(`TLS.sig is ${sigBytes.length} bytes, not a 32-byte HMAC-SHA256`);
  }
  return {
    identifier: identifier as string,
    sdkappid: sdkappid as number,
    time: time as number,
    expire: expire as number,
    userbuf,
    sig: sigBytes,
  };
}

/**
 * Verifies a TLSSigAPIv2 signature; `label` names it in messages ("userSig", "privateMapKey").
 * Checks, in order: empty, malformed, SDKAppID, userId, HMAC, expiry. Never throws.
 */
export function verifySignature(o: VerifyOptions, label: string): VerifyResult {
  const sig: unknown = o.userSig;
  if (typeof sig !== 'string' || sig.length === 0) {
    return failure(
      'empty',
      `${label} is empty; the client must pass the ${label} generated for it`,
    );
  }
  const env = decodeEnvelope(sig, label);
  if ('ok' in env) return env;
  if (env.sdkappid !== o.sdkAppId) {
    return failure(
      'wrong-sdk-app-id',
      `${label} was signed for SDKAppID ${env.sdkappid}, not ${o.sdkAppId}`,
    );
  }
  if (env.identifier !== o.userId) {
    return failure(
      'wrong-user',
      `${label} was signed for userId '${env.identifier}', not '${o.userId}'`,
    );
  }
  const expected = hmac(o.key, {
    userId: env.identifier,
    sdkAppId: env.sdkappid,
    time: env.time,
    expire: env.expire,
    userbuf: env.userbuf,
  });
  if (!timingSafeEqual(expected, env.sig)) {
    return failure(
      'wrong-key',
      `${label} signature does not match: it was signed with a different secret key than the one ` +
        `configured for SDKAppID ${o.sdkAppId}, or it was altered`,
    );
  }
  const now = o.now ?? unixNow();
  const expiresAt = env.time + env.expire;
  if (now > expiresAt) {
    return failure(
      'expired',
      `${label} expired at ${formatUnix(expiresAt)} (signed at ${formatUnix(env.time)}, ` +
        `lifetime ${env.expire} s); generate a new one`,
    );
  }
  const result: VerifyResult = { ok: true, time: env.time, expire: env.expire, expiresAt };
  if (env.userbuf !== undefined) result.userbuf = stdBase64Decode(env.userbuf);
  return result;
}

/** Verifies a UserSig. Never throws; failures carry a reason, the v4 extraCode and a message. */
export function verifyUserSig(o: VerifyOptions): VerifyResult {
  return verifySignature(o, 'userSig');
}

/**
 * The userId a UserSig was signed for (its TLS.identifier), read without verifying it: for an
 * endpoint whose caller presents only the signature (WHEP). Verify it with verifyUserSig.
 * Null when it is no TLSSigAPIv2 signature.
 */
export function userSigIdentifier(userSig: string): string | null {
  const envelope = decodeEnvelope(userSig, 'userSig');
  return 'identifier' in envelope ? envelope.identifier : null;
}
