/**
 * The v5 face (`TRTC.create()`): one object per user that enters rooms, captures and
 * publishes its camera, microphone and screen, and shows remote users' video in views. A
 * facade over the same RoomEngine as the v4 Client: it checks v5's arguments and states,
 * decides what to receive (RemoteMedia) and publish (LocalMedia), and turns the engine's
 * reports into `TRTC.EVENT`s with v5's payloads and its failures into v5 RtcErrors.
 */
import type { JoinData, StreamInfo } from '@parley/protocol';
import { PROTOCOL_VERSION } from '@parley/protocol';
import type { ConnectionState } from '../connectionState.js';
import { RoomEngine, type BanReason, type ClientDependencies } from '../engine/RoomEngine.js';
import { toIceServers, type TurnServerConfig } from '../engine/turnServers.js';
import type { RemoteStream } from '../stream/RemoteStream.js';
import { LocalStream } from '../stream/LocalStream.js';
import { createLogger } from '../util/Logger.js';
import { resolveSignalUrl } from '../util/serverUrl.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { VERSION } from '../version.js';
import {
  V5_ERROR_CODE,
  V5_EXTRA,
  type V5RtcError,
  invalidOperation,
  invalidParameter,
  toV5Error,
  v5Error,
} from './engineErrors.js';
import { EXTRA_CODE } from './errors.js';
import { LocalMedia } from './LocalMedia.js';
import { DeviceWatcher } from './DeviceWatcher.js';
import { permissionWatcher } from './PermissionWatcher.js';
import { AUDIO_FRAME_SAMPLE_RATES, AudioFrames } from './AudioFrames.js';
import { LocalVolume } from './LocalVolume.js';
import { PluginRegistry } from './plugins/registry.js';
import { V5_VIDEO_PROFILES } from './profiles.js';
import {
  DEFAULT_SMALL_STREAM_PROFILE,
  checkSmallStreamProfile,
  type SmallStreamProfile,
} from '../engine/smallStream.js';
import { Statistics } from './Statistics.js';
import { RemoteMedia, toEngineType, toV5Type, type V5StreamType } from './RemoteMedia.js';
import {
  checkCustomMessage,
  checkEnterRoomConfig,
  checkMuteRemoteAudio,
  checkRemoteAudioVolume,
  checkRemoteVideoTarget,
  checkSEIMessage,
  checkStopRemoteVideoConfig,
  checkSwitchRoomConfig,
  resolveView,
} from './validate.js';
import type { FillMode, ViewTarget } from './VideoView.js';
import type {
  V5EnterRoomOptions,
  V5Events,
  V5LocalAudioConfig,
  V5LocalVideoConfig,
  V5RemoteVideoConfig,
  V5ScreenShareConfig,
  V5CreateOptions,
} from './facadeTypes.js';

const log = createLogger('trtc-v5');

export class TrtcInstance extends TypedEmitter<V5Events> {
  /** Vue's markRaw marker: Tencent's Vue demos keep the instance in component state. */
  readonly __v_skip = true;
  private readonly engine: RoomEngine;
  private readonly local: LocalMedia;
  private readonly localVolume: LocalVolume;
  private readonly statistics: Statistics;
  private readonly devices: DeviceWatcher;
  private readonly remote: RemoteMedia;
  private readonly plugins: PluginRegistry;
  private screen: LocalStream | null = null;
  private screenView: import('./VideoView.js').VideoView | null = null;
  private readonly createOptions: V5CreateOptions;
  private readonly deps: ClientDependencies;
  private entering = false;
  private destroyed = false;
  /** Remote availability already reported, by `userId|streamType|kind`. */
  private readonly available = new Set<string>();
  private userId = '';
  private readonly stopPermissionWatch: () => void;
  private readonly frames: AudioFrames;

  /** `TRTC.create()`. */
  static create(options: V5CreateOptions = {}, deps: ClientDependencies = {}): TrtcInstance {
    return new TrtcInstance(options, deps);
  }

