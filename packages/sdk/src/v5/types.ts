/**
 * TRTC v5's public types: the configs the methods take, the event payloads (`TRTCEventTypes`:
 * event name → listener arguments), the statistics, and the `TRTC` instance's methods
 * (`TRTCMethods`) and statics (`TRTCStatics`), written to accept everything that code
 * typed against `trtc-sdk-v5` 5.17.1 passes and to give everything it reads
 * (e2e/types/v5 checks both).
 */
import type {
  audioProfileMap,
  QosPreference,
  screenProfileMap,
  TRTCEvent,
  TRTCType,
  videoProfileMap,
} from './constants.js';
import type {
  BannedReason,
  ConnectionState,
  LOG_LEVEL,
  NetworkQualityValue,
  PEER_LEAVE_REASON,
  PlayerState,
  Scene,
  TRTCDeviceAction,
  TRTCDeviceType,
  TRTCStreamType,
  TRTCVideoType,
  UserRole,
} from './enums.js';
import type { ERROR_CODE, RtcError } from './errors.js';
import type {
  PluginStartOptionsMap,
  PluginStopOptionsMap,
  PluginUpdateOptionsMap,
  PluginWithAssets,
  TRTCPlugin,
  VideoProfile,
} from './pluginTypes.js';

/** `'main' | 'sub'`, as the enum or as the string. */
export type StreamTypeValue = TRTCStreamType | `${TRTCStreamType}`;

/** Where the SDK renders: an element id, an element, several elements, or none (`null`). */
export type ViewTarget = string | HTMLElement | HTMLElement[] | null;

export type FillMode = 'contain' | 'cover' | 'fill';

// ---- create / enterRoom -----------------------------------------------------------------------

export interface TRTCOptions {
  plugins?: TRTCPlugin[];
  /** Needed before `sendSEIMessage()` (5108 otherwise). */
  enableSEI?: boolean;
  enableAutoPlayDialog?: boolean;
  assetsPath?: string;
  volumeType?: number;
  enableAutoSwitchWhenRecapturing?: boolean;
  enableVolumeControlInIOS?: boolean;
}

export interface TurnServerOptions {
  url: string;
  username?: string;
  credential?: string;
  credentialType?: 'password';
}

