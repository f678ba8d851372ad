/**
 * Drives one participant: answers its requests (publish, subscribe, mute, leave) by changing
 * the room, the router and its transports, and tells the others. Survives socket drops: a new
 * SignalConnection can be attached by `resume` until the session times out.
 */
import {
  ErrorCode,
  type ClientNotificationData,
  type ClientNotificationMethod,
  type ClientRequestData,
  type ClientRequestMethod,
  type ClientRequestResult,
  type IceCandidateInit,
  type PeerConnectionName,
  type Role,
  type StreamType,
  type SubscribedTrack,
  type TrackKind,
} from '@parley/protocol';
import type { Logger } from 'pino';
import type { IncomingTrack, MediaEngine, TransportState } from '../media/MediaEngine.js';
import { ServerError } from '../signal/ServerError.js';
import type { SignalConnection } from '../signal/SignalConnection.js';
import { SubscriberTransport } from '../transport/SubscriberTransport.js';
import {
  Participant,
  subscriptionKey,
  type PublishedStream,
  type Subscription,
} from './Participant.js';
import type { LeaveReason, Room } from './Room.js';
import type { RoomManager } from './RoomManager.js';
import { SeiRelay } from './SeiRelay.js';

/** Where sessions register the ids the media engine reports events by. */
export interface SessionRegistry {
  registerTransport(transportId: string, session: Session): void;
  unregisterTransport(transportId: string): void;
  registerSink(sinkId: string, session: Session): void;
  unregisterSink(sinkId: string): void;
  sessionClosed(session: Session): void;
}

export interface SessionDeps {
  engine: MediaEngine;
  rooms: RoomManager;
  registry: SessionRegistry;
  log: Logger;
}

const KINDS: readonly TrackKind[] = ['audio', 'video'];
/** Media sections a publish offer may carry (main + auxiliary, audio + video, and spares). */
const MAX_PUBLISH_SECTIONS = 8;

export class Session {
  #closed = false;
  #publisherCount = 0;
  /** State-changing work of this session, one at a time (requests and updates from others). */
  #queue: Promise<unknown> = Promise.resolve();
  /** The subscriber transport being created, so concurrent callers share it. */
  #subscriberCreation: Promise<SubscriberTransport> | null = null;
  readonly #log: Logger;
  readonly #sei = new SeiRelay();

