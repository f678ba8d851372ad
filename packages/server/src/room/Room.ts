/**
 * A room: the participants of one (sdkAppId, roomId) and the media router that carries their
 * media. The room is a serialized actor: every change (join, publish, subscribe, mute, role,
 * leave, kick, recovery after a lost media worker) runs through `#run`, one at a time, so the
 * room's invariants never see two half-done operations. It keeps membership, the queue,
 * broadcasts and recovery; publishing (Publishing) and subscriptions (Subscriptions) are
 * their own classes, run inside the queue. Nothing in the queue waits for a client:
 * renegotiations of subscriber connections run beside it (SubscriberTransport folds changes
 * made meanwhile into its next offer) and engine calls are time-limited.
 *
 * Emits room events that other parts (REST callbacks, metrics) hook without touching signaling.
 */
import {
  ErrorCode,
  ROOM_LIMIT_REACHED,
  roomKey,
  type ClientRequestData,
  type Role,
  type RoomRef,
  type RoomSnapshot,
  type ServerNotificationData,
  type ServerNotificationMethod,
  type StreamInfo,
  type StreamType,
  type TrackKind,
  type VideoLayer,
} from '@parley/protocol';
import type { Logger } from 'pino';
import type { MediaEngine, MediaProducer, MediaRouter } from '../media/MediaEngine.js';
import type { RtpStreamStats } from '../media/types.js';
import { ServerError } from '../ServerError.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import { subscriptionKey, type Participant } from './Participant.js';
import { Publishing } from './Publishing.js';
import { RemoteMembers, type MemberState, type RelayNeed } from './RemoteMembers.js';
import type { RoomContext } from './RoomContext.js';
import { Subscriptions } from './Subscriptions.js';
import { TrackDemand, type TrackRef } from './TrackDemand.js';

/** What a cluster keeps of a room: told after every operation, to replicate what changed. */
export interface RoomLink {
  settled(room: Room): void;
}

export type LeaveReason = 'leave' | 'timeout' | 'kick';
/** What a removed client is told (its `client-banned` reason). */
export type RemovalReason = 'kick' | 'banned' | 'room-disband';

export interface RoomEvents {
  'participant-joined': [participant: Participant];
  'participant-left': [participant: Participant, reason: LeaveReason];
  /** Live mode: switchRole(); the participant already has its new role. */
  'role-changed': [participant: Participant, previous: Role];
  'stream-published': [stream: StreamInfo];
  'stream-updated': [stream: StreamInfo];
  'stream-unpublished': [userId: string, streamType: StreamInfo['streamType']];
  /** An SEI message went to this node's viewers of a local sender (the cluster relays it). */
  sei: [sender: Participant, message: ServerNotificationData<'sei-message'>];
  /** A custom message went to this node's members from a local sender (the cluster relays it). */
  'custom-message': [sender: Participant, message: ServerNotificationData<'custom-message'>];
  /** Cluster: a local session moved to another node (no leave: the user is still here). */
  'participant-moved': [participant: Participant];
  /** Cluster: a member's track on another node now has a producer here (a relay is up). */
  'relay-attached': [userId: string, streamType: StreamType, kind: TrackKind];
  closed: [];
}

/** A join that found the room already closed by its last leave: the caller takes a new room. */
export class RoomClosedError extends Error {
  constructor() {
    super('the room closed');
    this.name = 'RoomClosedError';
  }
}

export interface SourceStats {
  userId: string;
  streamType: StreamType;
  kind: TrackKind;
  muted: boolean;
  /** Subscribers that receive it. */
  sinks: number;
  /** Packets sent to subscribers (summed over them). */
  forwardedPackets: number;
  received: RtpStreamStats | null;
}

/** The room limits of limits/limitsConfig.ts. */
export interface RoomLimits {
  maxMembersPerRoom: number;
  maxPublishersPerRoom: number;
}

const NO_LIMITS: RoomLimits = { maxMembersPerRoom: Infinity, maxPublishersPerRoom: Infinity };

