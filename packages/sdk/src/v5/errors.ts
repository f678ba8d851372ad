/**
 * TRTC v5's errors: `RtcError` with `code` (an `ERROR_CODE` value), `extraCode` (the detail:
 * 50xx parameter checks, 51xx wrong state, 53xx devices, or the server's code for a refused
 * join), `functionName` (the API called) and `name` the code's key (`'SERVER_ERROR'`), as
 * `trtc-sdk-v5` 5.17.1 builds them (trtc-v5-api.md §4, §7).
 */

/** `TRTC.ERROR_CODE`. */
export const ERROR_CODE = {
  INVALID_PARAMETER: 5000,
  INVALID_OPERATION: 5100,
  ENV_NOT_SUPPORTED: 5200,
  DEVICE_ERROR: 5300,
  SERVER_ERROR: 5400,
  OPERATION_FAILED: 5500,
  OPERATION_ABORT: 5998,
  UNKNOWN_ERROR: 5999,
} as const;

export type ErrorCodeName = keyof typeof ERROR_CODE;
export type ErrorCodeValue = (typeof ERROR_CODE)[ErrorCodeName];

/** The extraCodes v5 uses, by the names its bundle gives them. */
export const EXTRA_CODE = {
  INVALID_PARAMETER_REQUIRED: 5001,
  INVALID_PARAMETER_TYPE: 5002,
  INVALID_PARAMETER_EMPTY: 5003,
  INVALID_PARAMETER_INSTANCE: 5004,
  INVALID_PARAMETER_RANGE: 5005,
  INVALID_PARAMETER_LESS_THAN_ZERO: 5006,
  INVALID_PARAMETER_MIN: 5007,
  INVALID_PARAMETER_MAX: 5008,
  INVALID_ELEMENT_ID: 5009,
  INVALID_ELEMENT_ID_TYPE: 5010,
  INVALID_STREAM_ID: 5011,
  INVALID_ROOM_ID_STRING: 5012,
  INVALID_ROOM_ID_INTEGER: 5013,
  INVALID_STREAM_TYPE: 5014,
  INVALID_ROOM_ID_REQUIRED: 5015,
  INVALID_ROOM_ID_INTEGER_STRING: 5016,
  INVALID_BUFFER_EMPTY: 5017,
  INVALID_BUFFER_OVERSIZE: 5018,
  INVALID_ROOM_ID_TYPE_MISMATCH: 5019,
  INVALID_ROOM_ID_DUPLICATE: 5020,
  INVALID_OPERATION_NOT_JOINED: 5101,
  INVALID_OPERATION_REMOTE_USER_NOT_EXIST: 5102,
  INVALID_OPERATION_STREAM_TYPE_NOT_EXIST: 5103,
  INVALID_OPERATION_REPEAT_CALL: 5104,
  INVALID_OPERATION_NEED_VIDEO: 5105,
  INVALID_OPERATION_NEED_AUDIO: 5106,
  INVALID_ROLE_AUDIENCE: 5107,
  INVALID_NOT_ENABLE_SEI: 5108,
  INVALID_NEED_CALL_PUBLISHED: 5109,
  NOT_SUPPORTED_HTTP: 5201,
  NOT_SUPPORTED_WEBRTC: 5202,
  NOT_SUPPORTED_H264_ENCODE: 5203,
  NOT_SUPPORTED_H264_DECODE: 5204,
  NOT_SUPPORTED_SCREEN_SHARE: 5205,
  NOT_SUPPORTED_SMALL_VIDEO: 5206,
  NOT_SUPPORTED_SEI: 5207,
  NOT_SUPPORTED_WEBGL: 5208,
  NOT_SUPPORTED_CHROME_VERSION: 5209,
  NOT_SUPPORTED_PLUGIN: 5210,
  DEVICE_NOT_FOUND_ERROR: 5301,
  DEVICE_NOT_ALLOWED_ERROR: 5302,
  DEVICE_NOT_READABLE_ERROR: 5303,
  DEVICE_OVERCONSTRAINED_ERROR: 5304,
  DEVICE_INVALID_STATE_ERROR: 5305,
  DEVICE_SECURITY_ERROR: 5306,
  DEVICE_ABORT_ERROR: 5307,
  CAMERA_RECOVER_FAILED: 5308,
  MICROPHONE_RECOVER_FAILED: 5309,
  NEED_TO_BUY: 5401,
  FIREWALL_RESTRICTION: 5501,
  REJOIN_FAILED: 5502,
  EVENT_HANDLER_ERROR: 5503,
  VIDEO_CONTEXT_ERROR: 5504,
  VIDEO_ENCODE_FAILED: 5505,
  AUDIO_ENCODE_FAILED: 5506,
  VIDEO_DECODE_FAILED: 5507,
  AUDIO_DECODE_FAILED: 5508,
} as const;

