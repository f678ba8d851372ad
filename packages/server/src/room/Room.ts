/**
 * A room: the participants of one (sdkAppId, roomId) and the media router that carries their
 * media. The room is a serialized actor: every change (join, publish, subscribe, mute, role,
 * leave, kick, recovery after a lost media worker) runs through `#run`, one at a time, so the
 * room's invariants never see two half-done operations. Nothing in the queue waits for a
 * client: renegotiations of subscriber connections run beside it (SubscriberTransport folds
 * changes made meanwhile into its next offer) and engine calls are time-limited.
 *
 * Emits room events that other parts (REST callbacks, metrics) hook without touching signaling.
 */
import {
  ErrorCode,
  ROOM_LIMIT_REACHED,
  ROOM_PERMISSION_DENIED,
  roomKey,
  type ClientRequestData,
  type RemoteVideoType,
  type Role,
  type RoomRef,
  type RoomSnapshot,
  type ServerNotificationData,
  type ServerNotificationMethod,
  type StreamInfo,
  type StreamType,
  type TrackKind,
} from '@parley/protocol';
import type { Logger } from 'pino';
import type {
  MediaConsumer,
  MediaEngine,
  MediaProducer,
  MediaRouter,
  MediaTransport,
} from '../media/MediaEngine.js';
import type { RtpStreamStats } from '../media/types.js';
import { PublishOffer, SdpError } from '../sdp/PublishOffer.js';
import { ServerError } from '../ServerError.js';
import { SubscriberTransport } from '../transport/SubscriberTransport.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import {
  subscriptionKey,
  type Participant,
  type PublishedStream,
  type Subscription,
} from './Participant.js';
import { DEFAULT_LAYER_HOLD, LayerHold } from './LayerHold.js';
import { privilegeName, sendBit } from './privileges.js';

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

const KINDS: readonly TrackKind[] = ['audio', 'video'];

/** Simulcast layer ceiling for v4's stream type: the small stream is layer 0 (smallest first). */
function preferredLayers(type: RemoteVideoType, layers: number): { spatial: number } {
  return { spatial: type === 'small' ? 0 : Math.max(0, layers - 1) };
}

const sameInfo = (a: StreamInfo, b: StreamInfo): boolean =>
  a.hasAudio === b.hasAudio &&
  a.hasVideo === b.hasVideo &&
  a.audioMuted === b.audioMuted &&
  a.videoMuted === b.videoMuted &&
  a.hasSmall === b.hasSmall;
/** Media sections a publish offer may carry (main + auxiliary, audio + video, and spares). */
const MAX_PUBLISH_SECTIONS = 8;

export class Room extends SafeEmitter<RoomEvents> {
  readonly key: string;
  readonly participants = new Map<string, Participant>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #media: Promise<MediaRouter> | null = null;
  /** Subscriber connections to renegotiate when the current operation ends. */
  readonly #dirty = new Set<Participant>();
  /** Simulcast video consumers' layer holds (see LayerHold); gone with their consumer. */
  readonly #layerHolds = new WeakMap<MediaConsumer, LayerHold>();
  readonly #log: Logger;

  constructor(
    readonly sdkAppId: number,
    readonly ref: RoomRef,
    private readonly engine: MediaEngine,
    log: Logger,
    private readonly limits: RoomLimits = NO_LIMITS,
  ) {
    super();
    this.key = roomKey(sdkAppId, ref);
    this.#log = log.child({ room: this.key });
  }

