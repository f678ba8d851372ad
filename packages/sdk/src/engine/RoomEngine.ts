/**
 * The per-join engine under both public faces (the v4 `Client`, the v5 `TRTC` instance):
 * the signaling session, the publisher and subscriber connections, the room state and its
 * remote streams, recovery, stats, network quality, audio volume and loss resilience. It
 * checks no public API arguments and fires no public events: it reports to its owner through
 * a `RoomEngineHandler`, as the transports report to it, and each face turns that into its
 * own API's events and errors.
 *
 * Everything one join creates lives in a Session (Session.ts); leave, a ban or a failed
 * reconnect ends it as a whole.
 */
import {
  ErrorCode,
  ProtocolErrorCode,
  type JoinData,
  type RoomRef,
  type ServerRequestResult,
  type StreamInfo,
  type StreamType,
} from '@parley/protocol';
import type { ConnectionState } from '../connectionState.js';
import { RtcError } from '../errors/RtcError.js';
import type { LocalStream } from '../stream/LocalStream.js';
import type { RemoteStream } from '../stream/RemoteStream.js';
import type { ServerNotification, ServerRequest } from '../signal/SignalChannel.js';
import { DEFAULT_RTC_CONFIGURATION } from '../transport/PeerTransport.js';
import type { PublisherTransport } from '../transport/PublisherTransport.js';
import { createLogger, logUpload } from '../util/Logger.js';
import { logUploadUrl } from '../util/LogUploader.js';
import { AudioVolumeMeter, type AudioVolumeEntry } from './AudioVolumeMeter.js';
import { ConnectionRecovery, DEFAULT_RECONNECT_TIMEOUT_MS } from './ConnectionRecovery.js';
import { LossResilience } from './LossResilience.js';
import { NetworkQualityMonitor, type NetworkQualityEvent } from './networkQuality.js';
import { switchRole } from './roles.js';
import { streamKey, type PeerLeaveReason, type RoomChange } from './RoomState.js';
import { fromBase64, toBase64, type SeiPayloadType } from './sei.js';
import { Session, describeStream, type ClientDependencies } from './Session.js';
import { SmallStreamSettings } from './smallStream.js';
import { StatsReader } from './StatsReader.js';

export type { ClientDependencies };

// Tagged 'client' as before the split: stored logs and their readers keep one tag per join.
const log = createLogger('client');

/** Publish and subscribe give up after this long (v4 uses the same order of magnitude). */
const CONNECT_TIMEOUT_MS = 10_000;
const SUBSCRIBE_TIMEOUT_MS = 10_000;
/** leave() must be quick even when the server is gone: it only says goodbye. */
const LEAVE_TIMEOUT_MS = 2_000;

type Phase = 'idle' | 'joining' | 'joined';

export type BanReason = 'kick' | 'banned' | 'room-disband';

export interface CustomMessage {
  userId: string;
  cmdId: number;
  seq: number;
  data: ArrayBuffer;
}

export interface SeiMessage {
  userId: string;
  data: ArrayBuffer;
  payloadType: SeiPayloadType;
}

/**
 * What the engine reports to its owner. Room events (peers, streams, SEI) that arrive while
 * join() is under way are held back and delivered one task after join() resolved, so a face
 * that registers its app's handlers just after `await join()` still passes them on.
 */
export interface RoomEngineHandler {
  onPeerJoin(userId: string): void;
  /** `reason` when the server said why the user left. */
  onPeerLeave(userId: string, reason?: PeerLeaveReason): void;
  /** A remote stream was published (or was there at join); `stream` carries its tracks. */
  onStreamAdded(stream: RemoteStream): void;
  onStreamRemoved(stream: RemoteStream): void;
  /** A remote stream's flags changed (`info` now, `previous` before). */
  onStreamUpdated(stream: RemoteStream, info: StreamInfo, previous: StreamInfo): void;
  /** A received track was added to or taken from a remote stream. */
  onRemoteTrackChanged?(stream: RemoteStream, kind: 'audio' | 'video'): void;
  onConnectionStateChanged(state: ConnectionState, prevState: ConnectionState): void;
  onNetworkQuality(event: NetworkQualityEvent): void;
  onAudioVolume(result: AudioVolumeEntry[]): void;
  onSeiMessage(message: SeiMessage): void;
  /** A custom message (v5 sendCustomMessage) from another user. */
  onCustomMessage?(message: CustomMessage): void;
  /** Removed by the server (kick, ban, room dismissed); the session has ended. */
  onBanned(error: RtcError, reason: BanReason): void;
  /** An unrecoverable failure while joined (reconnection failed); the session has ended. */
  onFatalError(error: RtcError): void;
  /** A mix or relay of this client stopped while running (the server gave up on it). */
  onMediaOutFailed?(error: RtcError): void;
}

