/**
 * Turns RoomDirectory events into Tencent's room and media callbacks (groups 1 and 2), with
 * the body fields Tencent documents. Media events follow what the user turns on and off:
 * 201/202 camera video, 203/204 audio, 205/206 screen (auxiliary) video; an exit sends only
 * 104 (no stop events), as Tencent does.
 */
import { roomKey, type RoomRef } from '@parley/protocol';
import type { DirectoryLeaveReason, RoomDirectory, StreamState } from '../room/RoomDirectory.js';

export const EventType = {
  ROOM_CREATED: 101,
  ROOM_DISMISSED: 102,
  ENTER: 103,
  EXIT: 104,
  ROLE_SWITCH: 105,
  VIDEO_START: 201,
  VIDEO_STOP: 202,
  AUDIO_START: 203,
  AUDIO_STOP: 204,
  SUBSTREAM_START: 205,
  SUBSTREAM_STOP: 206,
} as const;

export interface CallbackEvent {
  sdkAppId: number;
  room: RoomRef;
  /** Tencent's body: `{EventGroupId, EventType, CallbackTs, EventInfo}`. */
  body: {
    EventGroupId: 1 | 2 | 3 | 4;
    EventType: number;
    CallbackTs: number;
    EventInfo: Record<string, unknown>;
  };
}

/** Tencent's exit reasons: 1 normal, 2 timeout, 3 removed. */
const EXIT_REASON: Record<DirectoryLeaveReason, number> = {
  leave: 1,
  timeout: 2,
  kick: 3,
  banned: 3,
  disband: 3,
};
const ROLE = { anchor: 20, audience: 21 } as const;

interface MediaFlags {
  video: boolean;
  audio: boolean;
  sub: boolean;
}

const flagsOf = (stream: StreamState): Partial<MediaFlags> =>
  stream.streamType === 'main'
    ? {
        video: stream.hasVideo && !stream.videoMuted,
        audio: stream.hasAudio && !stream.audioMuted,
      }
    : { sub: stream.hasVideo && !stream.videoMuted };

/** Calls `emit` with each callback event, in the order things happened. */
export function translateEvents(
  directory: RoomDirectory,
  emit: (event: CallbackEvent) => void,
): void {
  const media = new Map<string, MediaFlags>();
  const send = (
    sdkAppId: number,
    room: RoomRef,
    at: number,
    group: 1 | 2,
    type: number,
    info: Record<string, unknown>,
  ) =>
    emit({
      sdkAppId,
      room,
      body: {
        EventGroupId: group,
        EventType: type,
        CallbackTs: Date.now(),
        EventInfo: { RoomId: room.id, EventTs: Math.floor(at / 1000), EventMsTs: at, ...info },
      },
    });

  directory.on('room-created', (e) =>
    send(e.sdkAppId, e.room, e.at, 1, EventType.ROOM_CREATED, {}),
  );
  directory.on('room-closed', (e) =>
    send(e.sdkAppId, e.room, e.at, 1, EventType.ROOM_DISMISSED, {}),
  );
  directory.on('participant-joined', (e) => {
    media.set(`${roomKey(e.sdkAppId, e.room)}|${e.userId}`, {
      video: false,
      audio: false,
      sub: false,
    });
    send(e.sdkAppId, e.room, e.at, 1, EventType.ENTER, {
      UserId: e.userId,
      Role: ROLE[e.role],
      // 100 "other": the browser's platform is not known; UserType 1 is WebRTC.
      TerminalType: 100,
      UserType: 1,
      Reason: 1,
    });
  });
  directory.on('participant-left', (e) => {
    media.delete(`${roomKey(e.sdkAppId, e.room)}|${e.userId}`);
    send(e.sdkAppId, e.room, e.at, 1, EventType.EXIT, {
      UserId: e.userId,
      Role: ROLE[e.role],
      Reason: EXIT_REASON[e.reason],
    });
  });
  directory.on('role-changed', (e) =>
    send(e.sdkAppId, e.room, e.at, 1, EventType.ROLE_SWITCH, {
      UserId: e.userId,
      Role: ROLE[e.role],
    }),
  );

  const update = (
    sdkAppId: number,
    room: RoomRef,
    at: number,
    userId: string,
    next: Partial<MediaFlags>,
  ) => {
    const key = `${roomKey(sdkAppId, room)}|${userId}`;
    const flags = media.get(key);
    if (!flags) return;
    const pairs: Array<[keyof MediaFlags, number, number]> = [
      ['video', EventType.VIDEO_START, EventType.VIDEO_STOP],
      ['audio', EventType.AUDIO_START, EventType.AUDIO_STOP],
      ['sub', EventType.SUBSTREAM_START, EventType.SUBSTREAM_STOP],
    ];
    for (const [flag, start, stop] of pairs) {
      const value = next[flag];
      if (value === undefined || value === flags[flag]) continue;
      flags[flag] = value;
      send(
        sdkAppId,
        room,
        at,
        2,
        value ? start : stop,
        value ? { UserId: userId } : { UserId: userId, Reason: 0 },
      );
    }
  };
  directory.on('stream-published', (e) =>
    update(e.sdkAppId, e.room, e.at, e.userId, flagsOf(e.stream)),
  );
  directory.on('stream-updated', (e) =>
    update(e.sdkAppId, e.room, e.at, e.userId, flagsOf(e.stream)),
  );
  directory.on('stream-unpublished', (e) => {
    if (e.leaving) return;
    update(
      e.sdkAppId,
      e.room,
      e.at,
      e.userId,
      e.streamType === 'main' ? { video: false, audio: false } : { sub: false },
    );
  });
}
