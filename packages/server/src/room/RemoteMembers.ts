/**
 * Members of this room whose clients are on other nodes of a cluster, as mirrors: a
 * Participant without a sink whose state follows what its node writes (a MemberState), and
 * whose tracks are relayed here by pipe (one per track per node pair, fed to every local
 * viewer). Runs inside the room's queue: every method is called by the Room, one operation
 * at a time. Mirrors raise no room events: their own node reports them (callbacks once).
 */
import type { RemoteVideoType, Role, StreamType, TrackKind } from '@parley/protocol';
import type { MediaProducer } from '../media/MediaEngine.js';
import { Participant, subscriptionKey, type PublishedStream } from './Participant.js';
import type { RoomContext } from './RoomContext.js';
import type { Subscriptions } from './Subscriptions.js';

/** One published track as a member's node describes it. */
export interface TrackState {
  kind: TrackKind;
  mid: string;
  muted: boolean;
  withheld: boolean;
  layers: number;
  /** Its producer on the member's node; null while it is being restored there. */
  producerId: string | null;
}

/** A member of the room as its node describes it (replicated through the cluster). */
export interface MemberState {
  userId: string;
  node: string;
  epoch: number;
  role: Role;
  mode: 'rtc' | 'live';
  privilege: number;
  autoSubscribe: boolean;
  sessionId: string;
  streams: Array<{ type: StreamType; tracks: TrackState[] }>;
  subscriptions: Array<{ userId: string; streamType: StreamType; audio: boolean; video: boolean }>;
  videoTypes: Array<{ key: string; type: RemoteVideoType }>;
}

/** A track of a mirror that needs its relay: the producer to pipe from `node`. */
export interface RelayNeed {
  userId: string;
  streamType: StreamType;
  kind: TrackKind;
  producerId: string;
  node: string;
}

/** What a local member looks like to the others, for its node to replicate. */
export function memberState(p: Participant, node: string): MemberState {
  return {
    userId: p.userId,
    node,
    epoch: p.epoch,
    role: p.role,
    mode: p.mode,
    privilege: p.privilege,
    autoSubscribe: p.autoSubscribe,
    sessionId: p.sessionId,
    streams: [...p.streams.values()].map((s) => ({
      type: s.type,
      tracks: [...s.tracks].map(([kind, t]) => ({
        kind,
        mid: t.mid,
        muted: t.muted,
        withheld: t.withheld,
        layers: t.layers,
        producerId: t.producer && !t.producer.closed ? t.producer.id : null,
      })),
    })),
    subscriptions: [...p.subscriptions.values()].map((s) => ({
      userId: s.userId,
      streamType: s.streamType,
      audio: s.audio,
      video: s.video,
    })),
    videoTypes: [...p.videoTypes].map(([key, type]) => ({ key, type })),
  };
}

export class RemoteMembers {
  constructor(
    private readonly room: RoomContext,
    private readonly subscriptions: Subscriptions,
    /** Removes a local participant without telling anyone (its session moved to another node). */
    private readonly detach: (participant: Participant) => void,
    /** Ends a local participant's session: another node has a newer one of its userId. */
    private readonly kick: (participant: Participant, message: string) => Promise<void>,
    /** Tells this node's clients a member appeared or went (peer-join / peer-leave 'leave'). */
    private readonly broadcast: (method: 'peer-join' | 'peer-leave', p: Participant) => void,
  ) {}

  /** Whether this node has a client in the room (relays are only worth it then). */
  get hasLocal(): boolean {
    for (const p of this.room.participants.values()) if (p.local && !p.left) return true;
    return false;
  }

