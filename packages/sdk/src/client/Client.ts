/**
 * The v4 Client: join/leave, publish/unpublish, subscribe/unsubscribe, and the room events.
 * A facade over the per-join RoomEngine (engine/RoomEngine.ts): it checks v4's arguments
 * and states, and turns the engine's reports into v4's events and errors.
 */
import type { StreamInfo } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { LocalStream } from '../stream/LocalStream.js';
import { RemoteStream } from '../stream/RemoteStream.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { createLogger } from '../util/Logger.js';
import { resolveSignalUrl } from '../util/serverUrl.js';
import * as mediaOut from './mediaOut.js';
import type { ConnectionState } from '../connectionState.js';
import { DEFAULT_RECONNECT_TIMEOUT_MS } from '../engine/ConnectionRecovery.js';
import {
  RoomEngine,
  type ClientDependencies,
  type RoomEngineHandler,
} from '../engine/RoomEngine.js';
import { checkSeiArgs } from '../engine/sei.js';
import { toIceServers, type TurnServerConfig } from '../engine/turnServers.js';
import type {
  LocalAudioStats,
  LocalVideoStats,
  RemoteAudioStats,
  RemoteVideoStats,
  TransportStats,
} from '../engine/stats.js';
import { buildJoinData, checkPublishOptions, checkSubscribeOptions } from '../util/validate.js';
import { VERSION } from '../version.js';
import {
  notSupportedYet,
  type ExperimentalAPIName,
  type MixTranscodeConfig,
  type ProxyServer,
  type PublishCDNStreamOptions,
} from '../notYet.js';
import { isSmallStreamSupported } from '../system.js';
import { checkSmallStreamProfile, type SmallStreamProfile } from '../engine/smallStream.js';
import { checkPublishable } from './checkPublishable.js';
import type {
  ClientBannedEvent,
  ClientConfig,
  ClientEvents,
  JoinOptions,
  PublishOptions,
  RemoteMutedState,
  SubscribeOptions,
} from './types.js';

export type { ClientDependencies };

const log = createLogger('client');

export class Client extends TypedEmitter<ClientEvents> {
  private readonly config: ClientConfig;
  private readonly deps: ClientDependencies;
  private readonly engine: RoomEngine;
  private destroyed = false;

  /** @internal Use `TRTC.createClient()`. */
  constructor(config: ClientConfig, deps: ClientDependencies = {}) {
    super();
    // A copy: the app mutating its object later must not change a joined session. Bad
    // values are reported by join(), as rejections (every API failure is an RtcError).
    this.config =
      typeof config === 'object' && config !== null ? { ...config } : ({} as ClientConfig);
    this.deps = deps;
    this.engine = new RoomEngine(this.engineHandler(), deps);
  }

  /** The engine's reports as v4 events. */
  private engineHandler(): RoomEngineHandler {
    return {
      onPeerJoin: (userId) => this.emit('peer-join', { userId }),
      onPeerLeave: (userId) => this.emit('peer-leave', { userId }),
      onStreamAdded: (stream) => this.emit('stream-added', { stream }),
      onStreamRemoved: (stream) => this.emit('stream-removed', { stream }),
      onStreamUpdated: (stream, info, previous) => this.onStreamUpdated(stream, info, previous),
      onConnectionStateChanged: (state, prevState) =>
        this.emit('connection-state-changed', { prevState, state }),
      onNetworkQuality: (event) => this.emit('network-quality', event),
      onAudioVolume: (result) => this.emit('audio-volume', { result }),
      onSeiMessage: ({ userId, data, payloadType }) =>
        this.emit('sei-message', {
          userId,
          data,
          seiPayloadType: payloadType,
          isFromAuxiliary: false,
        }),
      onBanned: (error) => this.emit('client-banned', error as ClientBannedEvent),
      onFatalError: (error) => this.emit('error', error),
      onMediaOutFailed: (error) => this.emit('error', error),
    };
  }

  private onStreamUpdated(stream: RemoteStream, info: StreamInfo, previous: StreamInfo): void {
    const { userId } = info;
    if (info.audioMuted !== previous.audioMuted) {
      this.emit(info.audioMuted ? 'mute-audio' : 'unmute-audio', { userId });
    }
    if (info.videoMuted !== previous.videoMuted) {
      this.emit(info.videoMuted ? 'mute-video' : 'unmute-video', { userId });
    }
    if (
      info.hasAudio !== previous.hasAudio ||
      info.hasVideo !== previous.hasVideo ||
      info.hasSmall !== previous.hasSmall
    ) {
      this.emit('stream-updated', { stream });
    }
  }

  /**
   * TURN servers for the media connections of the next `join()` (v4: call it before join),
   * for networks that block UDP to the Parley server. Throws INVALID_PARAMETER when a
   * description is unusable; an empty array removes them.
   */
  setTurnServer(config: TurnServerConfig | TurnServerConfig[]): void {
    this.engine.setIceServers(toIceServers(config));
  }

  /** The signaling connection state (what `connection-state-changed` last reported). */
  getConnectionState(): ConnectionState {
    return this.engine.getConnectionState();
  }

  /**
   * Enters a room. Fires `peer-join` and `stream-added` for who and what is already there
   * right after it resolves (so handlers registered just after `await join()` see them too).
   */
  async join(options: JoinOptions): Promise<void> {
    this.assertNotDestroyed();
    // leave(); join() without awaiting leave (e.g. a remount) joins once leave is done.
    if (this.engine.pendingLeave) await this.engine.pendingLeave;
    if (this.engine.joining) throw RtcError.invalidOperation('join() is already in progress');
    if (this.engine.joined) {
      throw RtcError.invalidOperation('this client has already joined a room; call leave() first');
    }
    const joinData = buildJoinData(this.config, options, VERSION);
    const reconnectTimeoutMs = checkReconnectTimeout(this.config.reconnectTimeoutMs);
    const url = resolveSignalUrl(this.config.serverUrl, this.deps.defaultSignalUrl);
    await this.engine.join(joinData, { url, reconnectTimeoutMs });
  }

