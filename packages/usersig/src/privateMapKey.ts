/**
 * privateMapKey: a room-level permission ticket. It is a TLSSigAPIv2 signature whose userbuf
 * names the user, SDKAppID, room, expiry time and privilege bits (big-endian):
 *  - version 0, numeric room: u8 0, u16 len + userId, u32 sdkAppId, u32 roomId, u32 expireAt,
 *    u32 privilege, u32 accountType
 *  - version 1, string room: u8 1, u16 len + userId, u32 sdkAppId, u32 0, u32 expireAt,
 *    u32 privilege, u32 accountType, u16 len + roomId
 */
import { ROOM_PERMISSION_DENIED } from '@parley/protocol';
import {
  DEFAULT_EXPIRE_SECONDS,
  failure,
  formatUnix,
  genUserSig,
  requireInteger,
  requireString,
  unixNow,
  verifySignature,
  type VerifyFailureReason,
} from './userSig.js';

/** Privilege bits of a privateMapKey. */
export const Privilege = {
  CREATE_ROOM: 1,
  ENTER_ROOM: 2,
  SEND_AUDIO: 4,
  RECV_AUDIO: 8,
  SEND_VIDEO: 16,
  RECV_VIDEO: 32,
  SEND_SCREEN: 64,
  RECV_SCREEN: 128,
  ALL: 255,
} as const;

export interface PrivateMapKeyOptions {
  sdkAppId: number;
  key: string;
  userId: string;
  /** A number is a numeric room (version 0 userbuf), a string a string room (version 1). */
  roomId: number | string;
  /** Bit set of `Privilege`. */
  privilege: number;
  /** Lifetime in seconds; default 86400 * 180. */
  expire?: number;
  /** Unix seconds of signing; default the current time. */
  now?: number;
}

export interface PrivateMapKeyInfo {
  version: 0 | 1;
  userId: string;
  sdkAppId: number;
  roomId: number | string;
  /** Unix seconds. */
  expireAt: number;
  privilege: number;
}

export interface VerifyPrivateMapKeyOptions {
  sdkAppId: number;
  key: string;
  userId: string;
  privateMapKey: string;
  /** The room being joined: a number for a numeric room, a string for a string room. */
  roomId: number | string;
  /** Unix seconds to check expiry against; default the current time. */
  now?: number;
}

export type VerifyPrivateMapKeyResult =
  | ({ ok: true } & PrivateMapKeyInfo)
  | {
      ok: false;
      reason: VerifyFailureReason | 'wrong-room';
      extraCode: number;
      message: string;
    };

const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

function u32(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new RangeError(`${name} must be an integer from 0 to ${U32_MAX}, got ${String(value)}`);
  }
  return value;
}

