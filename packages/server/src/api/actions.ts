/**
 * The TRTC actions: DismissRoom(ByStrRoomId), RemoveUser(ByStrRoomId), DescribeRoomInfo,
 * DescribeUserInfo, and Parley's BanUser / UnbanUser / DescribeBans. Every action that
 * removes users logs the RequestId with the users it affected, so an operator can answer
 * "why was I kicked" from the log.
 */
import type { RoomRef } from '@parley/protocol';
import type { BanList } from './BanList.js';
import { ApiError } from './envelope.js';
import type { History, RoomRecord } from './History.js';
import {
  optionalInt,
  optionalString,
  requiredInt,
  roomParam,
  userIdsParam,
  type Params,
} from './params.js';
import type { RoomDirectory } from '../room/RoomDirectory.js';
import type { ActionHandler, ApiCaller } from './TencentApi.js';

export interface ActionDeps {
  directory: RoomDirectory;
  bans: BanList;
  history: History;
  now?: () => number;
}

const MAX_BAN_S = 30 * 86_400;

/** SdkAppId must be the caller's own application. */
function sdkAppIdParam(params: Params, caller: ApiCaller): number {
  const sdkAppId = requiredInt(params, 'SdkAppId', 1, 0xffffffff);
  if (sdkAppId !== caller.sdkAppId) {
    throw new ApiError(
      'UnauthorizedOperation.SdkAppId',
      `the credential ${caller.secretId} belongs to SdkAppId ${caller.sdkAppId}, not ${sdkAppId}`,
    );
  }
  return sdkAppId;
}

const roomName = (room: RoomRef) => (room.kind === 'number' ? room.id : `"${room.id}"`);

