/**
 * `/v1/logs`: SDKs upload their log lines (POST, with the log token of their session; see
 * protocol logs.ts), an operator reads a user's lines back (GET, dev mode or the app's
 * secret key as bearer): `GET /v1/logs?sdkAppId=…&roomId=…|strRoomId=…&userId=…`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  LogUploadSchema,
  MAX_LOG_UPLOAD_BYTES,
  roomIdProblem,
  userIdProblem,
  type RoomRef,
} from '@parley/protocol';
import type { LogStore } from '../logs/LogStore.js';
import type { LogTokens } from '../logs/LogTokens.js';
import { bearerToken, sendJson } from './respond.js';

export interface LogApiOptions {
  store: LogStore;
  tokens: LogTokens;
  /** Whether the request's Authorization header may read the logs of `sdkAppId`. */
  canRead(sdkAppId: number, authorization: string | undefined): boolean;
}

class BodyTooLarge extends Error {}

/** The body as text, refusing more than `limit` bytes without reading them. */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseRoom(url: URL): RoomRef | string {
  const numeric = url.searchParams.get('roomId');
  const text = url.searchParams.get('strRoomId');
  if ((numeric === null) === (text === null)) return 'give exactly one of roomId and strRoomId';
  const room: RoomRef =
    text !== null
      ? { kind: 'string', id: text }
      : { kind: 'number', id: /^\d{1,10}$/.test(numeric!) ? Number(numeric) : NaN };
  return roomIdProblem(room) ?? room;
}

export function createLogApi(options: LogApiOptions) {
  const { store, tokens } = options;

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text: string;
    try {
      text = await readBody(req, MAX_LOG_UPLOAD_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      res.setHeader('Connection', 'close');
      return sendJson(res, 413, { error: `log upload exceeds ${MAX_LOG_UPLOAD_BYTES} bytes` });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return sendJson(res, 400, { error: 'log upload is not valid JSON' });
    }
    const parsed = LogUploadSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      return sendJson(res, 400, { error: `invalid log upload: ${issues}` });
    }
    const token = bearerToken(req.headers.authorization) ?? parsed.data.token;
    if (token === undefined) {
      return sendJson(res, 401, {
        error: 'log upload needs the logToken of the join result (body field token, or Bearer)',
      });
    }
    const key = tokens.use(token);
    if (key === 'unknown') {
      return sendJson(res, 401, { error: 'unknown or expired log token; join again' });
    }
    if (key === 'rate-limited') {
      return sendJson(res, 429, { error: 'too many log uploads; batch lines and retry later' });
    }
    store.append(key, parsed.data.lines);
    res.writeHead(204);
    res.end();
  }

  function read(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const appIdText = url.searchParams.get('sdkAppId') ?? '';
    const sdkAppId = /^\d{1,10}$/.test(appIdText) ? Number(appIdText) : NaN;
    if (!Number.isInteger(sdkAppId)) {
      return sendJson(res, 400, { error: 'sdkAppId must be a positive integer' });
    }
    if (!options.canRead(sdkAppId, req.headers.authorization)) {
      return sendJson(res, 401, {
        error: `reading logs needs Authorization: Bearer <the secret key of sdkAppId ${sdkAppId}>`,
      });
    }
    const userId = url.searchParams.get('userId');
    const userProblem = userIdProblem(userId);
    if (userProblem !== null || userId === null) return sendJson(res, 400, { error: userProblem });
    const room = parseRoom(url);
    if (typeof room === 'string') return sendJson(res, 400, { error: room });
    sendJson(res, 200, { lines: store.read({ sdkAppId, room, userId }) });
  }

  return async function handleLogs(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    if (req.method === 'POST') return upload(req, res);
    if (req.method === 'GET') return read(req, res, url);
    sendJson(res, 405, { error: `${req.method} is not supported on ${url.pathname}` });
  };
}