  constructor(
    private readonly deps: SessionDeps,
    readonly room: Room,
    readonly participant: Participant,
  ) {
    this.#log = deps.log.child({ room: room.key, user: participant.userId });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Binds a socket to this session (at join, and again at each resume). */
  attach(signal: SignalConnection): void {
    const previous = this.participant.signal;
    this.participant.signal = signal;
    this.participant.disconnectedAt = null;
    if (previous && previous !== signal) previous.close(4000, 'replaced by a resumed connection');
    signal.setHandlers(
      (method, data) => this.handleRequest(method, data),
      (method, data) => this.handleNotification(method, data),
    );
    signal.on('close', (code) => {
      if (this.participant.signal !== signal || this.#closed) return;
      this.participant.signal = null;
      this.participant.disconnectedAt = signal.lastSeen;
      // Even a clean close (1001) may be a crashed browser whose network process shut the
      // socket: only an explicit `leave` removes at once; otherwise wait for a resume.
      this.#log.info({ code }, 'socket dropped; waiting for resume');
    });
  }

  handleRequest<K extends ClientRequestMethod>(
    method: K,
    data: ClientRequestData<K>,
  ): Promise<ClientRequestResult<K>> {
    if (this.#closed) return Promise.reject(ServerError.wrongState('this session has ended'));
    const queued = <T>(run: () => Promise<T>) => this.#enqueue(run);
    const handlers: { [M in ClientRequestMethod]?: (d: never) => Promise<unknown> } = {
      publish: (d: ClientRequestData<'publish'>) => queued(() => this.publish(d)),
      unpublish: (d: ClientRequestData<'unpublish'>) => queued(() => this.unpublish(d.streamType)),
      subscribe: (d: ClientRequestData<'subscribe'>) => queued(() => this.subscribe(d)),
      unsubscribe: (d: ClientRequestData<'unsubscribe'>) => queued(() => this.unsubscribe(d)),
      mute: (d: ClientRequestData<'mute'>) => queued(() => this.mute(d)),
      leave: async () => {
        await this.leave('leave');
        return {};
      },
      ping: async () => ({}),
      'switch-role': (d: ClientRequestData<'switch-role'>) => queued(() => this.switchRole(d.role)),
      sei: async (d: ClientRequestData<'sei'>) => this.#sei.relay(this.room, this.participant, d),
    };
    const handler = handlers[method];
    if (!handler) {
      return Promise.reject(ServerError.wrongState(`${method} is not accepted after join`));
    }
    return handler(data as never) as Promise<ClientRequestResult<K>>;
  }

  /**
   * Runs state-changing work after the work queued before it, so concurrent requests (and
   * updates caused by others) never interleave their awaits. `leave` does not queue: it marks
   * the session closed at once and queued work stops at its next check.
   */
  #enqueue<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(() => {
      this.#assertOpen();
      return run();
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  handleNotification<K extends ClientNotificationMethod>(
    method: K,
    data: ClientNotificationData<K>,
  ): void {
    if (method === 'candidate') this.#addRemoteCandidate(data.pc, data.candidate);
  }

  // ---- publishing ----

  async publish(data: ClientRequestData<'publish'>): Promise<{ sdp: string }> {
    const { participant, room } = this;
    if (participant.role === 'audience') {
      throw ServerError.wrongState('an audience member cannot publish; switchRole("anchor") first');
    }
    const mids = new Set(data.tracks.map((t) => t.mid));
    if (mids.size !== data.tracks.length) throw ServerError.invalid('publish lists a mid twice');
    if (!/^v=0\r?\n/.test(data.sdp) || !/\r?\nm=(audio|video) /.test(data.sdp)) {
      throw ServerError.invalid('publish sdp is not an SDP offer with audio or video sections');
    }
    const sections = data.sdp.match(/\r?\nm=/g)?.length ?? 0;
    if (sections > MAX_PUBLISH_SECTIONS) {
      throw ServerError.invalid(
        `publish sdp has ${sections} media sections; at most ${MAX_PUBLISH_SECTIONS} are accepted`,
      );
    }
    let transportId = participant.publisherTransportId;
    if (!transportId) {
      transportId = `${participant.sessionId}:pub${++this.#publisherCount}`;
      await this.deps.engine.createTransport(transportId, 'publisher');
      if (this.#closed) {
        await this.deps.engine.closeTransport(transportId);
        throw ServerError.wrongState('this session has ended');
      }
      this.deps.registry.registerTransport(transportId, this);
      participant.publisherTransportId = transportId;
    }
    let answer;
    try {
      answer = await this.deps.engine.acceptOffer(transportId, data.sdp);
    } catch (error) {
      if (participant.streams.size === 0) await this.#closePublisher();
      throw ServerError.invalid(
        `publish offer refused: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (this.#closed) {
      await this.#closePublisher();
      throw ServerError.wrongState('this session has ended');
    }
    const changes = this.#applyTrackMap(data.tracks, answer.tracks);
    for (const stream of changes.emptied) await this.#removeStream(stream);
    if (participant.streams.size === 0) {
      await this.#closePublisher();
      throw ServerError.invalid(
        `the offer carries none of the declared tracks (mids ${[...mids].join(', ')})`,
      );
    }
    for (const [streamType, change] of changes.changed) {
      const info = participant.streamInfo(streamType);
      if (!info) continue;
      const isNew = change === 'added';
      this.#log.info({ stream: info }, isNew ? 'stream published' : 'stream updated');
      if (participant.visible) {
        room.broadcast(isNew ? 'stream-added' : 'stream-updated', { stream: info }, participant);
      }
      room.safeEmit(isNew ? 'stream-published' : 'stream-updated', info);
      this.#refreshSubscribers(streamType, isNew);
    }
    return { sdp: answer.sdp };
  }

  /**
   * Makes the published streams match a publish request's track map: the m-lines the engine
   * reports as new become sources (replacing a stream's previous track of that kind), tracks
   * whose mid the map no longer lists are removed (LocalStream.removeTrack, or the m-lines of
   * an unpublished stream), and the mute flags of the others follow the map. Returns the
   * streams that changed and those left without tracks (for the caller to remove).
   */
  #applyTrackMap(
    declared: ClientRequestData<'publish'>['tracks'],
    incoming: readonly IncomingTrack[],
  ): { changed: Map<StreamType, 'added' | 'updated'>; emptied: PublishedStream[] } {
    const { participant, room } = this;
    const changed = new Map<StreamType, 'added' | 'updated'>();
    const mark = (type: StreamType, change: 'added' | 'updated'): void => {
      if (changed.get(type) !== 'added') changed.set(type, change);
    };
    for (const track of incoming) {
      const entry = declared.find((t) => t.mid === track.mid);
      if (!entry || entry.kind !== track.kind) continue;
      let stream = participant.streams.get(entry.streamType);
      if (!stream) {
        stream = { type: entry.streamType, tracks: new Map() };
        participant.streams.set(entry.streamType, stream);
        mark(entry.streamType, 'added');
      } else {
        mark(entry.streamType, 'updated');
      }
      const replaced = stream.tracks.get(track.kind);
      if (replaced) room.router.removeSource(replaced.sourceId);
      room.router.addSource(track.trackId, track.kind, track.codec);
      room.router.setSourceMuted(track.trackId, entry.muted);
      stream.tracks.set(track.kind, {
        sourceId: track.trackId,
        mid: track.mid,
        codec: track.codec,
        muted: entry.muted,
      });
    }
    const emptied: PublishedStream[] = [];
    for (const stream of participant.streams.values()) {
      for (const [kind, track] of [...stream.tracks]) {
        const entry = declared.find((t) => t.mid === track.mid);
        if (!entry || entry.kind !== kind || entry.streamType !== stream.type) {
          room.router.removeSource(track.sourceId);
          stream.tracks.delete(kind);
          mark(stream.type, 'updated');
        } else if (entry.muted !== track.muted) {
          track.muted = entry.muted;
          room.router.setSourceMuted(track.sourceId, entry.muted);
          mark(stream.type, 'updated');
        }
      }
      if (stream.tracks.size === 0) {
        emptied.push(stream);
        changed.delete(stream.type);
      }
    }
    return { changed, emptied };
  }

  async unpublish(streamType: StreamType): Promise<Record<string, never>> {
    const stream = this.participant.streams.get(streamType);
    if (!stream) throw ServerError.wrongState(`no ${streamType} stream is published`);
    await this.#removeStream(stream);
    return {};
  }

  async #removeStream(stream: PublishedStream): Promise<void> {
    const { participant, room } = this;
    for (const track of stream.tracks.values()) room.router.removeSource(track.sourceId);
    participant.streams.delete(stream.type);
    const key = subscriptionKey(participant.userId, stream.type);
    for (const other of room.participants.values()) {
      const sub = other.subscriptions.get(key);
      if (!sub) continue;
      other.subscriptions.delete(key);
      const session = this.#sessionOf(other);
      if (session) {
        session
          .#enqueue(async () => {
            if (await session.#dropSinks(sub, KINDS)) await session.#renegotiate();
          })
          .catch((error: unknown) => session.#log.debug({ err: error }, 'sink removal skipped'));
      }
    }
    if (participant.visible) {
      room.broadcast(
        'stream-removed',
        { userId: participant.userId, streamType: stream.type },
        participant,
      );
    }
    room.safeEmit('stream-unpublished', participant.userId, stream.type);
    this.#log.info({ streamType: stream.type }, 'stream unpublished');
    if (participant.streams.size === 0) await this.#closePublisher();
  }

  async #closePublisher(): Promise<void> {
    const transportId = this.participant.publisherTransportId;
    if (!transportId) return;
    this.participant.publisherTransportId = null;
    this.deps.registry.unregisterTransport(transportId);
    await this.deps.engine.closeTransport(transportId);
  }

  async mute(data: ClientRequestData<'mute'>): Promise<Record<string, never>> {
    const { participant, room } = this;
    const track = participant.streams.get(data.streamType)?.tracks.get(data.kind);
    if (!track)
      throw ServerError.wrongState(`no published ${data.streamType} ${data.kind} track to mute`);
    if (track.muted === data.muted) return {};
    track.muted = data.muted;
    // The client stops sending too; dropping here also holds for one that does not.
    room.router.setSourceMuted(track.sourceId, data.muted);
    const info = participant.streamInfo(data.streamType);
    if (info) {
      if (participant.visible) room.broadcast('stream-updated', { stream: info }, participant);
      room.safeEmit('stream-updated', info);
    }
    return {};
  }

  // ---- subscribing ----

  async subscribe(data: ClientRequestData<'subscribe'>): Promise<Record<string, never>> {
    const target = this.room.participants.get(data.userId);
    if (target === this.participant)
      throw ServerError.invalid('cannot subscribe to your own stream');
    const stream = target?.visible ? target.streams.get(data.streamType) : undefined;
    if (!target || !stream) {
      throw new ServerError(
        ErrorCode.REMOTE_STREAM_NOT_EXIST,
        `user ${data.userId} publishes no ${data.streamType} stream in this room`,
      );
    }
    const key = subscriptionKey(data.userId, data.streamType);
    let sub = this.participant.subscriptions.get(key);
    if (!sub) {
      sub = {
        userId: data.userId,
        streamType: data.streamType,
        audio: true,
        video: true,
        sinks: new Map(),
      };
      this.participant.subscriptions.set(key, sub);
    }
    sub.audio = data.audio;
    sub.video = data.video;
    if (await this.#syncSubscription(sub, stream)) await this.#renegotiate();
    return {};
  }

  async unsubscribe(data: ClientRequestData<'unsubscribe'>): Promise<Record<string, never>> {
    const key = subscriptionKey(data.userId, data.streamType);
    const sub = this.participant.subscriptions.get(key);
    if (!sub) return {};
    this.participant.subscriptions.delete(key);
    if (await this.#dropSinks(sub, KINDS)) await this.#renegotiate();
    return {};
  }

  /** Subscribes to everything visible in the room (autoSubscribe at join). */
  subscribeToAll(): Promise<void> {
    return this.#enqueue(() => this.#subscribeToAll());
  }

  async #subscribeToAll(): Promise<void> {
    let changed = false;
    for (const other of this.room.participants.values()) {
      if (other === this.participant || !other.visible) continue;
      for (const stream of other.streams.values()) {
        changed = (await this.#autoSubscribe(other.userId, stream)) || changed;
      }
    }
    if (changed) await this.#renegotiate();
  }

  async #autoSubscribe(userId: string, stream: PublishedStream): Promise<boolean> {
    const key = subscriptionKey(userId, stream.type);
    let sub = this.participant.subscriptions.get(key);
    if (!sub) {
      sub = { userId, streamType: stream.type, audio: true, video: true, sinks: new Map() };
      this.participant.subscriptions.set(key, sub);
    }
    return this.#syncSubscription(sub, stream);
  }

  /** After a stream of ours was added or changed: bring every subscriber's sinks up to date. */
  #refreshSubscribers(streamType: StreamType, isNew: boolean): void {
    const stream = this.participant.streams.get(streamType);
    if (!stream || !this.participant.visible) return;
    const key = subscriptionKey(this.participant.userId, streamType);
    for (const other of this.room.participants.values()) {
      if (other === this.participant) continue;
      const session = this.#sessionOf(other);
      if (!session) continue;
      const publisher = this.participant.userId;
      session
        .#enqueue(async () => {
          // Read the subscription when the work runs: it may have changed while queued.
          const sub = other.subscriptions.get(key);
          const changed = sub
            ? await session.#syncSubscription(sub, stream)
            : isNew && other.autoSubscribe
              ? await session.#autoSubscribe(publisher, stream)
              : false;
          if (changed) await session.#renegotiate();
        })
        .catch((error: unknown) => {
          if (!session.closed) session.#log.warn({ err: error }, 'subscription update failed');
        });
    }
  }

  /** Makes the sinks of a subscription match what it asks for. Returns whether anything changed. */
  async #syncSubscription(sub: Subscription, stream: PublishedStream): Promise<boolean> {
    const transport = await this.#ensureSubscriber();
    let changed = false;
    for (const kind of KINDS) {
      const track = stream.tracks.get(kind);
      const wanted = track !== undefined && (kind === 'audio' ? sub.audio : sub.video);
      const sinkId = track ? `${transport.id}>${track.sourceId}` : undefined;
      const current = sub.sinks.get(kind);
      if (current && (!wanted || current !== sinkId)) {
        changed = (await this.#dropSinks(sub, [kind])) || changed;
      }
      if (wanted && sinkId && track && !sub.sinks.has(kind)) {
        await transport.addTrack(
          sinkId,
          { kind, userId: sub.userId, streamType: sub.streamType },
          track.codec,
        );
        const key = subscriptionKey(sub.userId, sub.streamType);
        if (
          this.#closed ||
          this.participant.subscriptions.get(key) !== sub ||
          sub.sinks.has(kind) ||
          !this.room.router.hasSource(track.sourceId)
        ) {
          // Things moved while the track was being added (leave, unsubscribe, unpublish).
          await transport.removeTrack(sinkId);
          continue;
        }
        this.room.router.addSink(sinkId, track.sourceId, transport.id);
        this.deps.registry.registerSink(sinkId, this);
        sub.sinks.set(kind, sinkId);
        changed = true;
      }
    }
    return changed;
  }

  async #dropSinks(sub: Subscription, kinds: readonly TrackKind[]): Promise<boolean> {
    let changed = false;
    for (const kind of kinds) {
      const sinkId = sub.sinks.get(kind);
      if (!sinkId) continue;
      sub.sinks.delete(kind);
      this.room.router.removeSink(sinkId);
      this.deps.registry.unregisterSink(sinkId);
      changed = (await this.participant.subscriber?.removeTrack(sinkId)) || changed;
    }
    return changed;
  }

  async #ensureSubscriber(): Promise<SubscriberTransport> {
    this.#assertOpen();
    if (this.participant.subscriber) return this.participant.subscriber;
    this.#subscriberCreation ??= (async () => {
      const id = `${this.participant.sessionId}:sub`;
      const transport = await SubscriberTransport.create(this.deps.engine, id, (sdp, tracks) =>
        this.#sendOffer(sdp, tracks),
      );
      if (this.#closed) {
        await transport.close();
        throw ServerError.wrongState('this session has ended');
      }
      this.participant.subscriber = transport;
      this.deps.registry.registerTransport(id, this);
      return transport;
    })().finally(() => {
      this.#subscriberCreation = null;
    });
    return this.#subscriberCreation;
  }

  async #sendOffer(sdp: string, tracks: SubscribedTrack[]): Promise<string> {
    const signal = this.participant.signal;
    if (!signal) throw new Error('no signal connection to send the offer on');
    const answer = await signal.request('offer', { sdp, tracks });
    return answer.sdp;
  }

  async #renegotiate(): Promise<void> {
    const transport = this.participant.subscriber;
    if (!transport || this.#closed) return;
    try {
      await transport.negotiate();
    } catch (error) {
      // The client will be offered again when it resumes; a timeout ends the session anyway.
      if (this.participant.signal === null || this.#closed) {
        this.#log.debug({ err: error }, 'offer not answered: the socket is gone');
      } else {
        this.#log.warn({ err: error }, 'subscriber renegotiation failed');
      }
    }
  }

  /** After a resume: the client may have missed an offer while its socket was down. */
  resumed(): void {
    if (this.participant.subscriber) void this.#renegotiate();
  }

  // ---- media engine callbacks ----

  onEngineCandidate(transportId: string, candidate: IceCandidateInit): void {
    const pc: PeerConnectionName =
      transportId === this.participant.publisherTransportId ? 'publisher' : 'subscriber';
    this.participant.signal?.notify('candidate', { pc, candidate });
  }

  onTransportState(transportId: string, state: TransportState): void {
    this.#log.debug({ transportId, state }, 'transport state');
    this.room.router.setTransportConnected(transportId, state === 'connected');
  }

  onKeyframeRequest(sinkId: string): void {
    this.room.router.handleKeyframeRequest(sinkId);
  }

  #addRemoteCandidate(pc: PeerConnectionName, candidate: IceCandidateInit): void {
    const transportId =
      pc === 'publisher'
        ? this.participant.publisherTransportId
        : (this.participant.subscriber?.id ?? null);
    if (!transportId) return;
    this.deps.engine
      .addRemoteCandidate(transportId, candidate)
      .catch((error: unknown) => this.#log.debug({ err: error }, 'remote candidate refused'));
  }

  // ---- live mode roles ----

  /**
   * Anchor ↔ audience (live mode). To audience: the streams are unpublished (the others get
   * stream-removed while the user is still visible), then peer-leave. To anchor: peer-join,
   * and stream-added for anything published meanwhile (a publish that raced the switch).
   */
  async switchRole(role: Role): Promise<Record<string, never>> {
    const { participant, room } = this;
    if (participant.mode !== 'live') {
      throw ServerError.wrongState('switchRole is only available in live mode');
    }
    const previous = participant.role;
    if (previous === role) return {};
    const { userId } = participant;
    if (role === 'audience') {
      for (const stream of [...participant.streams.values()]) await this.#removeStream(stream);
      this.#assertOpen();
      participant.role = 'audience';
      room.broadcast('peer-leave', { userId, reason: 'leave' }, participant);
    } else {
      participant.role = 'anchor';
      room.broadcast('peer-join', { userId, role }, participant);
      for (const type of participant.streams.keys()) {
        const info = participant.streamInfo(type);
        if (info) room.broadcast('stream-added', { stream: info }, participant);
        this.#refreshSubscribers(type, true);
      }
    }
    this.#log.info({ role, previous }, 'role switched');
    room.safeEmit('role-changed', participant, previous);
    return {};
  }

  // ---- leaving ----

  /** Someone else joined with the same userId: tell this one why it is out, then remove it. */
  async kick(message: string): Promise<void> {
    this.participant.signal?.notify('banned', { reason: 'kick', message });
    await this.leave('kick');
  }

  async leave(reason: LeaveReason): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { participant, room } = this;
    this.#log.info({ reason }, 'participant left');
    for (const stream of [...participant.streams.values()]) {
      await this.#removeStream(stream).catch((error: unknown) =>
        this.#log.warn({ err: error }, 'unpublish on leave failed'),
      );
    }
    for (const sub of participant.subscriptions.values()) {
      for (const sinkId of sub.sinks.values()) {
        room.router.removeSink(sinkId);
        this.deps.registry.unregisterSink(sinkId);
      }
    }
    participant.subscriptions.clear();
    if (participant.subscriber) {
      this.deps.registry.unregisterTransport(participant.subscriber.id);
      await participant.subscriber.close();
      participant.subscriber = null;
    }
    // A publish still in flight may have created a transport no stream uses yet.
    await this.#closePublisher();
    if (room.participants.get(participant.userId) === participant) {
      room.participants.delete(participant.userId);
      if (participant.visible) room.broadcast('peer-leave', { userId: participant.userId, reason });
      room.safeEmit('participant-left', participant, reason);
    }
    this.deps.registry.sessionClosed(this);
    this.deps.rooms.releaseIfEmpty(room);
    const signal = participant.signal;
    participant.signal = null;
    if (signal && reason !== 'leave') signal.close(4000 + (reason === 'kick' ? 40 : 41), reason);
    // After a leave the socket has nothing left to do; give the answer time to go out first.
    if (signal && reason === 'leave') setTimeout(() => signal.close(1000, 'left'), 500).unref();
  }

  #sessionOf(participant: Participant): Session | undefined {
    return Session.of(participant);
  }

  /** The session driving a participant (after `register()`). */
  static of(participant: Participant): Session | undefined {
    return sessionsByParticipant.get(participant);
  }

  #assertOpen(): void {
    if (this.#closed) throw ServerError.wrongState('this session has ended');
  }

  /** Registers the session so others in the room can reach it. */
  register(): void {
    sessionsByParticipant.set(this.participant, this);
  }
}

/** Participant → its session; weak so ended sessions disappear with their participants. */
const sessionsByParticipant = new WeakMap<Participant, Session>();
