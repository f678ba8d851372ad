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
import { clientAddress } from '../net/clientAddress.js';
import type { IceServerInfo } from '../turn/turnConfig.js';
import type { MediaSession } from './IngestSession.js';
import { WhipError, asWhipError } from './WhipError.js';
import { WhipService, type StreamAddress } from './WhipService.js';

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

/**
 * Whether an If-Match field value lets a request on `etag` through (RFC 9110 §13.1.1): `*`,
 * or a list of entity tags one of which is `etag` by strong comparison (a weak `W/"…"` tag
 * never matches).
 */
export function ifMatchAllows(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const tags: string[] = header.match(/(?:W\/)?"[^"]*"/g) ?? [];
  return tags.includes(etag);
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

/** An answer to a WHIP/WHEP request, as one node gives it to another to send. */
export interface HttpReply {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

/** A PATCH or DELETE on a session, as forwarded to the node that holds it. */
export interface SessionCall {
  method: string;
  token?: string;
  ifMatch?: string;
  contentType?: string;
  /** The PATCH body (read once the session is found here, or before forwarding). */
  body: () => Promise<string>;
}

/** A WHEP POST, as forwarded to the node the played user publishes on. */
export interface PlayCall {
  address: StreamAddress;
  sdp: string;
  streamType: StreamType;
  viewerId?: string;
}

/**
 * Cluster mode: what reaches another node. A session held elsewhere answers from there;
 * a WHEP player of a user published on another node plays from that node (its answer
 * carries that node's media addresses).
 */
export interface WhipClusterHttp {
  /** The answer of the node that holds session `id`; null when no node does. */
  forwardSession(
    kind: 'whip' | 'whep',
    id: string,
    call: Omit<SessionCall, 'body'> & { fragment?: string },
  ): Promise<HttpReply | null>;
  /** The node `userId` publishes on when it is another one (null: this one, or none). */
  publisherNode(sdkAppId: number, ref: RoomRef, userId: string): Promise<string | null>;
  forwardPlay(node: string, call: PlayCall): Promise<HttpReply>;
}

export function errorReply(error: WhipError): HttpReply {
  return {
    status: error.status,
    headers: {
      ...error.headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    },
    body: JSON.stringify({ error: error.message }),
  };
}

function send(res: ServerResponse, reply: HttpReply): void {
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}

function sendError(res: ServerResponse, error: WhipError): void {
  send(res, errorReply(error));
}

function logRefusal(log: Logger, kind: string, error: unknown, refusal: WhipError): void {
  if (refusal.status >= 500) log.error({ err: error }, `${kind} request failed`);
  else log.info({ status: refusal.status, why: refusal.message }, `${kind} request refused`);
}

/** The 201 of a session made here (RFC 9725 §4.2). */
function createdReply(
  kind: 'whip' | 'whep',
  session: MediaSession,
  answer: string,
  iceServers: readonly IceServerInfo[],
): HttpReply {
  return {
    status: 201,
    headers: {
      'Content-Type': SDP,
      Location: `/${kind}/sessions/${session.id}`,
      ETag: WhipService.etag(session),
      'Accept-Patch': SDPFRAG,
      'Cache-Control': 'no-store',
      ...(iceServers.length > 0 ? { Link: iceServerLinks(iceServers) } : {}),
    },
    body: answer,
  };
}

/** A WHEP POST forwarded from another node, played here; refusals as replies. */
export async function playReply(
  service: WhipService,
  log: Logger,
  call: PlayCall,
): Promise<HttpReply> {
  try {
    const { session, answer, iceServers } = await service.play(
      call.address,
      () => Promise.resolve(call.sdp),
      call.streamType,
      call.viewerId,
    );
    return createdReply('whep', session, answer, iceServers);
  } catch (error) {
    const refusal = asWhipError(error);
    logRefusal(log, 'whep', error, refusal);
    return errorReply(refusal);
  }
}

/** A PATCH or DELETE on a session of this server; refusals as replies. */
export async function sessionReply(
  service: WhipService,
  log: Logger,
  kind: 'whip' | 'whep',
  id: string,
  call: SessionCall,
): Promise<HttpReply> {
  try {
    if (call.method !== 'PATCH' && call.method !== 'DELETE') {
      throw new WhipError(405, `${call.method} is not allowed on a session`, {
        Allow: 'PATCH, DELETE, OPTIONS',
      });
    }
    const session = service.get(kind, id, call.token);
    if (call.method === 'DELETE') {
      await service.remove(session);
      return { status: 200, headers: { 'Cache-Control': 'no-store' }, body: '' };
    }
    return await patch(service, session, call);
  } catch (error) {
    const refusal = asWhipError(error);
    logRefusal(log, kind, error, refusal);
    return errorReply(refusal);
  }
}

async function patch(
  service: WhipService,
  session: MediaSession,
  call: SessionCall,
): Promise<HttpReply> {
  if ((call.contentType ?? '').split(';')[0]!.trim().toLowerCase() !== SDPFRAG) {
    throw new WhipError(415, `PATCH takes ${SDPFRAG}`, { 'Accept-Patch': SDPFRAG });
  }
  const fragment = await call.body();
  // Checked once the body is in: the session may have ended or restarted meanwhile.
  if (session.ended) throw new WhipError(404, 'the session ended');
  const { ifMatch } = call;
  if (ifMatch !== undefined && !ifMatchAllows(ifMatch, WhipService.etag(session))) {
    throw new WhipError(412, 'If-Match does not match the session ETag (ICE was restarted)');
  }
  const restarted = await service.patch(session, fragment, ifMatch !== undefined);
  if (!restarted) {
    return { status: 204, headers: { ETag: WhipService.etag(session) }, body: '' };
  }
  return {
    status: 200,
    headers: {
      'Content-Type': SDPFRAG,
      ETag: WhipService.etag(session),
      'Cache-Control': 'no-store',
    },
    body: restarted.fragment,
  };
}

/**
 * Handles `/whip/…` and `/whep/…`: true when the path was one of them.
 */
export function createWhipHttp(
  service: WhipService,
  log: Logger,
  options: {
    /** Every request to WHIP/WHEP is answered 501 with this reason. */
    unavailable?: string;
    /** PARLEY_TRUST_PROXY: the client's address from X-Forwarded-For (net/clientAddress.ts). */
    trustProxy?: boolean;
    /** Cluster mode: sessions and publishers of other nodes (null until the cluster is up). */
    cluster?: () => WhipClusterHttp | null;
  } = {},
) {
  const { unavailable, trustProxy = false } = options;
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
        send(res, await onSession(route.kind, route.sessionId, req));
      }
    } catch (error) {
      const refusal = asWhipError(error);
      logRefusal(log.child({ path: url.pathname }), route.kind, error, refusal);
      if (!res.headersSent) sendError(res, refusal);
      else res.destroy();
    }
    return true;
  };

  /** A PATCH or DELETE: here when the session is, else at the node that holds it. */
  async function onSession(
    kind: 'whip' | 'whep',
    id: string,
    req: IncomingMessage,
  ): Promise<HttpReply> {
    const token = bearerToken(req.headers.authorization);
    const ifMatch = req.headers['if-match'];
    const contentType = req.headers['content-type'];
    const call = {
      method: req.method ?? '',
      ...(token !== undefined ? { token } : {}),
      ...(ifMatch !== undefined ? { ifMatch } : {}),
      ...(contentType !== undefined ? { contentType } : {}),
    };
    const cluster = options.cluster?.() ?? null;
    if (!cluster || service.holds(kind, id)) {
      return sessionReply(service, log, kind, id, {
        ...call,
        body: () => readBody(req, MAX_FRAGMENT_BYTES),
      });
    }
    if (token === undefined) {
      throw new WhipError(401, 'the session needs the Bearer token it was created with', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    const fragment = req.method === 'PATCH' ? await readBody(req, MAX_FRAGMENT_BYTES) : undefined;
    const forwarded = await cluster.forwardSession(kind, id, {
      ...call,
      ...(fragment !== undefined ? { fragment } : {}),
    });
    return forwarded ?? sessionReply(service, log, kind, id, { ...call, body: async () => '' });
  }

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
    // An empty ?privateMapKey= is no key (as a v4 join's empty privateMapKey is).
    const privateMapKey = url.searchParams.get('privateMapKey') || undefined;
    const address = {
      sdkAppId: endpoint.sdkAppId,
      ref,
      userId: endpoint.userId,
      token,
      ...(privateMapKey !== undefined ? { privateMapKey } : {}),
      remoteAddress: clientAddress(req, trustProxy),
    };
    const viewerId = url.searchParams.get('viewerId') ?? undefined;
    // Read only once the service let the request in (rate, UserSig, limits): an
    // unauthenticated client cannot hold 64 KiB reads open.
    const body = () => readBody(req, MAX_OFFER_BYTES);
    const cluster = kind === 'whep' ? (options.cluster?.() ?? null) : null;
    if (cluster) {
      // Cluster: a user published on another node is played from there.
      service.checkViewer(address, viewerId);
      const node = await cluster.publisherNode(address.sdkAppId, ref, address.userId);
      if (node !== null) {
        const sdp = await body();
        send(
          res,
          await cluster.forwardPlay(node, {
            address,
            sdp,
            streamType,
            ...(viewerId !== undefined ? { viewerId } : {}),
          }),
        );
        return;
      }
    }
    const { session, answer, iceServers } =
      kind === 'whip'
        ? await service.ingest(address, body)
        : await service.play(address, body, streamType, viewerId);
    send(res, createdReply(kind, session, answer, iceServers));
  }
}