  private constructor(options: V5CreateOptions, deps: ClientDependencies) {
    super();
    this.createOptions = typeof options === 'object' && options !== null ? { ...options } : {};
    this.deps = deps;
    this.engine = new RoomEngine(
      {
        onPeerJoin: (userId) => this.emit('remote-user-enter', { userId }),
        // v5's reasons: 0 left, 1 timed out, 2 kicked (3, a role change, is a leave here).
        onPeerLeave: (userId, reason) =>
          this.emit('remote-user-exit', {
            userId,
            ...(reason === undefined ? {} : { reason: PEER_LEAVE_REASONS[reason] }),
          }),
        onStreamAdded: (stream) => this.onStream(stream),
        onStreamUpdated: (stream) => this.onStream(stream),
        onStreamRemoved: (stream) => this.onStreamRemoved(stream),
        onRemoteTrackChanged: (stream, kind) => {
          this.remote.trackChanged(stream, kind);
          if (kind === 'audio') this.frames.refresh();
          const track = kind === 'audio' ? stream.getAudioTrack() : stream.getVideoTrack();
          if (track) {
            this.emit('track', {
              userId: stream.getUserId(),
              streamType: toV5Type(stream.getType()),
              track,
            });
          }
        },
        onConnectionStateChanged: (state, prevState) => this.onConnectionState(state, prevState),
        onNetworkQuality: (event) => this.emit('network-quality', event),
        onAudioVolume: (result) =>
          this.emit('audio-volume', {
            result: result
              .map(({ userId, audioVolume, stream }) => ({
                userId: stream instanceof LocalStream ? '' : userId,
                volume: audioVolume,
                floatVolume: audioVolume / 100,
              }))
              .sort((a, b) => b.volume - a.volume),
          }),
        onSeiMessage: ({ userId, data, payloadType }) =>
          this.emit('sei-message', {
            userId,
            data,
            streamType: 'main',
            seiPayloadType: payloadType,
          }),
        onCustomMessage: (message) => this.emit('custom-message', message),
        onBanned: (_error, reason) => this.onKicked(reason),
        onFatalError: (error) => {
          this.afterExit();
          this.emit(
            'error',
            v5Error(
              V5_ERROR_CODE.OPERATION_FAILED,
              error.message,
              'enterRoom',
              V5_EXTRA.REJOIN_FAILED,
              error,
            ),
          );
        },
      },
      deps,
    );
    this.local = new LocalMedia(
      this.engine,
      () => this.mayPublish(),
      (mediaType, state, prevState, reason, error) =>
        this.emit('publish-state-changed', {
          mediaType,
          state,
          prevState,
          ...(reason ? { reason } : {}),
          ...(error === undefined ? {} : { error: toV5Error(error, 'startLocal') }),
        }),
      {
        deviceActive: (kind, device) => {
          // A new microphone track: AUDIO_FRAME reads that one now.
          if (kind === 'audio') this.frames.refresh();
          this.emit('device-changed', {
            type: kind === 'audio' ? 'microphone' : 'camera',
            action: 'active',
            device,
          });
        },
        // v5: DEVICE_ERROR with CAMERA_/MICROPHONE_RECOVER_FAILED when a recapture fails.
        recoverFailed: (kind, error) =>
          this.emit(
            'error',
            v5Error(
              V5_ERROR_CODE.DEVICE_ERROR,
              `${kind === 'audio' ? 'microphone' : 'camera'} recover capture failed: ${error instanceof Error ? error.message : String(error)}`,
              kind === 'audio' ? 'startLocalAudio' : 'startLocalVideo',
              kind === 'audio'
                ? EXTRA_CODE.MICROPHONE_RECOVER_FAILED
                : EXTRA_CODE.CAMERA_RECOVER_FAILED,
              error instanceof Error ? error : undefined,
            ),
          ),
        videoSizeChanged: (newWidth, newHeight) =>
          this.emit('video-size-changed', {
            // v5: '' for the local preview before entering a room, the own userId in one.
            userId: this.engine.joined ? this.userId : '',
            streamType: 'main',
            newWidth,
            newHeight,
          }),
      },
    );
    this.statistics = new Statistics(this.engine, (s) => this.emit('statistics', s));
    this.devices = new DeviceWatcher((change) => this.emit('device-changed', change));
    this.frames = new AudioFrames(
      (userId) =>
        userId === ''
          ? this.local.track('audio')
          : (this.engine.remoteStream(userId, 'main')?.getAudioTrack() ?? null),
      () => (this.engine.joined ? this.engine.remoteUsers() : []),
      (frame) => this.emit('audio-frame', frame),
    );
    this.stopPermissionWatch = permissionWatcher.watch((states) =>
      this.emit('permission-state-change', states),
    );
    this.localVolume = new LocalVolume(
      () => this.local.track('audio'),
      () => !this.engine.joined,
      (level) =>
        this.emit('audio-volume', {
          result: [{ userId: '', volume: Math.round(level * 100), floatVolume: level }],
        }),
    );
    this.remote = new RemoteMedia(this.engine, {
      autoplayFailed: (userId, resume) =>
        this.emit('autoplay-failed', { userId, mediaType: 'audio', resume }),
      videoState: (userId, streamType, state, reason) =>
        this.emit('video-play-state-changed', { userId, streamType, state, reason }),
      audioState: (userId, state, reason) =>
        this.emit('audio-play-state-changed', { userId, state, reason }),
      firstVideoFrame: (userId, streamType, width, height) =>
        this.emit('first-video-frame', { userId, streamType, width, height }),
      videoSizeChanged: (userId, streamType, newWidth, newHeight) =>
        this.emit('video-size-changed', { userId, streamType, newWidth, newHeight }),
      pictureInPicture: (userId, streamType, isPictureInPicture, pictureInPictureWindow) =>
        this.emit('picture-in-picture-state-changed', {
          userId,
          streamType,
          isPictureInPicture,
          ...(pictureInPictureWindow ? { pictureInPictureWindow } : {}),
        }),
      fullScreen: (userId, streamType, isFullScreen) =>
        this.emit('full-screen-state-changed', { userId, streamType, isFullScreen }),
    });
    this.plugins = new PluginRegistry({
      engine: this.engine,
      local: this.local,
      autoplayFailed: (resume) =>
        this.emit('autoplay-failed', { userId: '', mediaType: 'audio', resume }),
      createProbe: () => TrtcInstance.create(this.createOptions, this.deps),
    });
  }

  // ---- room -----------------------------------------------------------------------------------

