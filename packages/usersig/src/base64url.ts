/**
 * The base64 variant of TLSSigAPIv2: standard base64 with `+` → `*`, `/` → `-`, `=` → `_`.
 * Decoding is strict (Node's own base64 decoder silently skips bad characters).
 */

const STD_BODY = /^[A-Za-z0-9+/]*$/;
const TLS_CHARS = /[^A-Za-z0-9*\-_+/=]/;

/** Encodes bytes as TLS base64. */
export function tlsBase64Encode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('base64')
    .replace(/\+/g, '*')
    .replace(/\//g, '-')
    .replace(/=/g, '_');
}

/**
 * Decodes TLS base64 (standard `+ / =` characters are accepted as well).
 * Throws an Error whose message says what is wrong.
 */
export function tlsBase64Decode(text: string): Uint8Array {
  const bad = TLS_CHARS.exec(text);
  if (bad) {
    throw new Error(`unexpected character ${JSON.stringify(bad[0])} at position ${bad.index}`);
  }
  return stdBase64Decode(text.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='));
}

/** Decodes standard base64, padded or not. Throws an Error whose message says what is wrong. */
export function stdBase64Decode(text: string): Uint8Array {
  const body = text.replace(/={1,2}$/, '');
  if (!STD_BODY.test(body)) {
    const bad = /[^A-Za-z0-9+/]/.exec(body);
    const at = bad ? ` ${JSON.stringify(bad[0])} at position ${bad.index}` : '';
    throw new Error(`not base64: unexpected character${at}`);
  }
  if (body.length % 4 === 1 || (body.length !== text.length && text.length % 4 !== 0)) {
    throw new Error(`not base64: wrong length ${text.length}`);
  }
  return new Uint8Array(Buffer.from(body, 'base64'));
}