export interface EngineJoinOptions {
  /** The signaling URL to join at. */
  url: string;
  /** How long a media connection may stay broken before the engine gives up. */
  reconnectTimeoutMs?: number;
}

export class RoomEngine {
  private phase: Phase = 'idle';
  private connectionState: ConnectionState = 'DISCONNECTED';
  private session: Session | null = null;
  private leaving: Promise<void> | null = null;
  /** From setTurnServer()/proxy: the iceServers of the next session's peer connections. */
  private iceServers: RTCIceServer[] = [];
  private iceTransportPolicy: RTCIceTransportPolicy | undefined;
  private reconnectTimeoutMs = DEFAULT_RECONNECT_TIMEOUT_MS;
  private readonly volumeMeter: AudioVolumeMeter;
  /** Dual stream: whether the main video is published with a small stream, and its profile. */
  readonly smallStream = new SmallStreamSettings();

  constructor(
    private readonly handler: RoomEngineHandler,
    private readonly deps: ClientDependencies = {},
  ) {
    this.volumeMeter = new AudioVolumeMeter(({ result }) => this.handler.onAudioVolume(result));
  }

  // ---- state ----------------------------------------------------------------------------------

  getConnectionState(): ConnectionState {
    return this.connectionState;
  }

  /** Joined (join() resolved and no leave, ban or failure since). */
  get joined(): boolean {
    return this.phase === 'joined' && this.session !== null && !this.session.ended;
  }

  get joining(): boolean {
    return this.phase === 'joining';
  }

  /** A leave() under way. */
  get pendingLeave(): Promise<void> | null {
    return this.leaving;
  }

  /** The join data of the current session (its role follows switchRole), if any. */
  get joinData(): JoinData | null {
    return this.session?.joinData ?? null;
  }

  /** ICE servers for the peer connections of the next join (empty: the server's own). */
  setIceServers(servers: RTCIceServer[], policy?: RTCIceTransportPolicy): void {
    this.iceServers = servers;
    this.iceTransportPolicy = policy;
    if (this.session) log.warn('ICE servers take effect at the next join');
  }

  /**
   * The current session for a call that needs a joined room; throws INVALID_OPERATION
   * naming `method` otherwise. For the faces' own checks of publications and streams.
   */
  joinedSession(method: string): Session {
    const session = this.session;
    if (!session || this.phase !== 'joined' || session.ended) {
      throw RtcError.invalidOperation(`${method}() requires a joined room: call join() first`);
    }
    return session;
  }

  /** The current session, joined or joining, if any (stats read it while it lasts). */
  get currentSession(): Session | null {
    return this.session;
  }

  // ---- join and leave -------------------------------------------------------------------------

  /**
   * Enters a room. Room events for who and what is already there are delivered right after
   * it resolves.
   */
  async join(joinData: JoinData, options: EngineJoinOptions): Promise<void> {
    // leave(); join() without awaiting leave (e.g. a remount) joins once leave is done.
    if (this.leaving) await this.leaving;
    if (this.phase === 'joining') throw RtcError.invalidOperation('join() is already in progress');
    if (this.phase === 'joined') {
      throw RtcError.invalidOperation('this client has already joined a room; call leave() first');
    }
    this.reconnectTimeoutMs = options.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;
    let url = options.url;
    this.phase = 'joining';
    this.setConnectionState('CONNECTING');
    // A cluster node over its load limit names a lighter node: the join is made there, once.
    for (let redirected = false; ; redirected = true) {
      const session = this.createSession(url, joinData);
      this.session = session;
      try {
        await this.joinSession(session, joinData);
        return;
      } catch (error) {
        if (session.ended) throw session.ended;
        const failure = joinFailure(error);
        if (
          !redirected &&
          failure.extraCode === ProtocolErrorCode.NODE_OVERLOADED &&
          failure.redirect !== undefined &&
          // Never from wss to ws: the userSig would travel in the clear.
          !(url.startsWith('wss:') && !failure.redirect.startsWith('wss:'))
        ) {
          log.info(`${failure.message}: joining at ${failure.redirect}`);
          session.close(failure);
          url = failure.redirect;
          continue;
        }
        this.endSession(session, failure);
        throw failure;
      }
    }
  }