export type ExtraCodeName = keyof typeof EXTRA_CODE;

const codeNames = new Map<number, string>(
  Object.entries(ERROR_CODE).map(([name, code]) => [code, name]),
);

/** `'SERVER_ERROR'` for 5400; `'UNKNOWN_ERROR'` for a number that is not a v5 code. */
export function errorCodeName(code: number): string {
  return codeNames.get(code) ?? 'UNKNOWN_ERROR';
}

/** What `new RtcError()` takes (the fields of trtc-sdk-v5's `RTCErrorParams`). */
export interface RTCErrorParams {
  code: number;
  extraCode?: number;
  functionName?: string;
  /** The same as `functionName` (trtc-sdk-v5 accepts both spellings). */
  fnName?: string;
  /** Without one, the message is made from the code, the extraCode and the function. */
  message?: string;
  messageParams?: unknown;
  originError?: Error | DOMException;
  data?: unknown;
}

/** The read-only view of an RtcError (trtc-sdk-v5's `RTCErrorInterface`). */
export interface RTCErrorInterface {
  readonly name: string;
  readonly code: number;
  readonly extraCode?: number;
  readonly functionName?: string;
  readonly message?: string;
  readonly originError?: Error | DOMException;
}

export class RtcError extends Error implements RTCErrorInterface {
  /** The code's key: `'INVALID_PARAMETER'`, `'SERVER_ERROR'`, ... */
  override name: string;
  code: number;
  extraCode?: number;
  /** The API that failed (`'enterRoom'`), or `''` for an `ERROR` event. */
  functionName: string;
  override message: string;
  /**
   * Recovery action where there is one. Browsers give pages no way to open the OS privacy
   * settings that v5's 5302 handler opens, so Parley never sets it.
   */
  handler?: () => void;
  /** Details for some errors (v5.12+). */
  data?: unknown;
  /** What failed underneath (a DOMException, a v4 RtcError, ...). */
  originError?: Error | DOMException | RtcError;

  constructor({
    code,
    extraCode,
    functionName,
    fnName,
    message,
    originError,
    data,
  }: RTCErrorParams) {
    const fn = functionName ?? fnName ?? '';
    const text = message ?? defaultMessage(code, extraCode, fn, originError);
    super(text, originError === undefined ? undefined : { cause: originError });
    this.name = errorCodeName(code);
    this.code = code;
    if (extraCode !== undefined) this.extraCode = extraCode;
    this.functionName = fn;
    this.message = text;
    if (originError !== undefined) this.originError = originError;
    if (data !== undefined) this.data = data;
  }

