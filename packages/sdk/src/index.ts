/**
 * ESM entry. The default export is the `TRTC` namespace (as `trtc-js-sdk` exports it; with
 * the types as `TRTC.Client` ..., see namespace.ts); the named exports are the same members
 * plus the public classes and types, under TRTC v4's type names too (v4types.ts).
 */
import TRTC from './namespace.js';

export default TRTC;
export type { TRTCNamespace } from './TRTC.js';
export { createClient, createStream } from './TRTC.js';
export {
  checkSystemRequirements,
  getCameras,
  getDevices,
  getMicrophones,
  getSpeakers,
  isScreenShareSupported,
  isSmallStreamSupported,
  type SystemRequirements,
} from './system.js';
export { VERSION } from './version.js';
export { Client } from './client/Client.js';
export type {
  BanReason,
  ClientBannedEvent,
  ClientConfig,
  ClientEvents,
  ClientMode,
  ConnectionState,
  ConnectionStateChangedEvent,
  JoinOptions,
  PublishOptions,
  Role,
  RemoteMutedState,
  RemoteStreamInfo,
  RemoteStreamUpdatedInfo,
  RemoteUserInfo,
  SubscribeOptions,
  AudioVolumeEntry,
  AudioVolumeEvent,
  LocalAudioStats,
  LocalVideoStats,
  NetworkQualityEvent,
  NetworkQualityLevel,
  RemoteAudioStats,
  RemoteVideoStats,
  SeiMessageEvent,
  SeiOptions,
  TransportStats,
} from './client/types.js';
export { Stream } from './stream/Stream.js';
export { LocalStream } from './stream/LocalStream.js';
export { RemoteStream } from './stream/RemoteStream.js';
export type {
  DeviceAutoRecoveredEvent,
  ObjectFit,
  PlayOptions,
  PlayerKind,
  PlayerState,
  PlayerStateChangedEvent,
  PlayerStateReason,
  StreamConfig,
  StreamEvents,
  VideoContentHint,
} from './stream/types.js';
export { RtcError, ErrorCode, type ErrorCodeName } from './errors/RtcError.js';
export { Logger, LogLevel, type LogLevelValue } from './util/Logger.js';
export {
  AUDIO_PROFILES,
  SCREEN_PROFILES,
  VIDEO_PROFILES,
  type AudioProfile,
  type AudioProfilePreset,
  type ScreenProfilePreset,
  type VideoProfilePreset,
} from './profiles.js';
export type { StreamType, TrackKind } from '@parley/protocol';
// Listed (not `export type *`) so that the .d.ts also works with TypeScript before 5.0.
export type {
  AudioProfileString,
  Callback,
  CheckResult,
  ClientEvent,
  ClientEventMap,
  LocalAudioStatsMap,
  LocalVideoStatsMap,
  NetworkQuality,
  Nullable,
  Omit,
  PlaybackOptions,
  Profile,
  ReceivedMediaStats,
  RemoteAudioStatsMap,
  RemoteStreamType,
  RemoteVideoStatsMap,
  ScreenProfile,
  ScreenProfileString,
  SEIMessageEvent,
  SentMediaStats,
  StreamEvent,
  StreamEventMap,
  TurnServerConfig,
  UserAudioVolume,
  VideoProfile,
  VideoProfileString,
  VideoStats,
} from './v4types.js';
export type {
  ExperimentalAPIName,
  MixTranscodeConfig,
  MixUser,
  MixUserItem,
  ProxyServer,
  PublishCDNStreamOptions,
} from './notYet.js';
export type { SmallStreamProfile } from './engine/smallStream.js';