export class Room extends SafeEmitter<RoomEvents> {
  readonly key: string;
  readonly participants = new Map<string, Participant>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #media: Promise<MediaRouter> | null = null;
  /** Subscriber connections to renegotiate when the current operation ends. */
  readonly #dirty = new Set<Participant>();
  readonly #log: Logger;
  readonly #subscriptions: Subscriptions;
  readonly #publishing: Publishing;
  readonly #remote: RemoteMembers;
  readonly #demand = new TrackDemand();
  /** What keeps the room open here without a local member (see hold()). */
  readonly #holders = new Set<string>();
  #link: RoomLink | null = null;

  constructor(
    readonly sdkAppId: number,
    readonly ref: RoomRef,
    private readonly engine: MediaEngine,
    log: Logger,
    /** The server's room limits (WHIP checks the publisher limit before it joins). */
    readonly limits: RoomLimits = NO_LIMITS,
  ) {
    super();
    this.key = roomKey(sdkAppId, ref);
    this.#log = log.child({ room: this.key });
    const context: RoomContext = {
      ref,
      participants: this.participants,
      limits,
      log: this.#log,
      demand: this.#demand,
      media: () => this.#media_(),
      renegotiate: (participant) => this.#dirty.add(participant),
      enqueue: (op) => void this.#run(op),
      assertIn: (participant) => this.#assertIn(participant),
      emit: (event, ...args) => this.safeEmit(event, ...args),
    };
    this.#subscriptions = new Subscriptions(context);
    this.#publishing = new Publishing(context, this.#subscriptions);
    this.#remote = new RemoteMembers(
      context,
      this.#subscriptions,
      (participant) => this.#detach(participant),
      (participant, message) => this.#kick(participant, 'kick', message, true),
      (method, participant) => {
        if (method === 'peer-join') {
          this.broadcast('peer-join', { userId: participant.userId, role: participant.role });
        } else {
          this.broadcast('peer-leave', { userId: participant.userId, reason: 'leave' });
        }
      },
    );
  }

  /** Cluster: what replicates this room's members to the other nodes (set once). */
  setLink(link: RoomLink): void {
    this.#link = link;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The room's media router, made now if it has none yet (a relay arrives). */
  ensureMedia(): Promise<MediaRouter> {
    return this.#media_();
  }

  /**
   * Replaces the tracks a media-out job (`holder`) reads from members here; in a cluster the
   * ones of members on other nodes are relayed to this node for it, as for a viewer. Applied
   * as a room operation (its end pulls or drops relays).
   */
  setTrackDemand(holder: string, tracks: readonly TrackRef[]): void {
    if (this.#closed || !this.#demand.set(holder, tracks)) return;
    void this.#run(() => undefined).catch(() => undefined);
  }

  /**
   * Cluster: keeps the room open on this node without a local member while `holder` (a
   * media-out job of another room mixing its users) reads its members' tracks, relayed here
   * by the holder's TrackDemand. False when the room has closed already.
   */
  hold(holder: string): boolean {
    if (this.#closed) return false;
    this.#holders.add(holder);
    return true;
  }

  /** Lets the room go (and drops the holder's demand): it closes if nothing else keeps it. */
  unhold(holder: string): void {
    if (!this.#holders.delete(holder)) return;
    this.#demand.set(holder, []);
    void this.#run(() => {
      if (!this.#keepsOpen()) this.#close();
    }).catch(() => undefined);
  }

  /** A local member, or a holder while the room has members elsewhere. */
  #keepsOpen(): boolean {
    return this.#remote.hasLocal || (this.#holders.size > 0 && this.participants.size > 0);
  }

  /** The room's media router, if it has one yet (tests, metrics). */
  async mediaRouter(): Promise<MediaRouter | null> {
    return this.#media ? this.#media.catch(() => null) : null;
  }

  // ---- the actor ----

  /** Runs `op` after every operation queued before it; then renegotiates what it changed. */
  #run<T>(op: () => Promise<T> | T): Promise<T> {
    const result = this.#queue.then(async () => {
      try {
        return await op();
      } finally {
        this.#flush();
        this.#link?.settled(this);
      }
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** A client's request for a member still in the room: runs `op`, answers `{}`. */
  #request(
    participant: Participant,
    op: () => Promise<void> | void,
  ): Promise<Record<string, never>> {
    return this.#run(async () => {
      this.#assertIn(participant);
      await op();
      return {};
    });
  }

  #flush(): void {
    for (const participant of this.#dirty) {
      const subscriber = participant.subscriber;
      if (!subscriber || participant.left) continue;
      subscriber.negotiate().catch((error: unknown) => {
        // The client is offered again when it resumes; a timeout ends the session anyway.
        const level = participant.sink === null || participant.left ? 'debug' : 'warn';
        this.#log[level](
          { err: error, user: participant.userId },
          'subscriber renegotiation failed',
        );
      });
    }
    this.#dirty.clear();
  }

  #media_(): Promise<MediaRouter> {
    // A router made after the close would never be closed (nothing closes the room twice).
    if (this.#closed) return Promise.reject(new RoomClosedError());
    if (!this.#media) {
      const media = this.engine.createRouter();
      this.#media = media;
      media.then(
        (router) => {
          router.on('workerlost', (lost) => {
            void this.#run(() => this.#recover(lost)).catch((error: unknown) =>
              this.#log.error({ err: error }, 'recovery after a lost media worker failed'),
            );
          });
          router.once('close', (reason) => {
            if (reason !== 'closed') this.#log.error({ reason }, 'room media router closed');
          });
        },
        () => {
          if (this.#media === media) this.#media = null;
        },
      );
    }
    return this.#media;
  }

  // ---- membership ----

  /**
   * Adds a participant; one already there with the same userId is kicked first (two joins
   * racing on two sockets: the later one wins, the earlier gets `banned` kick).
   */
  join(participant: Participant, kickMessage: string): Promise<RoomSnapshot> {
    return this.#run(async () => {
      if (this.#closed) throw new RoomClosedError();
      const existing = this.participants.get(participant.userId);
      const { maxMembersPerRoom } = this.limits;
      if (!existing && this.participants.size >= maxMembersPerRoom) {
        throw new ServerError(
          ErrorCode.JOIN_ROOM_FAILED,
          `room ${String(this.ref.id)} is full: it has ${this.participants.size} members, the limit of this server (PARLEY_MAX_MEMBERS_PER_ROOM) is ${maxMembersPerRoom}`,
          ROOM_LIMIT_REACHED,
        );
      }
      // A newer session of the userId on another node (a higher epoch) wins over this join.
      if (existing && !existing.local && existing.epoch > participant.epoch) {
        throw new ServerError(
          ErrorCode.JOIN_ROOM_FAILED,
          `user ${participant.userId} joined room ${String(this.ref.id)} from another connection meanwhile`,
        );
      }
      // The room stays open even if that one was alone in it: its replacement enters now.
      if (existing?.local) await this.#kick(existing, 'kick', kickMessage, true);
      else if (existing) this.#remote.remove(existing.userId, Infinity, 'kick');
      this.participants.set(participant.userId, participant);
      if (participant.visible) {
        this.broadcast(
          'peer-join',
          { userId: participant.userId, role: participant.role },
          participant,
        );
      }
      this.safeEmit('participant-joined', participant);
      return this.snapshotFor(participant);
    });
  }

  leave(participant: Participant, reason: LeaveReason): Promise<void> {
    return this.#run(() => this.#leave(participant, reason));
  }

  /**
   * Removes a participant with a `banned` notification saying why: `kick` (another join of
   * its userId, REST RemoveUser), `banned` (a ban), `room-disband` (the room was dismissed).
   */
  remove(participant: Participant, why: RemovalReason, message: string): Promise<void> {
    return this.#run(() => this.#kick(participant, why, message));
  }

  async #kick(
    participant: Participant,
    why: RemovalReason,
    message: string,
    keepOpen = false,
  ): Promise<void> {
    if (participant.left) return;
    participant.sink?.notify('banned', { reason: why, message });
    await this.#leave(participant, 'kick', keepOpen);
  }

  async #leave(participant: Participant, reason: LeaveReason, keepOpen = false): Promise<void> {
    if (participant.left) return;
    participant.left = true;
    this.#log.info({ user: participant.userId, reason }, 'participant left');
    this.#publishing.removeAll(participant);
    this.#subscriptions.close(participant);
    this.#publishing.close(participant);
    this.#dirty.delete(participant);
    if (this.participants.get(participant.userId) === participant) {
      this.participants.delete(participant.userId);
      if (participant.visible) {
        this.broadcast('peer-leave', { userId: participant.userId, reason });
      }
      this.safeEmit('participant-left', participant, reason);
    }
    const sink = participant.sink;
    participant.sink = null;
    if (sink && reason !== 'leave') sink.close(reason === 'kick' ? 4040 : 4041, reason);
    // After a leave the socket has nothing left to do; give the answer time to go out first.
    if (sink && reason === 'leave') setTimeout(() => sink.close(1000, 'left'), 500).unref();
    if (!this.#keepsOpen() && !keepOpen) this.#close();
  }

  /** A local participant whose session moved to another node: gone here without a word. */
  #detach(participant: Participant): void {
    if (participant.left) return;
    participant.left = true;
    this.#log.info({ user: participant.userId }, 'session moved to another node');
    this.#subscriptions.close(participant);
    this.#publishing.close(participant);
    for (const stream of participant.streams.values()) {
      for (const track of stream.tracks.values()) track.producer?.close();
    }
    this.#dirty.delete(participant);
    if (this.participants.get(participant.userId) === participant) {
      this.participants.delete(participant.userId);
    }
    participant.sink?.close(4042, 'moved to another node');
    participant.sink = null;
    this.safeEmit('participant-moved', participant);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#remote.clear();
    const media = this.#media;
    this.#media = null;
    void media?.then((router) => router.close()).catch(() => undefined);
    this.safeEmit('closed');
  }

  // ---- publishing (Publishing) ----

  publish(participant: Participant, data: ClientRequestData<'publish'>): Promise<{ sdp: string }> {
    return this.#run(() => {
      this.#assertIn(participant);
      return this.#publishing.publish(participant, data);
    });
  }

  unpublish(participant: Participant, streamType: StreamType): Promise<Record<string, never>> {
    return this.#request(participant, () => this.#publishing.unpublish(participant, streamType));
  }

  mute(participant: Participant, data: ClientRequestData<'mute'>): Promise<Record<string, never>> {
    return this.#request(participant, () => this.#publishing.mute(participant, data));
  }

  // ---- subscribing (Subscriptions) ----

  subscribe(
    participant: Participant,
    data: ClientRequestData<'subscribe'>,
  ): Promise<Record<string, never>> {
    return this.#request(participant, () => this.#subscriptions.subscribe(participant, data));
  }

  unsubscribe(
    participant: Participant,
    data: ClientRequestData<'unsubscribe'>,
  ): Promise<Record<string, never>> {
    return this.#request(participant, () => this.#subscriptions.unsubscribe(participant, data));
  }

  /** Big or small video of a (dual stream) publisher (see Subscriptions.setRemoteVideoType). */
  setRemoteVideoType(
    participant: Participant,
    data: ClientRequestData<'remote-video-type'>,
  ): Promise<Record<string, never>> {
    return this.#request(participant, () =>
      this.#subscriptions.setRemoteVideoType(participant, data),
    );
  }

  /**
   * The layer the participant gets of each dual stream video it receives, and why
   * (`video-layers`, the admin console, /metrics). Read at once: nothing waits in the queue.
   */
  videoLayers(participant: Participant): VideoLayer[] {
    this.#assertIn(participant);
    return this.#subscriptions.videoLayers(participant);
  }

  /** Subscribes to everything visible in the room (autoSubscribe at join). */
  subscribeToAll(participant: Participant): Promise<void> {
    return this.#run(async () => {
      if (participant.left) return;
      await this.#subscriptions.subscribeToAll(participant);
    });
  }

  /**
   * Restarts ICE on the participant's subscriber connection and offers it again with the new
   * credentials (the client lost its path). Nothing else changes.
   */
  restartSubscriberIce(participant: Participant): Promise<Record<string, never>> {
    return this.#request(participant, () => this.#subscriptions.restartIce(participant));
  }

  /**
   * After a resume: the client may have missed an offer while its socket was down, and its
   * media path was likely down as long (keyframes both ways, see Subscriptions).
   */
  resumed(participant: Participant): void {
    void this.#run(() => {
      if (participant.left) return;
      if (participant.subscriber) this.#dirty.add(participant);
      this.#subscriptions.requestKeyframes(participant);
    });
  }

  // ---- cluster: members of other nodes ----

  /** The members this node's clients are (not mirrors). */
  localParticipants(): Participant[] {
    return [...this.participants.values()].filter((p) => p.local && !p.left);
  }

  /** A member's state from its node: its mirror here follows (see RemoteMembers.apply). */
  applyRemote(state: MemberState): Promise<void> {
    return this.#run(async () => {
      if (!this.#closed) await this.#remote.apply(state);
    });
  }

  /** Tracks of other nodes' members that this node's clients may want and that are not here yet. */
  pendingRelays(): RelayNeed[] {
    return this.#closed ? [] : this.#remote.pendingRelays();
  }

  /**
   * Relays no local member wants now, closed here (see RemoteMembers.takeUnwantedRelays);
   * only from RoomLink.settled, at the end of an operation.
   */
  takeUnwantedRelays(): RelayNeed[] {
    return this.#remote.takeUnwantedRelays();
  }

  /**
   * Cluster: a newer session of this local member's userId exists on another node (Redis
   * refused this one's state): it ends as a second join would end it.
   */
  supersede(participant: Participant): void {
    void this.#run(async () => {
      if (participant.left || this.participants.get(participant.userId) !== participant) return;
      await this.#kick(
        participant,
        'kick',
        `user ${participant.userId} joined room ${String(this.ref.id)} from another connection`,
      );
    });
  }

  /** Closes the room if nobody entered it (its cluster link could not be made). */
  closeIfEmpty(): Promise<void> {
    return this.#run(() => {
      if (this.participants.size === 0) this.#close();
    });
  }

  /** A member of another node left: the clients here see peer-leave. */
  removeRemote(userId: string, epoch: number, reason: LeaveReason): Promise<boolean> {
    return this.#run(() => {
      const removed = this.#remote.remove(userId, epoch, reason);
      // A room only held open here (no local member) closes with its last member elsewhere.
      if (this.#holders.size > 0 && !this.#keepsOpen()) this.#close();
      return removed;
    });
  }

  /** A relay of a mirror's track is up (false: no longer wanted; the caller closes it). */
  attachRelay(
    userId: string,
    streamType: StreamType,
    kind: TrackKind,
    producer: MediaProducer,
  ): Promise<boolean> {
    return this.#run(async () => {
      if (this.#closed) return false;
      const attached = await this.#remote.attach(userId, streamType, kind, producer);
      if (attached) this.safeEmit('relay-attached', userId, streamType, kind);
      return attached;
    });
  }

  /** Asks a keyframe of a track for every local viewer that receives it (a relay just started). */
  requestKeyframes(userId: string, streamType: StreamType, kind: TrackKind): void {
    if (kind !== 'video') return;
    const key = subscriptionKey(userId, streamType);
    for (const viewer of this.participants.values()) {
      if (!viewer.local) continue;
      const consumer = viewer.subscriptions.get(key)?.consumers.get(kind);
      if (consumer && !consumer.closed) {
        consumer.requestKeyframe().catch((error: unknown) => {
          this.#log.debug({ err: error, user: viewer.userId }, 'keyframe request failed');
        });
      }
    }
  }

  /** A node of the cluster is gone: the relays of its members with it. */
  nodeLost(node: string): Promise<void> {
    return this.#run(() => this.#remote.nodeLost(node));
  }

  /**
   * A session of another node resumes here (its node died or let it go): `participant` takes
   * the mirror's place with the member's streams (to be republished) and subscriptions, and
   * nobody is told anything. Then the client republishes (`media-reset`) and gets a new
   * subscriber connection with what it subscribed to.
   */
  adopt(participant: Participant, state: MemberState): Promise<RoomSnapshot> {
    return this.#run(async () => {
      if (this.#closed) throw new RoomClosedError();
      const current = this.participants.get(participant.userId);
      if (current?.local) {
        throw ServerError.wrongState('this session is already on this node');
      }
      if (current) {
        // Its relays go; its viewers keep the streams announced until the republish.
        this.#remote.releaseOf(current);
      }
      RemoteMembers.restore(participant, state);
      this.participants.set(participant.userId, participant);
      this.#log.info({ user: participant.userId, from: state.node }, 'session adopted');
      return this.snapshotFor(participant);
    });
  }

  /** After adopt(), once the client has the snapshot: its media come back. */
  adopted(participant: Participant): void {
    void this.#run(async () => {
      if (participant.left) return;
      if (participant.streams.size > 0) {
        participant.sink?.notify('media-reset', {
          pc: 'publisher',
          reason: 'this session moved to another node',
        });
      }
      await this.#subscriptions.rebuild(participant);
    }).catch((error: unknown) =>
      this.#log.warn({ err: error, user: participant.userId }, 'restoring an adopted session'),
    );
  }

  /**
   * Another node takes this local session over (its client resumed there): gone from here
   * silently. False when no such session (or a newer one) is here.
   */
  release(userId: string, epoch: number): Promise<boolean> {
    return this.#run(() => {
      const participant = this.participants.get(userId);
      if (!participant?.local || participant.epoch > epoch) return false;
      this.#detach(participant);
      if (!this.#keepsOpen()) this.#close();
      return true;
    });
  }

  // ---- recovery ----

  /** A media worker died: rebuild what was on it; clients reconnect without re-joining. */
  async #recover(lost: { transportIds: string[]; producerIds: string[] }): Promise<void> {
    const transports = new Set(lost.transportIds);
    const producers = new Set(lost.producerIds);
    this.#log.warn(
      { transports: transports.size, producers: producers.size },
      'rebuilding media after a lost worker',
    );
    for (const participant of this.participants.values()) {
      this.#publishing.producersLost(participant, producers);
      const publisher = participant.publisher;
      if (publisher && transports.has(publisher.id)) {
        this.#publishing.resetPublisher(participant, publisher, 'its media worker was lost');
      }
    }
    for (const participant of [...this.participants.values()]) {
      const subscriber = participant.subscriber;
      if (subscriber && transports.has(subscriber.id))
        await this.#subscriptions.resetSubscriber(participant, subscriber);
    }
  }

  // ---- room permissions ----

  /**
   * Applies new privateMapKey privileges at once, both ways: own tracks whose send bit is gone
   * are withheld (the others lose them; the sender is told why), those whose bit came back
   * return; streams of the others are announced, forwarded or taken away as the receive bits
   * now allow.
   */
  updatePrivilege(participant: Participant, privilege: number): Promise<Record<string, never>> {
    return this.#request(participant, async () => {
      const previous = participant.privilege;
      participant.privilege = privilege;
      await this.#publishing.applySendRights(participant);
      for (const other of [...this.participants.values()]) {
        if (other === participant) continue;
        for (const type of [...other.streams.keys()]) {
          await this.#subscriptions.syncViewer(participant, other, type);
        }
      }
      this.#log.info({ user: participant.userId, privilege, previous }, 'privileges updated');
    });
  }

  // ---- live mode roles ----

  /**
   * Anchor ↔ audience (live mode). To audience: the streams are unpublished (the others get
   * stream-removed while the user is still visible), then peer-leave. To anchor: peer-join,
   * and stream-added for anything published meanwhile.
   */
  switchRole(participant: Participant, role: Role): Promise<Record<string, never>> {
    return this.#request(participant, async () => {
      if (participant.mode !== 'live')
        throw ServerError.wrongState('switchRole is only available in live mode');
      const previous = participant.role;
      if (previous === role) return;
      const { userId } = participant;
      if (role === 'audience') {
        this.#publishing.removeAll(participant);
        participant.role = 'audience';
        this.broadcast('peer-leave', { userId, reason: 'leave' }, participant);
      } else {
        participant.role = 'anchor';
        this.broadcast('peer-join', { userId, role }, participant);
        for (const type of [...participant.streams.keys()]) {
          await this.#subscriptions.refreshViewers(participant, type);
        }
      }
      this.#log.info({ user: userId, role, previous }, 'role switched');
      this.safeEmit('role-changed', participant, previous);
    });
  }

  // ---- helpers ----

  #assertIn(participant: Participant): void {
    if (participant.left || this.participants.get(participant.userId) !== participant) {
      throw ServerError.wrongState('this session has ended');
    }
  }

  /** Sends a notification to every connected participant except `except`. */
  broadcast<K extends ServerNotificationMethod>(
    method: K,
    data: ServerNotificationData<K>,
    except?: Participant,
  ): void {
    for (const participant of this.participants.values()) {
      if (participant !== except) participant.sink?.notify(method, data);
    }
  }

  /**
   * The others as a joining (or resuming) participant may see them: audience members stay
   * hidden, streams show only what it may receive. What it is told is noted as announced.
   */
  snapshotFor(viewer: Participant): RoomSnapshot {
    viewer.announced.clear();
    const participants = [...this.participants.values()]
      .filter((p) => p !== viewer && p.visible)
      .map((p) => {
        const info = p.info(viewer);
        for (const stream of info.streams) {
          viewer.announced.set(subscriptionKey(p.userId, stream.streamType), stream);
        }
        return info;
      });
    return { participants };
  }

  /** Sends a notification to each participant told of a video track of `publisher` (SEI). */
  notifyVideoViewers<K extends ServerNotificationMethod>(
    publisher: Participant,
    method: K,
    data: ServerNotificationData<K>,
  ): void {
    for (const viewer of this.participants.values()) {
      if (viewer === publisher) continue;
      const seesVideo = (['main', 'auxiliary'] as const).some(
        (type) => viewer.announced.get(subscriptionKey(publisher.userId, type))?.hasVideo,
      );
      if (seesVideo) viewer.sink?.notify(method, data);
    }
  }

  /** Sends an SEI message to those that may see the sender's video, here and (event) beyond. */
  sendSei(sender: Participant, message: ServerNotificationData<'sei-message'>): void {
    this.notifyVideoViewers(sender, 'sei-message', message);
    if (sender.local) this.safeEmit('sei', sender, message);
  }

  /** Sends a custom message to everyone else in the room, here and (event) beyond. */
  sendCustomMessage(sender: Participant, message: ServerNotificationData<'custom-message'>): void {
    this.broadcast('custom-message', message, sender);
    if (sender.local) this.safeEmit('custom-message', sender, message);
  }

  /** The video producer SEI rides with (main first). */
  videoProducerOf(participant: Participant): MediaProducer | null {
    return (
      participant.streams.get('main')?.tracks.get('video')?.producer ??
      participant.streams.get('auxiliary')?.tracks.get('video')?.producer ??
      null
    );
  }

  /** Per published track: who receives it and how much was forwarded (metrics, tests). */
  async sourceStats(): Promise<SourceStats[]> {
    const result: SourceStats[] = [];
    for (const publisher of this.participants.values()) {
      for (const stream of publisher.streams.values()) {
        for (const [kind, track] of stream.tracks) {
          const key = subscriptionKey(publisher.userId, stream.type);
          const consumers = [...this.participants.values()].flatMap((p) => {
            const consumer = p.subscriptions.get(key)?.consumers.get(kind);
            return consumer && !consumer.closed ? [consumer] : [];
          });
          const sent = await Promise.all(consumers.map((c) => c.stats().catch(() => null)));
          result.push({
            userId: publisher.userId,
            streamType: stream.type,
            kind,
            muted: track.muted,
            sinks: consumers.length,
            forwardedPackets: sent.reduce((sum, s) => sum + (s?.packets ?? 0), 0),
            received: track.producer ? await track.producer.stats().catch(() => null) : null,
          });
        }
      }
    }
    return result;
  }
}
