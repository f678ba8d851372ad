/**
 * MediaStatsSource over today's media path: published tracks are counted by listening to
 * their RTP on the engine (bytes, packets, sequence gaps); what a subscriber receives is the
 * bytes of the sources it has sinks on while they are not muted; keyframe requests come
 * from the engine's `keyframerequest` events. The werift engine reports no NACKs: 0.
 * Replaced with the engine when the media engine changes.
 */
import type { MediaEngine, RtpPacketLike } from '../media/MediaEngine.js';
import type { Room } from '../room/Room.js';
import type { RoomManager } from '../room/RoomManager.js';
import type {
  MediaStatsSource,
  ParticipantMediaStats,
  RoomMediaStats,
} from './MediaStatsSource.js';

interface SourceCounter {
  bytes: number;
  packets: number;
  lost: number;
  lastSeq: number | undefined;
  /** bytes at the last collect, to credit the new bytes to its subscribers. */
  creditedBytes: number;
  unsubscribe: () => void;
}

interface SubscriberCounter {
  bytesOut: number;
  pli: number;
}

export class RouterMediaStats implements MediaStatsSource {
  readonly #sources = new Map<string, SourceCounter>();
  /** By the subscriber's session id (the prefix of its sink ids). */
  readonly #subscribers = new Map<string, SubscriberCounter>();
  readonly #onKeyframeRequest = (sinkId: string) => {
    this.#subscriber(sinkId.split(':')[0]!).pli++;
  };

  constructor(
    private readonly rooms: RoomManager,
    private readonly engine: MediaEngine,
  ) {
    engine.on('keyframerequest', this.#onKeyframeRequest);
  }

  collect(): RoomMediaStats[] {
    const seen = new Set<string>();
    const result: RoomMediaStats[] = [];
    for (const room of this.rooms.rooms()) result.push(this.#collectRoom(room, seen));
    for (const [id, counter] of this.#sources) {
      if (!seen.has(id)) {
        counter.unsubscribe();
        this.#sources.delete(id);
      }
    }
    return result;
  }

  close(): void {
    this.engine.off('keyframerequest', this.#onKeyframeRequest);
    for (const counter of this.#sources.values()) counter.unsubscribe();
    this.#sources.clear();
  }

  #collectRoom(room: Room, seen: Set<string>): RoomMediaStats {
    const muted = new Map(room.router.sourceStats().map((s) => [s.sourceId, s.muted]));
    const participants: ParticipantMediaStats[] = [];
    // New bytes of each source since the last collect, credited to its subscribers below.
    const fresh = new Map<string, number>();
    const stats = new Map<string, ParticipantMediaStats>();
    for (const p of room.participants.values()) {
      const entry: ParticipantMediaStats = {
        userId: p.userId,
        bytesIn: 0,
        packetsIn: 0,
        packetsLost: 0,
        bytesOut: 0,
        subscribedTracks: 0,
        nackCount: 0,
        pliCount: 0,
      };
      for (const stream of p.streams.values()) {
        for (const track of stream.tracks.values()) {
          seen.add(track.sourceId);
          const counter = this.#source(track.sourceId);
          if (!counter) continue;
          entry.bytesIn += counter.bytes;
          entry.packetsIn += counter.packets;
          entry.packetsLost += counter.lost;
          fresh.set(
            track.sourceId,
            muted.get(track.sourceId) ? 0 : counter.bytes - counter.creditedBytes,
          );
          counter.creditedBytes = counter.bytes;
        }
      }
      stats.set(p.sessionId, entry);
      participants.push(entry);
    }
    for (const p of room.participants.values()) {
      const entry = stats.get(p.sessionId)!;
      const counter = this.#subscriber(p.sessionId);
      for (const sub of p.subscriptions.values()) {
        for (const sinkId of sub.sinks.values()) {
          entry.subscribedTracks++;
          counter.bytesOut += fresh.get(sinkId.slice(sinkId.indexOf('>') + 1)) ?? 0;
        }
      }
      entry.bytesOut = counter.bytesOut;
      entry.pliCount = counter.pli;
    }
    // Forget subscribers of sessions that are gone.
    for (const id of this.#subscribers.keys()) {
      if (![...room.participants.values()].some((p) => p.sessionId === id) && !this.#isLive(id)) {
        this.#subscribers.delete(id);
      }
    }
    return { sdkAppId: room.sdkAppId, room: room.ref, participants };
  }

  #isLive(sessionId: string): boolean {
    for (const room of this.rooms.rooms()) {
      for (const p of room.participants.values()) if (p.sessionId === sessionId) return true;
    }
    return false;
  }

  #subscriber(sessionId: string): SubscriberCounter {
    let counter = this.#subscribers.get(sessionId);
    if (!counter) this.#subscribers.set(sessionId, (counter = { bytesOut: 0, pli: 0 }));
    return counter;
  }

  #source(sourceId: string): SourceCounter | undefined {
    const counter = this.#sources.get(sourceId);
    if (counter) return counter;
    const created: SourceCounter = {
      bytes: 0,
      packets: 0,
      lost: 0,
      lastSeq: undefined,
      creditedBytes: 0,
      unsubscribe: () => undefined,
    };
    try {
      created.unsubscribe = this.engine.onRtp(sourceId, (packet: RtpPacketLike) => {
        created.bytes += packet.payload.length + 12;
        created.packets++;
        const seq = packet.header.sequenceNumber;
        if (created.lastSeq !== undefined) {
          const gap = (seq - created.lastSeq + 0x10000) & 0xffff;
          // Forward jumps below 1000 are losses; anything else is reordering or a reset.
          if (gap > 1 && gap < 1000) created.lost += gap - 1;
          if (gap > 0x8000) return;
        }
        created.lastSeq = seq;
      });
    } catch {
      return undefined; // the engine no longer knows the track (it is being removed)
    }
    this.#sources.set(sourceId, created);
    return created;
  }
}
