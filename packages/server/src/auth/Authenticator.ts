/**
 * Checks UserSigs (TLSSigAPIv2) and privateMapKeys against the configured applications.
 * Failures carry the exact v4 account extraCodes, with a message that says what was wrong.
 */
import {
  AccountErrorCode,
  ErrorCode,
  ROOM_PERMISSION_DENIED,
  type ErrorCodeValue,
  type RoomRef,
} from '@parley/protocol';
import { timingSafeEqual } from 'node:crypto';
import { Privilege, verifyPrivateMapKey, verifyUserSig } from '@parley/usersig';
import { ServerError } from '../ServerError.js';

export interface AppCredentials {
  sdkAppId: number;
  secretKey: string;
}

/** What a verified privateMapKey grants: its privilege bits, until `expireAt` (Unix s). */
export interface RoomGrant {
  privilege: number;
  expireAt: number;
}

export class Authenticator {
  readonly #apps = new Map<number, string>();

  constructor(
    apps: AppCredentials[],
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    for (const app of apps) this.#apps.set(app.sdkAppId, app.secretKey);
  }

  /** Whether `secret` is the secret key of `sdkAppId` (admin access, e.g. reading logs). */
  isAppSecret(sdkAppId: number, secret: string): boolean {
    const key = this.#apps.get(sdkAppId);
    if (key === undefined) return false;
    const a = Buffer.from(key, 'utf8');
    const b = Buffer.from(secret, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * Throws `code` (SIGNAL_CHANNEL_SETUP_FAILED at join, JOIN_ROOM_FAILED for a switch-room) with
   * the account extraCode when the userSig is not good.
   */
  verifyUser(
    sdkAppId: number,
    userId: string,
    userSig: string,
    code: ErrorCodeValue = ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED,
  ): void {
    const key = this.#apps.get(sdkAppId);
    if (key === undefined) {
      throw new ServerError(
        code,
        `unknown sdkAppId ${sdkAppId}: this Parley server is configured for ${[...this.#apps.keys()].join(', ') || 'no application'}`,
        AccountErrorCode.UNKNOWN_SDK_APP_ID,
      );
    }
    const result = verifyUserSig({ sdkAppId, key, userId, userSig, now: this.now() });
    if (!result.ok) {
      throw new ServerError(code, result.message, result.extraCode);
    }
  }

  /**
   * The privileges a privateMapKey grants this user in this room, once its signature, user,
   * application, room, expiry and enter bit are checked. Throws `code` (JOIN_ROOM_FAILED at
   * join, INVALID_PARAMETER for an update) with extraCode -100006 and what was wrong.
   */
  verifyRoomPermission(
    sdkAppId: number,
    userId: string,
    room: RoomRef,
    privateMapKey: string,
    code: ErrorCodeValue = ErrorCode.JOIN_ROOM_FAILED,
  ): RoomGrant {
    const key = this.#apps.get(sdkAppId);
    if (key === undefined) {
      throw new ServerError(code, `unknown sdkAppId ${sdkAppId}`, ROOM_PERMISSION_DENIED);
    }
    const result = verifyPrivateMapKey({
      sdkAppId,
      key,
      userId,
      privateMapKey,
      roomId: room.id,
      now: this.now(),
    });
    if (!result.ok) {
      throw new ServerError(
        code,
        `privateMapKey refused: ${result.message}`,
        ROOM_PERMISSION_DENIED,
      );
    }
    if ((result.privilege & Privilege.ENTER_ROOM) === 0) {
      throw new ServerError(
        code,
        `privateMapKey does not grant entering room ${String(room.id)} (privilege ${result.privilege} lacks "enter room" (2))`,
        ROOM_PERMISSION_DENIED,
      );
    }
    return { privilege: result.privilege, expireAt: result.expireAt };
  }
}
