/**
 * Tencent's relay callback (group 4): 401, an RTMP push's state changed, with the fields the
 * spec gives: `{RoomId, RoomType (0 integer, 1 string), EventTs, EventMsTs, UserId, TaskId,
 * Payload: {Url, Status}}`. Parley adds `Payload.ErrorMsg` with the cause of a recovery or
 * failure.
 */
import type { RelayStatus } from '../mediaOut/RoomMediaOut.js';
import type { CallbackEvent } from './events.js';

export const RELAY_STATUS_EVENT = 401;

export function relayCallback(status: RelayStatus, now: number = Date.now()): CallbackEvent {
  return {
    sdkAppId: status.sdkAppId,
    room: status.room,
    body: {
      EventGroupId: 4,
      EventType: RELAY_STATUS_EVENT,
      CallbackTs: now,
      EventInfo: {
        RoomId: status.room.id,
        RoomType: status.room.kind === 'string' ? 1 : 0,
        EventTs: Math.floor(now / 1000),
        EventMsTs: now,
        UserId: status.userId,
        TaskId: status.taskId,
        Payload: {
          Url: status.url,
          Status: status.status,
          ...(status.cause ? { ErrorMsg: status.cause } : {}),
        },
      },
    },
  };
}
