/** Finds or creates rooms by (sdkAppId, roomId) and removes them when the last one leaves. */
import { roomKey, type RoomRef } from '@parley/protocol';
import type { MediaEngine } from '../media/MediaEngine.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import { Room } from './Room.js';

export interface RoomManagerEvents {
  'room-created': [room: Room];
  'room-closed': [room: Room];
}

export class RoomManager extends SafeEmitter<RoomManagerEvents> {
  readonly #rooms = new Map<string, Room>();

  constructor(private readonly engine: MediaEngine) {
    super();
  }

  get size(): number {
    return this.#rooms.size;
  }

  get(sdkAppId: number, ref: RoomRef): Room | undefined {
    return this.#rooms.get(roomKey(sdkAppId, ref));
  }

  getOrCreate(sdkAppId: number, ref: RoomRef): Room {
    const key = roomKey(sdkAppId, ref);
    let room = this.#rooms.get(key);
    if (!room) {
      room = new Room(sdkAppId, ref, this.engine);
      this.#rooms.set(key, room);
      this.safeEmit('room-created', room);
    }
    return room;
  }

  /** Closes the room if nobody is left in it. */
  releaseIfEmpty(room: Room): void {
    if (room.participants.size > 0 || this.#rooms.get(room.key) !== room) return;
    this.#rooms.delete(room.key);
    room.close();
    this.safeEmit('room-closed', room);
  }

  rooms(): IterableIterator<Room> {
    return this.#rooms.values();
  }
}
