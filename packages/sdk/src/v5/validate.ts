/**
 * Argument checks for the v5 methods, as trtc-sdk-v5 5.17.1 makes them: each failure is an
 * RtcError INVALID_PARAMETER (5000) whose extraCode says which rule broke (5001 required,
 * 5002 type, 5003 empty, 5004 instance, 5005 not one of the values, 5007/5008 min/max,
 * 5012-5020 room ids, 5014 stream type, 5017/5018 buffer size) and whose message names the
 * field, the rule and the value received. The state checks the facade makes (joined, SEI
 * enabled, published, ...) have their errors here too, so that every v5 code is made in one
 * place.
 */
import {
  isValidNumericRoomId,
  isValidStringRoomId,
  MAX_ROOM_ID,
  MIN_ROOM_ID,
  userIdProblem,
  type RoomRef,
} from '@parley/protocol';
import { ERROR_CODE, EXTRA_CODE, RtcError } from './errors.js';
import type { EnterRoomConfig, ProxyServer, SwitchRoomConfig } from './types.js';

/** SEI payloads and custom messages: at most this many bytes (v5's limit). */
export const MAX_MESSAGE_BYTES = 1000;
/** Custom message command ids: 1 .. 10. */
export const MIN_CMD_ID = 1;
export const MAX_CMD_ID = 10;
/** The SEI payload types v5 sends: 243 (user data unregistered, the default) or 5. */
export const SEI_PAYLOAD_TYPES = [5, 243] as const;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) {
    return String(value);
  }
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function invalid(extraCode: number, fnName: string, message: string): RtcError {
  return new RtcError({ code: ERROR_CODE.INVALID_PARAMETER, extraCode, fnName, message });
}

function invalidOperation(extraCode: number, fnName: string, message: string): RtcError {
  return new RtcError({ code: ERROR_CODE.INVALID_OPERATION, extraCode, fnName, message });
}

// ---- generic rules ----------------------------------------------------------------------------

export function required<T>(value: T | undefined | null, key: string, fnName: string): T {
  if (value === undefined || value === null) {
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_REQUIRED,
      fnName,
      `${fnName}(): '${key}' is required, got ${show(value)}`,
    );
  }
  return value;
}

