/**
 * What a room lends the parts that run inside its queue (Publishing, Subscriptions): its
 * members and media router, and the few things only the room's queue may do. They never
 * queue work of their own except through `enqueue`, so the room stays one serialized actor.
 */
import type { RoomRef } from '@parley/protocol';
import type { Logger } from 'pino';
import type { MediaRouter } from '../media/MediaEngine.js';
import type { Participant } from './Participant.js';
import type { RoomEvents, RoomLimits } from './Room.js';
import type { TrackDemand } from './TrackDemand.js';

export interface RoomContext {
  readonly ref: RoomRef;
  readonly participants: ReadonlyMap<string, Participant>;
  readonly limits: RoomLimits;
  readonly log: Logger;
  /** Tracks media-out jobs read here (relayed to this node in a cluster as a viewer's are). */
  readonly demand: TrackDemand;
  /** The room's media router, made on first use. */
  media(): Promise<MediaRouter>;
  /** Renegotiates the participant's subscriber connection once the current operation ends. */
  renegotiate(participant: Participant): void;
  /** Runs `op` as a room operation of its own (for engine events outside any operation). */
  enqueue(op: () => Promise<void>): void;
  /** Throws wrongState unless `participant` is in the room (it may have been replaced). */
  assertIn(participant: Participant): void;
  emit<K extends keyof RoomEvents & string>(event: K, ...args: RoomEvents[K]): void;
}
