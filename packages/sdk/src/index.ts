/**
 * ESM entry. The default export is the `TRTC` namespace (as `trtc-js-sdk` exports it);
 * the named exports are the same members plus the public classes and types.
 */
import TRTC from './TRTC.js';

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
  StreamEvent,
  SubscribeOptions,
  UserEvent,
} from './client/types.js';
export { Stream } from './stream/Stream.js';
export { LocalStream } from './stream/LocalStream.js';
export { RemoteStream } from './stream/RemoteStream.js';
export type {
  ObjectFit,
  PlayOptions,
  PlayerKind,
  PlayerState,
  PlayerStateChangedEvent,
  PlayerStateReason,
  StreamConfig,
  StreamEvents,
} from './stream/types.js';
export { RtcError, ErrorCode, type ErrorCodeName } from './errors/RtcError.js';
export { Logger, LogLevel, type LogLevelValue } from './util/Logger.js';
export {
  AUDIO_PROFILES,
  SCREEN_PROFILES,
  VIDEO_PROFILES,
  type AudioProfile,
  type AudioProfilePreset,
  type VideoProfile,
  type VideoProfilePreset,
} from './profiles.js';
export type { StreamType, TrackKind } from '@parley/protocol';
