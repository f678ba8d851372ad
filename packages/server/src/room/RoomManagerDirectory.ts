/**
 * RoomDirectory over the RoomManager and its Rooms: the room layer's side of the interface,
 * so the operations side never sees the room layer's classes. Removals go through the room like any
 * other change (its operations run one at a time).
 */
import type { Role, RoomRef, StreamInfo } from '@parley/protocol';
import type { Participant } from './Participant.js';
import type { Room } from './Room.js';
import type { RoomManager } from './RoomManager.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import type {
  DirectoryEvents,
  DirectoryLeaveReason,
  ParticipantState,
  RemovalReason,
  RoomDirectory,
  RoomState,
  StreamState,
} from './RoomDirectory.js';

interface JoinNote {
  joinedAt: number;
  clientIp: string;
  sdkVersion: string;
}

const streamState = (info: StreamInfo): StreamState => ({
  streamType: info.streamType,
  hasAudio: info.hasAudio,
  hasVideo: info.hasVideo,
  audioMuted: info.audioMuted,
  videoMuted: info.videoMuted,
});

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as the IPv4 address people know. */
/** Cluster: removes users held by other nodes; resolves with those that were there. */
export type RemoveElsewhere = (
  sdkAppId: number,
  ref: RoomRef,
  userIds: readonly string[],
  reason: 'kick' | 'banned' | 'room-disband',
  message: string,
) => Promise<string[]>;

const plainIp = (address: string): string => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');

export class RoomManagerDirectory extends SafeEmitter<DirectoryEvents> implements RoomDirectory {
  readonly #createdAt = new WeakMap<Room, number>();
  readonly #notes = new WeakMap<Participant, JoinNote>();
  /** Why we are removing a participant, so its participant-left says so. */
  readonly #removals = new WeakMap<Participant, DirectoryLeaveReason>();
  readonly #dismissing = new WeakSet<Room>();

  readonly #roomEvents: boolean;
  readonly #removeElsewhere: RemoveElsewhere | null;
  readonly #clusterRoomExists: ((sdkAppId: number, ref: RoomRef) => Promise<boolean>) | null;