/** `enterRoom({ proxy })`: an intranet's own signaling proxy and TURN servers. */
export interface ProxyServer {
  websocketProxy?: string;
  loggerProxy?: string;
  turnServer?: TurnServerOptions | TurnServerOptions[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  webtransportProxy?: string;
  scheduleProxy?: string;
  unifiedProxy?: string;
}

export interface PlayoutDelay {
  min: number;
  max: number;
}

export interface QuickStartConfig {
  remoteUserId: string;
  small?: boolean;
  domain?: string;
}

export interface EnterRoomConfig {
  sdkAppId: number;
  userId: string;
  userSig: string;
  /** A numeric room, 1 .. 4294967294; or `strRoomId`. */
  roomId?: number;
  /** A string room (≤ 64 characters); a separate namespace from numeric rooms. */
  strRoomId?: string;
  role?: UserRole | `${UserRole}`;
  autoReceiveAudio?: boolean;
  autoReceiveVideo?: boolean;
  privateMapKey?: string;
  latencyLevel?: number;
  businessInfo?: string;
  enableAutoPlayDialog?: boolean;
  proxy?: ProxyServer | string;
  scene?: Scene | `${Scene}`;
  userDefineRecordId?: string;
  playoutDelay?: PlayoutDelay;
  quickStart?: QuickStartConfig;
}

export interface SwitchRoomConfig {
  roomId?: number;
  strRoomId?: string;
  privateMapKey?: string;
  userSig: string;
}

export interface SwitchRoleOption {
  privateMapKey?: string;
  latencyLevel?: number;
}

// ---- local media ------------------------------------------------------------------------------

export interface LocalVideoConfig {
  view?: ViewTarget;
  publish?: boolean;
  forcePublish?: boolean;
  /** `true` mutes; an image URL mutes and sends that image instead. */
  mute?: boolean | string;
  option?: {
    cameraId?: string;
    useFrontCamera?: boolean;
    profile?: keyof typeof videoProfileMap | VideoProfile;
    fillMode?: FillMode;
    /** `'view'` | `'publish'` | `'both'` | boolean. */
    mirror?: boolean | string;
    small?: keyof typeof videoProfileMap | VideoProfile | boolean;
    qosPreference?: QosPreference;
    videoTrack?: MediaStreamTrack;
    avoidCropping?: boolean;
    rotation?: 0 | 90 | 180 | 270;
  };
}

export interface LocalAudioConfig {
  publish?: boolean;
  /** `'microphone'` also releases the microphone while muted. */
  mute?: boolean | 'microphone';
  muteKeepVolumeDetection?: boolean;
  option?: {
    microphoneId?: string;
    profile?: keyof typeof audioProfileMap;
    audioTrack?: MediaStreamTrack;
    captureVolume?: number;
    earMonitorVolume?: number;
    echoCancellation?: boolean | 'remote-only' | 'all';
    autoGainControl?: boolean;
    noiseSuppression?: boolean;
  };
}

export interface UpdateLocalAudioConfig extends LocalAudioConfig {
  option?: {
    microphoneId?: string;
    audioTrack?: MediaStreamTrack;
    captureVolume?: number;
    earMonitorVolume?: number;
    echoCancellation?: boolean;
    autoGainControl?: boolean;
    noiseSuppression?: boolean;
  };
}

export interface ScreenShareConfig {
  view?: ViewTarget;
  publish?: boolean;
  /** Undocumented in v5: the stream the screen is published as (`'sub'` by default). */
  streamType?: StreamTypeValue;
  muteSystemAudio?: boolean;
  option?: {
    profile?: keyof typeof screenProfileMap | VideoProfile;
    fillMode?: FillMode;
    systemAudio?: boolean;
    echoCancellation?: boolean;
    autoGainControl?: boolean;
    noiseSuppression?: boolean;
    audioTrack?: MediaStreamTrack;
    videoTrack?: MediaStreamTrack;
    captureElement?: HTMLElement;
    preferDisplaySurface?: 'current-tab' | 'tab' | 'window' | 'monitor';
    selfBrowserSurface?: 'include' | 'exclude';
    qosPreference?: QosPreference;
  };
}

export interface UpdateScreenShareConfig extends ScreenShareConfig {
  option?: {
    fillMode?: FillMode;
    qosPreference?: QosPreference;
    audioTrack?: MediaStreamTrack;
    videoTrack?: MediaStreamTrack;
  };
}

// ---- remote media -----------------------------------------------------------------------------

export interface RemoteVideoConfig {
  view?: ViewTarget;
  userId: string;
  streamType: StreamTypeValue;
  option?: {
    fillMode?: FillMode;
    mirror?: boolean;
    /** Receive the user's small stream. */
    small?: boolean;
    receiveWhenViewVisible?: boolean;
    viewRoot?: HTMLElement;
    canvasRender?: boolean;
    poster?: string;
    draggable?: boolean;
    pictureInPicture?: boolean;
    fullScreen?: boolean;
  };
}

export interface StopRemoteVideoConfig {
  /** A user, or `'*'` for every remote video. */
  userId: string;
  streamType?: StreamTypeValue;
}

export interface RemoteAudioConfig {
  userId: string;
  option?: { volume?: number };
}

export interface StopRemoteAudioConfig {
  userId: string;
}

/** `getAudioTrack()` / `getVideoTrack()`: `userId` `''` (or none) is the local user. */
export interface TrackQuery {
  userId?: string;
  streamType?: StreamTypeValue;
  /** The track after the SDK's processing (plugins, mixing) rather than the captured one. */
  processed?: boolean;
}

export interface VideoFrameConfig {
  userId?: string;
  streamType?: StreamTypeValue;
}

export interface SEIMessageOptions {
  /** 243 (default) or 5. */
  seiPayloadType?: number;
  toSubStream?: boolean;
}

export interface CustomMessageData {
  /** 1 .. 10. */
  cmdId: number;
  /** ≤ 1000 bytes. */
  data: ArrayBuffer;
}

export interface CustomMessage extends CustomMessageData {
  userId: string;
  /** The sender's sequence number for this cmdId. */
  seq: number;
}

// ---- permissions, devices, support ------------------------------------------------------------

export interface PermissionOption {
  request?: boolean;
  types?: ('camera' | 'microphone')[];
}

export interface PermissionResult {
  camera: PermissionState | null;
  microphone: PermissionState | null;
}

/** `TRTC.isSupported()`. */
export interface SupportResult {
  result: boolean;
  detail: {
    isBrowserSupported: boolean;
    isWebRTCSupported: boolean;
    isWebCodecsSupported: boolean;
    isMediaDevicesSupported: boolean;
    isScreenShareSupported: boolean;
    isSmallStreamSupported: boolean;
    isH264EncodeSupported: boolean;
    isH264DecodeSupported: boolean;
    isVp8EncodeSupported: boolean;
    isVp8DecodeSupported: boolean;
    isH265EncodeSupported: boolean;
    isH265DecodeSupported: boolean;
  };
}

// ---- events -----------------------------------------------------------------------------------

export interface PingResult {
  domain: string;
  cost: number;
}

export interface PingResults {
  isPoorNetwork?: boolean;
  timestamp?: number;
  data?: PingResult[];
}

export interface NetworkQuality {
  uplinkNetworkQuality: NetworkQualityValue;
  downlinkNetworkQuality: NetworkQualityValue;
  uplinkRTT: number;
  uplinkLoss: number;
  downlinkRTT: number;
  downlinkLoss: number;
  pingResults?: PingResults;
}

export interface LocalStatistic {
  audio: { bitrate: number; audioLevel: number };
  video: {
    width: number;
    height: number;
    frameRate: number;
    bitrate: number;
    videoType: TRTCVideoType;
  }[];
}

export interface RemoteStatistic {
  audio: { bitrate: number; audioLevel: number; jitterBufferDelay: number };
  video: {
    width: number;
    height: number;
    frameRate: number;
    bitrate: number;
    videoType: TRTCVideoType;
    jitterBufferDelay: number;
  }[];
  userId: string;
}

/** `STATISTICS`, every 2 s: loss in %, bitrates in kbps, audioLevel 0..1. */
export interface TRTCStatistics {
  rtt: number;
  downLoss: number;
  upLoss: number;
  bytesSent: number;
  bytesReceived: number;
  localStatistics: LocalStatistic;
  remoteStatistics: RemoteStatistic[];
}

export interface AutoplayFailedEvent {
  userId: string;
  mediaType: 'audio' | 'video' | 'screen';
  /** Call from a user gesture to start playback. */
  resume: () => Promise<void>;
}

export interface KickedOutEvent {
  reason: Exclude<BannedReason, BannedReason.USER_TIME_OUT>;
}

export interface RemoteUserEvent {
  userId: string;
}

export interface RemoteUserExitEvent {
  userId: string;
  reason?: PEER_LEAVE_REASON;
}

export interface RemoteVideoEvent {
  userId: string;
  streamType: TRTCStreamType;
}

export interface AudioVolumeEvent {
  /** Loudest first; the local user is `''`. */
  result: { userId: string; volume: number; floatVolume: number }[];
}

export interface ConnectionStateChangedEvent {
  prevState: ConnectionState;
  state: ConnectionState;
  isReconnecting?: boolean;
}

export interface AudioPlayStateChangedEvent {
  userId: string;
  state: PlayerState;
  reason: string;
}

export interface VideoPlayStateChangedEvent extends AudioPlayStateChangedEvent {
  streamType: TRTCStreamType;
}

export interface DeviceChangedEvent {
  type: TRTCDeviceType;
  action: TRTCDeviceAction;
  device: MediaDeviceInfo;
}

export type PublishState = 'started' | 'stopped' | 'starting';

export interface PublishStateChangedEvent {
  mediaType: 'audio' | 'video' | 'screen';
  state: PublishState;
  prevState: PublishState;
  reason?: 'timeout' | 'error' | 'api-call';
  error?: RtcError;
}

export interface SEIMessageEvent {
  data: ArrayBuffer;
  userId: string;
  streamType: TRTCStreamType;
  seiPayloadType: number;
}

export interface TrackEvent {
  userId: string;
  streamType?: TRTCStreamType;
  /** The track as played (after processing). */
  track: MediaStreamTrack;
  /** The track as received or captured. */
  sourceTrack: MediaStreamTrack;
}

export interface PermissionStateChangeEvent {
  camera: PermissionState;
  microphone: PermissionState;
}

export interface VideoSizeChangedEvent {
  newWidth: number;
  newHeight: number;
  streamType: TRTCStreamType;
  userId: string;
}

export interface FirstVideoFrameEvent {
  userId: string;
  streamType: TRTCStreamType;
  width: number;
  height: number;
}

export interface RealtimeTranscriberStateEvent {
  state: 'started' | 'stopped';
  roomId: string | number;
  transcriberRobotId: string;
  sourceLanguage?: string;
  error?: number;
  errorMessage?: string;
}

export interface TranslationText {
  language: string;
  text: string;
}

export interface RealtimeTranscriberMessageEvent {
  segmentId: string;
  speakerUserId: string;
  sourceText: string;
  translationTexts: TranslationText[];
  timestamp: number;
  isCompleted: boolean;
  robotId: string;
}

export interface PictureInPictureStateChangedEvent {
  userId: string;
  streamType: TRTCStreamType;
  isPictureInPicture: boolean;
  pictureInPictureWindow?: PictureInPictureWindow;
}

export interface FullScreenStateChangedEvent {
  userId: string;
  streamType: TRTCStreamType;
  isFullScreen: boolean;
}

type E = typeof TRTCEvent;

/** Event name → the listener's arguments. */
export interface TRTCEventTypes {
  [TRTCEvent.ERROR]: [RtcError];
  [TRTCEvent.AUTOPLAY_FAILED]: [AutoplayFailedEvent];
  [TRTCEvent.KICKED_OUT]: [KickedOutEvent];
  [TRTCEvent.REMOTE_USER_ENTER]: [RemoteUserEvent];
  [TRTCEvent.REMOTE_USER_EXIT]: [RemoteUserExitEvent];
  [TRTCEvent.REMOTE_AUDIO_AVAILABLE]: [RemoteUserEvent];
  [TRTCEvent.REMOTE_AUDIO_UNAVAILABLE]: [RemoteUserEvent];
  [TRTCEvent.REMOTE_VIDEO_AVAILABLE]: [RemoteVideoEvent];
  [TRTCEvent.REMOTE_VIDEO_UNAVAILABLE]: [RemoteVideoEvent];
  [TRTCEvent.AUDIO_VOLUME]: [AudioVolumeEvent];
  [TRTCEvent.AUDIO_FRAME]: [{ data: Float32Array }];
  [TRTCEvent.NETWORK_QUALITY]: [NetworkQuality];
  [TRTCEvent.CONNECTION_STATE_CHANGED]: [ConnectionStateChangedEvent];
  [TRTCEvent.AUDIO_PLAY_STATE_CHANGED]: [AudioPlayStateChangedEvent];
  [TRTCEvent.VIDEO_PLAY_STATE_CHANGED]: [VideoPlayStateChangedEvent];
  [TRTCEvent.SCREEN_SHARE_STOPPED]: [];
  [TRTCEvent.DEVICE_CHANGED]: [DeviceChangedEvent];
  [TRTCEvent.PUBLISH_STATE_CHANGED]: [PublishStateChangedEvent];
  [TRTCEvent.TRACK]: [TrackEvent];
  [TRTCEvent.STATISTICS]: [statistics: TRTCStatistics];
  [TRTCEvent.SEI_MESSAGE]: [SEIMessageEvent];
  [TRTCEvent.CUSTOM_MESSAGE]: [CustomMessage];
  /** When a video falls back to (or returns from) software decoding in trtc-sdk-v5. */
  [TRTCEvent.VIDEO_DECODE_DOWNGRADE_STATE_CHANGED]: [
    { userId: string; streamType: TRTCStreamType; state: string },
  ];
  /** Tencent's server-side layer data, passed through as it comes. */
  [TRTCEvent.LAYER_DATA]: [data: unknown];
  [TRTCEvent.FIRST_VIDEO_FRAME]: [FirstVideoFrameEvent];
  [TRTCEvent.PERMISSION_STATE_CHANGE]: [PermissionStateChangeEvent];
  [TRTCEvent.VIDEO_SIZE_CHANGED]: [VideoSizeChangedEvent];
  [TRTCEvent.REALTIME_TRANSCRIBER_MESSAGE]: [RealtimeTranscriberMessageEvent];
  [TRTCEvent.REALTIME_TRANSCRIBER_STATE_CHANGED]: [RealtimeTranscriberStateEvent];
  [TRTCEvent.PICTURE_IN_PICTURE_STATE_CHANGED]: [PictureInPictureStateChangedEvent];
  [TRTCEvent.FULL_SCREEN_STATE_CHANGED]: [FullScreenStateChangedEvent];
}

/** Every event of `TRTC.EVENT` has its arguments in TRTCEventTypes, and nothing else does. */
type _EveryEventTyped = [E[keyof E]] extends [keyof TRTCEventTypes]
  ? [keyof TRTCEventTypes] extends [E[keyof E]]
    ? true
    : never
  : never;
export const everyEventTyped: _EveryEventTyped = true;

export type TRTCEventName = keyof TRTCEventTypes;

/**
 * Event name → its one payload (`undefined` for SCREEN_SHARE_STOPPED), for an emitter that
 * passes one argument (util/TypedEmitter): listeners get the same call as with the tuples.
 */
export type TRTCEventPayloads = {
  [K in keyof TRTCEventTypes]: TRTCEventTypes[K] extends [infer P, ...unknown[]] ? P : undefined;
};

// ---- experimental API -------------------------------------------------------------------------

export interface EnableAudioFrameEventOptions {
  enable: boolean;
  /** `''` the local microphone, `'*'` every remote user. */
  userId: string;
  sampleRate?: number;
  channelCount?: number;
  port?: MessagePort;
}

export interface RemotePlayerOptions {
  userId: string;
  streamType?: StreamTypeValue;
}

export interface RequestPictureInPictureOptions {
  enable: boolean;
}

export interface RequestFullScreenOptions {
  enable: boolean;
}

export interface PlaybackQualityStream {
  name: string;
  userId: string;
  streamType?: TRTCStreamType;
  bitrate: number;
}

export interface ResolutionConfig {
  userId: string;
  streamType: TRTCStreamType;
  name: string;
}

export interface SwitchPlaybackQualityOptions {
  quality?: string;
  streamList?: PlaybackQualityStream[];
  onSwitched?: (from: ResolutionConfig, to: ResolutionConfig) => void;
}

export type PreconnectParams =
  | { enable: true; userId: string; userSig: string; sdkAppId: number }
  | { enable: false; userId?: never; userSig?: never; sdkAppId?: never };

export interface ExperimentalAPIFunctionMap {
  enableAudioFrameEvent: EnableAudioFrameEventOptions;
  resumeRemotePlayer: RemotePlayerOptions;
  pauseRemotePlayer: RemotePlayerOptions;
  requestPictureInPicture: RequestPictureInPictureOptions;
  requestFullScreen: RequestFullScreenOptions;
  switchPlaybackQuality: SwitchPlaybackQualityOptions;
  preconnect: PreconnectParams;
}

// ---- the TRTC class ---------------------------------------------------------------------------

/** Names whose options are `undefined` (called with the name alone) or not. */
type NoOptions<M> = { [K in keyof M]: undefined extends M[K] ? K : never }[keyof M];
type WithOptions<M> = { [K in keyof M]: [M[K]] extends [undefined] ? never : K }[keyof M];

/** A listener for `event`. */
export type TRTCEventHandler<T extends keyof TRTCEventTypes> = (...args: TRTCEventTypes[T]) => void;

/**
 * The methods of a `TRTC` instance (`TRTC.create()`), with trtc-sdk-v5's signatures. The
 * facade class implements this; the plugin and experimental methods take the option type
 * their name calls for.
 */
export interface TRTCMethods {
  use(plugin: PluginWithAssets | TRTCPlugin): void;
  enterRoom(config: EnterRoomConfig): Promise<void>;
  exitRoom(): Promise<void>;
  switchRole(role: UserRole | `${UserRole}`, option?: SwitchRoleOption): Promise<void>;
  switchRoom(config: SwitchRoomConfig): Promise<void>;
  destroy(): void;