  /** The join on one signaling connection (see join()). */
  private async joinSession(session: Session, joinData: JoinData): Promise<void> {
    await session.signal.open();
    this.assertLive(session);
    const result = await session.signal.request('join', joinData);
    this.assertLive(session);
    // A cluster's nodes: where the session is resumed if this one goes away.
    if (result.nodes) session.signal.useNodes(result.nodes);
    session.signal.enableResume(result.resumeToken, result.sessionTimeoutMs);
    session.signal.startHeartbeat(result.heartbeatMs);
    // Before any peer connection exists (they are made on first publish or offer).
    if (result.iceServers) session.useServerIceServers(result.iceServers);
    this.phase = 'joined';
    // Creates the RemoteStreams now (media may be on its way); their events wait.
    this.applyRoomChanges(session, session.room.applySnapshot(result));
    this.setConnectionState('CONNECTED');
    this.startRecovery(session);
    this.startSessionServices(session, result.logToken);
    log.info(
      `${joinData.userId} joined room ${String(joinData.room.id)} (session ${result.sessionId})`,
    );
    this.watchPageUnload(session);
    setTimeout(() => this.flushDeferred(session), 0);
  }

  /**
   * Leaves the room: says goodbye to the server, closes both connections and the socket,
   * stops remote players. Aborts a pending join. Idempotent; never rejects.
   */
  leave(): Promise<void> {
    if (this.leaving) return this.leaving;
    const session = this.session;
    if (!session) return Promise.resolve();
    this.leaving = this.leaveSession(session).finally(() => {
      this.leaving = null;
    });
    return this.leaving;
  }

  private async leaveSession(session: Session): Promise<void> {
    const aborted = RtcError.invalidOperation('join aborted by leave');
    const wasJoining = this.phase === 'joining';
    // Mark first: a join or publish awaiting the server sees it as soon as it resumes.
    session.ended = wasJoining ? aborted : RtcError.invalidOperation('the client left the room');
    if (session.signal.state === 'open') {
      // Say goodbye so the server frees the seat now instead of after the session timeout.
      await session.signal
        .request('leave', {}, { timeoutMs: LEAVE_TIMEOUT_MS })
        .catch((error: unknown) => log.debug('leave request failed (ignored)', error));
    }
    this.endSession(session, session.ended);
    log.info('left the room');
    // The session's last lines now, while the page (and the log token) are surely there.
    void logUpload.flush(true);
  }

  /** Closes everything of the session and returns the engine to idle/DISCONNECTED. */
  private endSession(session: Session, reason: RtcError): void {
    const current = this.session === session;
    if (current) {
      this.session = null;
      this.phase = 'idle';
    }
    session.close(reason);
    if (current) this.setConnectionState('DISCONNECTED');
  }

