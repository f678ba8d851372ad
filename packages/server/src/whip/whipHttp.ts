/**
 * The HTTP face of WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep):
 *
 *   POST   /whip/{sdkAppId}/{userId}?roomId=N | ?strRoomId=S [&privateMapKey=K]
 *            Bearer: a UserSig of userId; body: the client's SDP offer (application/sdp)
 *            → 201, the answer, Location: /whip/sessions/{id}, ETag
 *   POST   /whep/{sdkAppId}/{userId}?roomId=N | ?strRoomId=S [&streamType=main|auxiliary]
 *            [&viewerId=V] Bearer: a UserSig of the viewer (V, or whoever it was signed for)
 *   PATCH  /whip|whep/sessions/{id}  application/trickle-ice-sdpfrag: trickle (204) or ICE
 *            restart (200 with the server's new credentials and a new ETag)
 *   DELETE /whip|whep/sessions/{id}  ends it (200)
 *   OPTIONS on all of them: Accept-Post / Accept-Patch and CORS.
 *
 * The room goes in the query because TRTC tells numeric and string room ids apart (as the
 * server API's RoomIdType does); the userId in the path makes the URL name what is
 * published or played. Errors are JSON `{ error }` naming the cause.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RoomRef, StreamType } from '@parley/protocol';
import type { Logger } from 'pino';
import { bearerToken } from '../http/respond.js';
import type { IceServerInfo } from '../turn/turnConfig.js';
import type { MediaSession } from './IngestSession.js';
import { WhipError, asWhipError } from './WhipError.js';
import { WhipService } from './WhipService.js';

/** An SDP offer larger than this is refused (413); real offers are a few kB. */
export const MAX_OFFER_BYTES = 64 * 1024;
/** A trickle fragment larger than this is refused (413). */
export const MAX_FRAGMENT_BYTES = 16 * 1024;
/** A body not received within this is refused (408). */
const BODY_TIMEOUT_MS = 10_000;

const SDP = 'application/sdp';
const SDPFRAG = 'application/trickle-ice-sdpfrag';

const CORS = {
  'Access-Control-Allow-Methods': 'POST, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization, If-Match',
  'Access-Control-Expose-Headers': 'Location, ETag, Accept-Patch, Accept-Post, Link',
};

type Route =
  | { kind: 'whip' | 'whep'; endpoint: { sdkAppId: number; userId: string } }
  | { kind: 'whip' | 'whep'; sessionId: string };

/** `/whip/...` or `/whep/...` read into a route; null: not ours; WhipError: ours but bad. */
export function routeOf(path: string): Route | null {
  const match = /^\/(whip|whep)(\/.*)?$/.exec(path);
  if (!match) return null;
  const kind = match[1] as 'whip' | 'whep';
  const parts = (match[2] ?? '').split('/').slice(1);
  if (parts.length === 2 && parts[0] === 'sessions' && /^[\w-]{1,64}$/.test(parts[1]!)) {
    return { kind, sessionId: parts[1]! };
  }
  if (parts.length === 2 && /^\d{1,10}$/.test(parts[0]!)) {
    let userId: string;
    try {
      userId = decodeURIComponent(parts[1]!);
    } catch {
      throw new WhipError(400, 'the userId in the path is not valid percent-encoding');
    }
    return { kind, endpoint: { sdkAppId: Number(parts[0]), userId } };
  }
  throw new WhipError(
    404,
    `no ${kind.toUpperCase()} resource at ${path.slice(0, 100)}: POST /${kind}/{sdkAppId}/{userId}?roomId=… or /${kind}/sessions/{id}`,
  );
}

/** roomId (numeric) or strRoomId from the query. */
function roomOf(url: URL): RoomRef {
  const numeric = url.searchParams.get('roomId');
  const text = url.searchParams.get('strRoomId');
  if ((numeric === null) === (text === null)) {
    throw new WhipError(400, 'give the room as exactly one of ?roomId= (numeric) or ?strRoomId=');
  }
  if (numeric !== null) {
    if (!/^\d{1,10}$/.test(numeric)) {
      throw new WhipError(400, `roomId must be an integer, got ${numeric.slice(0, 40)}`);
    }
    return { kind: 'number', id: Number(numeric) };
  }
  return { kind: 'string', id: text! };
}

function streamTypeOf(url: URL): StreamType {
  const value = url.searchParams.get('streamType') ?? 'main';
  if (value !== 'main' && value !== 'auxiliary') {
    throw new WhipError(400, `streamType must be main or auxiliary, got ${value.slice(0, 40)}`);
  }
  return value;
}

function contentTypeIs(req: IncomingMessage, type: string): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === type;
}

