/**
 * Tracks of the room that something other than a subscription needs on this node: media-out
 * jobs (mixes, relays, recordings) read members' producers directly. In a cluster a member on
 * another node has a producer here only while a relay brings it, and relays are made for
 * what is wanted on this node: this is how those jobs want a track.
 */
import type { StreamType, TrackKind } from '@parley/protocol';

export interface TrackRef {
  userId: string;
  streamType: StreamType;
  kind: TrackKind;
}

const keyOf = (userId: string, streamType: StreamType, kind: TrackKind) =>
  `${userId}\n${streamType}\n${kind}`;

export class TrackDemand {
  /** Each holder's wanted tracks (keys), replaced whole by set(). */
  readonly #holders = new Map<string, Set<string>>();

  /** Replaces what `holder` wants; true when that changed anything. */
  set(holder: string, tracks: Iterable<TrackRef>): boolean {
    const next = new Set<string>();
    for (const t of tracks) next.add(keyOf(t.userId, t.streamType, t.kind));
    const previous = this.#holders.get(holder) ?? new Set<string>();
    if (next.size === 0) this.#holders.delete(holder);
    else this.#holders.set(holder, next);
    if (previous.size !== next.size) return true;
    for (const key of next) if (!previous.has(key)) return true;
    return false;
  }

  has(userId: string, streamType: StreamType, kind: TrackKind): boolean {
    const key = keyOf(userId, streamType, kind);
    for (const keys of this.#holders.values()) if (keys.has(key)) return true;
    return false;
  }

  /** Whether anything is wanted at all. */
  get empty(): boolean {
    return this.#holders.size === 0;
  }
}
