/**
 * The one error type the SDK rejects with and emits, as TRTC v4 defines it: `getCode()`
 * (an `ErrorCode` value), `getExtraCode()` (e.g. the account error 70001 of a refused
 * userSig) and a `message` that always says why.
 */
import { ErrorCode, type ErrorCodeName, type ErrorPayload } from '@parley/protocol';

export { ErrorCode };
export type { ErrorCodeName };

export interface RtcErrorOptions {
  /** An `ErrorCode` value (the server may send codes this SDK does not name; they pass through). */
  code: number;
  extraCode?: number;
  message: string;
  /**
   * v4 reports getUserMedia failures with the DOMException's name (`NotAllowedError`, ...)
   * as `error.name`, and apps switch on it; everything else is `'RtcError'`.
   */
  name?: string;
  cause?: unknown;
}

const codeNames = new Map<number, string>(
  Object.entries(ErrorCode).map(([name, code]) => [code, name]),
);

/** `INVALID_PARAMETER` for 0x1000, or the hex code when the number is not a v4 code. */
export function errorCodeName(code: number): string {
  return codeNames.get(code) ?? `0x${code.toString(16)}`;
}

export class RtcError extends Error {
  readonly code: number;
  readonly extraCode: number | undefined;
  /** @internal Cluster: the lighter node a refused join may be made at (not a v4 field). */
  redirect?: string;

  constructor(options: RtcErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    // Set as an own property (not a class field) so a caller-given name survives.
    this.name = options.name ?? 'RtcError';
    this.code = options.code;
    this.extraCode = options.extraCode;
  }

  getCode(): number {
    return this.code;
  }

  getExtraCode(): number | undefined {
    return this.extraCode;
  }

  override toString(): string {
    const extra = this.extraCode === undefined ? '' : ` extraCode ${this.extraCode}`;
    return `${this.name}: ${this.message} <${errorCodeName(this.code)} 0x${this.code.toString(16)}${extra}>`;
  }

  /** A server error response, verbatim (code, extraCode and message). */
  static fromPayload(payload: ErrorPayload): RtcError {
    const error = new RtcError({
      code: payload.code,
      ...(payload.extraCode === undefined ? {} : { extraCode: payload.extraCode }),
      message: payload.message,
    });
    if (payload.redirect !== undefined) error.redirect = payload.redirect;
    return error;
  }

  /** Passes an RtcError through; wraps anything else under `code`, keeping it as `cause`. */
  static wrap(error: unknown, code: number, context: string): RtcError {
    if (error instanceof RtcError) return error;
    return new RtcError({ code, message: `${context}: ${describe(error)}`, cause: error });
  }

  static invalidParameter(message: string): RtcError {
    return new RtcError({ code: ErrorCode.INVALID_PARAMETER, message });
  }

  static invalidOperation(message: string): RtcError {
    return new RtcError({ code: ErrorCode.INVALID_OPERATION, message });
  }

  static notSupported(message: string): RtcError {
    return new RtcError({ code: ErrorCode.NOT_SUPPORTED, message });
  }

  static signalSetupFailed(message: string, cause?: unknown): RtcError {
    return new RtcError({ code: ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED, message, cause });
  }

  static signalError(message: string): RtcError {
    return new RtcError({ code: ErrorCode.SIGNAL_CHANNEL_ERROR, message });
  }

  static serverTimeout(message: string): RtcError {
    return new RtcError({ code: ErrorCode.SERVER_TIMEOUT, message });
  }

  static iceTransportError(message: string): RtcError {
    return new RtcError({ code: ErrorCode.ICE_TRANSPORT_ERROR, message });
  }

  static remoteStreamNotExist(message: string): RtcError {
    return new RtcError({ code: ErrorCode.REMOTE_STREAM_NOT_EXIST, message });
  }

  static subscriptionTimeout(message: string): RtcError {
    return new RtcError({ code: ErrorCode.SUBSCRIPTION_TIMEOUT, message });
  }

  static playNotAllowed(message: string, cause?: unknown): RtcError {
    return new RtcError({ code: ErrorCode.PLAY_NOT_ALLOWED, message, cause });
  }

  static reconnectionFailed(message: string, extraCode?: number): RtcError {
    return new RtcError({
      code: ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED,
      message,
      ...(extraCode === undefined ? {} : { extraCode }),
    });
  }
}

/** A readable one-liner for anything thrown (DOMException, Error, string, ...). */
export function describe(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