  /**
   * Moves the joined session to another room on the same socket (protocol 13): the server
   * checks `userSig` as at join; the old room's users leave and the new room's enter (room
   * events), and what is published is published again there on a new connection (same
   * tracks, no capture). Rejects with the server's refusal, the session still in its room.
   */
  async switchRoom(
    target: { room: RoomRef; userSig: string; privateMapKey?: string },
    method = 'switchRoom',
  ): Promise<void> {
    const session = this.joinedSession(method);
    const started = Date.now();
    const result = await session.signal.request('switch-room', {
      room: target.room,
      userSig: target.userSig,
      ...(target.privateMapKey ? { privateMapKey: target.privateMapKey } : {}),
    });
    this.assertLive(session);
    const { joinData } = session;
    joinData.room = target.room;
    joinData.userSig = target.userSig;
    if (target.privateMapKey) joinData.privateMapKey = target.privateMapKey;
    else delete joinData.privateMapKey;
    session.signal.replaceResumeToken(result.resumeToken);
    // The server closed both transports of the old room: both connections are replaced.
    session.recovery?.peerState('subscriber', 'closed');
    void session.subscriber.replaceConnection();
    this.applyRoomChanges(session, session.room.applySnapshot({ participants: [] }));
    this.applyRoomChanges(session, session.room.applySnapshot(result));
    if (result.logToken !== undefined) {
      logUpload.setDestination({
        url: logUploadUrl(session.signal.currentUrl),
        token: result.logToken,
      });
    }
    const switched = Date.now();
    await session.publications.restart();
    log.info(
      `${joinData.userId} switched to room ${String(target.room.id)} (session ${result.sessionId}): ` +
        `server ${switched - started} ms, published again ${Date.now() - switched} ms`,
    );
  }

  // ---- publishing -----------------------------------------------------------------------------

  /** Publishes `stream` as `streamType`; resolves once media flows. The face checked it. */
  async publish(stream: LocalStream, streamType: StreamType, method = 'publish'): Promise<void> {
    const session = this.joinedSession(method);
    try {
      await session.publications.publish(stream, streamType);
    } catch (error) {
      if (session.ended) {
        throw RtcError.invalidOperation(`${method} aborted: ${session.ended.message}`);
      }
      throw RtcError.wrap(error, ErrorCode.UNKNOWN, `${method} failed`);
    }
    log.info(
      `published ${stream
        .getPublishTracks()
        .map((t) => t.kind)
        .join('+')} as the ${streamType} stream`,
    );
  }

  async unpublish(stream: LocalStream, method = 'unpublish'): Promise<void> {
    await this.joinedSession(method).publications.unpublish(stream);
  }

  /** The stream published (or being published) as `streamType`, if any. */
  publishing(streamType: StreamType): LocalStream | null {
    return this.session?.publications.occupant(streamType) ?? null;
  }

  /** Applies the small stream profile to a published main video at once. */
  applySmallStreamProfile(): void {
    this.session?.publications.applySmallStreamProfile();
  }

  // ---- receiving ------------------------------------------------------------------------------

  /** The current RemoteStream object of a user's stream, if it is published. */
  remoteStream(userId: string, streamType: StreamType): RemoteStream | undefined {
    return this.session?.streams.get(streamKey(userId, streamType));
  }

  /** Every remote stream's flags as the server announced them. */
  remoteStreamInfos(): StreamInfo[] {
    return this.session?.room.streams() ?? [];
  }

  /** The users in the room besides this one (anchors, in live mode). */
  remoteUsers(): string[] {
    return this.session?.room.userIds() ?? [];
  }

  hasRemoteUser(userId: string): boolean {
    return this.session?.room.hasParticipant(userId) ?? false;
  }

  /** Whether `stream` is the live object of a published stream of the current session. */
  isCurrent(stream: RemoteStream): boolean {
    return !stream.isRemoved() && (this.session?.streams.isCurrent(stream) ?? false);
  }

  /**
   * Receives the kinds `wanted` of a remote stream (the other kind stops: a per-track
   * subscription). Resolves once the server agreed and the tracks are on the stream.
   */
  async subscribe(
    stream: RemoteStream,
    wanted: { audio: boolean; video: boolean },
    method = 'subscribe',
  ): Promise<void> {
    const session = this.joinedSession(method);
    this.assertStreamExists(session, stream);
    const deadline = Date.now() + SUBSCRIBE_TIMEOUT_MS;
    try {
      await session.signal.request(
        'subscribe',
        { userId: stream.getUserId(), streamType: stream.getType(), ...wanted },
        { timeoutMs: SUBSCRIBE_TIMEOUT_MS },
      );
    } catch (error) {
      if (error instanceof RtcError && error.code === ErrorCode.SERVER_TIMEOUT) {
        throw RtcError.subscriptionTimeout(
          `subscribing to ${describeStream(stream)} timed out: ${error.message}`,
        );
      }
      throw error;
    }
    this.assertLive(session);
    this.assertStreamExists(session, stream);
    await session.waitForTracks(stream, wanted, deadline - Date.now());
  }

