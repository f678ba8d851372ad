/**
 * The HTTP side: health, the SDK bundle, dev UserSigs, SDK log upload and the demo. Every
 * response answers CORS, because application pages live on their own origins; with
 * PARLEY_ALLOWED_ORIGINS set, only for those (see net/origins.ts), and API requests from a
 * page of any other origin are refused with 403.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { LOG_UPLOAD_PATH, userIdProblem } from '@parley/protocol';
import { genUserSig } from '@parley/usersig';
import type { Logger } from 'pino';
import { OriginPolicy } from '../net/origins.js';
import { sendJson } from './respond.js';

export interface HttpAppOptions {
  sdkDir: string;
  demoDir: string;
  /** Dev credentials, or null when dev mode is off (then /dev/usersig answers 404). */
  dev: { sdkAppId: number; secretKey: string } | null;
  isReady: () => boolean;
  /** Why this server takes no clients although it runs (answered with 503), or null. */
  outOfService?: () => string | null;
  log: Logger;
  /** Server API (`POST /`), `/metrics` and `/admin`: true when it handled the request. */
  operations?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** `/v1/logs` (see logApi.ts); 404 when absent. */
  logs?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;
  /** `/whip/…` and `/whep/…` (whip/whipHttp.ts), OPTIONS included: true when it handled it. */
  whip?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** Which page origins may use the API; default: any. */
  origins?: OriginPolicy;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Dev UserSigs live a day: long enough for a demo session, short enough to not matter. */
const DEV_USERSIG_LIFETIME_S = 86_400;

/**
 * Static files anyone may fetch whatever page they come from (a `<script src>` of the SDK, the
 * demo, the health probe): a disallowed origin gets them without CORS headers. Everything
 * else is API, refused to disallowed origins.
 */
function isPublicAsset(method: string | undefined, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return (
    path === '/healthz' ||
    path === '/' ||
    path === '/index.html' ||
    path.startsWith('/sdk/') ||
    /^\/[\w.-]+\.(css|js|svg|png|ico)$/.test(path)
  );
}

/** Resolves `relative` inside `root`, or null when it would escape it. */
function safeJoin(root: string, relative: string): string | null {
  const path = normalize(join(root, relative));
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep) ? path : null;
}

export function createHttpApp(options: HttpAppOptions) {
  const { log } = options;
  const origins = options.origins ?? new OriginPolicy(null);

  async function sendFile(res: ServerResponse, root: string, relative: string): Promise<void> {
    const path = safeJoin(root, relative);
    if (!path) return sendJson(res, 404, { error: 'not found' });
    try {
      const info = await stat(path);
      if (!info.isFile()) return sendJson(res, 404, { error: 'not found' });
      const body = await readFile(path);
      res.writeHead(200, {
        'Content-Type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Cache-Control': 'no-cache',
      });
      res.end(body);
    } catch {
      sendJson(res, 404, { error: 'not found' });
    }
  }

  function devUserSig(res: ServerResponse, url: URL): void {
    if (!options.dev) {
      return sendJson(res, 404, {
        error: 'dev mode is off (credentials are configured): sign UserSigs on your own server',
      });
    }
    const userId = url.searchParams.get('userId');
    const problem = userIdProblem(userId);
    if (problem || userId === null)
      return sendJson(res, 400, { error: problem ?? 'userId is required' });
    const { sdkAppId, secretKey } = options.dev;
    const userSig = genUserSig({
      sdkAppId,
      key: secretKey,
      userId,
      expire: DEV_USERSIG_LIFETIME_S,
    });
    sendJson(res, 200, { sdkAppId, userId, userSig, expire: DEV_USERSIG_LIFETIME_S });
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    for (const [name, value] of Object.entries(origins.corsHeaders(origin, req.headers.host))) {
      res.setHeader(name, value);
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendJson(res, 400, { error: 'malformed request URL' });
    }
    if (
      origin !== undefined &&
      !origins.allows(origin, req.headers.host) &&
      !isPublicAsset(req.method, url.pathname)
    ) {
      log.warn({ origin, path: url.pathname }, 'http request refused: origin not allowed');
      return sendJson(res, 403, { error: origins.refusal(origin) });
    }
    if (options.whip && (await options.whip(req, res, url))) return;
    if (req.method === 'OPTIONS') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (options.operations) {
      try {
        if (await options.operations(req, res, url)) return;
      } catch (error) {
        log.error({ err: error, path: url.pathname }, 'operations endpoint failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
        return;
      }
    }
    if (url.pathname === LOG_UPLOAD_PATH && options.logs) {
      try {
        return await options.logs(req, res, url);
      } catch (error) {
        log.error({ err: error }, 'log endpoint failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, 405, { error: `${req.method} is not supported here` });
    }
    const path = url.pathname;
    try {
      if (path === '/healthz') {
        const out = options.outOfService?.() ?? null;
        if (out !== null) return sendJson(res, 503, { status: 'out-of-service', reason: out });
        return options.isReady()
          ? sendJson(res, 200, { status: 'ok' })
          : sendJson(res, 503, { status: 'starting' });
      }
      if (path === '/dev/usersig') return devUserSig(res, url);
      if (path.startsWith('/sdk/'))
        return await sendFile(res, options.sdkDir, path.slice('/sdk/'.length));
      if (path === '/' || path === '/index.html')
        return await sendFile(res, options.demoDir, 'index.html');
      // The demo written against the TRTC v5 API.
      if (path === '/v5' || path === '/v5.html')
        return await sendFile(res, options.demoDir, 'v5.html');
      if (/^\/[\w.-]+\.(css|js|svg|png|ico)$/.test(path)) {
        return await sendFile(res, options.demoDir, path.slice(1));
      }
      sendJson(res, 404, { error: `no such endpoint: ${path}` });
    } catch (error) {
      log.error({ err: error, path }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  };
}
