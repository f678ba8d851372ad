/**
 * The admin console (/admin) and its JSON API (/admin/api/*). Opened with the admin token
 * (`Authorization: Bearer …`, every application) or an application's API credential
 * (`Authorization: Basic base64(SecretId:SecretKey)`, that application only).
 */
import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { roomIdProblem, userIdProblem, type RoomRef } from '@parley/protocol';
import type { Logger } from 'pino';
import type { AppConfig } from '../apps/appsConfig.js';
import type { BanList } from '../api/BanList.js';
import type { History } from '../api/History.js';
import type { RoomDirectory } from '../room/RoomDirectory.js';
import type { CallbackQueue } from '../callbacks/CallbackQueue.js';
import { sendJson } from '../http/respond.js';
import type { Metrics } from '../metrics/Metrics.js';

export interface AdminApiOptions {
  staticDir: string;
  apps: readonly AppConfig[];
  adminToken?: string;
  directory: RoomDirectory;
  bans: BanList;
  history: History;
  metrics: Metrics;
  callbacks: CallbackQueue;
  log: Logger;
  /** Cluster: every live node with its load and rooms (null on a single node). */
  nodes?: () => AdminNode[] | null;
}

/** One node of a cluster as the console shows it. */
export interface AdminNode {
  id: string;
  url: string;
  self: boolean;
  load: number;
  maxLoad: number;
  rooms: number;
  participants: number;
  startedAt: number;
  /** Relays to and from this node from this one's side. */
  relaysIn: number;
  relaysOut: number;
}

/** Who is signed in: every app (token) or one. */
type Scope = { who: string; sdkAppId: number | null };

const FILES: Record<string, string> = {
  '/admin': 'index.html',
  '/admin/': 'index.html',
  '/admin/admin.js': 'admin.js',
  '/admin/admin.css': 'admin.css',
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
  return parsed as Record<string, unknown>;
}

function roomOf(body: Record<string, unknown>): RoomRef | null {
  const room = body.room as { kind?: unknown; id?: unknown } | undefined;
  if (!room) return null;
  const ref: RoomRef | null =
    room.kind === 'number' && typeof room.id === 'number'
      ? { kind: 'number', id: room.id }
      : room.kind === 'string' && typeof room.id === 'string'
        ? { kind: 'string', id: room.id }
        : null;
  return ref && !roomIdProblem(ref) ? ref : null;
}

