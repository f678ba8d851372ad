/**
 * The v4 Client: join/leave, publish/unpublish, subscribe/unsubscribe, and the room events.
 * It is the only orchestrator: the signaling channel, the two peer connections, the room
 * state and the streams report to it and never to each other.
 *
 * Everything one join creates lives in a Session (Session.ts); leave, a ban or a failed
 * reconnect ends it as a whole.
 */
import {
  ErrorCode,
  ProtocolErrorCode,
  type JoinData,
  type ServerRequestResult,
  type StreamInfo,
} from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { LocalStream } from '../stream/LocalStream.js';
import { RemoteStream } from '../stream/RemoteStream.js';
import type { ServerNotification, ServerRequest } from '../signal/SignalChannel.js';
import type { PublisherTransport } from '../transport/PublisherTransport.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { createLogger, logUpload } from '../util/Logger.js';
import { logUploadUrl } from '../util/LogUploader.js';
import { resolveSignalUrl } from '../util/serverUrl.js';
import { AudioVolumeMeter } from './AudioVolumeMeter.js';
import { ConnectionRecovery, DEFAULT_RECONNECT_TIMEOUT_MS } from './ConnectionRecovery.js';
import { LossResilience } from './LossResilience.js';
import * as mediaOut from './mediaOut.js';
import { NetworkQualityMonitor } from './networkQuality.js';
import { switchRole } from './roles.js';
import { checkSeiArgs, fromBase64, toBase64 } from './sei.js';
import { StatsReader } from './StatsReader.js';
import { toIceServers, type TurnServerConfig } from './turnServers.js';
import { DEFAULT_RTC_CONFIGURATION } from '../transport/PeerTransport.js';
import type {
  LocalAudioStats,
  LocalVideoStats,
  RemoteAudioStats,
  RemoteVideoStats,
  TransportStats,
} from './stats.js';
import {
  buildJoinData,
  checkPublishable,
  checkPublishOptions,
  checkSubscribeOptions,
} from '../util/validate.js';
import { VERSION } from '../version.js';
import {
  notSupportedYet,
  type ExperimentalAPIName,
  type MixTranscodeConfig,
  type ProxyServer,
  type PublishCDNStreamOptions,
} from '../notYet.js';
import { isSmallStreamSupported } from '../system.js';
import {
  checkSmallStreamProfile,
  SmallStreamSettings,
  type SmallStreamProfile,
} from './smallStream.js';
import { streamKey, type RoomChange } from './RoomState.js';
import { Session, describeStream, type ClientDependencies } from './Session.js';
import type {
  ClientBannedEvent,
  ClientConfig,
  ClientEvents,
  ConnectionState,
  JoinOptions,
  PublishOptions,
  RemoteMutedState,
  SubscribeOptions,
} from './types.js';

export type { ClientDependencies };

const log = createLogger('client');

/** Publish and subscribe give up after this long (v4 uses the same order of magnitude). */
const CONNECT_TIMEOUT_MS = 10_000;
const SUBSCRIBE_TIMEOUT_MS = 10_000;
/** leave() must be quick even when the server is gone: it only says goodbye. */
const LEAVE_TIMEOUT_MS = 2_000;

type Phase = 'idle' | 'joining' | 'joined';

export class Client extends TypedEmitter<ClientEvents> {
  private readonly config: ClientConfig;
  private readonly deps: ClientDependencies;
  private phase: Phase = 'idle';
  private connectionState: ConnectionState = 'DISCONNECTED';
  private session: Session | null = null;
  private leaving: Promise<void> | null = null;
  private destroyed = false;
  /** From setTurnServer(): the iceServers of the next session's peer connections. */
  private iceServers: RTCIceServer[] = [];
  /** createClient's reconnectTimeoutMs, checked at join. */
  private reconnectTimeoutMs = DEFAULT_RECONNECT_TIMEOUT_MS;
  private readonly volumeMeter = new AudioVolumeMeter((event) => this.emit('audio-volume', event));
  /** Dual stream: whether the main video is published with a small stream, and its profile. */
  private readonly smallStream = new SmallStreamSettings();