  startLocalAudio(config?: LocalAudioConfig): Promise<void>;
  updateLocalAudio(config: UpdateLocalAudioConfig): Promise<void>;
  stopLocalAudio(): Promise<void>;
  startLocalVideo(config?: LocalVideoConfig): Promise<void>;
  updateLocalVideo(config: LocalVideoConfig): Promise<void>;
  stopLocalVideo(): Promise<void>;
  startScreenShare(config?: ScreenShareConfig): Promise<void>;
  updateScreenShare(config: UpdateScreenShareConfig): Promise<void>;
  stopScreenShare(): Promise<void>;

  startRemoteVideo(config: RemoteVideoConfig): Promise<void>;
  updateRemoteVideo(config: RemoteVideoConfig): Promise<void>;
  stopRemoteVideo(config: StopRemoteVideoConfig): Promise<void>;
  muteRemoteAudio(userId: string, mute: boolean): Promise<void>;
  setRemoteAudioVolume(userId: string, volume: number): void;
  enableAudioVolumeEvaluation(interval?: number, enableInBackground?: boolean): void;

  startPlugin<T extends WithOptions<PluginStartOptionsMap>>(
    plugin: T,
    options: PluginStartOptionsMap[T],
  ): Promise<unknown>;
  startPlugin(plugin: NoOptions<PluginStartOptionsMap>): Promise<unknown>;
  updatePlugin<T extends WithOptions<PluginUpdateOptionsMap>>(
    plugin: T,
    options: PluginUpdateOptionsMap[T],
  ): Promise<unknown>;
  updatePlugin(plugin: NoOptions<PluginUpdateOptionsMap>): Promise<unknown>;
  stopPlugin<T extends WithOptions<PluginStopOptionsMap>>(
    plugin: T,
    options: PluginStopOptionsMap[T],
  ): Promise<unknown>;
  stopPlugin(plugin: NoOptions<PluginStopOptionsMap>): Promise<unknown>;