  async enterRoom(options: V5EnterRoomOptions): Promise<void> {
    const fn = 'enterRoom';
    this.assertAlive(fn);
    if (this.engine.pendingLeave) await this.engine.pendingLeave;
    if (this.entering || this.engine.joined) {
      throw invalidOperation(
        'already in a room (or entering one): call exitRoom() first',
        fn,
        V5_EXTRA.ALREADY_IN_ROOM,
      );
    }
    const joinData = this.buildJoinData(options, fn);
    const proxy =
      typeof options.proxy === 'object' && options.proxy !== null ? options.proxy : null;
    let url: string;
    try {
      url = resolveSignalUrl(
        (typeof options.proxy === 'string' ? options.proxy : proxy?.websocketProxy) ??
          this.createOptions.serverUrl,
        this.deps.defaultSignalUrl,
      );
      const turn = proxy?.turnServer;
      this.engine.setIceServers(
        turn ? toIceServers(turn as TurnServerConfig | TurnServerConfig[]) : [],
        proxy?.iceTransportPolicy,
      );
    } catch (error) {
      throw toV5Error(error, fn);
    }
    this.remote.autoReceiveAudio = options.autoReceiveAudio ?? true;
    this.userId = joinData.userId;
    this.entering = true;
    try {
      await this.engine.join(joinData, { url });
    } catch (error) {
      throw toV5Error(error, fn);
    } finally {
      this.entering = false;
    }
    this.statistics.start();
    // Local media started before the room is published now (v5: start* works before enterRoom).
    await this.publishLocal(fn);
  }

  async exitRoom(): Promise<void> {
    await this.engine.leave();
    this.afterExit();
  }

  async switchRole(
    role: 'anchor' | 'audience',
    option?: { privateMapKey?: string },
  ): Promise<void> {
    const fn = 'switchRole';
    this.assertAlive(fn);
    if (!this.engine.joined)
      throw invalidOperation('switchRole() needs a room: call enterRoom() first', fn);
    try {
      if (option?.privateMapKey) await this.engine.updatePrivateMapKey(option.privateMapKey, fn);
      await this.engine.switchRole(role, fn);
    } catch (error) {
      throw toV5Error(error, fn);
    }
    if (role === 'audience') {
      this.local.forgetPublication();
      this.screen?.setPublisher(null);
    } else await this.publishLocal(fn);
  }

  /**
   * Moves to another room of the same kind. A fast switch on the same signaling connection
   * where the server can (protocol 13: one request; the same local tracks published again
   * there, nothing captured again); where it refuses (a cluster node, a bad UserSig, a full
   * room) this falls back to exitRoom() + enterRoom() as trtc-sdk-v5 does on a failed
   * switch, so enterRoom's error (5400 with the account extraCode) is what rejects, out of
   * the old room.
   */
  async switchRoom(options: {
    roomId?: number;
    strRoomId?: string;
    userSig?: string;
    privateMapKey?: string;
  }): Promise<void> {
    const fn = 'switchRoom';
    this.assertAlive(fn);
    const joinData = this.engine.joinData;
    if (!joinData || !this.engine.joined) {
      throw invalidOperation(
        'switchRoom() needs a room: call enterRoom() first',
        fn,
        V5_EXTRA.NOT_IN_ROOM,
      );
    }
    const target = checkSwitchRoomConfig(options, joinData.room, fn);
    const previous = { ...joinData };
    try {
      await this.engine.switchRoom(
        {
          room: target.room,
          userSig: target.userSig,
          ...(target.privateMapKey ? { privateMapKey: target.privateMapKey } : {}),
        },
        fn,
      );
      return;
    } catch (error) {
      // Out of the room meanwhile (kicked, connection lost): that is the answer.
      if (!this.engine.joined) throw toV5Error(error, fn);
      log.warn(
        `switchRoom: the fast switch was refused (${error instanceof Error ? error.message : String(error)}); exiting and entering instead`,
      );
    }
    await this.exitRoom();
    await this.enterRoom({
      sdkAppId: previous.sdkAppId,
      userId: previous.userId,
      userSig: target.userSig,
      ...(target.room.kind === 'string'
        ? { strRoomId: target.room.id }
        : { roomId: target.room.id }),
      scene: previous.mode,
      role: previous.role,
      autoReceiveAudio: this.remote.autoReceiveAudio,
      ...(target.privateMapKey ? { privateMapKey: target.privateMapKey } : {}),
    });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.localVolume.stop();
    this.devices.stop();
    this.stopPermissionWatch();
    this.frames.stop();
    this.plugins.destroy();
    void this.exitRoom().finally(() => {
      void this.local.stop('audio');
      void this.local.stop('video');
      this.stopScreenNow();
      this.off('*');
    });
  }

  // ---- local audio and video -------------------------------------------------------------------

  async startLocalAudio(config: V5LocalAudioConfig = {}): Promise<void> {
    const fn = 'startLocalAudio';
    this.assertAlive(fn);
    if (this.local.has('audio')) throw invalidOperation('the microphone is already started', fn);
    const option = config.option ?? {};
    const captureVolume = checkCaptureVolume(option.captureVolume, fn);
    try {
      await this.local.startAudio({
        ...(captureVolume === undefined ? {} : { captureVolume }),
        ...(option.microphoneId ? { microphoneId: option.microphoneId } : {}),
        ...(option.profile !== undefined ? { profile: option.profile } : {}),
        ...(option.audioTrack ? { audioTrack: option.audioTrack } : {}),
        publish: config.publish ?? true,
        mute: config.mute === true || config.mute === 'microphone',
      });
    } catch (error) {
      throw toV5Error(error, fn);
    } finally {
      this.frames.refresh();
    }
  }