  /** @internal Use `TRTC.createClient()`. */
  constructor(config: ClientConfig, deps: ClientDependencies = {}) {
    super();
    // A copy: the app mutating its object later must not change a joined session. Bad
    // values are reported by join(), as rejections (every API failure is an RtcError).
    this.config =
      typeof config === 'object' && config !== null ? { ...config } : ({} as ClientConfig);
    this.deps = deps;
  }

  /**
   * TURN servers for the media connections of the next `join()` (v4: call it before join),
   * for networks that block UDP to the Parley server. Throws INVALID_PARAMETER when a
   * description is unusable; an empty array removes them.
   */
  setTurnServer(config: TurnServerConfig | TurnServerConfig[]): void {
    this.iceServers = toIceServers(config);
    if (this.session) log.warn('setTurnServer(): takes effect at the next join()');
  }

  /** The signaling connection state (what `connection-state-changed` last reported). */
  getConnectionState(): ConnectionState {
    return this.connectionState;
  }

  /**
   * Enters a room. Fires `peer-join` and `stream-added` for who and what is already there
   * right after it resolves (so handlers registered just after `await join()` see them too).
   */
  async join(options: JoinOptions): Promise<void> {
    this.assertNotDestroyed();
    // leave(); join() without awaiting leave (e.g. a remount) joins once leave is done.
    if (this.leaving) await this.leaving;
    if (this.phase === 'joining') throw RtcError.invalidOperation('join() is already in progress');
    if (this.phase === 'joined') {
      throw RtcError.invalidOperation('this client has already joined a room; call leave() first');
    }
    const joinData = buildJoinData(this.config, options, VERSION);
    this.reconnectTimeoutMs = checkReconnectTimeout(this.config.reconnectTimeoutMs);
    let url = resolveSignalUrl(this.config.serverUrl, this.deps.defaultSignalUrl);
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

  /** Leaves and drops every listener; the client cannot be used afterwards. */
  // ---- v4 features Parley does not have yet: a clear refusal rather than a TypeError ----

  /** Not in Parley yet: point `serverUrl` at your proxy instead. Throws NOT_SUPPORTED. */
  setProxyServer(_proxyServer: string | ProxyServer): void {
    throw notSupportedYet(
      'setProxyServer',
      'use createClient({serverUrl}) to reach Parley through a proxy',
    );
  }
  /** Relays this client's mix (streamId naming it) or its own stream over RTMP (mediaOut.ts). */
  async startPublishCDNStream(options?: PublishCDNStreamOptions): Promise<void> {
    await mediaOut.startPublishCDNStream(
      this.joinedSession('startPublishCDNStream').signal,
      options,
    );
  }
  async stopPublishCDNStream(): Promise<void> {
    await mediaOut.stopPublishCDNStream(this.joinedSession('stopPublishCDNStream').signal);
  }
  /** Mixes users of the room by a layout on the server (mediaOut.ts). */
  async startMixTranscode(config: MixTranscodeConfig): Promise<void> {
    const session = this.joinedSession('startMixTranscode');
    await mediaOut.startMixTranscode(session.signal, session.joinData.userId, config);
  }
  async stopMixTranscode(): Promise<void> {
    await mediaOut.stopMixTranscode(this.joinedSession('stopMixTranscode').signal);
  }
  /**
   * `updatePrivateMapKey` ({privateMapKey}): replaces this user's room permission in the
   * joined room. The server verifies the key as at join and applies its privileges at once
   * (tracks it may no longer send stop reaching the others; streams it may now receive are
   * announced and forwarded). Rejects with the server's refusal (INVALID_PARAMETER, extraCode
   * -100006) and keeps the previous key when the new one is not valid.
   */
  async callExperimentalAPI(name: ExperimentalAPIName, options: object): Promise<unknown> {
    if (name !== 'updatePrivateMapKey') {
      throw RtcError.invalidParameter(
        `callExperimentalAPI: unknown name ${JSON.stringify(name)}; the one supported is 'updatePrivateMapKey'`,
      );
    }
    const key: unknown =
      typeof options === 'object' && options !== null && 'privateMapKey' in options
        ? options.privateMapKey
        : undefined;
    if (typeof key !== 'string' || key === '') {
      throw RtcError.invalidParameter(
        "callExperimentalAPI('updatePrivateMapKey', {privateMapKey}): privateMapKey must be a non-empty string",
      );
    }
    const session = this.joinedSession("callExperimentalAPI('updatePrivateMapKey')");
    await session.signal.request('update-private-map-key', { privateMapKey: key });
    return undefined;
  }
  /** Not in Parley yet (4.8 API; use autoSubscribe and subscribe options). Throws NOT_SUPPORTED. */
  setDefaultMuteRemoteStreams(_muted: boolean): void {
    throw notSupportedYet('setDefaultMuteRemoteStreams', 'use subscribe(stream, {audio, video})');
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    // Marked first: a join() called while the leave below runs must be refused.
    this.destroyed = true;
    await this.leave();
    this.off('*');
  }

  /**
   * Publishes a LocalStream (after join and initialize); resolves once media flows. With
   * `{isAuxiliary: true}` it is this user's auxiliary stream (a screen share), published
   * beside the main one on the same connection.
   */
  async publish(stream: LocalStream, options: PublishOptions = {}): Promise<void> {
    const session = this.joinedSession('publish');
    const streamType = checkPublishOptions(options);
    checkPublishable(stream, options, session.joinData, session.publications.occupant(streamType));
    const publishedAs = session.publications.typeOf(stream);
    if (publishedAs) {
      throw RtcError.invalidOperation(
        `this stream is already published (or being published) as the ${publishedAs} stream`,
      );
    }
    try {
      await session.publications.publish(stream, streamType);
    } catch (error) {
      if (session.ended) {
        throw RtcError.invalidOperation(`publish aborted: ${session.ended.message}`);
      }
      throw RtcError.wrap(error, ErrorCode.UNKNOWN, 'publish failed');
    }
    log.info(
      `published ${stream
        .getPublishTracks()
        .map((t) => t.kind)
        .join('+')} as the ${streamType} stream`,
    );
  }

  /** Stops publishing the stream (its capture keeps running; another published stream too). */
  async unpublish(stream: LocalStream): Promise<void> {
    const session = this.joinedSession('unpublish');
    if (!(stream instanceof LocalStream)) {
      throw RtcError.invalidParameter('unpublish() needs the published LocalStream');
    }
    await session.publications.unpublish(stream);
  }

  /**
   * Receives a remote stream's media. Resolves and fires `stream-subscribed` once the
   * server agreed and the requested tracks are on the stream (immediately when
   * autoSubscribe already brought them).
   */
  async subscribe(stream: RemoteStream, options?: SubscribeOptions): Promise<void> {
    const session = this.joinedSession('subscribe');
    if (!(stream instanceof RemoteStream)) {
      throw RtcError.invalidParameter('subscribe() needs a RemoteStream from a stream-added event');
    }
    const wanted = checkSubscribeOptions(options);
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
    this.emit('stream-subscribed', { stream });
  }

  /** Stops receiving a remote stream's media. */
  async unsubscribe(stream: RemoteStream): Promise<void> {
    const session = this.joinedSession('unsubscribe');
    if (!(stream instanceof RemoteStream)) {
      throw RtcError.invalidParameter('unsubscribe() needs a RemoteStream');
    }
    this.assertStreamExists(session, stream);
    const key = streamKey(stream.getUserId(), stream.getType());
    session.cancelWaiters(key, RtcError.invalidOperation('cancelled by unsubscribe()'));
    await session.signal.request('unsubscribe', {
      userId: stream.getUserId(),
      streamType: stream.getType(),
    });
  }

  // ---- dual stream (big + small, sent as simulcast) ---------------------------------------

  /**
   * Publishes the main video with a small stream too (v4: call it before publish() or after
   * unpublish()). Rejects NOT_SUPPORTED where the browser cannot simulcast
   * (`TRTC.isSmallStreamSupported()`), INVALID_OPERATION while the main stream is published.
   */
  async enableSmallStream(): Promise<void> {
    this.assertNotDestroyed();
    if (!isSmallStreamSupported()) {
      throw RtcError.notSupported('this browser cannot publish a small stream (no simulcast)');
    }
    this.assertMainUnpublished('enableSmallStream');
    this.smallStream.enabled = true;
    log.info('small stream enabled');
  }

  /** Publishes the main video without a small stream again (before publish or after unpublish). */
  async disableSmallStream(): Promise<void> {
    this.assertNotDestroyed();
    this.assertMainUnpublished('disableSmallStream');
    this.smallStream.enabled = false;
    log.info('small stream disabled');
  }

  /**
   * The small stream's size, bitrate (kbps) and frame rate (v4 default 160×120, 100 kbps,
   * 15 fps). Best called before publish(); a published small stream follows at once. Keep the
   * big stream's aspect ratio: the small one is the same picture scaled down to fit.
   */
  setSmallStreamProfile(profile: SmallStreamProfile): void {
    this.assertNotDestroyed();
    this.smallStream.profile = checkSmallStreamProfile(profile);
    this.session?.publications.applySmallStreamProfile();
  }

  /**
   * Receives a remote stream's big or small video. Takes effect when its publisher sends a
   * small stream (`getRemoteMutedState()` `hasSmall`); kept for the stream, so it may be
   * called before subscribe(). Without this the server still sends the small one while the
   * downlink cannot carry the big one.
   */
  async setRemoteVideoStreamType(stream: RemoteStream, type: 'big' | 'small'): Promise<void> {
    if (!(stream instanceof RemoteStream)) {
      throw RtcError.invalidParameter(
        'setRemoteVideoStreamType() needs a RemoteStream from a stream-added event',
      );
    }
    if (type !== 'big' && type !== 'small') {
      throw RtcError.invalidParameter(
        `setRemoteVideoStreamType() type must be 'big' or 'small', got ${JSON.stringify(type)}`,
      );
    }
    const session = this.joinedSession('setRemoteVideoStreamType');
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

  /** The main-stream flags of every remote publisher, as v4 reports them. */
  getRemoteMutedState(): RemoteMutedState[] {
    const session = this.session;
    if (!session) return [];
    return session.room
      .streams()
      .filter((s) => s.streamType === 'main')
      .map(({ userId, hasAudio, hasVideo, audioMuted, videoMuted, hasSmall }) => ({
        userId,
        hasAudio,
        hasVideo,
        audioMuted,
        videoMuted,
        hasSmall,
      }));
  }

  // ---- live mode, SEI, stats and volume ---------------------------------------------------

  /**
   * Live mode: becomes an anchor (announced to the others, may publish) or an audience
   * member (the published streams are unpublished; invisible to the others).
   */
  async switchRole(role: 'anchor' | 'audience'): Promise<void> {
    await switchRole(this.joinedSession('switchRole'), role);
    log.info(`switched role to ${role}`);
  }

  /**
   * Sends up to 1000 bytes to everyone else in the room (`sei-message`), while publishing
   * video. Relayed in order through the server, not inside the video: see sei.ts.
   */
  sendSEIMessage(buffer: ArrayBuffer | Uint8Array, options?: { seiPayloadType?: number }): void {
    const { bytes, payloadType } = checkSeiArgs(buffer, options);
    const session = this.joinedSession('sendSEIMessage');
    if (!session.publishedStreams().some(({ stream }) => stream.hasVideo())) {
      throw RtcError.invalidOperation('sendSEIMessage() needs a published stream with video');
    }
    session.signal
      .request('sei', { payloadType, data: toBase64(bytes) })
      .catch((error: unknown) => log.warn('an SEI message was not delivered', error));
  }

  /**
   * Emits `audio-volume` every `intervalMs` (default 2000; <= 0 turns it off) with the
   * volume of the published audio and of every received remote audio. While the page is
   * hidden it pauses unless `runInBackground`.
   */
  enableAudioVolumeEvaluation(intervalMs = 2000, runInBackground = false): void {
    if (typeof intervalMs !== 'number' || Number.isNaN(intervalMs)) {
      throw RtcError.invalidParameter(
        `enableAudioVolumeEvaluation() interval must be a number of ms, got ${String(intervalMs)}`,
      );
    }
    this.volumeMeter.configure(intervalMs, runInBackground === true);
  }

  /** Round trips in ms: `rtt` to the server, `downlinksRTT` per remote user received. */
  async getTransportStats(): Promise<TransportStats> {
    const session = this.session;
    if (!session || this.phase !== 'joined') return { rtt: 0, downlinksRTT: {} };
    return new StatsReader(session).transportStats();
  }

  /** `{[ownUserId]: {bytesSent, packetsSent, packetsLost}}` of the published audio. */
  async getLocalAudioStats(): Promise<Record<string, LocalAudioStats>> {
    return this.session ? new StatsReader(this.session).localAudioStats() : {};
  }

  /** `{[ownUserId]: {bytesSent, packetsSent, framesEncoded, frameWidth, ...}}`. */
  async getLocalVideoStats(): Promise<Record<string, LocalVideoStats>> {
    return this.session ? new StatsReader(this.session).localVideoStats() : {};
  }

  /** `{[userId]: {bytesReceived, packetsReceived, packetsLost}}` per received user. */
  async getRemoteAudioStats(): Promise<Record<string, RemoteAudioStats>> {
    return this.session ? new StatsReader(this.session).remoteAudioStats() : {};
  }

  /** Like getRemoteAudioStats, plus frames and size, for the 'main' or 'auxiliary' video. */
  async getRemoteVideoStats(
    type: 'main' | 'auxiliary' = 'main',
  ): Promise<Record<string, RemoteVideoStats>> {
    if (type !== 'main' && type !== 'auxiliary') {
      throw RtcError.invalidParameter(
        `getRemoteVideoStats() type must be 'main' or 'auxiliary', got ${String(type)}`,
      );
    }
    return this.session ? new StatsReader(this.session).remoteVideoStats(type) : {};
  }

  // ---- session lifecycle ----------------------------------------------------------------

  /** What runs beside a joined session: network quality, audio volume, log upload. */
  private startSessionServices(session: Session, logToken: string | undefined): void {
    const quality = new NetworkQualityMonitor(session, (e) => this.emit('network-quality', e));
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
    // The callbacks below only run once `session` is assigned.
    const session: Session = new Session({
      url,
      joinData,
      deps:
        this.iceServers.length === 0
          ? this.deps
          : {
              ...this.deps,
              rtcConfiguration: {
                ...(this.deps.rtcConfiguration ?? DEFAULT_RTC_CONFIGURATION),
                iceServers: this.iceServers,
              },
            },
      onServerRequest: (request) => this.onServerRequest(session, request),
      onSubscriberState: (state) => this.onSubscriberState(session, state),
      onPublisherState: (transport, state) => this.onPublisherState(session, transport, state),
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
      this.emit('error', fatal);
    });
    return session;
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

  /** Closes everything of the session and returns the client to idle/DISCONNECTED. */
  private endSession(session: Session, reason: RtcError): void {
    const current = this.session === session;
    if (current) {
      this.session = null;
      this.phase = 'idle';
    }
    session.close(reason);
    if (current) this.setConnectionState('DISCONNECTED');
  }

  // ---- server input -----------------------------------------------------------------------

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
        return this.applyRoomChanges(session, room.handlePeerLeave(notification.data.userId));
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
        const event = {
          userId,
          data: fromBase64(data),
          seiPayloadType: payloadType,
          isFromAuxiliary: false,
        };
        this.fire(session, () => this.emit('sei-message', event));
        return;
      }
      case 'error': {
        // A refusal without a request to answer (e.g. too many messages): nothing to undo.
        const { code, extraCode, message } = notification.data;
        const failure = mediaOut.runningFailure(notification.data);
        if (failure) return this.fire(session, () => this.emit('error', failure));
        log.warn(`the server refused a message (${code}/${extraCode ?? '-'}): ${message}`);
        return;
      }
      case 'banned': {
        const { reason, message } = notification.data;
        log.warn(`removed from the room by the server (${reason}): ${message}`);
        const event = Object.assign(
          new RtcError({
            code: ErrorCode.CLIENT_BANNED,
            message: message || `removed from the room (${reason})`,
          }),
          { reason },
        ) as ClientBannedEvent;
        this.endSession(session, event);
        this.emit('client-banned', event);
        return;
      }
    }
  }