function utf8(name: string, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length === 0 || bytes.length > U16_MAX) {
    throw new RangeError(`${name} must be 1 to ${U16_MAX} UTF-8 bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** Builds the userbuf of a privateMapKey. Throws RangeError on out-of-range values. */
export function encodePrivateMapKeyUserbuf(info: PrivateMapKeyInfo): Uint8Array {
  const user = utf8('userId', info.userId);
  const room = typeof info.roomId === 'string' ? utf8('roomId', info.roomId) : undefined;
  const buf = Buffer.alloc(1 + 2 + user.length + 20 + (room ? 2 + room.length : 0));
  let at = buf.writeUInt8(room ? 1 : 0, 0);
  at = buf.writeUInt16BE(user.length, at);
  at += user.copy(buf, at);
  at = buf.writeUInt32BE(u32('sdkAppId', info.sdkAppId), at);
  at = buf.writeUInt32BE(room ? 0 : u32('roomId', info.roomId), at);
  at = buf.writeUInt32BE(u32('expireAt', info.expireAt), at);
  at = buf.writeUInt32BE(u32('privilege', info.privilege), at);
  at = buf.writeUInt32BE(0, at); // account type
  if (room) {
    at = buf.writeUInt16BE(room.length, at);
    room.copy(buf, at);
  }
  return new Uint8Array(buf);
}

/** Signs a privateMapKey. Throws TypeError/RangeError on invalid options. */
export function genPrivateMapKey(o: PrivateMapKeyOptions): string {
  requireString('userId', o.userId);
  const now = requireInteger('now', o.now ?? unixNow(), 0);
  const expire = requireInteger('expire', o.expire ?? DEFAULT_EXPIRE_SECONDS, 0);
  if (typeof o.roomId === 'number') requireInteger('roomId', o.roomId, 1);
  else requireString('roomId', o.roomId);
  const userbuf = encodePrivateMapKeyUserbuf({
    version: typeof o.roomId === 'string' ? 1 : 0,
    userId: o.userId,
    sdkAppId: o.sdkAppId,
    roomId: o.roomId,
    expireAt: now + expire,
    privilege: o.privilege,
  });
  return genUserSig({
    sdkAppId: o.sdkAppId,
    key: o.key,
    userId: o.userId,
    expire,
    now,
    userbuf,
  });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses the userbuf of a privateMapKey. Throws an Error saying what is wrong. */
export function parsePrivateMapKeyUserbuf(buf: Uint8Array): PrivateMapKeyInfo {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  const need = (n: number, what: string): void => {
    if (at + n > buf.length) {
      throw new Error(
        `privateMapKey userbuf is truncated: ${buf.length} bytes, ${what} needs ${at + n}`,
      );
    }
  };
  const text = (what: string): string => {
    need(2, `the length of ${what}`);
    const len = view.getUint16(at);
    at += 2;
    need(len, what);
    let value: string;
    try {
      value = strictUtf8.decode(buf.subarray(at, at + len));
    } catch {
      throw new Error(`privateMapKey userbuf: ${what} is not UTF-8`);
    }
    at += len;
    return value;
  };
  const word = (what: string): number => {
    need(4, what);
    const value = view.getUint32(at);
    at += 4;
    return value;
  };
  need(1, 'the version');
  const version = view.getUint8(at++);
  if (version !== 0 && version !== 1) {
    throw new Error(`privateMapKey userbuf has version ${version}; only 0 and 1 exist`);
  }
  const userId = text('userId');
  const sdkAppId = word('sdkAppId');
  const numericRoom = word('roomId');
  const expireAt = word('expireAt');
  const privilege = word('privilege');
  word('accountType');
  const roomId = version === 1 ? text('roomId') : numericRoom;
  if (at !== buf.length) {
    throw new Error(`privateMapKey userbuf has ${buf.length - at} unexpected trailing bytes`);
  }
  return { version, userId, sdkAppId, roomId, expireAt, privilege };
}

function describeRoom(roomId: number | string): string {
  return typeof roomId === 'string' ? `string room '${roomId}'` : `numeric room ${roomId}`;
}

/**
 * Verifies a privateMapKey for a user joining a room: the signature as for a userSig, then its
 * userbuf's SDKAppID, userId, room and expiry. Never throws. The caller checks `privilege`.
 */
export function verifyPrivateMapKey(o: VerifyPrivateMapKeyOptions): VerifyPrivateMapKeyResult {
  const label = 'privateMapKey';
  const sig = verifySignature(
    { sdkAppId: o.sdkAppId, key: o.key, userId: o.userId, userSig: o.privateMapKey, now: o.now },
    label,
  );
  if (!sig.ok) return sig;
  if (sig.userbuf === undefined) {
    return failure(
      'malformed',
      `${label} has no TLS.userbuf, so it carries no room permission (is it a userSig?)`,
    );
  }
  let info: PrivateMapKeyInfo;
  try {
    info = parsePrivateMapKeyUserbuf(sig.userbuf);
  } catch (err) {
    return failure('malformed', err instanceof Error ? err.message : String(err));
  }
  if (info.sdkAppId !== o.sdkAppId) {
    return failure(
      'wrong-sdk-app-id',
      `${label} userbuf grants SDKAppID ${info.sdkAppId}, not ${o.sdkAppId}`,
    );
  }
  if (info.userId !== o.userId) {
    return failure(
      'wrong-user',
      `${label} userbuf grants userId '${info.userId}', not '${o.userId}'`,
    );
  }
  if (info.roomId !== o.roomId) {
    return {
      ok: false,
      reason: 'wrong-room',
      extraCode: ROOM_PERMISSION_DENIED,
      message: `${label} is for ${describeRoom(info.roomId)}, not ${describeRoom(o.roomId)}`,
    };
  }
  const now = o.now ?? unixNow();
  if (now > info.expireAt) {
    return failure(
      'expired',
      `${label} room permission expired at ${formatUnix(info.expireAt)}; generate a new one`,
    );
  }
  return { ok: true, ...info };
}