export function checkObject(value: unknown, key: string, fnName: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    if (value === undefined) required(value, key, fnName);
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_TYPE,
      fnName,
      `${fnName}(): '${key}' must be an object, got ${typeOf(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

function checkType(
  value: unknown,
  type: 'string' | 'number' | 'boolean',
  key: string,
  fnName: string,
): void {
  if (typeof value !== type) {
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_TYPE,
      fnName,
      `${fnName}(): '${key}' must be a ${type}, got ${typeOf(value)} ${show(value)}`,
    );
  }
}

/** A required string that must not be empty. */
export function checkNonEmptyString(value: unknown, key: string, fnName: string): string {
  required(value, key, fnName);
  checkType(value, 'string', key, fnName);
  if (value === '') {
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_EMPTY,
      fnName,
      `${fnName}(): '${key}' must not be empty`,
    );
  }
  return value as string;
}

export function optionalBoolean(value: unknown, key: string, fnName: string): boolean | undefined {
  if (value === undefined) return undefined;
  checkType(value, 'boolean', key, fnName);
  return value as boolean;
}

export function optionalString(value: unknown, key: string, fnName: string): string | undefined {
  if (value === undefined) return undefined;
  checkType(value, 'string', key, fnName);
  return value as string;
}

/** `value` one of `values` (5005). */
export function checkOneOf<T extends string | number>(
  value: unknown,
  values: readonly T[],
  key: string,
  fnName: string,
): T {
  if (!values.includes(value as T)) {
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_RANGE,
      fnName,
      `${fnName}(): '${key}' must be one of ${values.map((v) => JSON.stringify(v)).join(' | ')}, got ${show(value)}`,
    );
  }
  return value as T;
}

/** A number within [min, max] (5002 type, 5007 below min, 5008 above max). */
export function checkNumber(
  value: unknown,
  key: string,
  fnName: string,
  range: { min?: number; max?: number } = {},
): number {
  checkType(value, 'number', key, fnName);
  const n = value as number;
  if (Number.isNaN(n)) {
    throw invalid(EXTRA_CODE.INVALID_PARAMETER_TYPE, fnName, `${fnName}(): '${key}' is NaN`);
  }
  if (range.min !== undefined && n < range.min) {
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_MIN,
      fnName,
      `${fnName}(): the minimum of '${key}' is ${range.min}, got ${n}`,
    );
  }
  if (range.max !== undefined && n > range.max) {
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_MAX,
      fnName,
      `${fnName}(): the maximum of '${key}' is ${range.max}, got ${n}`,
    );
  }
  return n;
}

/** An ArrayBuffer of 1 .. 1000 bytes (5004 not one, 5017 empty, 5018 too large). */
export function checkMessageBuffer(value: unknown, key: string, fnName: string): ArrayBuffer {
  required(value, key, fnName);
  if (!(value instanceof ArrayBuffer)) {
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_INSTANCE,
      fnName,
      `${fnName}(): '${key}' must be an ArrayBuffer, got ${typeOf(value)}` +
        (ArrayBuffer.isView(value) ? ' (a typed array: pass its .buffer)' : ''),
    );
  }
  if (value.byteLength === 0) {
    throw invalid(EXTRA_CODE.INVALID_BUFFER_EMPTY, fnName, `${fnName}(): '${key}' is empty`);
  }
  if (value.byteLength > MAX_MESSAGE_BYTES) {
    throw invalid(
      EXTRA_CODE.INVALID_BUFFER_OVERSIZE,
      fnName,
      `${fnName}(): '${key}' is ${value.byteLength} bytes; at most ${MAX_MESSAGE_BYTES} are allowed`,
    );
  }
  return value;
}

// ---- ids --------------------------------------------------------------------------------------

/**
 * The room of `roomId` or `strRoomId` (numeric and string rooms are separate). As v5: a
 * truthy `roomId` wins and must be an integer 1 .. 4294967294 (5013; a string there is
 * 5016); otherwise `strRoomId` (5012); neither is 5015.
 */
export function checkRoom(
  config: { roomId?: unknown; strRoomId?: unknown },
  fnName: string,
): RoomRef {
  const { roomId, strRoomId } = config;
  if (roomId !== undefined && roomId !== null && roomId !== 0 && roomId !== '') {
    if (typeof roomId === 'string') {
      throw invalid(
        EXTRA_CODE.INVALID_ROOM_ID_INTEGER_STRING,
        fnName,
        `${fnName}(): 'roomId' must be a number, got the string ${show(roomId)}: convert it with parseInt() or pass it as 'strRoomId' (a string room is a different room)`,
      );
    }
    if (!isValidNumericRoomId(roomId)) {
      throw invalid(
        EXTRA_CODE.INVALID_ROOM_ID_INTEGER,
        fnName,
        `${fnName}(): 'roomId' must be an integer from ${MIN_ROOM_ID} to ${MAX_ROOM_ID}, got ${show(roomId)}`,
      );
    }
    return { kind: 'number', id: roomId };
  }
  if (strRoomId !== undefined && strRoomId !== null && strRoomId !== '') {
    if (!isValidStringRoomId(strRoomId)) {
      throw invalid(
        EXTRA_CODE.INVALID_ROOM_ID_STRING,
        fnName,
        `${fnName}(): 'strRoomId' must be 1-64 characters of letters, digits, space and !#$%&()+-:;<=.>?@[]^_{}|~, got ${show(strRoomId)}`,
      );
    }
    return { kind: 'string', id: strRoomId };
  }
  throw invalid(
    EXTRA_CODE.INVALID_ROOM_ID_REQUIRED,
    fnName,
    `${fnName}(): 'roomId' (an integer from ${MIN_ROOM_ID} to ${MAX_ROOM_ID}) or 'strRoomId' (a non-empty string) is required`,
  );
}

/**
 * A userId: v5 only requires a non-empty string; the server refuses anything but TRTC's
 * 1-32 letters, digits, `_` and `-`, so that is checked here (5000) instead of as a
 * refusal after a round trip.
 */
