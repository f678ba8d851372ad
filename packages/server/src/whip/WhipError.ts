/**
 * A WHIP/WHEP request refused with an HTTP status (RFC 9725 §4.x and the WHEP draft): the
 * status, a message naming the cause, and extra headers (Retry-After, Allow, Accept-Post).
 */
import {
  ErrorCode,
  ProtocolErrorCode,
  ROOM_LIMIT_REACHED,
  ROOM_PERMISSION_DENIED,
} from '@parley/protocol';
import { ServerError } from '../ServerError.js';

export class WhipError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'WhipError';
  }
}

/**
 * A room-layer refusal as an HTTP status: a bad UserSig is 401, a refused entry (ban,
 * privateMapKey, a user the app refuses) 403, a limit reached 429, a bad offer 400, a state
 * the request does not fit 409; anything else is the server's fault (500).
 */
export function statusOf(error: ServerError): number {
  const { code, extraCode } = error.payload;
  if (extraCode === ROOM_LIMIT_REACHED || extraCode === ProtocolErrorCode.RATE_LIMITED) return 429;
  if (extraCode === ROOM_PERMISSION_DENIED) return 403;
  // The cluster's Redis is out of reach (or this node left the cluster): try again / elsewhere.
  if (extraCode === ProtocolErrorCode.CLUSTER_UNAVAILABLE) return 503;
  if (code === ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED) return 401;
  if (code === ErrorCode.JOIN_ROOM_FAILED) return 403;
  if (code === ErrorCode.INVALID_PARAMETER) return 400;
  if (code === ErrorCode.INVALID_OPERATION) return 409;
  return 500;
}

/** Any error as a WhipError (ServerErrors mapped by statusOf; the rest are 500). */
export function asWhipError(error: unknown): WhipError {
  if (error instanceof WhipError) return error;
  if (error instanceof ServerError) {
    const status = statusOf(error);
    return new WhipError(status, error.message, status === 429 ? { 'Retry-After': '10' } : {});
  }
  return new WhipError(500, 'internal error');
}