  on<T extends keyof TRTCEventTypes>(
    event: T,
    handler: TRTCEventHandler<T>,
    context?: unknown,
  ): this;
  /** `off('*')` removes every listener. */
  off<T extends keyof TRTCEventTypes>(
    event: T | '*',
    handler?: TRTCEventHandler<T>,
    context?: unknown,
  ): this;

  getAudioTrack(query?: TrackQuery | string): MediaStreamTrack | null;
  getVideoTrack(query?: TrackQuery): MediaStreamTrack | null;
  /** A data URL of the current frame, `''` when that video is not playing. */
  getVideoSnapshot(config?: VideoFrameConfig): string;
  sendSEIMessage(buffer: ArrayBuffer, options?: SEIMessageOptions): void;
  sendCustomMessage(message: CustomMessageData): void;

  callExperimentalAPI<T extends WithOptions<ExperimentalAPIFunctionMap>>(
    name: T,
    options: ExperimentalAPIFunctionMap[T],
  ): Promise<void>;
}

/** `TRTC.ERROR_CODE`'s type. */
export type ErrorCodeTable = typeof ERROR_CODE;

/** The statics of the `TRTC` class (the default export and the classic script's global). */
export interface TRTCStatics<Instance extends TRTCMethods = TRTCMethods> {
  create(options?: TRTCOptions): Instance;
  readonly VERSION: string;
  readonly EVENT: typeof TRTCEvent;
  readonly ERROR_CODE: ErrorCodeTable;
  readonly TYPE: typeof TRTCType;
  frameWorkType: number;
  setLogLevel(level: LOG_LEVEL, enableUploadLog?: boolean): void;
  isSupported(): Promise<SupportResult>;
  getPermissions(option?: PermissionOption): Promise<PermissionResult>;
  getCameraList(requestPermission?: boolean): Promise<MediaDeviceInfo[]>;
  getMicrophoneList(requestPermission?: boolean): Promise<MediaDeviceInfo[]>;
  getSpeakerList(requestPermission?: boolean): Promise<MediaDeviceInfo[]>;
  setCurrentSpeaker(speakerId: string): Promise<void>;
}