  /** Stops receiving a remote stream's media. */
  async unsubscribe(stream: RemoteStream, method = 'unsubscribe'): Promise<void> {
    const session = this.joinedSession(method);
    this.assertStreamExists(session, stream);
    const key = streamKey(stream.getUserId(), stream.getType());
    session.cancelWaiters(key, RtcError.invalidOperation(`cancelled by ${method}()`));
    await session.signal.request('unsubscribe', {
      userId: stream.getUserId(),
      streamType: stream.getType(),
    });
  }

  /** Big or small video of a remote stream (see the protocol's dual stream notes). */
  async setRemoteVideoType(
    stream: RemoteStream,
    type: 'big' | 'small',
    method = 'setRemoteVideoStreamType',
  ): Promise<void> {
    const session = this.joinedSession(method);
    this.assertStreamExists(session, stream);
    const info = session.room
      .streams()
      .find((s) => s.userId === stream.getUserId() && s.streamType === stream.getType());
    if (!info?.hasSmall) {
      log.warn(`${describeStream(stream)} has no small stream; it is sent its big one`);
    }
    await session.signal.request('remote-video-type', {
      userId: stream.getUserId(),
      streamType: stream.getType(),
      type,
    });
  }

  // ---- room operations ------------------------------------------------------------------------

  async switchRole(role: unknown, method = 'switchRole'): Promise<void> {
    await switchRole(this.joinedSession(method), role);
    log.info(`switched role to ${String(role)}`);
  }

  /** Relays SEI to the others (fire and forget, as v4 and v5 both have it). */
  sendSei(bytes: Uint8Array, payloadType: SeiPayloadType): void {
    this.joinedSession('sendSEIMessage')
      .signal.request('sei', { payloadType, data: toBase64(bytes) })
      .catch((error: unknown) => log.warn('an SEI message was not delivered', error));
  }

  /** Relays a custom message to the others (fire and forget; refusals are logged). */
  sendCustomMessage(cmdId: number, seq: number, bytes: Uint8Array): void {
    this.joinedSession('sendCustomMessage')
      .signal.request('custom-message', { cmdId, seq, data: toBase64(bytes) })
      .catch((error: unknown) => log.warn('a custom message was not delivered', error));
  }

  async updatePrivateMapKey(privateMapKey: string, method: string): Promise<void> {
    await this.joinedSession(method).signal.request('update-private-map-key', { privateMapKey });
  }

  // ---- volume and stats -----------------------------------------------------------------------

  /** `intervalMs <= 0` turns audio volume evaluation off. */
  configureAudioVolume(intervalMs: number, runInBackground: boolean): void {
    this.volumeMeter.configure(intervalMs, runInBackground);
  }

  /** A stats reader of the current session (null when there is none). */
  stats(joinedOnly = false): StatsReader | null {
    const session = this.session;
    if (!session || (joinedOnly && this.phase !== 'joined')) return null;
    return new StatsReader(session);
  }

  // ---- session lifecycle ----------------------------------------------------------------------

  /** What runs beside a joined session: network quality, audio volume, log upload. */
  private startSessionServices(session: Session, logToken: string | undefined): void {
    const quality = new NetworkQualityMonitor(session, (e) => this.handler.onNetworkQuality(e));
    quality.start();
    const resilience = new LossResilience(session.subscriber);
    resilience.start();
    session.onClose(() => resilience.stop());
    this.volumeMeter.attach(session);
    session.onClose(() => {
      quality.stop();
      if (this.session === session || this.session === null) this.volumeMeter.attach(null);
    });
    if (logToken !== undefined) {
      // Logs go to the node the session is on: after a resume on another node of a cluster
      // the first one may be dead (the token must then be one every node accepts).
      const upload = (): void =>
        logUpload.setDestination({ url: logUploadUrl(session.signal.currentUrl), token: logToken });
      upload();
      session.signal.on('moved', () => {
        if (this.session === session && !session.ended) upload();
      });
    }
  }