  constructor(
    private readonly rooms: RoomManager,
    options: {
      /** False in a cluster: the cluster says when a room appears and ends (reportRoom). */
      roomEvents?: boolean;
      /** Cluster: removes users that other nodes hold. */
      removeElsewhere?: RemoveElsewhere | null;
      /** Cluster: whether any node has members in the room. */
      roomExists?: ((sdkAppId: number, ref: RoomRef) => Promise<boolean>) | null;
    } = {},
  ) {
    super();
    this.#roomEvents = options.roomEvents ?? true;
    this.#removeElsewhere = options.removeElsewhere ?? null;
    this.#clusterRoomExists = options.roomExists ?? null;
    rooms.on('room-created', (room) => this.#watch(room));
    rooms.on('room-closed', (room) => {
      if (!this.#roomEvents) return;
      this.safeEmit('room-closed', {
        ...this.#base(room),
        dismissed: this.#dismissing.has(room),
      });
    });
    for (const room of rooms.rooms()) this.#watch(room);
  }

  async roomExists(sdkAppId: number, ref: RoomRef): Promise<boolean> {
    if (this.rooms.get(sdkAppId, ref)) return true;
    return this.#clusterRoomExists ? this.#clusterRoomExists(sdkAppId, ref) : false;
  }

  /** Cluster: the room appeared in (or left) the cluster, once for all nodes. */
  reportRoom(what: 'created' | 'closed', sdkAppId: number, ref: RoomRef): void {
    const base = { sdkAppId, room: ref, at: Date.now() };
    if (what === 'created') this.safeEmit('room-created', base);
    else this.safeEmit('room-closed', { ...base, dismissed: false });
  }

  /** Cluster: a member of a dead node that nobody resumed was removed by this node. */
  reportLeave(
    sdkAppId: number,
    ref: RoomRef,
    userId: string,
    role: Role,
    reason: DirectoryLeaveReason,
  ): void {
    this.safeEmit('participant-left', {
      sdkAppId,
      room: ref,
      at: Date.now(),
      userId,
      role,
      reason,
    });
  }

  /**
   * Called by the join handler just before the room emits participant-joined: what only the
   * join request knows.
   */
  noteJoin(participant: Participant, sdkVersion: string, clientIp: string): void {
    this.#notes.set(participant, { joinedAt: Date.now(), sdkVersion, clientIp: plainIp(clientIp) });
  }

  listRooms(sdkAppId?: number): RoomState[] {
    const result: RoomState[] = [];
    for (const room of this.rooms.rooms()) {
      if (sdkAppId === undefined || room.sdkAppId === sdkAppId) result.push(this.#state(room));
    }
    return result;
  }

  getRoom(sdkAppId: number, ref: RoomRef): RoomState | undefined {
    const room = this.rooms.get(sdkAppId, ref);
    return room ? this.#state(room) : undefined;
  }

  async removeUsers(
    sdkAppId: number,
    ref: RoomRef,
    userIds: readonly string[],
    reason: RemovalReason,
    message: string,
    /** False for a removal another node asked for (it removes the rest itself). */
    everywhere = true,
  ): Promise<string[]> {
    const room = this.rooms.get(sdkAppId, ref);
    const removed: string[] = [];
    const elsewhere = userIds.filter((id) => !room?.participants.get(id)?.local);
    await Promise.all(
      userIds.map(async (userId) => {
        const participant = room?.participants.get(userId);
        if (!room || !participant?.local) return;
        removed.push(userId);
        await this.#remove(
          room,
          participant,
          reason,
          reason === 'kick' ? 'kick' : 'banned',
          message,
        );
      }),
    );
    if (everywhere && this.#removeElsewhere && elsewhere.length > 0) {
      removed.push(...(await this.#removeElsewhere(sdkAppId, ref, elsewhere, reason, message)));
    }
    return removed;
  }

  async dismissRoom(sdkAppId: number, ref: RoomRef, message: string): Promise<string[] | null> {
    const room = this.rooms.get(sdkAppId, ref);
    if (this.#removeElsewhere) {
      // Every member, wherever it is: those here, then each other node's.
      const local = room ? [...room.participants.values()].filter((p) => p.local) : [];
      const removedHere = await this.dismissLocal(
        sdkAppId,
        ref,
        local.map((p) => p.userId),
        message,
      );
      const others = room
        ? [...room.participants.values()].filter((p) => !p.local).map((p) => p.userId)
        : null;
      const removedThere = await this.#removeElsewhere(
        sdkAppId,
        ref,
        others ?? ['*'],
        'room-disband',
        message,
      );
      const all = [...removedHere, ...removedThere];
      return all.length > 0 || room ? all : null;
    }
    if (!room) return null;
    this.#dismissing.add(room);
    const participants = [...room.participants.values()];
    await Promise.all(
      participants.map((p) => this.#remove(room, p, 'room-disband', 'disband', message)),
    );
    return participants.map((p) => p.userId);
  }

  /** Removes the named local members as a dismissal does (another node dismissed the room). */
  async dismissLocal(
    sdkAppId: number,
    ref: RoomRef,
    userIds: readonly string[],
    message: string,
  ): Promise<string[]> {
    const room = this.rooms.get(sdkAppId, ref);
    if (!room) return [];
    this.#dismissing.add(room);
    const targets = [...room.participants.values()].filter(
      (p) => p.local && (userIds.includes('*') || userIds.includes(p.userId)),
    );
    await Promise.all(
      targets.map((p) => this.#remove(room, p, 'room-disband', 'disband', message)),
    );
    return targets.map((p) => p.userId);
  }

  async #remove(
    room: Room,
    participant: Participant,
    clientReason: 'kick' | 'banned' | 'room-disband',
    leaveReason: DirectoryLeaveReason,
    message: string,
  ): Promise<void> {
    this.#removals.set(participant, leaveReason);
    // Peers see peer-leave with reason kick (the v4 event has no other removal reason).
    await room.remove(participant, clientReason, message);
  }

  #base(room: Room) {
    return { sdkAppId: room.sdkAppId, room: room.ref, at: Date.now() };
  }

  #watch(room: Room): void {
    this.#createdAt.set(room, Date.now());
    if (this.#roomEvents) this.safeEmit('room-created', this.#base(room));
    room.on('participant-joined', (participant) => {
      const note = this.#noteOf(participant);
      this.safeEmit('participant-joined', {
        ...this.#base(room),
        userId: participant.userId,
        role: participant.role,
        clientIp: note.clientIp,
        sdkVersion: note.sdkVersion,
      });
    });
    room.on('participant-left', (participant, reason) => {
      this.safeEmit('participant-left', {
        ...this.#base(room),
        userId: participant.userId,
        role: participant.role,
        reason: this.#removals.get(participant) ?? reason,
      });
    });
    room.on('role-changed', (participant, previous) =>
      this.safeEmit('role-changed', {
        ...this.#base(room),
        userId: participant.userId,
        role: participant.role,
        previous,
      }),
    );
    room.on('stream-published', (info) =>
      this.safeEmit('stream-published', {
        ...this.#base(room),
        userId: info.userId,
        stream: streamState(info),
      }),
    );
    room.on('stream-updated', (info) =>
      this.safeEmit('stream-updated', {
        ...this.#base(room),
        userId: info.userId,
        stream: streamState(info),
      }),
    );
    room.on('stream-unpublished', (userId, streamType) => {
      const participant = room.participants.get(userId);
      // A session that is closing removes its streams before it leaves the room.
      const leaving = participant ? participant.left : true;
      this.safeEmit('stream-unpublished', { ...this.#base(room), userId, streamType, leaving });
    });
  }

  #noteOf(participant: Participant): JoinNote {
    let note = this.#notes.get(participant);
    if (!note) {
      note = {
        joinedAt: Date.now(),
        sdkVersion: '',
        clientIp: plainIp(participant.sink?.remoteAddress ?? ''),
      };
      this.#notes.set(participant, note);
    }
    return note;
  }

  #state(room: Room): RoomState {
    return {
      sdkAppId: room.sdkAppId,
      room: room.ref,
      createdAt: this.#createdAt.get(room) ?? Date.now(),
      participants: [...room.participants.values()].map((p) => this.#participantState(room, p)),
    };
  }

  #participantState(room: Room, participant: Participant): ParticipantState {
    const note = this.#noteOf(participant);
    const streams: StreamState[] = [];
    for (const type of participant.streams.keys()) {
      const info = participant.streamInfo(type);
      if (info) streams.push(streamState(info));
    }
    return {
      userId: participant.userId,
      role: participant.role,
      joinedAt: note.joinedAt,
      streams,
      clientIp: note.clientIp,
      sdkVersion: note.sdkVersion,
      connected: participant.sink !== null,
      videoLayers: participant.left || !participant.local ? [] : room.videoLayers(participant),
    };
  }
}
