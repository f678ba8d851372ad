/**
 * The option and event shapes the v5 facade implements (a subset of trtc-sdk-v5's public
 * types, which the v5 d.ts declares in full). Event keys are TRTC.EVENT's string values.
 */
import type { NetworkQualityEvent } from '../engine/networkQuality.js';
import type { RtcError as V5RtcError } from './errors.js';
import type { TRTCStatistics } from './types.js';
import type { DeviceChange } from './DeviceWatcher.js';
import type { PermissionStates } from './PermissionWatcher.js';
import type { AudioFrame } from './AudioFrames.js';
import type { V5StreamType } from './RemoteMedia.js';
import type { ViewTarget } from './VideoView.js';

export interface V5CreateOptions {
  enableSEI?: boolean;
  enableAutoPlayDialog?: boolean;
  /** Parley extra: the server URL (default: where the SDK script came from). */
  serverUrl?: string;
  plugins?: unknown[];
  assetsPath?: string;
}

export interface V5ProxyConfig {
  websocketProxy?: string;
  turnServer?: unknown;
  iceTransportPolicy?: RTCIceTransportPolicy;
}

export interface V5EnterRoomOptions {
  sdkAppId: number;
  userId: string;
  userSig: string;
  roomId?: number;
  strRoomId?: string;
  scene?: 'rtc' | 'live';
  role?: 'anchor' | 'audience';
  autoReceiveAudio?: boolean;
  autoReceiveVideo?: boolean;
  privateMapKey?: string;
  enableAutoPlayDialog?: boolean;
  proxy?: string | V5ProxyConfig;
  userDefineRecordId?: string;
}

export interface V5LocalAudioConfig {
  publish?: boolean;
  mute?: boolean | 'microphone';
  option?: {
    microphoneId?: string;
    profile?: unknown;
    audioTrack?: MediaStreamTrack;
    captureVolume?: number;
  };
}

export type V5Mirror = boolean | 'view' | 'publish' | 'both';

export interface V5LocalVideoConfig {
  view?: ViewTarget;
  publish?: boolean;
  mute?: boolean | string;
  option?: {
    cameraId?: string;
    useFrontCamera?: boolean;
    profile?: unknown;
    fillMode?: 'contain' | 'cover' | 'fill';
    mirror?: V5Mirror;
    small?: unknown;
    qosPreference?: 'smooth' | 'clear';
    videoTrack?: MediaStreamTrack;
  };
}

export interface V5ScreenShareConfig {
  view?: ViewTarget;
  publish?: boolean;
  option?: {
    profile?: unknown;
    systemAudio?: boolean;
    videoTrack?: MediaStreamTrack;
    audioTrack?: MediaStreamTrack;
  };
}

export interface V5RemoteVideoConfig {
  userId: string;
  streamType: V5StreamType;
  view?: ViewTarget;
  option?: {
    fillMode?: 'contain' | 'cover' | 'fill';
    mirror?: boolean;
    small?: boolean;
  };
}

export interface V5Events {
  error: V5RtcError;
  'autoplay-failed': { userId: string; mediaType: 'audio' | 'video'; resume: () => Promise<void> };
  'kicked-out': { reason: 'kick' | 'banned' | 'room_disband' };
  'remote-user-enter': { userId: string };
  'remote-user-exit': { userId: string; reason?: 0 | 1 | 2 | 3 };
  'remote-audio-available': { userId: string };
  'remote-audio-unavailable': { userId: string };
  'remote-video-available': { userId: string; streamType: V5StreamType };
  'remote-video-unavailable': { userId: string; streamType: V5StreamType };
  'audio-volume': { result: Array<{ userId: string; volume: number; floatVolume: number }> };
  'network-quality': NetworkQualityEvent;
  'connection-state-changed': {
    prevState: 'DISCONNECTED' | 'CONNECTING' | 'CONNECTED';
    state: 'DISCONNECTED' | 'CONNECTING' | 'CONNECTED';
    isReconnecting?: boolean;
  };
  'screen-share-stopped': Record<string, never>;
  track: { userId: string; streamType: V5StreamType; track: MediaStreamTrack };
  'sei-message': {
    userId: string;
    data: ArrayBuffer;
    streamType: V5StreamType;
    seiPayloadType: number;
  };
  statistics: TRTCStatistics;
  'device-changed': DeviceChange;
  'publish-state-changed': {
    mediaType: 'audio' | 'video' | 'screen';
    state: 'starting' | 'started' | 'stopped';
    prevState: 'starting' | 'started' | 'stopped';
    reason?: 'timeout' | 'error' | 'api-call';
    error?: V5RtcError;
  };
  'video-play-state-changed': {
    userId: string;
    streamType: V5StreamType;
    state: 'PLAYING' | 'PAUSED' | 'STOPPED';
    reason: string;
  };
  'audio-play-state-changed': {
    userId: string;
    state: 'PLAYING' | 'PAUSED' | 'STOPPED';
    reason: string;
  };
  'first-video-frame': { userId: string; streamType: V5StreamType; width: number; height: number };
  'video-size-changed': {
    userId: string;
    streamType: V5StreamType;
    newWidth: number;
    newHeight: number;
  };
  'custom-message': { userId: string; cmdId: number; seq: number; data: ArrayBuffer };
  'permission-state-change': PermissionStates;
  'audio-frame': AudioFrame;
  'picture-in-picture-state-changed': {
    userId: string;
    streamType: V5StreamType;
    isPictureInPicture: boolean;
    pictureInPictureWindow?: PictureInPictureWindow;
  };
  'full-screen-state-changed': { userId: string; streamType: V5StreamType; isFullScreen: boolean };
}
