/**
 * Built-in TLS: PARLEY_TLS_CERT and PARLEY_TLS_KEY name PEM files; with both set the server
 * speaks HTTPS and WSS itself. Both files are read and checked at start (readable, a
 * certificate, a private key, and the key belongs to the certificate), so a bad deployment
 * fails with a clear configuration error instead of at the first handshake.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type Env } from '../configError.js';

export interface TlsCredentials {
  certFile: string;
  keyFile: string;
  /** The certificate chain, PEM. */
  cert: string;
  /** The private key, PEM. Never log it (the logger redacts `key` fields). */
  key: string;
  /** When the leaf certificate stops being valid (ISO date), for the start-up log. */
  validTo: string;
}

function readPem(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${variable}=${path} cannot be read (${code ?? (error as Error).message}): it must name a PEM file this process can read`,
    );
  }
}

/** The TLS credentials of the environment, undefined when neither variable is set. */
export function loadTls(env: Env): TlsCredentials | undefined {
  const certVar = env.PARLEY_TLS_CERT || undefined;
  const keyVar = env.PARLEY_TLS_KEY || undefined;
  if (certVar === undefined && keyVar === undefined) return undefined;
  if (certVar === undefined || keyVar === undefined) {
    throw new ConfigError(
      certVar === undefined
        ? 'PARLEY_TLS_KEY is set but PARLEY_TLS_CERT is not: set both (PEM files) to serve HTTPS/WSS, or neither'
        : 'PARLEY_TLS_CERT is set but PARLEY_TLS_KEY is not: set both (PEM files) to serve HTTPS/WSS, or neither',
    );
  }
  const certFile = resolve(certVar);
  const keyFile = resolve(keyVar);
  const cert = readPem(certFile, 'PARLEY_TLS_CERT');
  const key = readPem(keyFile, 'PARLEY_TLS_KEY');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new ConfigError(
      `PARLEY_TLS_CERT=${certFile} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`,
    );
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError(
      `PARLEY_TLS_KEY=${keyFile} is not an unencrypted PEM private key (expected -----BEGIN PRIVATE KEY----- or a PKCS#1/SEC1 key)`,
    );
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new ConfigError(
      `PARLEY_TLS_KEY=${keyFile} is not the private key of the certificate in PARLEY_TLS_CERT=${certFile}`,
    );
  }
  return { certFile, keyFile, cert, key, validTo: new Date(x509.validTo).toISOString() };
}
