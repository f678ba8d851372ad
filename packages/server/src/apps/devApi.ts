/**
 * Dev mode's server API credential: generated once and kept beside the dev UserSig key (in
 * its own file, so the UserSig file keeps its documented shape), printed at start.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiCredential } from './appsConfig.js';

export function devApiCredential(dataDir: string): ApiCredential {
  const file = join(dataDir, 'dev-api-credentials.json');
  if (existsSync(file)) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'secretId' in parsed &&
      'secretKey' in parsed &&
      typeof parsed.secretId === 'string' &&
      typeof parsed.secretKey === 'string'
    ) {
      return { secretId: parsed.secretId, secretKey: parsed.secretKey };
    }
  }
  mkdirSync(dataDir, { recursive: true });
  // Tencent SecretIds start with AKID; dev ones say so.
  const credential = {
    secretId: 'AKIDparleydev' + randomBytes(12).toString('hex'),
    secretKey: randomBytes(24).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(credential, null, 2) + '\n', { mode: 0o600 });
  return credential;
}
