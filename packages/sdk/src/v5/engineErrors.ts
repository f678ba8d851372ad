/**
 * The facade's v5 errors: helpers for the ones it raises itself (wrong state, bad argument)
 * and the conversion of the engine's v4-numbered failures (errors.ts fromV4Error: a join the
 * server refuses is SERVER_ERROR with the server's code as extraCode).
 */
import { ERROR_CODE, EXTRA_CODE, RtcError } from './errors.js';

/** v5's extraCodes the facade raises. */
export const V5_EXTRA = {
  NOT_IN_ROOM: EXTRA_CODE.INVALID_OPERATION_NOT_JOINED,
  USER_NOT_IN_ROOM: EXTRA_CODE.INVALID_OPERATION_REMOTE_USER_NOT_EXIST,
  STREAM_NOT_AVAILABLE: EXTRA_CODE.INVALID_OPERATION_STREAM_TYPE_NOT_EXIST,
  ALREADY_IN_ROOM: EXTRA_CODE.INVALID_OPERATION_REPEAT_CALL,
  AUDIENCE: EXTRA_CODE.INVALID_ROLE_AUDIENCE,
  SEI_DISABLED: EXTRA_CODE.INVALID_NOT_ENABLE_SEI,
  SEI_NOT_PUBLISHING: EXTRA_CODE.INVALID_NEED_CALL_PUBLISHED,
  REJOIN_FAILED: EXTRA_CODE.REJOIN_FAILED,
} as const;

export { ERROR_CODE as V5_ERROR_CODE, RtcError as V5RtcError };

export function v5Error(
  code: number,
  message: string,
  functionName: string,
  extraCode?: number,
  originError?: Error,
): RtcError {
  return new RtcError({
    code,
    message,
    functionName,
    ...(extraCode === undefined ? {} : { extraCode }),
    ...(originError === undefined ? {} : { originError }),
  });
}

export function invalidParameter(message: string, functionName: string): RtcError {
  return v5Error(ERROR_CODE.INVALID_PARAMETER, message, functionName);
}

export function invalidOperation(
  message: string,
  functionName: string,
  extraCode?: number,
): RtcError {
  return v5Error(ERROR_CODE.INVALID_OPERATION, message, functionName, extraCode);
}

/** Any failure (the engine's v4 errors, a v5 one, anything thrown) as a v5 RtcError. */
export function toV5Error(error: unknown, functionName: string): RtcError {
  return RtcError.convertFrom(error, functionName);
}
