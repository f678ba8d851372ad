/**
 * Callback signatures. `Sign` is exactly Tencent's (base64 HMAC-SHA256 of the raw body with
 * the callback key), so an existing receiver verifies it unchanged. Tencent's is replayable
 * (it covers no time), so Parley adds `X-Parley-Signature: t=<ms>,v1=<hex HMAC of "t.body">`
 * that a receiver can check for freshness too.
 */
import { createHmac } from 'node:crypto';

export function tencentSign(key: string, body: string): string {
  return createHmac('sha256', key).update(body, 'utf8').digest('base64');
}

export function parleySignature(key: string, body: string, timestampMs: number): string {
  const mac = createHmac('sha256', key).update(`${timestampMs}.${body}`, 'utf8').digest('hex');
  return `t=${timestampMs},v1=${mac}`;
}
