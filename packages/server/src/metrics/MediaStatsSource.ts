/**
 * Media counters per room and participant, from whatever carries the media (the engine and
 * router of the day). Counters are cumulative since the participant joined; rates are
 * derived by BitrateTracker. Implementation: EngineMediaStats (producer and consumer stats of the media engine).
 */
import type { RoomRef } from '@parley/protocol';

export interface ParticipantMediaStats {
  userId: string;
  /** Media received from this participant (what it publishes). */
  bytesIn: number;
  packetsIn: number;
  /** Packets of its publications that never arrived (sequence gaps). */
  packetsLost: number;
  /** Media sent to this participant (what it subscribes to). */
  bytesOut: number;
  /** Tracks it receives now. */
  subscribedTracks: number;
  /** NACKs received from it (as subscriber). */
  nackCount: number;
  /** PLI/FIR keyframe requests received from it (as subscriber). */
  pliCount: number;
}

export interface RoomMediaStats {
  sdkAppId: number;
  room: RoomRef;
  participants: ParticipantMediaStats[];
}

export interface MediaStatsSource {
  /** A snapshot of every live room's counters. */
  collect(): RoomMediaStats[];
  /** When that snapshot was taken (ms since the epoch; 0 before the first). */
  readonly collectedAt: number;
  /** Someone is looking at live rates: refresh often for a while. */
  watch(): void;
  close(): void;
}