  /** Turns room changes into RemoteStream objects (now) and events (now or deferred). */
  private applyRoomChanges(session: Session, changes: RoomChange[]): void {
    for (const change of changes) {
      switch (change.type) {
        case 'peer-join':
        case 'peer-leave': {
          const { type, userId } = change;
          this.fire(session, () => this.emit(type, { userId }));
          break;
        }
        case 'stream-added': {
          const stream = session.streams.create(change.stream);
          this.fire(session, () => this.emit('stream-added', { stream }));
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
          if (stream) this.fire(session, () => this.emit('stream-removed', { stream }));
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
    const { userId } = info;
    if (info.audioMuted !== previous.audioMuted) {
      const event = info.audioMuted ? 'mute-audio' : 'unmute-audio';
      this.fire(session, () => this.emit(event, { userId }));
    }
    if (info.videoMuted !== previous.videoMuted) {
      const event = info.videoMuted ? 'mute-video' : 'unmute-video';
      this.fire(session, () => this.emit(event, { userId }));
    }
    if (
      info.hasAudio !== previous.hasAudio ||
      info.hasVideo !== previous.hasVideo ||
      info.hasSmall !== previous.hasSmall
    ) {
      this.fire(session, () => this.emit('stream-updated', { stream }));
    }
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

  /** Emits now, or queues while join() has not resolved yet. */
  private fire(session: Session, emit: () => void): void {
    if (session.deferred) session.deferred.push(emit);
    else if (!session.ended) emit();
  }

  /**
   * Delivers the events held back during join, one task after join() resolved: v4 apps
   * often register `stream-added` right after `await client.join()` and still expect the
   * streams already in the room.
   */
  private flushDeferred(session: Session): void {
    const queued = session.deferred;
    session.deferred = null;
    if (!queued || session.ended || this.session !== session) return;
    for (const emit of queued) {
      if (session.ended) return;
      emit();
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
          this.emit('error', error);
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

  // ---- helpers ------------------------------------------------------------------------------

  private joinedSession(method: string): Session {
    this.assertNotDestroyed();
    const session = this.session;
    if (!session || this.phase !== 'joined' || session.ended) {
      throw RtcError.invalidOperation(`${method}() requires a joined room: call join() first`);
    }
    return session;
  }

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

  /** Dual stream is chosen while the main stream is not published (v4's rule). */
  private assertMainUnpublished(method: string): void {
    if (this.session?.publications.occupant('main')) {
      throw RtcError.invalidOperation(
        `${method}() must be called before publish() or after unpublish() of the main stream`,
      );
    }
  }

  private assertNotDestroyed(): void {
    if (this.destroyed)
      throw RtcError.invalidOperation('this client was destroyed; create a new one');
  }

  private setConnectionState(state: ConnectionState): void {
    const prevState = this.connectionState;
    if (prevState === state) return;
    this.connectionState = state;
    this.emit('connection-state-changed', { prevState, state });
  }
}

/** createClient's reconnectTimeoutMs: 5 s to 10 min, default 30 s. */
function checkReconnectTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_RECONNECT_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 5000 || value > 600_000) {
    throw RtcError.invalidParameter(
      `reconnectTimeoutMs must be an integer from 5000 to 600000 (ms), got ${String(value)}`,
    );
  }
  return value;
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