export function createAdminApi(options: AdminApiOptions) {
  const { directory, bans, metrics, callbacks, log } = options;

  function authenticate(req: IncomingMessage): Scope | null {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (bearer && options.adminToken && same(bearer, options.adminToken)) {
      return { who: 'admin token', sdkAppId: null };
    }
    const basic = /^Basic\s+(\S+)$/i.exec(header)?.[1];
    if (!basic) return null;
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const secretId = decoded.slice(0, colon);
    const secretKey = decoded.slice(colon + 1);
    for (const app of options.apps) {
      for (const c of app.apiCredentials) {
        if (c.secretId === secretId && same(c.secretKey, secretKey)) {
          return { who: `SecretId ${secretId}`, sdkAppId: app.sdkAppId };
        }
      }
    }
    return null;
  }

  function state(scope: Scope) {
    const visible = (sdkAppId: number) => scope.sdkAppId === null || scope.sdkAppId === sdkAppId;
    const rooms = directory.listRooms(scope.sdkAppId ?? undefined).map((room) => ({
      sdkAppId: room.sdkAppId,
      room: room.room,
      createdAt: room.createdAt,
      participants: room.participants.map((p) => ({
        ...p,
        ...metrics.rates(room.sdkAppId, room.room, p.userId),
      })),
    }));
    return {
      signedInAs: scope.who,
      apps: options.apps.filter((a) => visible(a.sdkAppId)).map((a) => a.sdkAppId),
      rooms,
      bans: bans.list(scope.sdkAppId ?? undefined),
      errors: metrics
        .recentErrors(50)
        .filter(
          (e) =>
            scope.sdkAppId === null ||
            e.context?.sdkAppId === undefined ||
            e.context.sdkAppId === scope.sdkAppId,
        ),
      deliveries: callbacks.deliveries(50).filter((d) => visible(d.sdkAppId)),
      recentLeaves: options.history.recentStays(scope.sdkAppId ?? undefined, 20),
      nodes: options.nodes?.() ?? null,
      callbackQueueDepth: callbacks.depth,
    };
  }

  async function act(scope: Scope, action: string, body: Record<string, unknown>) {
    const sdkAppId = Number(body.sdkAppId);
    const room = roomOf(body);
    if (!Number.isInteger(sdkAppId) || !room)
      return { status: 400, body: { error: 'sdkAppId and room are required' } };
    if (scope.sdkAppId !== null && scope.sdkAppId !== sdkAppId) {
      return { status: 403, body: { error: `signed in for ${scope.sdkAppId}, not ${sdkAppId}` } };
    }
    const userId = body.userId;
    const by = `admin console (${scope.who})`;
    const alog = log.child({ admin: scope.who, action, sdkAppId, room });
    if (action === 'dismiss') {
      const removed = await directory.dismissRoom(
        sdkAppId,
        room,
        `room ${String(room.id)} was dismissed by an operator`,
      );
      if (removed === null) return { status: 404, body: { error: 'no such room' } };
      alog.info({ affectedUsers: removed }, 'room dismissed by admin');
      return { status: 200, body: { removed } };
    }
    if (typeof userId !== 'string' || userIdProblem(userId))
      return { status: 400, body: { error: 'userId is required' } };
    if (action === 'remove') {
      const removed = await directory.removeUsers(
        sdkAppId,
        room,
        [userId],
        'kick',
        `removed from room ${String(room.id)} by an operator`,
      );
      alog.info({ affectedUsers: removed }, 'user removed by admin');
      return {
        status: removed.length ? 200 : 404,
        body: removed.length ? { removed } : { error: `${userId} is not in the room` },
      };
    }
    if (action === 'ban') {
      const seconds = Number(body.durationS ?? 600);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 30 * 86_400)
        return { status: 400, body: { error: 'durationS must be 1 s to 30 days' } };
      const reason = typeof body.reason === 'string' ? body.reason.slice(0, 200) : '';
      const until = Date.now() + seconds * 1000;
      bans.add({ sdkAppId, room, userId, until, reason, by });
      const removed = await directory.removeUsers(
        sdkAppId,
        room,
        [userId],
        'banned',
        `banned from room ${String(room.id)} until ${new Date(until).toISOString()} by an operator${reason ? ` (${reason})` : ''}`,
      );
      alog.info(
        { affectedUsers: removed, until: new Date(until).toISOString() },
        'user banned by admin',
      );
      return { status: 200, body: { removed, until } };
    }
    if (action === 'unban') {
      bans.remove(sdkAppId, room, userId);
      alog.info({ userId }, 'ban lifted by admin');
      return { status: 200, body: {} };
    }
    return { status: 404, body: { error: `no such action ${action}` } };
  }

  return async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<boolean> {
    const path = url.pathname;
    const file = FILES[path];
    if (file && req.method === 'GET') {
      const body = await readFile(join(options.staticDir, file));
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-cache',
        // The console only talks to its own origin.
        'Content-Security-Policy': "default-src 'self'; img-src 'self' data:",
      });
      res.end(body);
      return true;
    }
    if (!path.startsWith('/admin/api/')) return false;
    const scope = authenticate(req);
    if (!scope) {
      sendJson(res, 401, {
        error: 'sign in with the admin token or an API SecretId and SecretKey',
      });
      return true;
    }
    if (path === '/admin/api/state' && req.method === 'GET') {
      sendJson(res, 200, state(scope));
      return true;
    }
    const action = /^\/admin\/api\/(remove|dismiss|ban|unban)$/.exec(path)?.[1];
    if (action && req.method === 'POST') {
      let body: Record<string, unknown>;
      try {
        body = await readJson(req);
      } catch {
        sendJson(res, 400, { error: 'the body must be a JSON object' });
        return true;
      }
      const result = await act(scope, action, body);
      sendJson(res, result.status, result.body);
      return true;
    }
    sendJson(res, 404, { error: `no such admin endpoint: ${req.method} ${path}` });
    return true;
  };
}