  private createSession(url: string, joinData: JoinData): Session {
    const base = this.deps.rtcConfiguration ?? DEFAULT_RTC_CONFIGURATION;
    const rtcConfiguration: RTCConfiguration | undefined =
      this.iceServers.length === 0 && this.iceTransportPolicy === undefined
        ? this.deps.rtcConfiguration
        : {
            ...base,
            ...(this.iceServers.length > 0 ? { iceServers: this.iceServers } : {}),
            ...(this.iceTransportPolicy ? { iceTransportPolicy: this.iceTransportPolicy } : {}),
          };
    // The callbacks below only run once `session` is assigned.
    const session: Session = new Session({
      url,
      joinData,
      deps:
        rtcConfiguration === this.deps.rtcConfiguration
          ? this.deps
          : { ...this.deps, rtcConfiguration },
      onServerRequest: (request) => this.onServerRequest(session, request),
      onSubscriberState: (state) => this.onSubscriberState(session, state),
      onPublisherState: (transport, state) => this.onPublisherState(session, transport, state),
      onRemoteTrackChanged: (stream, kind) => {
        if (this.session === session && !session.ended) {
          this.handler.onRemoteTrackChanged?.(stream, kind);
        }
      },
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      smallStream: () => this.smallStream.active(),
    });
    const live = (): boolean => this.session === session && !session.ended;
    session.signal.on('notification', (n) => this.onNotification(session, n));
    session.signal.on('reconnecting', ({ reason }) => {
      if (!live() || this.phase !== 'joined') return;
      log.warn(`signaling connection lost (${reason}); reconnecting`);
      session.recovery?.signal(false);
    });
    session.signal.on('resumed', ({ snapshot }) => {
      if (!live()) return;
      // CONNECTED unless a media connection is still broken (it then restarts ICE now).
      session.recovery?.signal(true);
      this.applyRoomChanges(session, session.room.applySnapshot(snapshot));
    });
    session.signal.on('failed', (error) => {
      // During join the pending join request reports the failure itself.
      if (!live() || this.phase !== 'joined') return;
      const fatal =
        error.code === ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED
          ? error
          : RtcError.reconnectionFailed(error.message, error.extraCode);
      log.error(fatal.message);
      this.endSession(session, fatal);
      this.handler.onFatalError(fatal);
    });
    return session;
  }

  // ---- server input ---------------------------------------------------------------------------

  private onServerRequest(
    session: Session,
    request: ServerRequest,
  ): Promise<ServerRequestResult<ServerRequest['method']>> {
    if (session.ended) return Promise.reject(RtcError.invalidOperation('the client left the room'));
    switch (request.method) {
      case 'offer':
        return session.subscriber
          .handleOffer(request.data.sdp, request.data.tracks, request.data.restart ?? false)
          .then((sdp) => ({ sdp }));
    }
  }

  private onNotification(session: Session, notification: ServerNotification): void {
    if (this.session !== session || session.ended) return;
    const { room } = session;
    switch (notification.method) {
      case 'peer-join':
        return this.applyRoomChanges(
          session,
          room.handlePeerJoin(notification.data.userId, notification.data.role),
        );
      case 'peer-leave':
        return this.applyRoomChanges(
          session,
          room.handlePeerLeave(notification.data.userId, notification.data.reason),
        );
      case 'stream-added':
        return this.applyRoomChanges(session, room.handleStreamAdded(notification.data.stream));
      case 'stream-updated':
        return this.applyRoomChanges(session, room.handleStreamUpdated(notification.data.stream));
      case 'stream-removed':
        return this.applyRoomChanges(
          session,
          room.handleStreamRemoved(notification.data.userId, notification.data.streamType),
        );
      case 'candidate':
        if (notification.data.pc === 'publisher')
          session.publisher?.addRemoteCandidate(notification.data.candidate);
        else session.subscriber.addRemoteCandidate(notification.data.candidate);
        return;
      case 'nodes':
        return; // SignalChannel keeps the node list (where to resume).
      case 'media-reset':
        log.warn(`the server reset the publisher connection: ${notification.data.reason}`);
        session.publications
          .restart()
          .catch((error: unknown) => log.warn('publishing again after a reset failed', error));
        return;
      case 'sei-message': {
        const { userId, payloadType, data } = notification.data;
        const message: SeiMessage = { userId, data: fromBase64(data), payloadType };
        this.fire(session, () => this.handler.onSeiMessage(message));
        return;
      }
      case 'custom-message': {
        const { userId, cmdId, seq, data } = notification.data;
        const message: CustomMessage = { userId, cmdId, seq, data: fromBase64(data) };
        this.fire(session, () => this.handler.onCustomMessage?.(message));
        return;
      }
      case 'error': {
        // A refusal without a request to answer (e.g. too many messages): nothing to undo.
        const { code, extraCode, message } = notification.data;
        // A mix or relay that stopped while running (its pipeline gave up): v4's error event.
        if (
          code === ErrorCode.START_PUBLISH_CDN_FAILED ||
          code === ErrorCode.START_MIX_TRANSCODE_FAILED
        ) {
          const error = new RtcError({ code, message });
          this.fire(session, () => this.handler.onMediaOutFailed?.(error));
          return;
        }
        log.warn(`the server refused a message (${code}/${extraCode ?? '-'}): ${message}`);
        return;
      }
      case 'banned': {
        const { reason, message } = notification.data;
        log.warn(`removed from the room by the server (${reason}): ${message}`);
        const error = Object.assign(
          new RtcError({
            code: ErrorCode.CLIENT_BANNED,
            message: message || `removed from the room (${reason})`,
          }),
          { reason },
        );
        this.endSession(session, error);
        this.handler.onBanned(error, reason);
        return;
      }
    }
  }