export function checkUserId(value: unknown, fnName: string, key = 'userId'): string {
  const userId = checkNonEmptyString(value, key, fnName);
  const problem = userIdProblem(userId);
  if (problem !== null) {
    throw new RtcError({
      code: ERROR_CODE.INVALID_PARAMETER,
      fnName,
      message: `${fnName}(): ${problem.replace(/^userId/, `'${key}'`)}`,
    });
  }
  return userId;
}

/** `'main' | 'sub'` (5005; missing: 5001). */
export function checkStreamType(
  value: unknown,
  fnName: string,
  key = 'streamType',
): 'main' | 'sub' {
  required(value, key, fnName);
  return checkOneOf(value, ['main', 'sub'] as const, key, fnName);
}

// ---- per method -------------------------------------------------------------------------------

/** enterRoom's config, checked and with v5's defaults filled in. */
export interface EnterRoomParams {
  sdkAppId: number;
  userId: string;
  userSig: string;
  room: RoomRef;
  scene: 'rtc' | 'live';
  role: 'anchor' | 'audience';
  autoReceiveAudio: boolean;
  autoReceiveVideo: boolean;
  enableAutoPlayDialog: boolean | undefined;
  privateMapKey: string | undefined;
  proxy: ProxyServer | undefined;
  userDefineRecordId: string | undefined;
}

/**
 * Checks `enterRoom(config)` as v5 does: an object (5001 missing, 5002 not one); sdkAppId a
 * non-zero number, userId and userSig non-empty strings (5001/5002/5003); the room (see
 * checkRoom); scene 'rtc' | 'live' and role 'anchor' | 'audience' (5005); the booleans and
 * proxy by type. `proxy` as a string is v5's shorthand for `{ websocketProxy }`.
 */
export function checkEnterRoomConfig(config: unknown, fnName = 'enterRoom'): EnterRoomParams {
  const c = checkObject(config, 'config', fnName) as Partial<
    Record<keyof EnterRoomConfig, unknown>
  >;
  required(c.sdkAppId, 'sdkAppId', fnName);
  const sdkAppId = checkNumber(c.sdkAppId, 'sdkAppId', fnName);
  if (sdkAppId === 0) {
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_EMPTY,
      fnName,
      `${fnName}(): 'sdkAppId' must not be 0`,
    );
  }
  if (!Number.isInteger(sdkAppId) || sdkAppId < 0) {
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_TYPE,
      fnName,
      `${fnName}(): 'sdkAppId' must be a positive integer, got ${sdkAppId}`,
    );
  }
  const userId = checkUserId(c.userId, fnName);
  const userSig = checkNonEmptyString(c.userSig, 'userSig', fnName);
  const room = checkRoom(c, fnName);
  const scene =
    c.scene === undefined ? 'rtc' : checkOneOf(c.scene, ['rtc', 'live'] as const, 'scene', fnName);
  const role =
    c.role === undefined
      ? 'anchor'
      : checkOneOf(c.role, ['anchor', 'audience'] as const, 'role', fnName);
  return {
    sdkAppId,
    userId,
    userSig,
    room,
    scene,
    // Roles exist only in live scenes; in 'rtc' everyone is an anchor.
    role: scene === 'live' ? role : 'anchor',
    autoReceiveAudio: optionalBoolean(c.autoReceiveAudio, 'autoReceiveAudio', fnName) ?? true,
    autoReceiveVideo: optionalBoolean(c.autoReceiveVideo, 'autoReceiveVideo', fnName) ?? false,
    enableAutoPlayDialog: optionalBoolean(c.enableAutoPlayDialog, 'enableAutoPlayDialog', fnName),
    privateMapKey: optionalString(c.privateMapKey, 'privateMapKey', fnName),
    proxy: checkProxy(c.proxy, fnName),
    userDefineRecordId: optionalString(c.userDefineRecordId, 'userDefineRecordId', fnName),
  };
}