  /**
   * Makes the mirror of a member match what its node says (the relays it now needs are then
   * in pendingRelays()).
   * A state older than what is here (a lower epoch) is ignored; a newer session of a local
   * member's userId ends the local one (silently when its client is gone: it moved there).
   */
  async apply(state: MemberState): Promise<void> {
    let mirror = this.room.participants.get(state.userId);
    let announce = true;
    if (mirror?.local) {
      if (state.epoch <= mirror.epoch) return;
      // Its client is gone from here, or this is its own session resumed elsewhere (a thawed
      // node learning that its client moved on): it moved, nobody here is told.
      if (mirror.sink === null || mirror.sessionId === state.sessionId) {
        this.detach(mirror);
        announce = false;
      } else {
        await this.kick(mirror, `user ${state.userId} joined this room on another node`);
      }
      mirror = undefined;
    }
    if (mirror && state.epoch < mirror.epoch) return;
    if (!mirror) {
      mirror = new Participant(
        state.userId,
        state.role,
        state.sessionId,
        '',
        state.autoSubscribe,
        state.mode,
      );
      mirror.node = state.node;
      mirror.epoch = state.epoch;
      (this.room.participants as Map<string, Participant>).set(state.userId, mirror);
      if (mirror.visible && announce) this.broadcast('peer-join', mirror);
    }
    if (mirror.node !== state.node) this.#releaseRelays(mirror);
    mirror.node = state.node;
    mirror.epoch = state.epoch;
    mirror.privilege = state.privilege;
    if (mirror.role !== state.role) {
      const wasVisible = mirror.visible;
      mirror.role = state.role;
      if (wasVisible && !mirror.visible) {
        this.#removeStreams(mirror);
        this.broadcast('peer-leave', mirror);
      } else if (!wasVisible && mirror.visible) {
        this.broadcast('peer-join', mirror);
      }
    }
    const listed = new Set(state.streams.map((s) => s.type));
    for (const stream of [...mirror.streams.values()]) {
      if (!listed.has(stream.type)) this.#removeStream(mirror, stream);
    }
    for (const described of state.streams) {
      let stream = mirror.streams.get(described.type);
      if (!stream) {
        stream = { type: described.type, tracks: new Map() };
        mirror.streams.set(described.type, stream);
      }
      const kinds = new Set(described.tracks.map((t) => t.kind));
      for (const kind of [...stream.tracks.keys()]) {
        if (!kinds.has(kind)) this.#closeTrack(mirror, stream, kind);
      }
      for (const t of described.tracks) {
        let track = stream.tracks.get(t.kind);
        if (!track) {
          track = { mid: t.mid, muted: t.muted, producer: null, layers: t.layers, withheld: false };
          stream.tracks.set(t.kind, track);
        }
        track.mid = t.mid;
        track.muted = t.muted;
        track.withheld = t.withheld;
        track.layers = t.layers;
        if (track.remoteProducerId !== t.producerId || track.producer?.closed) {
          this.#release(mirror, stream, t.kind);
          track.remoteProducerId = t.producerId;
        }
      }
      if (mirror.visible) await this.subscriptions.refreshViewers(mirror, stream.type);
    }
  }

