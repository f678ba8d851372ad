/**
 * The refusal every layer throws for the client to see (rooms, auth, the network edge): a
 * TRTC v4 code with its extraCode. Here, not in signal/, so the room layer needs no socket code.
 */
import {
  ErrorCode,
  ProtocolErrorCode,
  type ErrorCodeValue,
  type ErrorPayload,
} from '@parley/protocol';

/** A refusal the client should see verbatim: a v4 code, an extraCode and a message saying why. */
export class ServerError extends Error {
  readonly payload: ErrorPayload;

  constructor(code: ErrorCodeValue, message: string, extraCode?: number, redirect?: string) {
    super(message);
    this.name = 'ServerError';
    this.payload = {
      code,
      message,
      ...(extraCode !== undefined ? { extraCode } : {}),
      ...(redirect !== undefined ? { redirect } : {}),
    };
  }

  static wrongState(message: string): ServerError {
    return new ServerError(ErrorCode.INVALID_OPERATION, message, ProtocolErrorCode.WRONG_STATE);
  }

  static invalid(message: string): ServerError {
    return new ServerError(
      ErrorCode.INVALID_PARAMETER,
      message,
      ProtocolErrorCode.MALFORMED_MESSAGE,
    );
  }
}