  async updateLocalAudio(config: V5LocalAudioConfig = {}): Promise<void> {
    const fn = 'updateLocalAudio';
    if (!this.local.has('audio'))
      throw invalidOperation('the microphone is not started: call startLocalAudio() first', fn);
    const captureVolume = checkCaptureVolume(config.option?.captureVolume, fn);
    try {
      await this.local.update('audio', {
        ...(captureVolume === undefined ? {} : { captureVolume }),
        ...(config.publish !== undefined ? { publish: config.publish } : {}),
        ...(config.mute !== undefined
          ? { mute: config.mute === true || config.mute === 'microphone' }
          : {}),
        ...(config.option?.profile !== undefined ? { profile: config.option.profile } : {}),
        ...(config.option?.microphoneId ? { deviceId: config.option.microphoneId } : {}),
      });
    } catch (error) {
      throw toV5Error(error, fn);
    } finally {
      this.frames.refresh();
    }
  }

  async stopLocalAudio(): Promise<void> {
    try {
      await this.local.stop('audio');
    } catch (error) {
      throw toV5Error(error, 'stopLocalAudio');
    } finally {
      this.frames.refresh();
    }
  }

  async startLocalVideo(config: V5LocalVideoConfig = {}): Promise<void> {
    const fn = 'startLocalVideo';
    this.assertAlive(fn);
    if (this.local.has('video')) throw invalidOperation('the camera is already started', fn);
    const option = config.option ?? {};
    const views = this.views(config.view, fn);
    // v5 option.small: the camera is sent with a small stream (simulcast) from its publish on.
    const small = checkSmallOption(option.small, fn);
    this.engine.smallStream.enabled = small !== null;
    if (small) this.engine.smallStream.profile = small;
    try {
      await this.local.startVideo({
        ...(option.cameraId ? { cameraId: option.cameraId } : {}),
        ...(option.useFrontCamera !== undefined ? { useFrontCamera: option.useFrontCamera } : {}),
        ...(option.profile !== undefined ? { profile: option.profile } : {}),
        ...(option.videoTrack ? { videoTrack: option.videoTrack } : {}),
        publish: config.publish ?? true,
        mute: config.mute === true || typeof config.mute === 'string',
        views,
        fillMode: checkFillMode(option.fillMode, fn),
        // v5's default mirrors the local preview of a camera ('view'); 'publish' alone does not.
        mirror:
          option.mirror === undefined ||
          option.mirror === true ||
          option.mirror === 'view' ||
          option.mirror === 'both',
        qosPreference: checkQosPreference(option.qosPreference, fn),
        publishMirror: option.mirror === 'publish' || option.mirror === 'both',
      });
    } catch (error) {
      throw toV5Error(error, fn);
    }
  }

  async updateLocalVideo(config: V5LocalVideoConfig = {}): Promise<void> {
    const fn = 'updateLocalVideo';
    if (!this.local.has('video'))
      throw invalidOperation('the camera is not started: call startLocalVideo() first', fn);
    const option = config.option ?? {};
    try {
      if (
        config.view !== undefined ||
        option.fillMode !== undefined ||
        option.mirror !== undefined
      ) {
        this.local.updateView(config.view === undefined ? undefined : this.views(config.view, fn), {
          ...(option.fillMode !== undefined
            ? { fillMode: checkFillMode(option.fillMode, fn) }
            : {}),
          ...(option.mirror !== undefined
            ? {
                mirror:
                  option.mirror === true || option.mirror === 'view' || option.mirror === 'both',
              }
            : {}),
        });
      }
      if (option.mirror !== undefined) {
        await this.local.setPublishMirror(option.mirror === 'publish' || option.mirror === 'both');
      }
      await this.local.update('video', {
        ...(config.publish !== undefined ? { publish: config.publish } : {}),
        ...(config.mute !== undefined
          ? { mute: config.mute === true || typeof config.mute === 'string' }
          : {}),
        ...(option.profile !== undefined ? { profile: option.profile } : {}),
        ...(option.cameraId ? { deviceId: option.cameraId } : {}),
      });
    } catch (error) {
      throw toV5Error(error, fn);
    }
  }

  async stopLocalVideo(): Promise<void> {
    try {
      await this.local.stop('video');
    } catch (error) {
      throw toV5Error(error, 'stopLocalVideo');
    }
  }

  // ---- screen share (the user's sub stream) ----------------------------------------------------

  async startScreenShare(config: V5ScreenShareConfig = {}): Promise<void> {
    const fn = 'startScreenShare';
    this.assertAlive(fn);
    if (this.screen) throw invalidOperation('screen sharing is already started', fn);
    const option = config.option ?? {};
    const views = this.views(config.view, fn);
    const stream = new LocalStream({
      screen: true,
      screenAudio: option.systemAudio === true,
      ...(option.videoTrack ? { videoSource: option.videoTrack } : {}),
      ...(option.audioTrack ? { audioSource: option.audioTrack } : {}),
    });
    // v5's screen default is 'clear': keep the resolution (text stays readable).
    const screenQos = checkQosPreference(
      (option as { qosPreference?: unknown }).qosPreference ?? 'clear',
      fn,
    );
    stream.setVideoContentHint(screenQos === 'clear' ? 'detail' : 'motion');
    stream.setDegradationPreference(
      screenQos === 'clear' ? 'maintain-resolution' : 'maintain-framerate',
    );
    try {
      if (option.profile !== undefined) stream.setScreenProfile(option.profile as string);
      await stream.initialize();
    } catch (error) {
      throw toV5Error(error, fn);
    }
    this.screen = stream;
    stream.on('screen-sharing-stopped', () => {
      if (this.screen !== stream) return;
      this.stopScreenNow();
      this.emit('screen-share-stopped', {});
    });
    const { VideoView } = await import('./VideoView.js');
    this.screenView = new VideoView(views, { fillMode: 'contain', mirror: false });
    this.screenView.setTrack(stream.getVideoTrack());
    if (config.publish !== false) this.screenPublish = true;
    await this.publishScreen(fn);
  }