  /**
   * Leaves the room: says goodbye to the server, closes both connections and the socket,
   * stops remote players. Aborts a pending join. Idempotent; never rejects.
   */
  leave(): Promise<void> {
    return this.engine.leave();
  }

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
    this.assertNotDestroyed();
    await this.engine.updatePrivateMapKey(key, "callExperimentalAPI('updatePrivateMapKey')");
    return undefined;
  }
  /** Not in Parley yet (4.8 API; use autoSubscribe and subscribe options). Throws NOT_SUPPORTED. */
  setDefaultMuteRemoteStreams(_muted: boolean): void {
    throw notSupportedYet('setDefaultMuteRemoteStreams', 'use subscribe(stream, {audio, video})');
  }

  /** Leaves and drops every listener; the client cannot be used afterwards. */
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
    await this.engine.publish(stream, streamType);
  }

  /** Stops publishing the stream (its capture keeps running; another published stream too). */
  async unpublish(stream: LocalStream): Promise<void> {
    this.joinedSession('unpublish');
    if (!(stream instanceof LocalStream)) {
      throw RtcError.invalidParameter('unpublish() needs the published LocalStream');
    }
    await this.engine.unpublish(stream);
  }

  /**
   * Receives a remote stream's media. Resolves and fires `stream-subscribed` once the
   * server agreed and the requested tracks are on the stream (immediately when
   * autoSubscribe already brought them).
   */
  async subscribe(stream: RemoteStream, options?: SubscribeOptions): Promise<void> {
    this.joinedSession('subscribe');
    if (!(stream instanceof RemoteStream)) {
      throw RtcError.invalidParameter('subscribe() needs a RemoteStream from a stream-added event');
    }
    const wanted = checkSubscribeOptions(options);
    await this.engine.subscribe(stream, wanted);
    this.emit('stream-subscribed', { stream });
  }

  /** Stops receiving a remote stream's media. */
  async unsubscribe(stream: RemoteStream): Promise<void> {
    this.joinedSession('unsubscribe');
    if (!(stream instanceof RemoteStream)) {
      throw RtcError.invalidParameter('unsubscribe() needs a RemoteStream');
    }
    await this.engine.unsubscribe(stream);
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
    this.engine.smallStream.enabled = true;
    log.info('small stream enabled');
  }

  /** Publishes the main video without a small stream again (before publish or after unpublish). */
  async disableSmallStream(): Promise<void> {
    this.assertNotDestroyed();
    this.assertMainUnpublished('disableSmallStream');
    this.engine.smallStream.enabled = false;
    log.info('small stream disabled');
  }

  /**
   * The small stream's size, bitrate (kbps) and frame rate (v4 default 160×120, 100 kbps,
   * 15 fps). Best called before publish(); a published small stream follows at once. Keep the
   * big stream's aspect ratio: the small one is the same picture scaled down to fit.
   */
  setSmallStreamProfile(profile: SmallStreamProfile): void {
    this.assertNotDestroyed();
    this.engine.smallStream.profile = checkSmallStreamProfile(profile);
    this.engine.applySmallStreamProfile();
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
    this.assertNotDestroyed();
    await this.engine.setRemoteVideoType(stream, type);
  }

  /** The main-stream flags of every remote publisher, as v4 reports them. */
  getRemoteMutedState(): RemoteMutedState[] {
    return this.engine
      .remoteStreamInfos()
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
    this.assertNotDestroyed();
    await this.engine.switchRole(role);
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
    this.engine.sendSei(bytes, payloadType);
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
    this.engine.configureAudioVolume(intervalMs, runInBackground === true);
  }

  /** Round trips in ms: `rtt` to the server, `downlinksRTT` per remote user received. */
  async getTransportStats(): Promise<TransportStats> {
    return (await this.engine.stats(true)?.transportStats()) ?? { rtt: 0, downlinksRTT: {} };
  }

  /** `{[ownUserId]: {bytesSent, packetsSent, packetsLost}}` of the published audio. */
  async getLocalAudioStats(): Promise<Record<string, LocalAudioStats>> {
    return (await this.engine.stats()?.localAudioStats()) ?? {};
  }

  /** `{[ownUserId]: {bytesSent, packetsSent, framesEncoded, frameWidth, ...}}`. */
  async getLocalVideoStats(): Promise<Record<string, LocalVideoStats>> {
    return (await this.engine.stats()?.localVideoStats()) ?? {};
  }

  /** `{[userId]: {bytesReceived, packetsReceived, packetsLost}}` per received user. */
  async getRemoteAudioStats(): Promise<Record<string, RemoteAudioStats>> {
    return (await this.engine.stats()?.remoteAudioStats()) ?? {};
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
    return (await this.engine.stats()?.remoteVideoStats(type)) ?? {};
  }

  // ---- helpers ------------------------------------------------------------------------------

  private joinedSession(method: string): ReturnType<RoomEngine['joinedSession']> {
    this.assertNotDestroyed();
    return this.engine.joinedSession(method);
  }

  /** Dual stream is chosen while the main stream is not published (v4's rule). */
  private assertMainUnpublished(method: string): void {
    if (this.engine.publishing('main')) {
      throw RtcError.invalidOperation(
        `${method}() must be called before publish() or after unpublish() of the main stream`,
      );
    }
  }

  private assertNotDestroyed(): void {
    if (this.destroyed)
      throw RtcError.invalidOperation('this client was destroyed; create a new one');
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
