/**
 * Finds or creates rooms by (sdkAppId, roomId); a room closes itself when its last
 * participant leaves and is forgotten here.
 */
import {
  ErrorCode,
  ROOM_LIMIT_REACHED,
  roomKey,
  type RoomRef,
  type RoomSnapshot,
} from '@parley/protocol';
import type { Logger } from 'pino';
import type { MediaEngine } from '../media/MediaEngine.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import type { Participant } from './Participant.js';
import type { MemberState } from './RemoteMembers.js';
import { ServerError } from '../ServerError.js';
import { Room, RoomClosedError, type RoomLimits } from './Room.js';

/** The room limits of limits/limitsConfig.ts, with the server's count of rooms. */
export interface RoomManagerLimits extends RoomLimits {
  maxRooms: number;
}

export interface RoomManagerEvents {
  'room-created': [room: Room];
  'room-closed': [room: Room];
}

export class RoomManager extends SafeEmitter<RoomManagerEvents> {
  readonly #rooms = new Map<string, Room>();
  /**
   * Cluster: awaited before a room takes its first member here (it reads who the other
   * nodes hold first, so the joining client's snapshot lists them).
   */
  prepare: ((room: Room) => Promise<void>) | null = null;

  constructor(
    private readonly engine: MediaEngine,
    private readonly log: Logger,
    private readonly limits?: RoomManagerLimits,
  ) {
    super();
  }

  get size(): number {
    return this.#rooms.size;
  }

  get(sdkAppId: number, ref: RoomRef): Room | undefined {
    return this.#rooms.get(roomKey(sdkAppId, ref));
  }

  #getOrCreate(sdkAppId: number, ref: RoomRef): Room {
    const key = roomKey(sdkAppId, ref);
    let room = this.#rooms.get(key);
    if (!room || room.closed) {
      const maxRooms = this.limits?.maxRooms ?? Infinity;
      if (this.#rooms.size >= maxRooms) {
        throw new ServerError(
          ErrorCode.JOIN_ROOM_FAILED,
          `this server has ${this.#rooms.size} rooms open, its limit (PARLEY_MAX_ROOMS) is ${maxRooms}: room ${String(ref.id)} cannot be opened now; retry later`,
          ROOM_LIMIT_REACHED,
        );
      }
      const created = new Room(sdkAppId, ref, this.engine, this.log, this.limits);
      this.#rooms.set(key, created);
      created.once('closed', () => {
        if (this.#rooms.get(key) === created) this.#rooms.delete(key);
        this.safeEmit('room-closed', created);
      });
      this.safeEmit('room-created', created);
      room = created;
    }
    return room;
  }

  /** Joins `participant` to its room, taking a fresh room when the one found just closed. */
  join(
    sdkAppId: number,
    ref: RoomRef,
    participant: Participant,
    kickMessage: string,
  ): Promise<{ room: Room; snapshot: RoomSnapshot }> {
    return this.#enter(sdkAppId, ref, (room) => room.join(participant, kickMessage));
  }

  /** Cluster: a session of another node resumes here (see Room.adopt). */
  adopt(
    sdkAppId: number,
    ref: RoomRef,
    participant: Participant,
    state: MemberState,
  ): Promise<{ room: Room; snapshot: RoomSnapshot }> {
    return this.#enter(sdkAppId, ref, (room) => room.adopt(participant, state));
  }

  /**
   * Cluster: the room opened on this node for `holder` (Room.hold) with its members on other
   * nodes read in, without a local member; undefined when nobody is in it anywhere.
   */
  async open(sdkAppId: number, ref: RoomRef, holder: string): Promise<Room | undefined> {
    for (;;) {
      const room = this.#getOrCreate(sdkAppId, ref);
      if (!room.hold(holder)) continue;
      try {
        await this.#prepare(room);
      } catch (error) {
        room.unhold(holder);
        throw error;
      }
      if (room.closed) continue;
      if (room.participants.size === 0) {
        room.unhold(holder);
        return undefined;
      }
      return room;
    }
  }

  /** Runs `enter` on the room (prepared), on a fresh one when the one found just closed. */
  async #enter(
    sdkAppId: number,
    ref: RoomRef,
    enter: (room: Room) => Promise<RoomSnapshot>,
  ): Promise<{ room: Room; snapshot: RoomSnapshot }> {
    for (;;) {
      const room = this.#getOrCreate(sdkAppId, ref);
      try {
        await this.#prepare(room);
        return { room, snapshot: await enter(room) };
      } catch (error) {
        if (!(error instanceof RoomClosedError)) throw error;
      }
    }
  }

  /** Cluster preparation; a room it failed for closes if empty (the next join starts over). */
  async #prepare(room: Room): Promise<void> {
    if (!this.prepare) return;
    try {
      await this.prepare(room);
    } catch (error) {
      await room.closeIfEmpty();
      throw error;
    }
  }

  rooms(): IterableIterator<Room> {
    return this.#rooms.values();
  }
}
