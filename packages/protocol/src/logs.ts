/**
 * SDK log upload (`TRTC.Logger.enableUploadLog()`), over HTTP rather than signaling so the
 * lines logged while leaving still arrive after the socket is gone:
 *
 *   POST <server http origin>/v1/logs
 *   {"token": "<logToken from the join result>",
 *    "lines": [{"time": 1700000000000, "level": "info", "tag": "client", "message": "..."}]}
 *
 * The token may come as `Authorization: Bearer <logToken>` instead. The SDK puts it in the
 * body and sends `Content-Type: text/plain`: a CORS "simple request" needs no preflight, so
 * it also works as a keepalive request while the page unloads.
 *
 * The token names the (sdkAppId, room, userId) the lines are stored under; it stays valid
 * for LOG_TOKEN_GRACE_MS after the session ends. Answers 204, or 4xx with `{error}`.
 */
import { z } from 'zod';

export const LOG_UPLOAD_PATH = '/v1/logs';
/** Largest request body the server reads. */
export const MAX_LOG_UPLOAD_BYTES = 128 * 1024;
export const MAX_LOG_LINES_PER_UPLOAD = 200;
export const MAX_LOG_MESSAGE_CHARS = 2000;
/** How long a session's log token is honoured after it left (its last lines come late). */
export const LOG_TOKEN_GRACE_MS = 5 * 60_000;

export const LogLevelNameSchema = z.enum(['trace', 'debug', 'info', 'warn', 'error']);
export type LogLevelName = z.infer<typeof LogLevelNameSchema>;

export const LogLineSchema = z.object({
  /** Milliseconds since the epoch, by the browser's clock. */
  time: z.number().finite(),
  level: LogLevelNameSchema,
  tag: z.string().max(32),
  message: z.string().max(MAX_LOG_MESSAGE_CHARS),
});
export type LogLine = z.infer<typeof LogLineSchema>;

export const LogUploadSchema = z.object({
  token: z.string().max(256).optional(),
  lines: z.array(LogLineSchema).min(1).max(MAX_LOG_LINES_PER_UPLOAD),
});
export type LogUpload = z.infer<typeof LogUploadSchema>;
