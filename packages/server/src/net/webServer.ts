/** The listening server: HTTP, or HTTPS (and so WSS) when TLS credentials are configured. */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsCredentials } from './tls.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export type WebServer = ReturnType<typeof createHttpServer> | ReturnType<typeof createHttpsServer>;

export function createWebServer(
  tls: TlsCredentials | undefined,
  listener: RequestListener,
): WebServer {
  if (!tls) return createHttpServer(listener);
  return createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, listener);
}
