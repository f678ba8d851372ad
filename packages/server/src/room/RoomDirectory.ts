/**
 * Everything the operations side (server API, callbacks, metrics, admin console) needs from
 * the room layer, and nothing more. The room layer provides one implementation of it
 * (RoomManagerDirectory.ts over RoomManager and Room); nothing else in api/, callbacks/,
 * metrics/ or admin/ touches rooms, sessions or participants directly.
 *
 * Events are emitted synchronously and in the order things happened in each room, which is
 * what lets callbacks carry a per-room sequence number.
 */
import type { Role, RoomRef, StreamType, VideoLayer } from '@parley/protocol';
import type { TypedEmitter } from '../util/TypedEmitter.js';

/** Why a participant left. `kick`: RemoveUser; `banned`: a ban; `disband`: DismissRoom. */
export type DirectoryLeaveReason = 'leave' | 'timeout' | 'kick' | 'banned' | 'disband';

/** The reasons a removal can be made with (what the client's `client-banned` event says). */
export type RemovalReason = 'kick' | 'banned';

export interface StreamState {
  streamType: StreamType;
  hasAudio: boolean;
  hasVideo: boolean;
  audioMuted: boolean;
  videoMuted: boolean;
}

export interface ParticipantState {
  userId: string;
  role: Role;
  /** Epoch ms of the join. */
  joinedAt: number;
  streams: StreamState[];
  clientIp: string;
  sdkVersion: string;
  /** False while the socket is gone and the session waits for a resume. */
  connected: boolean;
  /** The layer it gets of each dual stream video it receives, and why. */
  videoLayers: VideoLayer[];
}

export interface RoomState {
  sdkAppId: number;
  room: RoomRef;
  /** Epoch ms when the room was created (its first join). */
  createdAt: number;
  participants: ParticipantState[];
}

interface RoomEventBase {
  sdkAppId: number;
  room: RoomRef;
  /** Epoch ms. */
  at: number;
}

export interface DirectoryEvents {
  'room-created': [RoomEventBase];
  'room-closed': [RoomEventBase & { dismissed: boolean }];
  'participant-joined': [
    RoomEventBase & { userId: string; role: Role; clientIp: string; sdkVersion: string },
  ];
  'participant-left': [
    RoomEventBase & { userId: string; role: Role; reason: DirectoryLeaveReason },
  ];
  'role-changed': [RoomEventBase & { userId: string; role: Role; previous: Role }];
  'stream-published': [RoomEventBase & { userId: string; stream: StreamState }];
  'stream-updated': [RoomEventBase & { userId: string; stream: StreamState }];
  /** `leaving`: removed because its publisher is leaving the room (not a stop by the user). */
  'stream-unpublished': [
    RoomEventBase & { userId: string; streamType: StreamType; leaving: boolean },
  ];
}

export interface RoomDirectory extends TypedEmitter<DirectoryEvents> {
  /** Live rooms of an application (all applications when `sdkAppId` is undefined). */
  listRooms(sdkAppId?: number): RoomState[];
  getRoom(sdkAppId: number, room: RoomRef): RoomState | undefined;
  /** Whether the room has members (in a cluster: on any node). */
  roomExists(sdkAppId: number, room: RoomRef): Promise<boolean>;
  /**
   * Removes users: each gets a `banned` notification with `reason` and `message`, its session
   * ends, the others see peer-leave. Resolves with the userIds that were in the room.
   */
  removeUsers(
    sdkAppId: number,
    room: RoomRef,
    userIds: readonly string[],
    reason: RemovalReason,
    message: string,
  ): Promise<string[]>;
  /**
   * Ends a room: every user gets `banned` with reason `room-disband`. Resolves with the users
   * removed, or null when the room does not exist.
   */
  dismissRoom(sdkAppId: number, room: RoomRef, message: string): Promise<string[] | null>;
}

/** A refusal of a join by operations policy (ban, limits, permission), given to the room layer. */
export interface JoinRefusal {
  message: string;
  /** JOIN_ROOM_FAILED's extraCode. */
  extraCode: number;
}

/** What the room layer asks before admitting a user (bans, limits, room permission). */
export interface JoinGate {
  checkJoin(
    sdkAppId: number,
    room: RoomRef,
    userId: string,
    hasPrivateMapKey: boolean,
  ): JoinRefusal | null;
}
