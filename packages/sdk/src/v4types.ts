/**
 * The type names TRTC v4 applications import, as the `trtc-js-sdk` 4.15.22 package
 * (`index.d.ts`) and `@types/trtc-js-sdk` 4.8.0 export them, for the Parley types they
 * stand for, so that `import type { ClientEventMap, RemoteStreamInfo } from 'trtc-js-sdk'`
 * keeps compiling. The types of v4 features Parley does not provide yet are in notYet.ts.
 *
 * e2e/types (types.test.ts) checks every name of both type packages against these.
 */
import type { StreamType } from '@parley/protocol';
import type {
  AudioVolumeEntry,
  ClientEvents,
  NetworkQualityEvent,
  SeiMessageEvent,
} from './client/types.js';
import type {
  AudioProfilePreset,
  ScreenProfilePreset,
  VideoProfile as ProfileSettings,
  VideoProfilePreset,
} from './profiles.js';
import type {
  LocalAudioStats,
  LocalVideoStats,
  RemoteAudioStats,
  RemoteVideoStats,
} from './client/types.js';
import type { PlayOptions, StreamEvents } from './stream/types.js';
import type { SystemRequirements } from './system.js';

/** `T | null`, as v4's types spell the result of `getAudioTrack()` and others. */
export type Nullable<T> = T | null;

/**
 * An event handler, as v4's types spell it.
 * `any` as theirs: a bare `Callback` must accept handlers of any payload type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Callback<T = any> = (event: T) => void;

/** `@types/trtc-js-sdk` exported its own `Omit` (older TypeScript had none). */
export type Omit<T, K extends PropertyKey> = Pick<T, Exclude<keyof T, K>>;

/** `TRTC.checkSystemRequirements()`'s result. */
export type CheckResult = SystemRequirements;

export type { TurnServerConfig } from './engine/turnServers.js';

/** Event name → payload of a Client (`client.on(name, handler)`). */
export type ClientEventMap = ClientEvents;

/** Event name → payload of a Stream (`stream.on(name, handler)`). */
export type StreamEventMap = StreamEvents;

/** `network-quality`: levels 0 unknown, 1 excellent … 5 very bad, 6 disconnected; RTT, loss. */
export type NetworkQuality = NetworkQualityEvent;

/** One entry of `audio-volume`'s `result`. */
export type UserAudioVolume = AudioVolumeEntry;

/** `sei-message`. */
export type SEIMessageEvent = SeiMessageEvent;

/** `'main'` or `'auxiliary'` (screen share), `RemoteStream.getType()`. */
export type RemoteStreamType = StreamType;

/** `play()` options. */
export type PlaybackOptions = PlayOptions;

/** `setVideoProfile()`'s custom profile: missing fields keep their current value. */
export type VideoProfile = Partial<ProfileSettings>;

/** `setScreenProfile()`'s custom profile (also `@types/trtc-js-sdk`'s `Profile`). */
export type ScreenProfile = ProfileSettings;
export type Profile = ProfileSettings;

export type AudioProfileString = AudioProfilePreset;
export type VideoProfileString = VideoProfilePreset;
export type ScreenProfileString = ScreenProfilePreset;

/** What `getLocalAudioStats()` and the others resolve with: stats by userId. */
export type LocalAudioStatsMap = Record<string, LocalAudioStats>;
export type LocalVideoStatsMap = Record<string, LocalVideoStats>;
export type RemoteAudioStatsMap = Record<string, RemoteAudioStats>;
export type RemoteVideoStatsMap = Record<string, RemoteVideoStats>;

/** `@types/trtc-js-sdk`'s parts of the stats types. */
export interface SentMediaStats {
  bytesSent: number;
  packetsSent: number;
}
export interface ReceivedMediaStats {
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
}
/**
 * `@types/trtc-js-sdk` named these fields `framesWidth`/`framesHeight`, which no SDK ever
 * set; the stats carry `frameWidth`/`frameHeight`.
 */
export interface VideoStats {
  frameWidth: number;
  frameHeight: number;
}

/** The Client event names, as constants' types (`ClientEvent['STREAM_ADDED']`). */
export interface ClientEvent {
  STREAM_ADDED: 'stream-added';
  STREAM_REMOVED: 'stream-removed';
  STREAM_UPDATED: 'stream-updated';
  STREAM_SUBSCRIBED: 'stream-subscribed';
  CONNECTION_STATE_CHANGED: 'connection-state-changed';
  PEER_JOIN: 'peer-join';
  PEER_LEAVE: 'peer-leave';
  MUTE_AUDIO: 'mute-audio';
  MUTE_VIDEO: 'mute-video';
  UNMUTE_AUDIO: 'unmute-audio';
  UNMUTE_VIDEO: 'unmute-video';
  CLIENT_BANNED: 'client-banned';
  NETWORK_QUALITY: 'network-quality';
  AUDIO_VOLUME: 'audio-volume';
  ERROR: 'error';
}

/** The Stream event names, as constants' types (`StreamEvent['PLAYER_STATE_CHANGED']`). */
export interface StreamEvent {
  PLAYER_STATE_CHANGED: 'player-state-changed';
  SCREEN_SHARING_STOPPED: 'screen-sharing-stopped';
  CONNECTION_STATE_CHANGED: 'connection-state-changed';
  DEVICE_AUTO_RECOVERED: 'device-auto-recovered';
  ERROR: 'error';
}