function checkProxy(value: unknown, fnName: string): ProxyServer | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return { websocketProxy: value };
  const proxy = checkObject(value, 'proxy', fnName) as Record<keyof ProxyServer, unknown>;
  optionalString(proxy.websocketProxy, 'proxy.websocketProxy', fnName);
  if (proxy.iceTransportPolicy !== undefined) {
    checkOneOf(
      proxy.iceTransportPolicy,
      ['all', 'relay'] as const,
      'proxy.iceTransportPolicy',
      fnName,
    );
  }
  if (proxy.turnServer !== undefined) {
    const servers = Array.isArray(proxy.turnServer) ? proxy.turnServer : [proxy.turnServer];
    servers.forEach((server: unknown, i) => {
      const key = Array.isArray(proxy.turnServer) ? `proxy.turnServer[${i}]` : 'proxy.turnServer';
      const s = checkObject(server, key, fnName);
      checkNonEmptyString(s.url, `${key}.url`, fnName);
      optionalString(s.username, `${key}.username`, fnName);
      optionalString(s.credential, `${key}.credential`, fnName);
      if (s.credentialType !== undefined) {
        checkOneOf(s.credentialType, ['password'] as const, `${key}.credentialType`, fnName);
      }
    });
  }
  return value as ProxyServer;
}

/**
 * Checks `switchRoom(config)` against the current room: the same kind of id (5019) and not
 * the same room (5020), then the id itself and a non-empty userSig.
 */
export function checkSwitchRoomConfig(
  config: unknown,
  current: RoomRef,
  fnName = 'switchRoom',
): { room: RoomRef; userSig: string; privateMapKey: string | undefined } {
  const c = checkObject(config, 'config', fnName) as Partial<
    Record<keyof SwitchRoomConfig, unknown>
  >;
  const currentKey = current.kind === 'string' ? 'strRoomId' : 'roomId';
  const target = current.kind === 'string' ? c.strRoomId : c.roomId;
  if (target !== undefined && target === current.id) {
    throw invalid(
      EXTRA_CODE.INVALID_ROOM_ID_DUPLICATE,
      fnName,
      `${fnName}(): the target '${currentKey}' ${show(target)} is the room you are in`,
    );
  }
  const givesNumber = c.roomId !== undefined && c.roomId !== 0 && c.roomId !== null;
  const givesString = !givesNumber && c.strRoomId !== undefined && c.strRoomId !== '';
  if ((current.kind === 'string' && givesNumber) || (current.kind === 'number' && givesString)) {
    throw invalid(
      EXTRA_CODE.INVALID_ROOM_ID_TYPE_MISMATCH,
      fnName,
      `${fnName}(): the current room is a '${currentKey}' room, so the target must be a '${currentKey}' too, got '${currentKey === 'roomId' ? 'strRoomId' : 'roomId'}'`,
    );
  }
  const room = checkRoom(c, fnName);
  return {
    room,
    userSig: checkNonEmptyString(c.userSig, 'userSig', fnName),
    privateMapKey: optionalString(c.privateMapKey, 'privateMapKey', fnName),
  };
}

export function checkRole(role: unknown, fnName = 'switchRole'): 'anchor' | 'audience' {
  required(role, 'role', fnName);
  return checkOneOf(role, ['anchor', 'audience'] as const, 'role', fnName);
}

/** startRemoteVideo / updateRemoteVideo: a userId and a stream type, both required. */
export function checkRemoteVideoTarget(
  config: unknown,
  fnName: string,
): { userId: string; streamType: 'main' | 'sub' } {
  const c = checkObject(config, 'config', fnName);
  const userId = checkNonEmptyString(c.userId, 'userId', fnName);
  return { userId, streamType: checkStreamType(c.streamType, fnName) };
}

/**
 * stopRemoteVideo: `userId: '*'` stops every remote video (streamType ignored); another user
 * needs a streamType (5014).
 */
export function checkStopRemoteVideoConfig(
  config: unknown,
  fnName = 'stopRemoteVideo',
): { userId: '*' } | { userId: string; streamType: 'main' | 'sub' } {
  const c = checkObject(config, 'config', fnName);
  const userId = checkNonEmptyString(c.userId, 'userId', fnName);
  if (userId === '*') return { userId: '*' };
  if (c.streamType === undefined) {
    throw invalid(
      EXTRA_CODE.INVALID_STREAM_TYPE,
      fnName,
      `${fnName}(): 'streamType' is required when 'userId' is not '*'`,
    );
  }
  return { userId, streamType: checkStreamType(c.streamType, fnName) };
}

