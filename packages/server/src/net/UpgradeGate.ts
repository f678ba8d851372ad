/**
 * What a WebSocket upgrade must pass before the handshake: an allowed Origin and the per-IP
 * connection limits. A refused upgrade is answered with an HTTP status and a plain-text
 * reason (403 for the origin, 429 for the limits) and logged; nothing else happens.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { IpLimits } from '../limits/IpLimits.js';
import { clientAddress } from './clientAddress.js';
import type { OriginPolicy } from './origins.js';

export interface UpgradeGateOptions {
  origins: OriginPolicy;
  ipLimits: IpLimits;
  trustProxy: boolean;
  log: Logger;
}

export interface AdmittedUpgrade {
  /** The client's address (see clientAddress.ts). */
  ip: string;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
};

/** Answers an upgrade request with an HTTP error and closes the socket. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  reason: string,
  headers: Record<string, string> = {},
): void {
  const body = Buffer.from(reason + '\n', 'utf8');
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8'), body]));
  // A peer that never reads must not keep the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}

export class UpgradeGate {
  constructor(private readonly options: UpgradeGateOptions) {}

  /** Admits the upgrade (and counts the socket until it closes), or refuses it and returns null. */
  admit(req: IncomingMessage, socket: Duplex): AdmittedUpgrade | null {
    const { origins, ipLimits, log } = this.options;
    const ip = clientAddress(req, this.options.trustProxy);
    const origin = req.headers.origin;
    if (!origins.allows(origin, req.headers.host)) {
      log.warn({ ip, origin }, 'websocket refused: origin not allowed');
      refuseUpgrade(socket, 403, origins.refusal(origin ?? ''));
      return null;
    }
    const verdict = ipLimits.admitConnection(ip);
    if (!verdict.ok) {
      log.warn({ ip, limit: verdict.reason }, `websocket refused: ${verdict.message}`);
      refuseUpgrade(socket, 429, verdict.message, { 'Retry-After': '1' });
      return null;
    }
    socket.once('close', verdict.release);
    return { ip };
  }
}