  /**
   * The mirrors' tracks that a local member subscribes to and that have a producer on their
   * node but no relay here yet: a relay is made for the first viewer on this node.
   */
  pendingRelays(): RelayNeed[] {
    if (!this.hasLocal && this.room.demand.empty) return [];
    const needs: RelayNeed[] = [];
    for (const p of this.room.participants.values()) {
      if (p.local || p.left || !p.visible || p.node === null) continue;
      for (const stream of p.streams.values()) {
        for (const [kind, track] of stream.tracks) {
          if (track.producer || !track.remoteProducerId || track.withheld) continue;
          if (!this.#wanted(p, stream.type, kind)) continue;
          needs.push({
            userId: p.userId,
            streamType: stream.type,
            kind,
            producerId: track.remoteProducerId,
            node: p.node,
          });
        }
      }
    }
    return needs;
  }

  /**
   * Relays no local member wants any more (the last viewer here unsubscribed or left): they
   * close here, and the caller tells their node to stop sending. Called at the end of a room
   * operation (synchronously: no other operation runs meanwhile).
   */
  takeUnwantedRelays(): RelayNeed[] {
    const gone: RelayNeed[] = [];
    for (const p of this.room.participants.values()) {
      if (p.local || p.node === null) continue;
      for (const stream of p.streams.values()) {
        for (const [kind, track] of stream.tracks) {
          if (!track.producer || this.#wanted(p, stream.type, kind)) continue;
          gone.push({
            userId: p.userId,
            streamType: stream.type,
            kind,
            producerId: track.producer.id,
            node: p.node,
          });
          this.#release(p, stream, kind);
        }
      }
    }
    return gone;
  }

  /**
   * Whether a local member subscribes to that kind of a mirror's stream and may receive it, or
   * a media-out job here reads it.
   */
  #wanted(mirror: Participant, streamType: StreamType, kind: TrackKind): boolean {
    if (this.room.demand.has(mirror.userId, streamType, kind)) return true;
    const key = subscriptionKey(mirror.userId, streamType);
    for (const viewer of this.room.participants.values()) {
      if (!viewer.local || viewer.left) continue;
      const sub = viewer.subscriptions.get(key);
      if (!sub || !(kind === 'audio' ? sub.audio : sub.video)) continue;
      if (viewer.canReceive(streamType, kind)) return true;
    }
    return false;
  }

  /** A relay is up: its producer feeds the mirror's track, if that still wants this one. */
  async attach(
    userId: string,
    streamType: StreamType,
    kind: TrackKind,
    producer: MediaProducer,
  ): Promise<boolean> {
    const mirror = this.room.participants.get(userId);
    const track = mirror?.streams.get(streamType)?.tracks.get(kind);
    if (!mirror || mirror.local || !track || track.producer || producer.closed) return false;
    if (track.remoteProducerId !== producer.id) return false;
    if (!this.#wanted(mirror, streamType, kind)) return false;
    track.producer = producer;
    producer.once('close', () => {
      this.room.enqueue(async () => {
        if (track.producer !== producer) return;
        track.producer = null;
        this.subscriptions.dropConsumers(userId, streamType, [kind]);
      });
    });
    await this.subscriptions.refreshViewers(mirror, streamType);
    return true;
  }

  /** A member left (or its session ended) on its node: the others here see it go. */
  remove(userId: string, epoch: number, reason: 'leave' | 'timeout' | 'kick'): boolean {
    const mirror = this.room.participants.get(userId);
    if (!mirror || mirror.local || mirror.epoch > epoch) return false;
    mirror.left = true;
    this.#removeStreams(mirror);
    (this.room.participants as Map<string, Participant>).delete(userId);
    if (mirror.visible) {
      for (const p of this.room.participants.values()) {
        p.sink?.notify('peer-leave', { userId, reason });
      }
    }
    return true;
  }

  /** A node is gone: its members' relays with it (they stay, waiting to be resumed elsewhere). */
  nodeLost(node: string): void {
    for (const p of this.room.participants.values()) {
      if (p.node === node) this.#releaseRelays(p);
    }
  }

  /** One mirror's relays go (its session moves here). */
  releaseOf(mirror: Participant): void {
    if (!mirror.local) this.#releaseRelays(mirror);
  }

  /** Every mirror (the room closes on this node: its last local client left). */
  clear(): void {
    for (const p of [...this.room.participants.values()]) {
      if (p.local) continue;
      this.#releaseRelays(p);
      (this.room.participants as Map<string, Participant>).delete(p.userId);
    }
  }

  /** Turns a mirror's record into the state of a local participant resuming here. */
  static restore(participant: Participant, state: MemberState): void {
    participant.privilege = state.privilege;
    participant.epoch = state.epoch;
    for (const s of state.streams) {
      const stream: PublishedStream = { type: s.type, tracks: new Map() };
      for (const t of s.tracks) {
        stream.tracks.set(t.kind, {
          mid: t.mid,
          muted: t.muted,
          producer: null,
          layers: t.layers,
          withheld: t.withheld,
        });
      }
      participant.streams.set(s.type, stream);
    }
    for (const s of state.subscriptions) {
      participant.subscriptions.set(subscriptionKey(s.userId, s.streamType), {
        ...s,
        consumers: new Map(),
      });
    }
    for (const { key, type } of state.videoTypes) participant.videoTypes.set(key, type);
  }

  #releaseRelays(p: Participant): void {
    for (const stream of p.streams.values()) {
      for (const kind of [...stream.tracks.keys()]) this.#release(p, stream, kind);
    }
  }

  /** The track's relay producer goes (and the consumers it fed); the track stays announced. */
  #release(p: Participant, stream: PublishedStream, kind: TrackKind): void {
    const track = stream.tracks.get(kind);
    if (!track?.producer) return;
    const producer = track.producer;
    track.producer = null;
    producer.close();
    this.subscriptions.dropConsumers(p.userId, stream.type, [kind]);
  }

  #closeTrack(p: Participant, stream: PublishedStream, kind: TrackKind): void {
    this.#release(p, stream, kind);
    stream.tracks.delete(kind);
    this.subscriptions.dropConsumers(p.userId, stream.type, [kind]);
  }

  #removeStream(p: Participant, stream: PublishedStream): void {
    for (const kind of [...stream.tracks.keys()]) this.#closeTrack(p, stream, kind);
    p.streams.delete(stream.type);
    this.subscriptions.streamRemoved(p, stream.type);
  }

  #removeStreams(p: Participant): void {
    for (const stream of [...p.streams.values()]) this.#removeStream(p, stream);
  }
}