/** muteRemoteAudio(userId | '*', mute). */
export function checkMuteRemoteAudio(
  userId: unknown,
  mute: unknown,
  fnName = 'muteRemoteAudio',
): { userId: string; mute: boolean } {
  const id = checkNonEmptyString(userId, 'userId', fnName);
  required(mute, 'mute', fnName);
  checkType(mute, 'boolean', 'mute', fnName);
  return { userId: id, mute: mute as boolean };
}

/** setRemoteAudioVolume(userId | '*', volume ≥ 0). */
export function checkRemoteAudioVolume(
  userId: unknown,
  volume: unknown,
  fnName = 'setRemoteAudioVolume',
): { userId: string; volume: number } {
  const id = checkNonEmptyString(userId, 'userId', fnName);
  required(volume, 'volume', fnName);
  return { userId: id, volume: checkNumber(volume, 'volume', fnName, { min: 0 }) };
}

/** enableAudioVolumeEvaluation(interval = 2000, enableInBackground = false); ≤ 0 turns it off. */
export function checkAudioVolumeEvaluation(
  interval: unknown,
  enableInBackground: unknown,
  fnName = 'enableAudioVolumeEvaluation',
): { intervalMs: number; inBackground: boolean } {
  const intervalMs = interval === undefined ? 2000 : checkNumber(interval, 'interval', fnName);
  return {
    intervalMs,
    inBackground: optionalBoolean(enableInBackground, 'enableInBackground', fnName) ?? false,
  };
}

/**
 * sendSEIMessage(buffer, options): the buffer (1 .. 1000 bytes), seiPayloadType 243 or 5,
 * toSubStream a boolean. (SEI enabled, joined and published are the facade's checks:
 * seiNotEnabled, notJoined, needPublished.)
 */
export function checkSEIMessage(
  buffer: unknown,
  options: unknown,
  fnName = 'sendSEIMessage',
): { buffer: ArrayBuffer; seiPayloadType: 5 | 243; toSubStream: boolean } {
  const data = checkMessageBuffer(buffer, 'buffer', fnName);
  const o = options === undefined ? {} : checkObject(options, 'options', fnName);
  return {
    buffer: data,
    seiPayloadType:
      o.seiPayloadType === undefined
        ? 243
        : checkOneOf(o.seiPayloadType, SEI_PAYLOAD_TYPES, 'seiPayloadType', fnName),
    toSubStream: optionalBoolean(o.toSubStream, 'toSubStream', fnName) ?? false,
  };
}

/** sendCustomMessage({ cmdId 1 .. 10, data 1 .. 1000 bytes }). */
export function checkCustomMessage(
  message: unknown,
  fnName = 'sendCustomMessage',
): { cmdId: number; data: ArrayBuffer } {
  const m = checkObject(message, 'message', fnName);
  required(m.cmdId, 'cmdId', fnName);
  const cmdId = checkNumber(m.cmdId, 'cmdId', fnName, { min: MIN_CMD_ID, max: MAX_CMD_ID });
  if (!Number.isInteger(cmdId)) {
    throw invalid(
      EXTRA_CODE.INVALID_PARAMETER_TYPE,
      fnName,
      `${fnName}(): 'cmdId' must be an integer, got ${cmdId}`,
    );
  }
  return { cmdId, data: checkMessageBuffer(m.data, 'data', fnName) };
}

/**
 * A `view`: an element id (looked up in `doc`: 5009 when there is none), an HTMLElement, an
 * array of them, or null/undefined (no rendering: an empty list).
 */
export function resolveView(
  view: unknown,
  fnName: string,
  doc: Pick<Document, 'getElementById'> | undefined = globalThis.document,
): HTMLElement[] {
  if (view === undefined || view === null) return [];
  const isElement = (v: unknown): v is HTMLElement =>
    typeof HTMLElement !== 'undefined' && v instanceof HTMLElement;
  if (typeof view === 'string') {
    const element = doc?.getElementById(view) ?? null;
    if (element === null) {
      throw invalid(
        EXTRA_CODE.INVALID_ELEMENT_ID,
        fnName,
        `${fnName}(): no element with id ${show(view)} in the document ('view')`,
      );
    }
    if (!isElement(element)) {
      throw invalid(
        EXTRA_CODE.INVALID_ELEMENT_ID_TYPE,
        fnName,
        `${fnName}(): the element with id ${show(view)} is not an HTMLElement ('view')`,
      );
    }
    return [element];
  }
  const list: unknown[] = Array.isArray(view) ? view : [view];
  list.forEach((v, i) => {
    if (!isElement(v)) {
      throw invalid(
        EXTRA_CODE.INVALID_PARAMETER_TYPE,
        fnName,
        `${fnName}(): 'view${Array.isArray(view) ? `[${i}]` : ''}' must be an element id, an HTMLElement or an array of them, got ${typeOf(v)}`,
      );
    }
  });
  return list as HTMLElement[];
}

