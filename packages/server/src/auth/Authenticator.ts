/**
 * Checks UserSigs (TLSSigAPIv2) and privateMapKeys against the configured applications.
 * Failures carry the exact v4 account extraCodes, with a message that says what was wrong.
 */
import {
  AccountErrorCode,
  ErrorCode,
  ROOM_PERMISSION_DENIED,
  type RoomRef,
} from '@parley/protocol';
import { timingSafeEqual } from 'node:crypto';
import { Privilege, verifyPrivateMapKey, verifyUserSig } from '@parley/usersig';
import { ServerError } from '../signal/ServerError.js';

export interface AppCredentials {
  sdkAppId: number;
  secretKey: string;
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

  /** Throws SIGNAL_CHANNEL_SETUP_FAILED with the account extraCode when the userSig is not good. */
  verifyUser(sdkAppId: number, userId: string, userSig: string): void {
    const key = this.#apps.get(sdkAppId);
    if (key === undefined) {
      throw new ServerError(
        ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED,
        `unknown sdkAppId ${sdkAppId}: this Parley server is configured for ${[...this.#apps.keys()].join(', ') || 'no application'}`,
        AccountErrorCode.UNKNOWN_SDK_APP_ID,
      );
    }
    const result = verifyUserSig({ sdkAppId, key, userId, userSig, now: this.now() });
    if (!result.ok) {
      throw new ServerError(
        ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED,
        result.message,
        result.extraCode,
      );
    }
  }

  /** Throws JOIN_ROOM_FAILED (-100006) unless the privateMapKey lets the user enter this room. */
  verifyRoomPermission(
    sdkAppId: number,
    userId: string,
    room: RoomRef,
    privateMapKey: string,
  ): void {
    const key = this.#apps.get(sdkAppId);
    if (key === undefined) return;
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
        ErrorCode.JOIN_ROOM_FAILED,
        `privateMapKey refused: ${result.message}`,
        ROOM_PERMISSION_DENIED,
      );
    }
    if ((result.privilege & Privilege.ENTER_ROOM) === 0) {
      throw new ServerError(
        ErrorCode.JOIN_ROOM_FAILED,
        `privateMapKey does not grant entering room ${String(room.id)} (privilege ${result.privilege} lacks bit 2)`,
        ROOM_PERMISSION_DENIED,
      );
    }
  }
}