  /**
   * `error` as a v5 RtcError: an RtcError passes through; a v4 (Parley) error is mapped by
   * `fromV4Error`; anything else becomes UNKNOWN_ERROR naming it.
   */
  // `_fnParams`: trtc-sdk-v5's signature has it (for its messages); unused here.
  static convertFrom(originError: unknown, fnName = '', _fnParams?: unknown): RtcError {
    if (originError instanceof RtcError) return originError;
    const mapped = fromV4Error(originError, fnName);
    if (mapped) return mapped;
    return new RtcError({
      code: ERROR_CODE.UNKNOWN_ERROR,
      fnName,
      message: `${fnName || 'the SDK'} failed unexpectedly: ${describe(originError)}`,
      ...(originError instanceof Error ? { originError } : {}),
    });
  }
}

function defaultMessage(
  code: number,
  extraCode: number | undefined,
  fn: string,
  origin: unknown,
): string {
  const what = fn ? `${fn}()` : 'the SDK';
  const because = origin === undefined ? '' : `: ${describe(origin)}`;
  const extra = extraCode === undefined ? '' : ` (extraCode ${extraCode})`;
  return `${what} failed with ${errorCodeName(code)}${extra}${because}`;
}

/** A readable one-liner for anything thrown. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  }
  return String(error);
}

// ---- v4 (engine) errors → v5 -----------------------------------------------------------------

/**
 * The v4 codes (packages/protocol errorCodes.ts) the mapping looks at, by value, so this
 * module does not pull the v4 error class into the v5 bundle's type surface.
 */
const V4 = {
  INVALID_PARAMETER: 0x1000,
  INVALID_OPERATION: 0x1001,
  NOT_SUPPORTED: 0x1002,
  DEVICE_NOT_FOUND: 0x1003,
  INITIALIZE_FAILED: 0x1004,
  SIGNAL_CHANNEL_SETUP_FAILED: 0x4001,
  ICE_TRANSPORT_ERROR: 0x4003,
  JOIN_ROOM_FAILED: 0x4004,
  SIGNAL_CHANNEL_RECONNECTION_FAILED: 0x4006,
  UPLINK_RECONNECTION_FAILED: 0x4007,
  DOWNLINK_RECONNECTION_FAILED: 0x4008,
  SERVER_TIMEOUT: 0x4041,
  DEVICE_AUTO_RECOVER_FAILED: 0x4044,
  NOT_SUPPORTED_H264: 0x4049,
  SWITCH_ROLE_FAILED: 0x404a,
  UNKNOWN: 0xffff,
} as const;

/** A v4-shaped error: Parley's v4 RtcError (or anything with its `code`/`extraCode`). */
interface V4ErrorLike {
  code: number;
  extraCode?: number | undefined;
  name: string;
  message: string;
}

function isV4Error(error: unknown): error is V4ErrorLike & Error {
  if (!(error instanceof Error) || error instanceof RtcError) return false;
  const code = (error as Partial<V4ErrorLike>).code;
  // v4's codes are 0x1000.., 0x4001.. and 0xffff; v5's are 5000..5999.
  return typeof code === 'number' && (code < ERROR_CODE.INVALID_PARAMETER || code > 5999);
}

/** getUserMedia's DOMException name → v5's 530x extraCode. */
export function deviceExtraCode(domExceptionName: string): number {
  switch (domExceptionName) {
    case 'NotFoundError':
      return EXTRA_CODE.DEVICE_NOT_FOUND_ERROR;
    case 'NotAllowedError':
      return EXTRA_CODE.DEVICE_NOT_ALLOWED_ERROR;
    case 'NotReadableError':
      return EXTRA_CODE.DEVICE_NOT_READABLE_ERROR;
    case 'OverconstrainedError':
      return EXTRA_CODE.DEVICE_OVERCONSTRAINED_ERROR;
    case 'InvalidStateError':
      return EXTRA_CODE.DEVICE_INVALID_STATE_ERROR;
    case 'SecurityError':
      return EXTRA_CODE.DEVICE_SECURITY_ERROR;
    case 'AbortError':
      return EXTRA_CODE.DEVICE_ABORT_ERROR;
    default:
      return ERROR_CODE.DEVICE_ERROR;
  }
}