// ---- state errors (the facade decides when) ----------------------------------------------------

/** 5101: the method needs the room. */
export function notJoined(fnName: string): RtcError {
  return invalidOperation(
    EXTRA_CODE.INVALID_OPERATION_NOT_JOINED,
    fnName,
    `${fnName}() needs the room: call enterRoom() first (and wait for it)`,
  );
}

/** 5102: no such remote user (or not publishing). */
export function remoteUserNotExist(fnName: string, userId: string): RtcError {
  return invalidOperation(
    EXTRA_CODE.INVALID_OPERATION_REMOTE_USER_NOT_EXIST,
    fnName,
    `${fnName}(): remote user ${show(userId)} is not in the room or publishes nothing`,
  );
}

/** 5103: the user does not publish that stream. */
export function streamTypeNotExist(fnName: string, userId: string, streamType: string): RtcError {
  return invalidOperation(
    EXTRA_CODE.INVALID_OPERATION_STREAM_TYPE_NOT_EXIST,
    fnName,
    `${fnName}(): remote user ${show(userId)} does not publish ${streamType} video`,
  );
}

/** 5104: already done (enterRoom while in a room, start* twice). */
export function repeatCall(fnName: string, what = `called ${fnName}()`): RtcError {
  return invalidOperation(
    EXTRA_CODE.INVALID_OPERATION_REPEAT_CALL,
    fnName,
    `${fnName}(): you already ${what}; call it once (or exit/stop first)`,
  );
}

/** 5105 / 5106: the camera, or the microphone or screen share, is not on. */
export function needVideo(fnName: string): RtcError {
  return invalidOperation(
    EXTRA_CODE.INVALID_OPERATION_NEED_VIDEO,
    fnName,
    `${fnName}() needs the camera: call startLocalVideo() first`,
  );
}

export function needAudio(fnName: string): RtcError {
  return invalidOperation(
    EXTRA_CODE.INVALID_OPERATION_NEED_AUDIO,
    fnName,
    `${fnName}() needs the microphone or a screen share with audio: call startLocalAudio() first`,
  );
}

/** 5107: an audience member of a live room cannot. */
export function audienceCannot(fnName: string): RtcError {
  return invalidOperation(
    EXTRA_CODE.INVALID_ROLE_AUDIENCE,
    fnName,
    `${fnName}(): an audience member cannot do this; switchRole('anchor') first`,
  );
}

/** 5108: SEI needs `TRTC.create({ enableSEI: true })`. */
export function seiNotEnabled(fnName = 'sendSEIMessage'): RtcError {
  return invalidOperation(
    EXTRA_CODE.INVALID_NOT_ENABLE_SEI,
    fnName,
    `${fnName}(): SEI is off; create the instance with TRTC.create({ enableSEI: true })`,
  );
}

/** 5109: the stream the message rides on is not published. */
export function needPublished(fnName: string, stream: 'main' | 'sub' = 'main'): RtcError {
  return invalidOperation(
    EXTRA_CODE.INVALID_NEED_CALL_PUBLISHED,
    fnName,
    `${fnName}() needs a published ${stream === 'main' ? 'camera (main)' : 'screen share (sub)'} video stream`,
  );
}

/** ENV_NOT_SUPPORTED for what Parley does not do, naming why. */
export function notSupported(fnName: string, why: string, extraCode?: number): RtcError {
  return new RtcError({
    code: ERROR_CODE.ENV_NOT_SUPPORTED,
    ...(extraCode === undefined ? {} : { extraCode }),
    fnName,
    message: `${fnName}(): not supported by Parley: ${why}`,
  });
}
