/**
 * The operations policy applied at join: bans, the app's room-permission requirement and
 * its limits. The room layer asks it through JoinGate and turns a refusal into
 * JOIN_ROOM_FAILED.
 */
import { ROOM_LIMIT_REACHED, ROOM_PERMISSION_DENIED, type RoomRef } from '@parley/protocol';
import type { AppConfig } from '../apps/appsConfig.js';
import type { BanList } from './BanList.js';
import type { JoinGate, JoinRefusal, RoomDirectory } from '../room/RoomDirectory.js';

/** JOIN_ROOM_FAILED extraCodes of Parley's own refusals. */
export const JoinRefusalCode = {
  /** The user is banned from the room (the message names the ban and its end). */
  BANNED: -100030,
  /** The app's maxRooms or maxUsersPerRoom is reached. */
  LIMIT_REACHED: ROOM_LIMIT_REACHED,
} as const;

export class JoinPolicy implements JoinGate {
  readonly #apps: Map<number, AppConfig>;

  constructor(
    apps: readonly AppConfig[],
    private readonly bans: BanList,
    private readonly directory: RoomDirectory,
  ) {
    this.#apps = new Map(apps.map((a) => [a.sdkAppId, a]));
  }

  checkJoin(
    sdkAppId: number,
    room: RoomRef,
    userId: string,
    hasPrivateMapKey: boolean,
    /** False for a WHEP viewer: it is no member, so maxRooms and maxUsersPerRoom do not count it. */
    member = true,
  ): JoinRefusal | null {
    const ban = this.bans.find(sdkAppId, room, userId);
    if (ban) {
      return {
        extraCode: JoinRefusalCode.BANNED,
        message: `user ${userId} is banned from room ${String(room.id)} until ${new Date(ban.until).toISOString()}${ban.reason ? ` (${ban.reason})` : ''}; ban ${ban.by}`,
      };
    }
    const app = this.#apps.get(sdkAppId);
    if (!app) return null;
    if (app.requireRoomPermission && !hasPrivateMapKey) {
      return {
        extraCode: ROOM_PERMISSION_DENIED,
        message: `privateMapKey is missing: application ${sdkAppId} requires one to enter a room (room permission is on); pass join({privateMapKey})`,
      };
    }
    if (!member) return null;
    const { maxRooms, maxUsersPerRoom } = app.limits;
    if (maxRooms === undefined && maxUsersPerRoom === undefined) return null;
    const existing = this.directory.getRoom(sdkAppId, room);
    if (
      !existing &&
      maxRooms !== undefined &&
      this.directory.listRooms(sdkAppId).length >= maxRooms
    ) {
      return {
        extraCode: JoinRefusalCode.LIMIT_REACHED,
        message: `application ${sdkAppId} has reached its limit of ${maxRooms} rooms`,
      };
    }
    if (
      existing &&
      maxUsersPerRoom !== undefined &&
      existing.participants.length >= maxUsersPerRoom &&
      !existing.participants.some((p) => p.userId === userId)
    ) {
      return {
        extraCode: JoinRefusalCode.LIMIT_REACHED,
        message: `room ${String(room.id)} is full (${maxUsersPerRoom} users)`,
      };
    }
    return null;
  }
}