  private screenPublish = true;

  async updateScreenShare(config: { publish?: boolean } = {}): Promise<void> {
    const fn = 'updateScreenShare';
    if (!this.screen) throw invalidOperation('screen sharing is not started', fn);
    if (config.publish === undefined) return;
    this.screenPublish = config.publish;
    try {
      if (config.publish) await this.publishScreen(fn);
      else if (this.screen.isPublished()) await this.engine.unpublish(this.screen, fn);
    } catch (error) {
      throw toV5Error(error, fn);
    }
  }

  async stopScreenShare(): Promise<void> {
    const stream = this.screen;
    if (!stream) return;
    try {
      if (stream.isPublished() && this.engine.joined)
        await this.engine.unpublish(stream, 'stopScreenShare');
    } catch (error) {
      log.warn('unpublishing the screen failed', error);
    }
    this.stopScreenNow();
  }

  private stopScreenNow(): void {
    const stream = this.screen;
    this.screen = null;
    this.screenView?.stop();
    this.screenView = null;
    if (stream?.isPublished()) {
      this.emit('publish-state-changed', {
        mediaType: 'screen',
        state: 'stopped',
        prevState: 'started',
        reason: 'api-call',
      });
      if (this.engine.joined) {
        void this.engine.unpublish(stream, 'stopScreenShare').catch(() => undefined);
      }
    }
    stream?.close();
  }

  private async publishScreen(fn: string): Promise<void> {
    const stream = this.screen;
    if (!stream || !this.screenPublish || !this.mayPublish() || stream.isPublished()) return;
    const report = (state: 'started' | 'stopped', error?: V5RtcError): void =>
      this.emit('publish-state-changed', {
        mediaType: 'screen',
        state,
        prevState: 'starting',
        ...(error ? { reason: 'error' as const, error } : {}),
      });
    this.emit('publish-state-changed', {
      mediaType: 'screen',
      state: 'starting',
      prevState: 'stopped',
    });
    try {
      await this.engine.publish(stream, 'auxiliary', fn);
    } catch (error) {
      const failure = toV5Error(error, fn);
      report('stopped', failure);
      throw failure;
    }
    report('started');
  }

  // ---- remote media ----------------------------------------------------------------------------

  async startRemoteVideo(config: V5RemoteVideoConfig): Promise<void> {
    const fn = 'startRemoteVideo';
    const stream = this.remoteStreamFor(config, fn);
    const views = this.views(config.view, fn);
    const option = config.option ?? {};
    try {
      if (option.small !== undefined) {
        await this.engine.setRemoteVideoType(stream, option.small ? 'small' : 'big', fn);
      }
      await this.remote.startVideo(stream, views, {
        fillMode: checkFillMode(option.fillMode, fn),
        mirror: option.mirror === true,
      });
    } catch (error) {
      throw toV5Error(error, fn);
    }
  }

  async updateRemoteVideo(config: V5RemoteVideoConfig): Promise<void> {
    const fn = 'updateRemoteVideo';
    const stream = this.remoteStreamFor(config, fn);
    const option = config.option ?? {};
    try {
      if (option.small !== undefined) {
        await this.engine.setRemoteVideoType(stream, option.small ? 'small' : 'big', fn);
      }
    } catch (error) {
      throw toV5Error(error, fn);
    }
    this.remote.updateVideo(
      stream,
      config.view === undefined ? undefined : this.views(config.view, fn),
      {
        ...(option.fillMode !== undefined ? { fillMode: checkFillMode(option.fillMode, fn) } : {}),
        ...(option.mirror !== undefined ? { mirror: option.mirror === true } : {}),
      },
    );
  }

  /** `{userId: '*'}` stops every remote video (of `streamType` when given). */
  async stopRemoteVideo(config: { userId: string; streamType?: V5StreamType }): Promise<void> {
    const fn = 'stopRemoteVideo';
    const target = checkStopRemoteVideoConfig(config, fn);
    const types: V5StreamType[] = 'streamType' in target ? [target.streamType] : ['main', 'sub'];
    const targets = target.userId === '*' ? this.engine.remoteUsers() : [target.userId];
    const stops: Array<Promise<void>> = [];
    for (const userId of targets) {
      for (const type of types) {
        const stream = this.engine.remoteStream(userId, toEngineType(type));
        if (stream) stops.push(this.remote.stopVideo(stream));
      }
    }
    try {
      await Promise.all(stops);
    } catch (error) {
      throw toV5Error(error, fn);
    }
  }

  /** Stops (or resumes) receiving a user's audio: a real unsubscribe of the audio track. */
  async muteRemoteAudio(userId: string, mute: boolean): Promise<void> {
    const fn = 'muteRemoteAudio';
    checkMuteRemoteAudio(userId, mute, fn);
    const streams = this.engine
      .remoteUsers()
      .flatMap((u) => (['main', 'auxiliary'] as const).map((t) => this.engine.remoteStream(u, t)))
      .filter((s): s is RemoteStream => s !== undefined);
    try {
      await this.remote.setAudioMuted(userId, mute, streams);
    } catch (error) {
      throw toV5Error(error, fn);
    }
  }