  /** Turns room changes into RemoteStream objects (now) and reports (now or deferred). */
  private applyRoomChanges(session: Session, changes: RoomChange[]): void {
    for (const change of changes) {
      switch (change.type) {
        case 'peer-join': {
          const { userId } = change;
          this.fire(session, () => this.handler.onPeerJoin(userId));
          break;
        }
        case 'peer-leave': {
          const { userId, reason } = change;
          this.fire(session, () => this.handler.onPeerLeave(userId, reason));
          break;
        }
        case 'stream-added': {
          const stream = session.streams.create(change.stream);
          this.fire(session, () => this.handler.onStreamAdded(stream));
          break;
        }
        case 'stream-updated':
          this.onStreamUpdated(session, change.stream, change.previous);
          break;
        case 'stream-removed': {
          const key = streamKey(change.stream.userId, change.stream.streamType);
          const stream = session.streams.remove(key);
          session.cancelWaiters(
            key,
            RtcError.remoteStreamNotExist(`${describeInfo(change.stream)} was unpublished`),
          );
          if (stream) this.fire(session, () => this.handler.onStreamRemoved(stream));
          break;
        }
      }
    }
  }

  private onStreamUpdated(session: Session, info: StreamInfo, previous: StreamInfo): void {
    const key = streamKey(info.userId, info.streamType);
    const stream = session.streams.get(key);
    if (!stream) return;
    stream.setInfo(info);
    this.fire(session, () => this.handler.onStreamUpdated(stream, info, previous));
    session.checkWaiters(key);
  }

  /**
   * A closed tab says goodbye: `leave` goes out before the socket closes, so the others see
   * peer-leave at once instead of after the server's session timeout (a killed browser still
   * takes that long, by design).
   */
  private watchPageUnload(session: Session): void {
    if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return;
    const onPageHide = (): void => {
      if (session.ended || this.session !== session) return;
      if (session.signal.state === 'open') {
        session.signal.request('leave', {}, { timeoutMs: LEAVE_TIMEOUT_MS }).catch(() => undefined);
      }
      this.endSession(session, RtcError.invalidOperation('the page was closed'));
      // keepalive requests outlive the page: its last log lines still reach the server.
      void logUpload.flush(true);
    };
    window.addEventListener('pagehide', onPageHide);
    session.onClose(() => window.removeEventListener('pagehide', onPageHide));
  }

  /** Reports now, or queues while join() has not resolved yet. */
  private fire(session: Session, report: () => void): void {
    if (session.deferred) session.deferred.push(report);
    else if (!session.ended) report();
  }

  /**
   * Delivers the reports held back during join, one task after join() resolved: apps often
   * register their handlers right after `await join()` and still expect what was there.
   */
  private flushDeferred(session: Session): void {
    const queued = session.deferred;
    session.deferred = null;
    if (!queued || session.ended || this.session !== session) return;
    for (const report of queued) {
      if (session.ended) return;
      report();
    }
  }