/**
 * A v4 error of the engine (a Parley v4 `RtcError`: `code` 0x1000.., `extraCode`) as v5
 * reports it, or null when `error` is not one. As trtc-sdk-v5 converts its own v4 core's
 * errors: a join or role switch the server refuses, or that times out, is SERVER_ERROR with
 * the server's code as extraCode (the account errors 70001/70003/70009/... of a bad userSig,
 * -100006 room permission, ...); parameter and state errors keep their message; device
 * failures get the 530x extraCode of the DOMException; the rest is OPERATION_FAILED.
 * Parley refuses a bad userSig while setting up the signaling channel (v4's
 * SIGNAL_CHANNEL_SETUP_FAILED with the account extraCode), so that is SERVER_ERROR too, while
 * a server that cannot be reached at all (no extraCode) is OPERATION_FAILED, as v5 reports a
 * failed address ("schedule") step.
 */
export function fromV4Error(error: unknown, fnName = ''): RtcError | null {
  if (!isV4Error(error)) return null;
  const make = (code: number, extraCode?: number, message?: string): RtcError =>
    new RtcError({
      code,
      ...(extraCode === undefined ? {} : { extraCode }),
      fnName,
      message: message ?? `${fnName || 'the SDK'} failed: ${error.message}`,
      originError: error,
    });
  const extra = error.extraCode;
  switch (error.code) {
    case V4.INVALID_PARAMETER:
      return make(ERROR_CODE.INVALID_PARAMETER, undefined, error.message);
    case V4.INVALID_OPERATION:
      return make(ERROR_CODE.INVALID_OPERATION, undefined, error.message);
    case V4.NOT_SUPPORTED:
      return make(ERROR_CODE.ENV_NOT_SUPPORTED, undefined, error.message);
    case V4.NOT_SUPPORTED_H264:
      return make(
        ERROR_CODE.ENV_NOT_SUPPORTED,
        /decod/i.test(error.message)
          ? EXTRA_CODE.NOT_SUPPORTED_H264_DECODE
          : EXTRA_CODE.NOT_SUPPORTED_H264_ENCODE,
        error.message,
      );
    case V4.SIGNAL_CHANNEL_SETUP_FAILED:
      if (extra === undefined) return make(ERROR_CODE.OPERATION_FAILED);
      return make(ERROR_CODE.SERVER_ERROR, extra, serverMessage(fnName, error.message, extra));
    case V4.JOIN_ROOM_FAILED:
    case V4.SERVER_TIMEOUT:
    case V4.SWITCH_ROLE_FAILED:
      return make(ERROR_CODE.SERVER_ERROR, extra, serverMessage(fnName, error.message, extra));
    case V4.DEVICE_NOT_FOUND:
    case V4.INITIALIZE_FAILED:
    case V4.DEVICE_AUTO_RECOVER_FAILED:
      return make(ERROR_CODE.DEVICE_ERROR, deviceExtraCode(error.name), error.message);
    case V4.ICE_TRANSPORT_ERROR:
      return make(ERROR_CODE.OPERATION_FAILED, EXTRA_CODE.FIREWALL_RESTRICTION);
    case V4.SIGNAL_CHANNEL_RECONNECTION_FAILED:
    case V4.UPLINK_RECONNECTION_FAILED:
    case V4.DOWNLINK_RECONNECTION_FAILED:
      return make(ERROR_CODE.OPERATION_FAILED, EXTRA_CODE.REJOIN_FAILED);
    case V4.UNKNOWN:
      return make(ERROR_CODE.UNKNOWN_ERROR);
    default:
      return make(ERROR_CODE.OPERATION_FAILED);
  }
}

function serverMessage(fnName: string, message: string, extraCode: number | undefined): string {
  const extra = extraCode === undefined ? '' : ` (server code ${extraCode})`;
  return `${fnName || 'the request'} was refused by the server${extra}: ${message}`;
}