  /** 0..100 is the element's volume; above 100 amplifies through a Web Audio gain (as v5). */
  setRemoteAudioVolume(userId: string, volume: number): void {
    checkRemoteAudioVolume(userId, volume);
    this.remote.setVolume(userId, volume);
  }

  // ---- volume, messages, tracks ----------------------------------------------------------------

  enableAudioVolumeEvaluation(interval = 2000, enableInBackground = false): void {
    if (typeof interval !== 'number' || Number.isNaN(interval)) {
      throw invalidParameter(
        `interval must be a number of ms, got ${String(interval)}`,
        'enableAudioVolumeEvaluation',
      );
    }
    this.engine.configureAudioVolume(interval, enableInBackground === true);
    this.localVolume.configure(interval, enableInBackground === true);
  }

  sendSEIMessage(
    buffer: ArrayBuffer | Uint8Array,
    options?: { seiPayloadType?: number; toSubStream?: boolean },
  ): void {
    const fn = 'sendSEIMessage';
    if (this.createOptions.enableSEI !== true) {
      throw invalidOperation(
        'sendSEIMessage() needs TRTC.create({ enableSEI: true })',
        fn,
        V5_EXTRA.SEI_DISABLED,
      );
    }
    const args = checkSEIMessage(buffer, options, fn);
    if (!this.engine.joined || !this.local.isPublishing('video')) {
      throw invalidOperation(
        'sendSEIMessage() needs a published video: startLocalVideo() in a room',
        fn,
        V5_EXTRA.SEI_NOT_PUBLISHING,
      );
    }
    this.engine.sendSei(new Uint8Array(args.buffer), args.seiPayloadType);
  }

  /**
   * Sends up to 1000 bytes with a cmdId (1..10) to everyone else in the room (CUSTOM_MESSAGE),
   * in order, best effort; the server drops what goes over 30 messages or 8 KB per second.
   */
  sendCustomMessage(message: { cmdId: number; data: ArrayBuffer }): void {
    const fn = 'sendCustomMessage';
    const { cmdId, data } = checkCustomMessage(message, fn);
    if (!this.engine.joined) {
      throw invalidOperation(
        'sendCustomMessage() needs a room: call enterRoom() first',
        fn,
        V5_EXTRA.NOT_IN_ROOM,
      );
    }
    if (this.engine.joinData?.role === 'audience') {
      throw invalidOperation(
        'a live audience member cannot send custom messages',
        fn,
        V5_EXTRA.AUDIENCE,
      );
    }
    this.customSeq += 1;
    this.engine.sendCustomMessage(cmdId, this.customSeq, new Uint8Array(data));
  }

  private customSeq = 0;

  /** '' (or nothing): the local track; a userId: that user's received track. */
  getAudioTrack(
    config?: string | { userId?: string; streamType?: V5StreamType; processed?: boolean },
  ): MediaStreamTrack | null {
    const { userId, streamType } = trackTarget(config);
    if (userId === '' || userId === this.userId) {
      return streamType === 'sub'
        ? (this.screen?.getAudioTrack() ?? null)
        : this.local.track('audio');
    }
    const stream = this.engine.remoteStream(userId, toEngineType(streamType));
    if (!stream) return null;
    // `processed`: what is played, after setRemoteAudioVolume's gain above 100.
    const processed =
      typeof config === 'object' && (config as { processed?: unknown }).processed === true;
    return processed ? this.remote.processedAudio(stream) : stream.getAudioTrack();
  }

  getVideoTrack(config?: { userId?: string; streamType?: V5StreamType }): MediaStreamTrack | null {
    const { userId, streamType } = trackTarget(config);
    if (userId === '' || userId === this.userId) {
      return streamType === 'sub'
        ? (this.screen?.getVideoTrack() ?? null)
        : this.local.track('video');
    }
    return this.engine.remoteStream(userId, toEngineType(streamType))?.getVideoTrack() ?? null;
  }

  getVideoSnapshot(config?: { userId?: string; streamType?: V5StreamType }): string {
    const { userId, streamType } = trackTarget(config);
    if (userId === '' || userId === this.userId) return this.local.snapshot();
    const stream = this.engine.remoteStream(userId, toEngineType(streamType));
    return stream ? this.remote.snapshot(stream) : '';
  }

  // ---- what Parley does not have yet: v5's code and a message naming why ----------------------

