/** Helpers shared by the tests; independent of the code under test on purpose. */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { deflateSync, inflateSync } from 'node:zlib';

export const VECTOR: {
  sdkAppId: number;
  key: string;
  userId: string;
  time: number;
  expire: number;
  sig: string;
} = {
  sdkAppId: 1400000000,
  key: '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e',
  userId: 'xiaojun',
  time: 1700000000,
  expire: 15552000,
  sig: 'LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=',
};

export interface TencentApi {
  genUserSig(userId: string, expire: number): string;
  genSig(userId: string, expire: number, userBuf: Buffer | null): string;
  genPrivateMapKey(userId: string, expire: number, roomId: number, privilege: number): string;
  genPrivateMapKeyWithStringRoomID(
    userId: string,
    expire: number,
    roomStr: string,
    privilege: number,
  ): string;
}

const require = createRequire(import.meta.url);
const tencent = require('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => TencentApi;
};

/** Tencent's official Node library (tls-sig-api-v2 1.0.2). */
export function tencentApi(sdkAppId: number, key: string): TencentApi {
  return new tencent.Api(sdkAppId, key);
}

/** Decodes a signature into its JSON text without using the package's code. */
export function decodeJson(sig: string): string {
  const b64 = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
  return inflateSync(Buffer.from(b64, 'base64')).toString('utf8');
}

/** Encodes any bytes the TLS way (deflate optional). */
export function encodeRaw(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}

/** Deflates and encodes a JSON text. */
export function encodeJson(json: string): string {
  return encodeRaw(deflateSync(Buffer.from(json, 'utf8')));
}

/** The TLS.sig HMAC computed independently. */
export function hmacOf(
  key: string,
  f: { userId: string; sdkAppId: number | string; time: number; expire: number; userbuf?: string },
): string {
  let content = `TLS.identifier:${f.userId}\nTLS.sdkappid:${f.sdkAppId}\nTLS.time:${f.time}\nTLS.expire:${f.expire}\n`;
  if (f.userbuf !== undefined) content += `TLS.userbuf:${f.userbuf}\n`;
  return createHmac('sha256', key).update(content).digest('base64');
}
