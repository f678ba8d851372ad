/**
 * Keeping secrets out of the logs. Two layers, both applied by createLogger:
 *  - fields: any logged object's `userSig`, `privateMapKey`, `secretKey`, `key`, tokens and
 *    `authorization` header, up to three levels deep, are replaced by "[redacted]";
 *  - text: every line written is scrubbed of anything shaped like a TLSSigAPIv2 signature
 *    (a UserSig or privateMapKey: zlib data in TLS base64, ~150+ characters starting "eJ"),
 *    wherever it is (an error message, a URL), and of the literal secrets the server knows
 *    (its secret keys), so a secret inside free text is caught too.
 */

/** Field names whose values are never logged. */
export const SECRET_FIELDS = [
  'userSig',
  'privateMapKey',
  'secretKey',
  'key',
  'logToken',
  'resumeToken',
  'token',
  'authorization',
  'password',
] as const;

export const REDACTED = '[redacted]';

/** pino `redact.paths` for SECRET_FIELDS at the top level and one or two levels down. */
export function redactPaths(): string[] {
  return SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);
}

/**
 * TLSSigAPIv2 signatures: zlib (0x78 0x9c/0x01/0xda/0x5e → "eJ"/"eA"/"eN"/"eF") in TLS base64
 * (`*` `-` `_` for `+` `/` `=`). Real ones are 150+ characters; 60 leaves no false hits on
 * ids, and catches truncated copies too.
 */
const SIGNATURE_SHAPE = /\be[JAFN][A-Za-z0-9*_-]{60,}/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A function that removes secrets from a serialized log line. */
export function createScrubber(secrets: readonly string[] = []): (line: string) => string {
  const literal = secrets.filter((s) => s.length >= 8).map(escapeRegExp);
  const known = literal.length > 0 ? new RegExp(literal.join('|'), 'g') : null;
  return (line) => {
    let out = line.replace(SIGNATURE_SHAPE, REDACTED);
    if (known) out = out.replace(known, REDACTED);
    return out;
  };
}