  get closed(): boolean {
    return this.#closed;
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
      }
    });
    this.#queue = result.catch(() => undefined);
    return result;
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
      // The room stays open even if that one was alone in it: its replacement enters now.
      if (existing) await this.#kick(existing, 'kick', kickMessage, true);
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
    for (const stream of [...participant.streams.values()]) this.#removeStream(participant, stream);
    for (const sub of participant.subscriptions.values()) {
      for (const consumer of sub.consumers.values()) consumer.close();
    }
    participant.subscriptions.clear();
    participant.subscriber?.close();
    participant.subscriber = null;
    participant.publisher?.close();
    participant.publisher = null;
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
    if (this.participants.size === 0 && !keepOpen) this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const media = this.#media;
    this.#media = null;
    void media?.then((router) => router.close()).catch(() => undefined);
    this.safeEmit('closed');
  }

  // ---- publishing ----

  publish(participant: Participant, data: ClientRequestData<'publish'>): Promise<{ sdp: string }> {
    return this.#run(async () => {
      this.#assertIn(participant);
      if (participant.role === 'audience') {
        throw ServerError.wrongState(
          'an audience member cannot publish; switchRole("anchor") first',
        );
      }
      const mids = new Set(data.tracks.map((t) => t.mid));
      if (mids.size !== data.tracks.length) throw ServerError.invalid('publish lists a mid twice');
      this.#checkSendRights(participant, data.tracks);
      this.#checkPublisherLimit(participant);
      if (!/^v=0\r?\n/.test(data.sdp) || !/\r?\nm=(audio|video) /.test(data.sdp)) {
        throw ServerError.invalid('publish sdp is not an SDP offer with audio or video sections');
      }
      const sections = data.sdp.match(/\r?\nm=/g)?.length ?? 0;
      if (sections > MAX_PUBLISH_SECTIONS) {
        throw ServerError.invalid(
          `publish sdp has ${sections} media sections; at most ${MAX_PUBLISH_SECTIONS} are accepted`,
        );
      }
      const media = await this.#media_();
      let offer: PublishOffer;
      try {
        offer = new PublishOffer(data.sdp, media.rtpCapabilities.codecs);
      } catch (error) {
        if (error instanceof SdpError)
          throw ServerError.invalid(`publish offer refused: ${error.message}`);
        throw error;
      }
      const existing = participant.publisher;
      const transport = existing ?? (await this.#createPublisher(participant, media));
      this.#assertIn(participant);
      // The client restarts ICE (its path changed or failed): new server credentials too.
      if (data.iceRestart && existing) await transport.restartIce();
      await transport.connect(offer.dtlsParameters);
      const changed = await this.#applyTrackMap(participant, transport, data.tracks, offer);
      if (participant.streams.size === 0) {
        this.#closePublisher(participant);
        throw ServerError.invalid(
          `the offer carries none of the declared tracks (mids ${[...mids].join(', ')})`,
        );
      }
      const accepted = new Set<string>();
      for (const stream of participant.streams.values()) {
        for (const track of stream.tracks.values()) accepted.add(track.mid);
      }
      const answer = offer.answer(transport, accepted, ++participant.publishVersion);
      for (const [streamType, change] of changed) {
        const info = participant.streamInfo(streamType);
        if (!info) continue;
        const isNew = change === 'added';
        this.#log.info({ stream: info }, isNew ? 'stream published' : 'stream updated');
        if (change !== 'restored')
          this.safeEmit(isNew ? 'stream-published' : 'stream-updated', info);
        await this.#refreshViewers(participant, streamType, change === 'updated');
      }
      return { sdp: answer };
    });
  }

  /**
   * Refuses a publish that adds a track its privateMapKey does not let it send. Tracks already
   * published keep their place in the map (a key that withdrew the bit withheld them instead).
   */
  #checkSendRights(
    participant: Participant,
    declared: ClientRequestData<'publish'>['tracks'],
  ): void {
    for (const entry of declared) {
      if (participant.canSend(entry.streamType, entry.kind)) continue;
      const current = participant.streams.get(entry.streamType)?.tracks.get(entry.kind);
      if (current && (current.mid === entry.mid || current.producer === null)) continue;
      throw new ServerError(
        ErrorCode.INVALID_OPERATION,
        `the privateMapKey does not grant ${privilegeName(sendBit(entry.streamType, entry.kind))}: cannot publish a ${entry.streamType} ${entry.kind} track (privilege ${participant.privilege})`,
        ROOM_PERMISSION_DENIED,
      );
    }
  }

  /** Refuses the first publish of a member when the room has its fill of publishers. */
  #checkPublisherLimit(participant: Participant): void {
    if (participant.streams.size > 0) return;
    const { maxPublishersPerRoom } = this.limits;
    let publishers = 0;
    for (const p of this.participants.values()) if (p.streams.size > 0) publishers++;
    if (publishers >= maxPublishersPerRoom) {
      throw new ServerError(
        ErrorCode.INVALID_OPERATION,
        `room ${String(this.ref.id)} has ${publishers} members publishing, the limit of this server (PARLEY_MAX_PUBLISHERS_PER_ROOM) is ${maxPublishersPerRoom}; publish when one stops`,
        ROOM_LIMIT_REACHED,
      );
    }
  }

  /**
   * Restarts ICE on the participant's subscriber connection and offers it again with the new
   * credentials (the client lost its path). Nothing else changes.
   */
  restartSubscriberIce(participant: Participant): Promise<Record<string, never>> {
    return this.#run(async () => {
      this.#assertIn(participant);
      const subscriber = participant.subscriber;
      if (!subscriber || subscriber.closed) {
        throw ServerError.wrongState('there is no subscriber connection to restart');
      }
      await subscriber.transport.restartIce();
      this.#log.info({ user: participant.userId }, 'subscriber ICE restarted');
      this.#dirty.add(participant);
      return {};
    });
  }

  async #createPublisher(participant: Participant, media: MediaRouter): Promise<MediaTransport> {
    const transport = await media.createTransport('publisher');
    if (participant.left) {
      transport.close();
      throw ServerError.wrongState('this session has ended');
    }
    participant.publisher = transport;
    transport.on('statechange', (state) => {
      this.#log.debug({ user: participant.userId, state }, 'publisher transport state');
      if (state === 'failed') {
        void this.#run(() => this.#resetPublisher(participant, transport, 'its connection failed'));
      }
    });
    return transport;
  }

  /**
   * Makes the published streams match a publish request's track map: offered m-lines the map
   * lists that are new become producers (replacing a stream's previous track of that kind),
   * tracks whose mid the map no longer lists are removed (LocalStream.removeTrack, or the
   * m-lines of an unpublished stream), and the mute flags of the others follow the map.
   */
  async #applyTrackMap(
    participant: Participant,
    transport: MediaTransport,
    declared: ClientRequestData<'publish'>['tracks'],
    offer: PublishOffer,
  ): Promise<Map<StreamType, 'added' | 'updated' | 'restored'>> {
    const changed = new Map<StreamType, 'added' | 'updated' | 'restored'>();
    const mark = (type: StreamType, change: 'added' | 'updated' | 'restored'): void => {
      const previous = changed.get(type);
      if (previous === 'added' || (previous === 'updated' && change === 'restored')) return;
      changed.set(type, change);
    };
    // Tracks the map dropped or moved, first (their producers go before new ones come).
    for (const stream of [...participant.streams.values()]) {
      for (const [kind, track] of [...stream.tracks]) {
        if (track.producer === null) {
          // Being restored on a new connection: its mid there may differ.
          const restored = declared.find((t) => t.streamType === stream.type && t.kind === kind);
          if (restored) track.mid = restored.mid;
        }
        const entry = declared.find((t) => t.mid === track.mid);
        const stillOffered =
          track.producer === null || offer.tracks.some((t) => t.mid === track.mid);
        if (!entry || entry.kind !== kind || entry.streamType !== stream.type || !stillOffered) {
          this.#closeTrack(participant, stream, kind);
          mark(stream.type, 'updated');
        }
      }
      if (stream.tracks.size === 0) {
        this.#removeStream(participant, stream);
        changed.delete(stream.type);
      }
    }
    for (const offered of offer.tracks) {
      const entry = declared.find((t) => t.mid === offered.mid);
      if (!entry || entry.kind !== offered.kind) continue;
      let stream = participant.streams.get(entry.streamType);
      const current = stream?.tracks.get(offered.kind);
      if (current && current.mid === offered.mid && current.producer) {
        if (current.muted !== entry.muted) {
          current.muted = entry.muted;
          await (entry.muted ? current.producer.pause() : current.producer.resume());
          mark(entry.streamType, 'updated');
        }
        continue;
      }
      const producer = await transport.produce({
        kind: offered.kind,
        rtpParameters: offered.rtpParameters,
        paused: entry.muted,
      });
      if (!stream) {
        stream = { type: entry.streamType, tracks: new Map() };
        participant.streams.set(entry.streamType, stream);
        mark(entry.streamType, 'added');
      } else if (current && current.producer === null && current.muted === entry.muted) {
        // Restored after a lost media worker: the others saw no change.
        mark(entry.streamType, 'restored');
      } else {
        mark(entry.streamType, 'updated');
      }
      if (current) this.#closeTrack(participant, stream, offered.kind);
      stream.tracks.set(offered.kind, {
        mid: offered.mid,
        muted: entry.muted,
        producer,
        layers: offered.rtpParameters.encodings.length,
        // Only a track restored after a lost worker can lack its bit (see #checkSendRights).
        withheld: !participant.canSend(entry.streamType, offered.kind),
      });
    }
    return changed;
  }

  /** Closes one published track and the consumers fed by it. */
  #closeTrack(participant: Participant, stream: PublishedStream, kind: TrackKind): void {
    const track = stream.tracks.get(kind);
    if (!track) return;
    stream.tracks.delete(kind);
    track.producer?.close();
    this.#dropConsumers(participant.userId, stream.type, [kind]);
  }

  /** Removes the consumers of a publisher's stream from every subscriber. */
  #dropConsumers(userId: string, streamType: StreamType, kinds: readonly TrackKind[]): void {
    const key = subscriptionKey(userId, streamType);
    for (const other of this.participants.values()) {
      const sub = other.subscriptions.get(key);
      if (sub) this.#dropSubscriptionConsumers(other, sub, kinds);
    }
  }

  #dropSubscriptionConsumers(
    participant: Participant,
    sub: Subscription,
    kinds: readonly TrackKind[],
  ): void {
    for (const kind of kinds) {
      const consumer = sub.consumers.get(kind);
      if (!consumer) continue;
      sub.consumers.delete(kind);
      if (participant.subscriber?.remove(consumer)) this.#dirty.add(participant);
      else consumer.close();
    }
  }

  unpublish(participant: Participant, streamType: StreamType): Promise<Record<string, never>> {
    return this.#run(() => {
      this.#assertIn(participant);
      const stream = participant.streams.get(streamType);
      if (!stream) throw ServerError.wrongState(`no ${streamType} stream is published`);
      this.#removeStream(participant, stream);
      return {};
    });
  }

  #removeStream(participant: Participant, stream: PublishedStream): void {
    for (const kind of [...stream.tracks.keys()]) this.#closeTrack(participant, stream, kind);
    participant.streams.delete(stream.type);
    const key = subscriptionKey(participant.userId, stream.type);
    for (const other of this.participants.values()) {
      other.subscriptions.delete(key);
      // Those told of it, only: others never knew it (their privileges hid it).
      if (other.announced.delete(key)) {
        other.sink?.notify('stream-removed', {
          userId: participant.userId,
          streamType: stream.type,
        });
      }
    }
    this.safeEmit('stream-unpublished', participant.userId, stream.type);
    this.#log.info({ user: participant.userId, streamType: stream.type }, 'stream unpublished');
    if (participant.streams.size === 0) this.#closePublisher(participant);
  }

  #closePublisher(participant: Participant): void {
    participant.publisher?.close();
    participant.publisher = null;
  }

  mute(participant: Participant, data: ClientRequestData<'mute'>): Promise<Record<string, never>> {
    return this.#run(async () => {
      this.#assertIn(participant);
      const track = participant.streams.get(data.streamType)?.tracks.get(data.kind);
      if (!track) {
        throw ServerError.wrongState(`no published ${data.streamType} ${data.kind} track to mute`);
      }
      if (track.muted === data.muted) return {};
      track.muted = data.muted;
      // The client stops sending too; pausing here also holds for one that does not.
      if (track.producer) await (data.muted ? track.producer.pause() : track.producer.resume());
      const info = participant.streamInfo(data.streamType);
      if (info) this.safeEmit('stream-updated', info);
      await this.#refreshViewers(participant, data.streamType);
      return {};
    });
  }

  /**
   * Another member's stream as `viewer` may see it: a stream it may receive nothing of does
   * not exist for it. Throws INVALID_PARAMETER (`self`) for its own, REMOTE_STREAM_NOT_EXIST
   * for what it cannot see.
   */
  #streamFor(viewer: Participant, userId: string, streamType: StreamType, self: string) {
    const target = this.participants.get(userId);
    if (target === viewer) throw ServerError.invalid(self);
    const visible = target?.visible && target.viewFor(viewer, streamType) !== null;
    const stream = visible ? target.streams.get(streamType) : undefined;
    if (!target || !stream) {
      throw new ServerError(
        ErrorCode.REMOTE_STREAM_NOT_EXIST,
        `user ${userId} publishes no ${streamType} stream in this room`,
      );
    }
    return stream;
  }

  // ---- subscribing ----

  subscribe(
    participant: Participant,
    data: ClientRequestData<'subscribe'>,
  ): Promise<Record<string, never>> {
    return this.#run(async () => {
      this.#assertIn(participant);
      const stream = this.#streamFor(
        participant,
        data.userId,
        data.streamType,
        'cannot subscribe to your own stream',
      );
      const sub = this.#subscription(participant, data.userId, data.streamType);
      sub.audio = data.audio;
      sub.video = data.video;
      await this.#syncSubscription(participant, sub, stream);
      return {};
    });
  }

  unsubscribe(
    participant: Participant,
    data: ClientRequestData<'unsubscribe'>,
  ): Promise<Record<string, never>> {
    return this.#run(() => {
      this.#assertIn(participant);
      const key = subscriptionKey(data.userId, data.streamType);
      const sub = participant.subscriptions.get(key);
      if (!sub) {
        // Unsubscribing from a stream it knows but no longer receives is harmless; naming one
        // it was never told of (another room's, a made-up one) is refused.
        if (participant.announced.has(key)) return {};
        throw new ServerError(
          ErrorCode.REMOTE_STREAM_NOT_EXIST,
          `user ${data.userId} publishes no ${data.streamType} stream in this room`,
        );
      }
      participant.subscriptions.delete(key);
      this.#dropSubscriptionConsumers(participant, sub, KINDS);
      return {};
    });
  }

  /**
   * Big or small video of a (dual stream) publisher. Kept for the subscription, also before it
   * exists (v4 lets apps choose before subscribe()); a publisher without a small stream is
   * sent its only one whatever is asked.
   */
  setRemoteVideoType(
    participant: Participant,
    data: ClientRequestData<'remote-video-type'>,
  ): Promise<Record<string, never>> {
    return this.#run(async () => {
      this.#assertIn(participant);
      const stream = this.#streamFor(
        participant,
        data.userId,
        data.streamType,
        'cannot choose your own stream',
      );
      const key = subscriptionKey(data.userId, data.streamType);
      participant.videoTypes.set(key, data.type);
      const consumer = participant.subscriptions.get(key)?.consumers.get('video');
      const track = stream.tracks.get('video');
      if (consumer && !consumer.closed && track) {
        const layers = preferredLayers(data.type, track.layers);
        const hold = this.#layerHolds.get(consumer);
        await (hold ? hold.setCeiling(layers.spatial) : consumer.setPreferredLayers(layers));
      }
      this.#log.debug({ user: participant.userId, key, type: data.type }, 'remote video type');
      return {};
    });
  }

  /** Subscribes to everything visible in the room (autoSubscribe at join). */
  subscribeToAll(participant: Participant): Promise<void> {
    return this.#run(async () => {
      if (participant.left) return;
      for (const other of this.participants.values()) {
        if (other === participant || !other.visible) continue;
        for (const stream of other.streams.values()) {
          if (other.viewFor(participant, stream.type) === null) continue;
          const sub = this.#subscription(participant, other.userId, stream.type);
          await this.#syncSubscription(participant, sub, stream);
        }
      }
    });
  }

  #subscription(participant: Participant, userId: string, streamType: StreamType): Subscription {
    const key = subscriptionKey(userId, streamType);
    let sub = participant.subscriptions.get(key);
    if (!sub) {
      sub = { userId, streamType, audio: true, video: true, consumers: new Map() };
      participant.subscriptions.set(key, sub);
    }
    return sub;
  }

  /**
   * After a stream of a publisher was added or changed: bring every other participant's view
   * of it and subscription to it up to date. `force`: tell them stream-updated even when their
   * view did not change (a track was replaced).
   */
  async #refreshViewers(
    publisher: Participant,
    streamType: StreamType,
    force = false,
  ): Promise<void> {
    for (const viewer of [...this.participants.values()]) {
      if (viewer === publisher || viewer.left) continue;
      await this.#syncViewer(viewer, publisher, streamType, force);
    }
  }

  /**
   * Makes what `viewer` was told of one stream match what it may now know (its privileges,
   * the publisher's withheld tracks and role): stream-added, -updated or -removed as needed,
   * a subscription dropped with the stream or made for it (autoSubscribe), and its consumers.
   */
  async #syncViewer(
    viewer: Participant,
    publisher: Participant,
    streamType: StreamType,
    force = false,
  ): Promise<void> {
    const key = subscriptionKey(publisher.userId, streamType);
    const view = publisher.visible ? publisher.viewFor(viewer, streamType) : null;
    const before = viewer.announced.get(key);
    if (view === null) {
      if (before) {
        viewer.announced.delete(key);
        viewer.sink?.notify('stream-removed', { userId: publisher.userId, streamType });
      }
      const sub = viewer.subscriptions.get(key);
      if (sub) {
        viewer.subscriptions.delete(key);
        this.#dropSubscriptionConsumers(viewer, sub, KINDS);
      }
      return;
    }
    viewer.announced.set(key, view);
    if (!before) viewer.sink?.notify('stream-added', { stream: view });
    else if (force || !sameInfo(before, view))
      viewer.sink?.notify('stream-updated', { stream: view });
    let sub = viewer.subscriptions.get(key);
    if (!sub && !before && viewer.autoSubscribe) {
      sub = this.#subscription(viewer, publisher.userId, streamType);
    }
    const stream = publisher.streams.get(streamType);
    if (!sub || !stream) return;
    try {
      await this.#syncSubscription(viewer, sub, stream);
    } catch (error) {
      this.#log.warn({ err: error, user: viewer.userId }, 'subscription update failed');
    }
  }

  /** Makes the consumers of a subscription match what it asks for and what is published. */
  async #syncSubscription(
    participant: Participant,
    sub: Subscription,
    stream: PublishedStream,
  ): Promise<void> {
    for (const kind of KINDS) {
      const track = stream.tracks.get(kind);
      const producer = track?.producer ?? null;
      // Nothing is forwarded of a withheld track, nor of a kind the subscriber may not receive.
      const wanted =
        producer !== null &&
        !track!.withheld &&
        participant.canReceive(sub.streamType, kind) &&
        (kind === 'audio' ? sub.audio : sub.video);
      const current = sub.consumers.get(kind);
      if (current && (!wanted || current.producerId !== producer?.id || current.closed)) {
        this.#dropSubscriptionConsumers(participant, sub, [kind]);
      }
      if (!wanted || !producer || sub.consumers.has(kind)) continue;
      const subscriber = await this.#ensureSubscriber(participant);
      const media = await this.#media_();
      const consumer = await subscriber.transport.consume({
        producerId: producer.id,
        rtpCapabilities: media.rtpCapabilities,
        paused: true,
      });
      const layers = stream.tracks.get(kind)?.layers ?? 1;
      const type = participant.videoTypes.get(subscriptionKey(sub.userId, sub.streamType));
      // The engine sends the best layer up to this one that the downlink carries (BWE).
      if (kind === 'video' && layers > 1) {
        const ceiling = preferredLayers(type ?? 'big', layers);
        if (type === 'small') await consumer.setPreferredLayers(ceiling);
        this.#layerHolds.set(
          consumer,
          new LayerHold(consumer, ceiling.spatial, {
            ...DEFAULT_LAYER_HOLD,
            onError: (error) => this.#log.warn({ err: error }, 'layer hold'),
          }),
        );
      }
      sub.consumers.set(kind, consumer);
      subscriber.add(consumer, { kind, userId: sub.userId, streamType: sub.streamType });
      this.#dirty.add(participant);
    }
  }

  async #ensureSubscriber(
    participant: Participant,
    replacing = false,
  ): Promise<SubscriberTransport> {
    this.#assertIn(participant);
    if (participant.subscriber) return participant.subscriber;
    const media = await this.#media_();
    const subscriber = await SubscriberTransport.create(
      media,
      participant.sessionId,
      async (offer) => {
        const sink = participant.sink;
        if (!sink) throw new Error('no signal connection to send the offer on');
        return (await sink.request('offer', offer)).sdp;
      },
      replacing,
    );
    if (participant.left) {
      subscriber.close();
      throw ServerError.wrongState('this session has ended');
    }
    participant.subscriber = subscriber;
    subscriber.transport.on('statechange', (state) => {
      this.#log.debug({ user: participant.userId, state }, 'subscriber transport state');
      if (state === 'failed') {
        void this.#run(() => this.#resetSubscriber(participant, subscriber));
      }
    });
    return subscriber;
  }

  /** After a resume: the client may have missed an offer while its socket was down. */
  resumed(participant: Participant): void {
    void this.#run(() => {
      if (participant.subscriber) this.#dirty.add(participant);
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
      for (const stream of participant.streams.values()) {
        for (const [kind, track] of stream.tracks) {
          if (track.producer && producers.has(track.producer.id)) {
            track.producer = null;
            this.#dropConsumers(participant.userId, stream.type, [kind]);
          }
        }
      }
      const publisher = participant.publisher;
      if (publisher && transports.has(publisher.id)) {
        await this.#resetPublisher(participant, publisher, 'its media worker was lost');
      }
    }
    for (const participant of [...this.participants.values()]) {
      const subscriber = participant.subscriber;
      if (subscriber && transports.has(subscriber.id))
        await this.#resetSubscriber(participant, subscriber);
    }
  }

  /** The publisher connection is gone: its producers with it; the client publishes again. */
  async #resetPublisher(
    participant: Participant,
    transport: MediaTransport,
    why: string,
  ): Promise<void> {
    if (participant.publisher !== transport || participant.left) return;
    participant.publisher = null;
    transport.close();
    for (const stream of participant.streams.values()) {
      for (const [kind, track] of stream.tracks) {
        if (!track.producer) continue;
        track.producer.close();
        track.producer = null;
        this.#dropConsumers(participant.userId, stream.type, [kind]);
      }
    }
    this.#log.warn({ user: participant.userId, why }, 'publisher connection reset');
    participant.sink?.notify('media-reset', { pc: 'publisher', reason: why });
  }

  /** The subscriber connection is gone: a new one carries the same subscriptions. */
  async #resetSubscriber(participant: Participant, subscriber: SubscriberTransport): Promise<void> {
    if (participant.subscriber !== subscriber || participant.left) return;
    participant.subscriber = null;
    subscriber.close();
    for (const sub of participant.subscriptions.values()) sub.consumers.clear();
    await this.#ensureSubscriber(participant, true);
    for (const sub of participant.subscriptions.values()) {
      const stream = this.participants.get(sub.userId)?.streams.get(sub.streamType);
      if (stream) await this.#syncSubscription(participant, sub, stream);
    }
    this.#dirty.add(participant);
  }

  // ---- room permissions ----

  /**
   * Applies new privateMapKey privileges at once, both ways: own tracks whose send bit is gone
   * are withheld (the others lose them; the sender is told why), those whose bit came back
   * return; streams of the others are announced, forwarded or taken away as the receive bits
   * now allow.
   */
  updatePrivilege(participant: Participant, privilege: number): Promise<Record<string, never>> {
    return this.#run(async () => {
      this.#assertIn(participant);
      const previous = participant.privilege;
      participant.privilege = privilege;
      for (const stream of [...participant.streams.values()]) {
        let changed = false;
        for (const [kind, track] of stream.tracks) {
          const withheld = !participant.canSend(stream.type, kind);
          if (withheld === track.withheld) continue;
          track.withheld = withheld;
          changed = true;
          if (withheld) {
            participant.sink?.notify('error', {
              code: ErrorCode.INVALID_OPERATION,
              extraCode: ROOM_PERMISSION_DENIED,
              message: `the new privateMapKey does not grant ${privilegeName(sendBit(stream.type, kind))}: your ${stream.type} ${kind} track is no longer forwarded to anyone`,
            });
          }
        }
        if (changed) await this.#refreshViewers(participant, stream.type);
      }
      for (const other of [...this.participants.values()]) {
        if (other === participant) continue;
        for (const type of [...other.streams.keys()]) {
          await this.#syncViewer(participant, other, type);
        }
      }
      this.#log.info({ user: participant.userId, privilege, previous }, 'privileges updated');
      return {};
    });
  }

  // ---- live mode roles ----

  /**
   * Anchor ↔ audience (live mode). To audience: the streams are unpublished (the others get
   * stream-removed while the user is still visible), then peer-leave. To anchor: peer-join,
   * and stream-added for anything published meanwhile.
   */
  switchRole(participant: Participant, role: Role): Promise<Record<string, never>> {
    return this.#run(async () => {
      this.#assertIn(participant);
      if (participant.mode !== 'live')
        throw ServerError.wrongState('switchRole is only available in live mode');
      const previous = participant.role;
      if (previous === role) return {};
      const { userId } = participant;
      if (role === 'audience') {
        for (const stream of [...participant.streams.values()])
          this.#removeStream(participant, stream);
        participant.role = 'audience';
        this.broadcast('peer-leave', { userId, reason: 'leave' }, participant);
      } else {
        participant.role = 'anchor';
        this.broadcast('peer-join', { userId, role }, participant);
        for (const type of [...participant.streams.keys()]) {
          await this.#refreshViewers(participant, type);
        }
      }
      this.#log.info({ user: userId, role, previous }, 'role switched');
      this.safeEmit('role-changed', participant, previous);
      return {};
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
