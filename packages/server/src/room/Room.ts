/**
 * A room: the participants of one (sdkAppId, roomId) and the router that carries their media.
 * Emits room events that other parts (REST callbacks, metrics) can hook without touching
 * signaling.
 */
import {
  roomKey,
  type Role,
  type RoomRef,
  type ServerNotificationData,
  type ServerNotificationMethod,
  type StreamInfo,
} from '@parley/protocol';
import type { MediaEngine } from '../media/MediaEngine.js';
import { Router } from '../routing/Router.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import type { Participant } from './Participant.js';

export type LeaveReason = 'leave' | 'timeout' | 'kick';

export interface RoomEvents {
  'participant-joined': [participant: Participant];
  'participant-left': [participant: Participant, reason: LeaveReason];
  /** Live mode: switchRole(); the participant already has its new role. */
  'role-changed': [participant: Participant, previous: Role];
  'stream-published': [stream: StreamInfo];
  'stream-updated': [stream: StreamInfo];
  'stream-unpublished': [userId: string, streamType: StreamInfo['streamType']];
  closed: [];
}

export class Room extends SafeEmitter<RoomEvents> {
  readonly key: string;
  readonly participants = new Map<string, Participant>();
  readonly router: Router;

  constructor(
    readonly sdkAppId: number,
    readonly ref: RoomRef,
    engine: MediaEngine,
  ) {
    super();
    this.key = roomKey(sdkAppId, ref);
    this.router = new Router(engine);
  }

  /** Sends a notification to every connected participant except `except`. */
  broadcast<K extends ServerNotificationMethod>(
    method: K,
    data: ServerNotificationData<K>,
    except?: Participant,
  ): void {
    for (const participant of this.participants.values()) {
      if (participant !== except) participant.signal?.notify(method, data);
    }
  }

  /** The others as a joining participant sees them: audience members stay hidden. */
  snapshotFor(viewer: Participant) {
    return {
      participants: [...this.participants.values()]
        .filter((p) => p !== viewer && p.visible)
        .map((p) => p.info()),
    };
  }

  close(): void {
    this.router.close();
    this.safeEmit('closed');
  }
}