export function createActions(deps: ActionDeps): Record<string, ActionHandler> {
  const now = deps.now ?? Date.now;
  const { directory, bans, history } = deps;

  const dismiss =
    (kind: 'number' | 'string'): ActionHandler =>
    async (params, caller) => {
      const sdkAppId = sdkAppIdParam(params, caller);
      const room = roomParam(params, kind);
      const removed = await directory.dismissRoom(
        sdkAppId,
        room,
        `room ${String(room.id)} was dismissed by the application server (request ${caller.requestId})`,
      );
      if (removed === null) {
        throw new ApiError('FailedOperation.RoomNotExist', `room ${roomName(room)} does not exist`);
      }
      caller.log.info({ room, affectedUsers: removed }, 'room dismissed by api');
      return {};
    };

  const remove =
    (kind: 'number' | 'string'): ActionHandler =>
    async (params, caller) => {
      const sdkAppId = sdkAppIdParam(params, caller);
      const room = roomParam(params, kind);
      const userIds = userIdsParam(params, 10, true)!;
      if (!(await directory.roomExists(sdkAppId, room))) {
        throw new ApiError('FailedOperation.RoomNotExist', `room ${roomName(room)} does not exist`);
      }
      const removed = await directory.removeUsers(
        sdkAppId,
        room,
        userIds,
        'kick',
        `removed from room ${String(room.id)} by the application server (request ${caller.requestId})`,
      );
      caller.log.info(
        { room, affectedUsers: removed, notInRoom: userIds.filter((u) => !removed.includes(u)) },
        'users removed by api',
      );
      return {};
    };

  /** StartTime/EndTime (Unix seconds) of the history queries, end not before start. */
  const timeRangeParam = (params: Parameters<ActionHandler>[0]) => {
    const start = requiredInt(
      params,
      'StartTime',
      0,
      0xffffffff,
      'MissingParameter.StartTs',
      'InvalidParameter.StartTs',
    );
    const end = requiredInt(
      params,
      'EndTime',
      0,
      0xffffffff,
      'MissingParameter.EndTs',
      'InvalidParameter.EndTs',
    );
    if (end < start) throw new ApiError('InvalidParameter.EndTs', 'EndTime is before StartTime');
    return { start, end };
  };

  const describeRoomInfo: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdParam(params, caller);
    const { start, end } = timeRangeParam(params);
    const roomString = optionalString(params, 'RoomId', 64);
    const pageNumber = optionalInt(params, 'PageNumber', 0, 1_000_000) ?? 0;
    const pageSize =
      optionalInt(params, 'PageSize', 1, 100, 'InvalidParameter.PageSizeOversize') ?? 10;
    const rooms = history.rooms(sdkAppId, start, end, roomString);
    const page = rooms.slice(pageNumber * pageSize, (pageNumber + 1) * pageSize);
    return {
      Total: rooms.length,
      RoomList: page.map((r: RoomRecord) => ({
        CommId: r.commId,
        RoomString: String(r.room.id),
        CreateTime: r.createTime,
        DestroyTime: r.destroyTime,
        IsFinished: r.finished,
        UserId: r.userId,
      })),
    };
  };

  const describeUserInfo: ActionHandler = async (params, caller) => {
    const commId = optionalString(params, 'CommId', 256);
    if (commId === undefined)
      throw new ApiError('MissingParameter.CommId', 'the parameter CommId is missing');
    const sdkAppId = sdkAppIdParam(params, caller);
    const { start, end } = timeRangeParam(params);
    const userIds = userIdsParam(params, 100, false);
    const pageNumber = optionalInt(params, 'PageNumber', 0, 1_000_000) ?? 0;
    const pageSize =
      optionalInt(params, 'PageSize', 1, 100, 'InvalidParameter.PageSizeOversize') ?? 6;
    const users = history
      .users(sdkAppId, commId, start, end)
      .filter((u) => !userIds || userIds.includes(u.userId));
    const page = users.slice(pageNumber * pageSize, (pageNumber + 1) * pageSize);
    return {
      Total: users.length,
      UserList: page.map((u) => ({
        RoomStr: String(u.room.id),
        UserId: u.userId,
        JoinTs: u.joinTs,
        LeaveTs: u.leaveTs,
        // Every Parley client is a browser (TRTC's DeviceType strings name the platform).
        DeviceType: 'WebRTC',
        SdkVersion: u.sdkVersion,
        ClientIp: u.clientIp,
        Finished: u.finished,
      })),
    };
  };

  const banUser: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdParam(params, caller);
    const room = roomParam(params, 'either');
    const userIds = userIdsParam(params, 10, true)!;
    const duration = requiredInt(params, 'Duration', 1, MAX_BAN_S);
    const reason = optionalString(params, 'Reason', 200) ?? '';
    const until = now() + duration * 1000;
    for (const userId of userIds) {
      bans.add({ sdkAppId, room, userId, until, reason, by: `request ${caller.requestId}` });
    }
    const removed = await directory.removeUsers(
      sdkAppId,
      room,
      userIds,
      'banned',
      `banned from room ${String(room.id)} until ${new Date(until).toISOString()}${reason ? ` (${reason})` : ''} by the application server (request ${caller.requestId})`,
    );
    caller.log.info(
      { room, bannedUsers: userIds, affectedUsers: removed, until: new Date(until).toISOString() },
      'users banned by api',
    );
    return { BanEndTime: Math.floor(until / 1000) };
  };

  const unbanUser: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdParam(params, caller);
    const room = roomParam(params, 'either');
    const userIds = userIdsParam(params, 10, true)!;
    const lifted = userIds.filter((u) => bans.remove(sdkAppId, room, u));
    caller.log.info({ room, liftedBans: lifted }, 'bans lifted by api');
    return {};
  };

  const describeBans: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdParam(params, caller);
    return {
      BanList: bans.list(sdkAppId).map((b) => ({
        RoomId: b.room.id,
        UserId: b.userId,
        BanEndTime: Math.floor(b.until / 1000),
        Reason: b.reason,
      })),
    };
  };

  return {
    DismissRoom: dismiss('number'),
    DismissRoomByStrRoomId: dismiss('string'),
    RemoveUser: remove('number'),
    RemoveUserByStrRoomId: remove('string'),
    DescribeRoomInfo: describeRoomInfo,
    DescribeUserInfo: describeUserInfo,
    BanUser: banUser,
    UnbanUser: unbanUser,
    DescribeBans: describeBans,
  };
}