  /** Parley's plugins (plugins/registry.ts); others reject ENV_NOT_SUPPORTED (5200 / 5210). */
  async startPlugin(plugin: unknown, options?: unknown): Promise<unknown> {
    return this.plugins.call('start', plugin, options);
  }
  async updatePlugin(plugin: unknown, options?: unknown): Promise<unknown> {
    return this.plugins.call('update', plugin, options);
  }
  async stopPlugin(plugin: unknown, options?: unknown): Promise<unknown> {
    return this.plugins.call('stop', plugin, options);
  }
  /** Parley's plugins are built in: registering one is accepted (startPlugin runs or refuses it). */
  use(_plugin: unknown): void {
    log.info("use(): Parley's plugins are built in; startPlugin() runs them by name");
  }
  async callExperimentalAPI(name: string, options?: unknown): Promise<unknown> {
    if (name === 'enableAudioFrameEvent') {
      const { userId, config } = checkAudioFrameOptions(options, 'callExperimentalAPI');
      this.frames.configure(userId, config);
      return undefined;
    }
    if (name === 'requestPictureInPicture' || name === 'requestFullScreen') {
      const fn = 'callExperimentalAPI';
      const enable = (options as { enable?: unknown } | undefined)?.enable;
      if (typeof enable !== 'boolean')
        throw invalidParameter(`${name}: enable must be true or false`, fn);
      // v5: the first remote video that is playing.
      const view = this.remote.firstPlayingView();
      if (!view) throw invalidOperation(`${name}: no remote video is playing`, fn);
      try {
        if (name === 'requestPictureInPicture') await view.pictureInPicture(enable);
        else await view.fullScreen(enable);
      } catch (error) {
        throw v5Error(
          V5_ERROR_CODE.OPERATION_FAILED,
          `${name}: ${error instanceof Error ? error.message : String(error)}`,
          fn,
          undefined,
          error instanceof Error ? error : undefined,
        );
      }
      return undefined;
    }
    throw v5Error(
      V5_ERROR_CODE.ENV_NOT_SUPPORTED,
      `callExperimentalAPI(${JSON.stringify(name)}): experimental APIs are not in Parley yet`,
      'callExperimentalAPI',
    );
  }

  // ---- engine reports --------------------------------------------------------------------------

  private onStream(stream: RemoteStream): void {
    const info = stream.getInfo();
    const streamType = toV5Type(info.streamType);
    const { userId } = info;
    this.setAvailable(`${userId}|${streamType}|video`, info.hasVideo && !info.videoMuted, (on) =>
      this.emit(on ? 'remote-video-available' : 'remote-video-unavailable', { userId, streamType }),
    );
    if (info.streamType === 'main') {
      this.setAvailable(`${userId}|main|audio`, info.hasAudio && !info.audioMuted, (on) =>
        this.emit(on ? 'remote-audio-available' : 'remote-audio-unavailable', { userId }),
      );
    }
    // Unavailable video stops playback (v5); the stream's subscriptions follow what is wanted.
    if (!info.hasVideo && this.remote.hasView(userId, streamType)) {
      void this.remote.stopVideo(stream).catch(() => undefined);
    }
    this.remote.streamChanged(stream);
  }

  private onStreamRemoved(stream: RemoteStream): void {
    const info: StreamInfo = { ...stream.getInfo(), hasAudio: false, hasVideo: false };
    const streamType = toV5Type(info.streamType);
    const { userId } = info;
    this.remote.streamRemoved(stream);
    this.frames.refresh();
    this.setAvailable(`${userId}|${streamType}|video`, false, () =>
      this.emit('remote-video-unavailable', { userId, streamType }),
    );
    if (info.streamType === 'main') {
      this.setAvailable(`${userId}|main|audio`, false, () =>
        this.emit('remote-audio-unavailable', { userId }),
      );
    }
  }

  private setAvailable(key: string, on: boolean, report: (on: boolean) => void): void {
    if (on === this.available.has(key)) return;
    if (on) this.available.add(key);
    else this.available.delete(key);
    report(on);
  }

  private onConnectionState(state: ConnectionState, prevState: ConnectionState): void {
    // v5 has no RECONNECTING state: it is CONNECTING with isReconnecting.
    const v5 = (s: ConnectionState): 'DISCONNECTED' | 'CONNECTING' | 'CONNECTED' =>
      s === 'RECONNECTING' ? 'CONNECTING' : s;
    if (v5(state) === v5(prevState)) return;
    this.emit('connection-state-changed', {
      prevState: v5(prevState),
      state: v5(state),
      ...(state === 'RECONNECTING' ? { isReconnecting: true } : {}),
    });
  }

  private onKicked(reason: BanReason): void {
    this.afterExit();
    this.emit('kicked-out', { reason: reason === 'room-disband' ? 'room_disband' : reason });
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** What exitRoom, a kick or a fatal error leave behind: local media only. */
  private afterExit(): void {
    this.statistics.stop();
    this.remote.clear();
    this.frames.refresh();
    this.available.clear();
    this.local.forgetPublication();
    this.screen?.setPublisher(null);
  }

  private mayPublish(): boolean {
    return this.engine.joined && this.engine.joinData?.role !== 'audience';
  }

  private async publishLocal(fn: string): Promise<void> {
    try {
      await this.local.sync();
      await this.publishScreen(fn);
    } catch (error) {
      throw toV5Error(error, fn);
    }
  }

  private remoteStreamFor(config: V5RemoteVideoConfig, fn: string): RemoteStream {
    const { userId, streamType } = checkRemoteVideoTarget(config, fn);
    if (!this.engine.joined) {
      throw invalidOperation(
        `${fn}() needs a room: call enterRoom() first`,
        fn,
        V5_EXTRA.NOT_IN_ROOM,
      );
    }
    if (!this.engine.hasRemoteUser(userId)) {
      throw invalidOperation(
        `user ${JSON.stringify(userId)} is not in the room`,
        fn,
        V5_EXTRA.USER_NOT_IN_ROOM,
      );
    }
    const stream = this.engine.remoteStream(userId, toEngineType(streamType));
    if (!stream || !stream.hasVideo()) {
      throw invalidOperation(
        `user ${JSON.stringify(userId)} publishes no ${streamType} video`,
        fn,
        V5_EXTRA.STREAM_NOT_AVAILABLE,
      );
    }
    return stream;
  }

  private views(view: ViewTarget, fn: string): HTMLElement[] {
    return resolveView(view, fn);
  }

  private buildJoinData(options: V5EnterRoomOptions, fn: string): JoinData {
    const c = checkEnterRoomConfig(options, fn);
    return {
      protocolVersion: PROTOCOL_VERSION,
      sdkVersion: `${VERSION}-v5`,
      sdkAppId: c.sdkAppId,
      userId: c.userId,
      userSig: c.userSig,
      room: c.room,
      mode: c.scene,
      role: c.role,
      ...(c.privateMapKey ? { privateMapKey: c.privateMapKey } : {}),
      // v5 receives per stream as asked (RemoteMedia), never everything at once.
      autoSubscribe: false,
    };
  }

  private assertAlive(fn: string): void {
    if (this.destroyed)
      throw invalidOperation('this TRTC instance was destroyed; create a new one', fn);
  }
}

const PEER_LEAVE_REASONS = { leave: 0, timeout: 1, kick: 2 } as const;

/** v5's `captureVolume`: 0 and up (100 as captured, more is louder). */
function checkCaptureVolume(value: unknown, fn: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidParameter(
      `option.captureVolume must be a number from 0 (100 = as captured), got ${JSON.stringify(value)}`,
      fn,
    );
  }
  return value;
}

