/**
 * The remote side of the room as the server reports it: who is in it and which streams they
 * publish, with their flags. Pure data: each `handle*` call applies one server fact and
 * returns the changes it made, in the order the app should hear of them, so the Client can
 * turn them into events and tests can check them without a network.
 */
import type { ParticipantInfo, Role, RoomSnapshot, StreamInfo, StreamType } from '@parley/protocol';

export type PeerLeaveReason = 'leave' | 'timeout' | 'kick';

export type RoomChange =
  | { type: 'peer-join'; userId: string }
  /** `reason` when the server said why (a snapshot diff after a resume does not). */
  | { type: 'peer-leave'; userId: string; reason?: PeerLeaveReason }
  | { type: 'stream-added'; stream: StreamInfo }
  | { type: 'stream-updated'; stream: StreamInfo; previous: StreamInfo }
  | { type: 'stream-removed'; stream: StreamInfo };

interface Participant {
  userId: string;
  role: Role;
  streams: Map<StreamType, StreamInfo>;
}

export function streamKey(userId: string, streamType: StreamType): string {
  return `${userId}/${streamType}`;
}

export class RoomState {
  private readonly participants = new Map<string, Participant>();

  /** `selfUserId`'s own entries are never reported (the server should not list them anyway). */
  constructor(private readonly selfUserId: string) {}

  getStream(userId: string, streamType: StreamType): StreamInfo | undefined {
    return this.participants.get(userId)?.streams.get(streamType);
  }

  hasParticipant(userId: string): boolean {
    return this.participants.has(userId);
  }

  userIds(): string[] {
    return [...this.participants.keys()];
  }

  streams(): StreamInfo[] {
    return [...this.participants.values()].flatMap((p) => [...p.streams.values()]);
  }

  /**
   * Makes the state equal to a snapshot (the join result, or a resume result after a
   * reconnect) and returns the difference: removed streams and departed users first, then
   * new users and their streams, then changed flags.
   */
  applySnapshot(snapshot: RoomSnapshot): RoomChange[] {
    const incoming = new Map<string, ParticipantInfo>();
    for (const p of snapshot.participants) {
      if (p.userId !== this.selfUserId) incoming.set(p.userId, p);
    }
    const changes: RoomChange[] = [];
    for (const [userId, participant] of [...this.participants]) {
      const next = incoming.get(userId);
      if (!next) {
        changes.push(...this.handlePeerLeave(userId));
        continue;
      }
      const nextTypes = new Set(next.streams.map((s) => s.streamType));
      for (const streamType of [...participant.streams.keys()]) {
        if (!nextTypes.has(streamType))
          changes.push(...this.handleStreamRemoved(userId, streamType));
      }
    }
    for (const next of incoming.values()) {
      if (!this.participants.has(next.userId)) {
        changes.push(...this.handlePeerJoin(next.userId, next.role));
      } else {
        const participant = this.participants.get(next.userId);
        if (participant) participant.role = next.role;
      }
      for (const stream of next.streams) {
        if (stream.userId !== next.userId) continue;
        changes.push(...this.handleStreamAdded(stream));
      }
    }
    return changes;
  }

  handlePeerJoin(userId: string, role: Role): RoomChange[] {
    if (userId === this.selfUserId || this.participants.has(userId)) return [];
    this.participants.set(userId, { userId, role, streams: new Map() });
    return [{ type: 'peer-join', userId }];
  }

  /** The user's remaining streams are removed first (the server may not say so separately). */
  handlePeerLeave(userId: string, reason?: PeerLeaveReason): RoomChange[] {
    const participant = this.participants.get(userId);
    if (!participant) return [];
    const changes: RoomChange[] = [];
    for (const streamType of [...participant.streams.keys()]) {
      changes.push(...this.handleStreamRemoved(userId, streamType));
    }
    this.participants.delete(userId);
    changes.push(
      reason === undefined
        ? { type: 'peer-leave', userId }
        : { type: 'peer-leave', userId, reason },
    );
    return changes;
  }

  /**
   * A published stream. An unknown user joins implicitly first; a stream already known is
   * an update (the server repeats facts after a resume).
   */
  handleStreamAdded(stream: StreamInfo): RoomChange[] {
    if (stream.userId === this.selfUserId) return [];
    const changes = this.handlePeerJoin(stream.userId, 'anchor');
    const participant = this.participants.get(stream.userId);
    if (!participant) return changes;
    const previous = participant.streams.get(stream.streamType);
    if (previous) return [...changes, ...this.handleStreamUpdated(stream)];
    participant.streams.set(stream.streamType, { ...stream });
    changes.push({ type: 'stream-added', stream: { ...stream } });
    return changes;
  }

  /** New flags; no change when nothing differs. An unknown stream is added. */
  handleStreamUpdated(stream: StreamInfo): RoomChange[] {
    const participant = this.participants.get(stream.userId);
    const previous = participant?.streams.get(stream.streamType);
    if (!participant || !previous) return this.handleStreamAdded(stream);
    if (sameFlags(previous, stream)) return [];
    participant.streams.set(stream.streamType, { ...stream });
    return [{ type: 'stream-updated', stream: { ...stream }, previous }];
  }

  handleStreamRemoved(userId: string, streamType: StreamType): RoomChange[] {
    const participant = this.participants.get(userId);
    const stream = participant?.streams.get(streamType);
    if (!participant || !stream) return [];
    participant.streams.delete(streamType);
    return [{ type: 'stream-removed', stream }];
  }

  clear(): void {
    this.participants.clear();
  }
}

function sameFlags(a: StreamInfo, b: StreamInfo): boolean {
  return (
    a.hasAudio === b.hasAudio &&
    a.hasVideo === b.hasVideo &&
    a.audioMuted === b.audioMuted &&
    a.videoMuted === b.videoMuted &&
    a.hasSmall === b.hasSmall
  );
}
