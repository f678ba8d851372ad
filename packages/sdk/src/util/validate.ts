/**
 * Argument checks for the public API. Each returns the normalized value or throws an
 * RtcError INVALID_PARAMETER whose message names the field, what it must be and what it
 * got, so a mistake is found from the message alone.
 */
import {
  PROTOCOL_VERSION,
  roomIdProblem,
  userIdProblem,
  type JoinData,
  type RoomRef,
  type StreamType,
} from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import type { ClientConfig, JoinOptions, Role, SubscribeOptions } from '../client/types.js';

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  return typeof value;
}

export function checkObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    throw RtcError.invalidParameter(`${what} must be an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

/** v4 mode names → the protocol's; null when unknown. */
export function normalizeMode(mode: unknown): 'rtc' | 'live' | null {
  if (mode === 'rtc' || mode === 'videoCall' || mode === 'audioCall') return 'rtc';
  if (mode === 'live') return 'live';
  return null;
}

export function checkUserId(userId: unknown, what = 'userId'): string {
  const problem = userIdProblem(userId);
  if (problem !== null) throw RtcError.invalidParameter(problem.replace(/^userId/, what));
  return userId as string;
}

function optionalBoolean(value: unknown, what: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw RtcError.invalidParameter(`${what} must be a boolean, got ${show(value)}`);
  }
  return value;
}

/** The room reference for `roomId`, by the client's `useStringRoomId` choice. */
export function checkRoomId(roomId: unknown, useStringRoomId: boolean): RoomRef {
  if (useStringRoomId) {
    if (typeof roomId !== 'string') {
      throw RtcError.invalidParameter(
        `roomId must be a string because the client was created with useStringRoomId: true, got ${show(roomId)}`,
      );
    }
    const room: RoomRef = { kind: 'string', id: roomId };
    const problem = roomIdProblem(room);
    if (problem !== null) throw RtcError.invalidParameter(problem);
    return room;
  }
  if (typeof roomId !== 'number') {
    throw RtcError.invalidParameter(
      `roomId must be a number (an integer from 1 to 4294967294), got ${show(roomId)}` +
        (typeof roomId === 'string'
          ? '; to use string room ids create the client with useStringRoomId: true'
          : ''),
    );
  }
  const room: RoomRef = { kind: 'number', id: roomId };
  const problem = roomIdProblem(room);
  if (problem !== null) throw RtcError.invalidParameter(problem);
  return room;
}

/**
 * The `join` request for a client config and join options; every check `join()` makes
 * before any network activity.
 */
export function buildJoinData(config: unknown, options: unknown, sdkVersion: string): JoinData {
  const c = checkObject(config, 'the client config');
  const o = checkObject(options, 'join options');
  const mode = normalizeMode(c.mode);
  if (mode === null) {
    throw RtcError.invalidParameter(
      `mode must be 'rtc' or 'live' ('videoCall' and 'audioCall' mean 'rtc'), got ${show(c.mode)}`,
    );
  }
  const sdkAppId = c.sdkAppId;
  if (
    typeof sdkAppId !== 'number' ||
    !Number.isInteger(sdkAppId) ||
    sdkAppId <= 0 ||
    sdkAppId > 0xffffffff
  ) {
    throw RtcError.invalidParameter(`sdkAppId must be a positive integer, got ${show(sdkAppId)}`);
  }
  const userId = checkUserId(c.userId);
  // An empty or missing userSig is for the server to refuse: it answers with the account
  // extraCode (70002) that v4 apps branch on.
  if (c.userSig !== undefined && typeof c.userSig !== 'string') {
    throw RtcError.invalidParameter(`userSig must be a string, got ${show(c.userSig)}`);
  }
  const useStringRoomId = optionalBoolean(c.useStringRoomId, 'useStringRoomId', false);
  const autoSubscribe = optionalBoolean(c.autoSubscribe, 'autoSubscribe', true);
  const room = checkRoomId(o.roomId, useStringRoomId);

  let role: Role = 'anchor';
  if (o.role !== undefined) {
    if (o.role !== 'anchor' && o.role !== 'audience') {
      throw RtcError.invalidParameter(`role must be 'anchor' or 'audience', got ${show(o.role)}`);
    }
    // rtc mode has no roles: everyone may publish, as in v4.
    if (mode === 'live') role = o.role;
  }
  if (o.privateMapKey !== undefined && typeof o.privateMapKey !== 'string') {
    throw RtcError.invalidParameter(`privateMapKey must be a string, got ${show(o.privateMapKey)}`);
  }
  return {
    protocolVersion: PROTOCOL_VERSION,
    sdkVersion,
    sdkAppId,
    userId,
    userSig: typeof c.userSig === 'string' ? c.userSig : '',
    room,
    mode,
    role,
    ...(typeof o.privateMapKey === 'string' && o.privateMapKey !== ''
      ? { privateMapKey: o.privateMapKey }
      : {}),
    autoSubscribe,
  };
}

/** `subscribe()` options with v4's defaults (both true). */
export function checkSubscribeOptions(options: unknown): Required<SubscribeOptions> {
  if (options === undefined || options === null) return { audio: true, video: true };
  const o = checkObject(options, 'subscribe options');
  return {
    audio: optionalBoolean(o.audio, 'subscribe option audio', true),
    video: optionalBoolean(o.video, 'subscribe option video', true),
  };
}

/** publish() options: the stream type they ask for ('auxiliary' with `isAuxiliary: true`). */
export function checkPublishOptions(options: unknown): StreamType {
  if (options === undefined || options === null) return 'main';
  const o = checkObject(options, 'publish options');
  return optionalBoolean(o.isAuxiliary, 'publish option isAuxiliary', false) ? 'auxiliary' : 'main';
}

export type { ClientConfig, JoinOptions };