/**
 * v5 `option.small`: true (160×120, 15 fps, 100 kbps), a profile name ('120p', '180p', …) or
 * `{width, height, frameRate, bitrate}`; false or nothing: no small stream.
 */
function checkSmallOption(value: unknown, fn: string): SmallStreamProfile | null {
  if (value === undefined || value === false) return null;
  if (value === true) return { ...DEFAULT_SMALL_STREAM_PROFILE };
  if (typeof value === 'string') {
    const profile = (V5_VIDEO_PROFILES as Record<string, SmallStreamProfile | undefined>)[value];
    if (!profile) {
      throw invalidParameter(
        `option.small: unknown profile ${JSON.stringify(value)}; use true, one of ${Object.keys(V5_VIDEO_PROFILES).join(', ')} or {width, height, frameRate, bitrate}`,
        fn,
      );
    }
    const { width, height, frameRate, bitrate } = profile;
    return { width, height, frameRate, bitrate };
  }
  try {
    return checkSmallStreamProfile(value);
  } catch (error) {
    throw invalidParameter(
      `option.small: ${error instanceof Error ? error.message.replace('setSmallStreamProfile(): ', '') : String(error)}`,
      fn,
    );
  }
}

/** v5 `qosPreference`: 'smooth' (keep the frame rate) or 'clear' (keep the resolution). */
function checkQosPreference(value: unknown, fn: string): 'smooth' | 'clear' {
  if (value === undefined) return 'smooth';
  if (value === 'smooth' || value === 'clear') return value;
  throw invalidParameter(
    `option.qosPreference must be 'smooth' or 'clear', got ${JSON.stringify(value)}`,
    fn,
  );
}

/** `enableAudioFrameEvent`'s options, as trtc-sdk-v5 checks them (5000 naming the field). */
function checkAudioFrameOptions(
  value: unknown,
  fn: string,
): { userId: string; config: import('./AudioFrames.js').AudioFrameConfig | null } {
  const o = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof o.enable !== 'boolean') {
    throw invalidParameter('enableAudioFrameEvent: enable must be true or false', fn);
  }
  if (typeof o.userId !== 'string') {
    throw invalidParameter(
      "enableAudioFrameEvent: userId must be a string ('' the microphone, '*' every remote user)",
      fn,
    );
  }
  const sampleRate = o.sampleRate ?? 48000;
  if (!(AUDIO_FRAME_SAMPLE_RATES as readonly unknown[]).includes(sampleRate)) {
    throw invalidParameter(
      `enableAudioFrameEvent: sampleRate must be one of ${AUDIO_FRAME_SAMPLE_RATES.join(', ')}, got ${JSON.stringify(sampleRate)}`,
      fn,
    );
  }
  const channelCount = o.channelCount ?? 1;
  if (channelCount !== 1 && channelCount !== 2) {
    throw invalidParameter(
      `enableAudioFrameEvent: channelCount must be 1 or 2, got ${JSON.stringify(channelCount)}`,
      fn,
    );
  }
  if (
    o.port !== undefined &&
    !(typeof MessagePort !== 'undefined' && o.port instanceof MessagePort)
  ) {
    throw invalidParameter('enableAudioFrameEvent: port must be a MessagePort', fn);
  }
  return {
    userId: o.userId,
    config: o.enable
      ? {
          sampleRate: sampleRate as number,
          channelCount,
          ...(o.port ? { port: o.port as MessagePort } : {}),
        }
      : null,
  };
}

function checkFillMode(value: unknown, fn: string): FillMode {
  if (value === undefined) return 'cover';
  if (value === 'contain' || value === 'cover' || value === 'fill') return value;
  throw invalidParameter(
    `fillMode must be 'contain', 'cover' or 'fill', got ${JSON.stringify(value)}`,
    fn,
  );
}

function trackTarget(config: unknown): { userId: string; streamType: V5StreamType } {
  if (typeof config === 'string') return { userId: config, streamType: 'main' };
  if (typeof config === 'object' && config !== null) {
    const c = config as { userId?: unknown; streamType?: unknown };
    return {
      userId: typeof c.userId === 'string' ? c.userId : '',
      streamType: c.streamType === 'sub' ? 'sub' : 'main',
    };
  }
  return { userId: '', streamType: 'main' };
}

export type { V5RtcError };