  private onPublisherState(
    session: Session,
    transport: PublisherTransport,
    state: RTCPeerConnectionState,
  ): void {
    // Also while a publish is under way: the connection comes up before publish() resolves.
    if (session.publisher !== transport || session.ended) return;
    session.recovery?.peerState('publisher', state);
  }

  private onSubscriberState(session: Session, state: RTCPeerConnectionState): void {
    if (session.ended || this.session !== session) return;
    session.recovery?.peerState('subscriber', state);
  }

  /** Restarts ICE, reports RECONNECTING/CONNECTED, and gives up after reconnectTimeoutMs. */
  private startRecovery(session: Session): void {
    const live = (): boolean =>
      this.session === session && !session.ended && this.phase === 'joined';
    const recovery = new ConnectionRecovery(
      {
        restart: async (pc) => {
          if (!live()) return;
          if (pc === 'publisher') await session.publications.restartIce();
          else await session.signal.request('restart-ice', { pc: 'subscriber' });
        },
        stateChanged: (state) => {
          if (live()) this.setConnectionState(state);
        },
        gaveUp: (pc) => {
          if (!live()) return;
          // Everything was unpublished meanwhile: nothing is lost.
          if (pc === 'publisher' && session.publishedStreams().length === 0) return;
          const error = new RtcError({
            code:
              pc === 'publisher'
                ? ErrorCode.UPLINK_RECONNECTION_FAILED
                : ErrorCode.DOWNLINK_RECONNECTION_FAILED,
            message: `the ${pc} connection stayed broken for ${this.reconnectTimeoutMs} ms despite ICE restarts; join again`,
          });
          log.error(error.message);
          if (session.signal.state === 'open') {
            session.signal
              .request('leave', {}, { timeoutMs: LEAVE_TIMEOUT_MS })
              .catch(() => undefined);
          }
          this.endSession(session, error);
          this.handler.onFatalError(error);
        },
      },
      { giveUpMs: this.reconnectTimeoutMs, log: (m) => log.info(m) },
    );
    session.recovery = recovery;
    // A new network (Wi-Fi ↔ cellular, a new address): the old paths are likely dead.
    const onNetworkChange = (): void => recovery.networkChanged();
    const connection = networkInformation();
    if (typeof window !== 'undefined') window.addEventListener('online', onNetworkChange);
    connection?.addEventListener('change', onNetworkChange);
    session.onClose(() => {
      recovery.close();
      if (typeof window !== 'undefined') window.removeEventListener('online', onNetworkChange);
      connection?.removeEventListener('change', onNetworkChange);
    });
  }

  // ---- helpers --------------------------------------------------------------------------------

  private assertStreamExists(session: Session, stream: RemoteStream): void {
    if (stream.isRemoved() || !session.streams.isCurrent(stream)) {
      throw RtcError.remoteStreamNotExist(
        `${describeStream(stream)} no longer exists (it was unpublished, its user left, or it belongs to an earlier join)`,
      );
    }
  }

  private assertLive(session: Session): void {
    if (session.ended) throw session.ended;
  }

  private setConnectionState(state: ConnectionState): void {
    const prevState = this.connectionState;
    if (prevState === state) return;
    this.connectionState = state;
    this.handler.onConnectionStateChanged(state, prevState);
  }
}

/** navigator.connection (Network Information API) where the browser has it. */
function networkInformation(): EventTarget | null {
  if (typeof navigator === 'undefined') return null;
  const connection = (navigator as Navigator & { connection?: EventTarget }).connection;
  return connection && typeof connection.addEventListener === 'function' ? connection : null;
}

/** A lost socket during join means the signaling channel could not be set up. */
function joinFailure(error: unknown): RtcError {
  if (error instanceof RtcError && error.code === ErrorCode.SIGNAL_CHANNEL_ERROR) {
    return RtcError.signalSetupFailed(error.message);
  }
  return RtcError.wrap(error, ErrorCode.JOIN_ROOM_FAILED, 'join failed');
}

function describeInfo(info: StreamInfo): string {
  return `the ${info.streamType} stream of user ${JSON.stringify(info.userId)}`;
}