/** The body as text, refused past `limit` bytes (413) or `BODY_TIMEOUT_MS` (408). */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    return Promise.reject(new WhipError(413, `the body is ${declared} bytes; at most ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      reject(new WhipError(408, `the body did not arrive within ${BODY_TIMEOUT_MS} ms`));
      req.destroy();
    }, BODY_TIMEOUT_MS);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        clearTimeout(timer);
        reject(new WhipError(413, `the body is over ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** RFC 9725 §4.6: each TURN/STUN URL as a `Link` with its credentials. */
export function iceServerLinks(servers: readonly IceServerInfo[]): string[] {
  const quoted = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;
  return servers.flatMap((server) =>
    server.urls.map((url) =>
      [
        `<${url}>; rel="ice-server"`,
        ...(server.username !== undefined ? [`username=${quoted(server.username)}`] : []),
        ...(server.credential !== undefined
          ? [`credential=${quoted(server.credential)}`, 'credential-type="password"']
          : []),
      ].join('; '),
    ),
  );
}

function sendError(res: ServerResponse, error: WhipError): void {
  res.writeHead(error.status, {
    ...error.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(JSON.stringify({ error: error.message }));
}

/**
 * Handles `/whip/…` and `/whep/…`: true when the path was one of them. With `unavailable`
 * set, every request to them is answered 501 with that reason.
 */
export function createWhipHttp(service: WhipService, log: Logger, unavailable?: string) {
  return async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<boolean> {
    let route: Route | null;
    try {
      route = routeOf(url.pathname);
    } catch (error) {
      sendError(res, asWhipError(error));
      return true;
    }
    if (!route) return false;
    for (const [name, value] of Object.entries(CORS)) res.setHeader(name, value);
    if (unavailable !== undefined) {
      sendError(res, new WhipError(501, unavailable));
      return true;
    }
    const allow = 'endpoint' in route ? 'POST, OPTIONS' : 'PATCH, DELETE, OPTIONS';
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          Allow: allow,
          ...('endpoint' in route ? { 'Accept-Post': SDP } : { 'Accept-Patch': SDPFRAG }),
        });
        res.end();
        return true;
      }
      if ('endpoint' in route) {
        if (req.method !== 'POST')
          throw new WhipError(405, `${req.method} is not allowed here`, { Allow: allow });
        await create(route.kind, route.endpoint, req, res, url);
      } else {
        if (req.method !== 'PATCH' && req.method !== 'DELETE') {
          throw new WhipError(405, `${req.method} is not allowed on a session`, { Allow: allow });
        }
        const session = service.get(
          route.kind,
          route.sessionId,
          bearerToken(req.headers.authorization),
        );
        if (req.method === 'DELETE') {
          await service.remove(session);
          res.writeHead(200, { 'Cache-Control': 'no-store' });
          res.end();
        } else {
          await patch(session, req, res);
        }
      }
    } catch (error) {
      const refusal = asWhipError(error);
      if (refusal.status >= 500) {
        log.error({ err: error, path: url.pathname }, `${route.kind} request failed`);
      } else {
        log.info({ status: refusal.status, why: refusal.message }, `${route.kind} request refused`);
      }
      if (!res.headersSent) sendError(res, refusal);
      else res.destroy();
    }
    return true;
  };

  async function create(
    kind: 'whip' | 'whep',
    endpoint: { sdkAppId: number; userId: string },
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    if (!contentTypeIs(req, SDP)) {
      throw new WhipError(415, `the offer must be sent as ${SDP}`, { 'Accept-Post': SDP });
    }
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) {
      throw new WhipError(401, 'an Authorization: Bearer <UserSig> header is required', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    const ref = roomOf(url);
    const streamType = kind === 'whep' ? streamTypeOf(url) : 'main';
    const offer = await readBody(req, MAX_OFFER_BYTES);
    const privateMapKey = url.searchParams.get('privateMapKey') ?? undefined;
    const address = {
      sdkAppId: endpoint.sdkAppId,
      ref,
      userId: endpoint.userId,
      token,
      ...(privateMapKey !== undefined ? { privateMapKey } : {}),
      remoteAddress: req.socket.remoteAddress ?? '',
    };
    const viewerId = url.searchParams.get('viewerId') ?? undefined;
    const { session, answer, iceServers } =
      kind === 'whip'
        ? await service.ingest(address, offer)
        : await service.play(address, offer, streamType, viewerId);
    res.writeHead(201, {
      'Content-Type': SDP,
      Location: `/${kind}/sessions/${session.id}`,
      ETag: WhipService.etag(session),
      'Accept-Patch': SDPFRAG,
      'Cache-Control': 'no-store',
      ...(iceServers.length > 0 ? { Link: iceServerLinks(iceServers) } : {}),
    });
    res.end(answer);
  }

  async function patch(
    session: MediaSession,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (!contentTypeIs(req, SDPFRAG)) {
      throw new WhipError(415, `PATCH takes ${SDPFRAG}`, { 'Accept-Patch': SDPFRAG });
    }
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== WhipService.etag(session)) {
      throw new WhipError(412, 'If-Match does not match the session ETag (ICE was restarted)');
    }
    const fragment = await readBody(req, MAX_FRAGMENT_BYTES);
    const restarted = await service.patch(session, fragment);
    if (!restarted) {
      res.writeHead(204, { ETag: WhipService.etag(session) });
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': SDPFRAG,
      ETag: WhipService.etag(session),
      'Cache-Control': 'no-store',
    });
    res.end(restarted.fragment);
  }
}
