/** Public types of the Client: its configuration, call options and events. */
import type { RtcError } from '../errors/RtcError.js';
import type { RemoteStream } from '../stream/RemoteStream.js';
import type { AudioVolumeEvent } from '../engine/AudioVolumeMeter.js';
import type { NetworkQualityEvent } from '../engine/networkQuality.js';
import type { MixUserItem } from '../notYet.js';
import type { SeiPayloadType } from '../engine/sei.js';
import type { ConnectionStateChangedEvent } from '../connectionState.js';

export type { ConnectionState, ConnectionStateChangedEvent } from '../connectionState.js';

export type { AudioVolumeEntry, AudioVolumeEvent } from '../engine/AudioVolumeMeter.js';
// v4 names the event `NetworkQuality` (see v4types.ts); the level is NetworkQualityLevel.
export type {
  NetworkQuality as NetworkQualityLevel,
  NetworkQualityEvent,
} from '../engine/networkQuality.js';
export type {
  LocalAudioStats,
  LocalVideoStats,
  RemoteAudioStats,
  RemoteVideoStats,
  TransportStats,
} from '../engine/stats.js';
export type { SeiOptions } from '../engine/sei.js';

/** `'videoCall'` and `'audioCall'` (older v4 apps) mean `'rtc'`. */
export type ClientMode = 'rtc' | 'live' | 'videoCall' | 'audioCall';

export type Role = 'anchor' | 'audience';

export interface ClientConfig {
  mode: ClientMode;
  sdkAppId: number;
  /** 1-32 letters, digits, `_` and `-`. */
  userId: string;
  userSig: string;
  /** The room id passed to `join()` is a string instead of a number. */
  useStringRoomId?: boolean;
  /** Pull remote media as soon as it is published (default true); `subscribe()` is still needed. */
  autoSubscribe?: boolean;
  /**
   * Accepted for v4 compatibility; Parley shows no dialog of its own: blocked autoplay
   * rejects `play()` and fires the stream's `error` (PLAY_NOT_ALLOWED), and `resume()`
   * from a user gesture plays.
   */
  enableAutoPlayDialog?: boolean;
  /**
   * Parley extra: the server, `ws(s)://host:port` or `http(s)://host:port` with an optional
   * path. Defaults to the origin the SDK script was loaded from.
   */
  serverUrl?: string;
  /** Accepted for v4 compatibility; relaying and recording are not implemented. */
  streamId?: string;
  /** Accepted for v4 compatibility; recording is not implemented. */
  userDefineRecordId?: string;
  /** Accepted for v4 compatibility; relaying is not implemented. */
  pureAudioPushMode?: 1 | 2;
  /**
   * v4 needs it for sendSEIMessage(); Parley relays SEI over signaling and accepts it
   * either way.
   */
  enableSEI?: boolean;
  /**
   * Parley extra: how long (ms) a media connection may stay broken, ICE restarts included,
   * before the client gives up with UPLINK/DOWNLINK_RECONNECTION_FAILED and DISCONNECTED.
   * 5000–600000, default 30000. (The signaling channel's limit is the server's session
   * timeout: SIGNAL_CHANNEL_RECONNECTION_FAILED.)
   */
  reconnectTimeoutMs?: number;
}

export interface JoinOptions {
  /** 1..4294967294, or a string when the client was created with `useStringRoomId`. */
  roomId: number | string;
  /** `'live'` mode only; default `'anchor'`. */
  role?: Role;
  privateMapKey?: string;
}

export interface PublishOptions {
  /** Publish as this user's auxiliary stream (a screen share), beside the main one (v4.15+). */
  isAuxiliary?: boolean;
}

export interface SubscribeOptions {
  /** Receive the audio (default true). */
  audio?: boolean;
  /** Receive the video (default true). */
  video?: boolean;
}

/** One entry of `getRemoteMutedState()`. */
export interface RemoteMutedState {
  userId: string;
  hasAudio: boolean;
  hasVideo: boolean;
  audioMuted: boolean;
  videoMuted: boolean;
  hasSmall: boolean;
}

export type BanReason = 'kick' | 'banned' | 'room-disband';

/**
 * The `client-banned` payload: `{reason, message}` as v4.13+ documents it. It is also an
 * RtcError (CLIENT_BANNED) because older v4 apps treat the argument as an error object.
 */
export type ClientBannedEvent = RtcError & { readonly reason: BanReason };

/** The payload of `stream-added`, `stream-removed` and `stream-subscribed`. */
export interface RemoteStreamInfo {
  stream: RemoteStream;
}

/** `stream-updated`: the stream; `mixUserList` only with mixing, which Parley has not yet. */
export interface RemoteStreamUpdatedInfo extends RemoteStreamInfo {
  mixUserList?: MixUserItem[];
}

/** The payload of `peer-join`, `peer-leave` and the mute events. */
export interface RemoteUserInfo {
  userId: string;
}

/** Every event a Client fires, with its payload. */
export interface ClientEvents {
  /** A remote stream was published (also fired after join for streams already there). */
  'stream-added': RemoteStreamInfo;
  /** A remote stream was unpublished, or its user left. */
  'stream-removed': RemoteStreamInfo;
  /** A remote stream gained or lost its audio or video track. */
  'stream-updated': RemoteStreamUpdatedInfo;
  /** `subscribe()` succeeded and the requested tracks are on the stream: time to `play()`. */
  'stream-subscribed': RemoteStreamInfo;
  /** Signaling connection state changes (the peer connections are reported via `error`). */
  'connection-state-changed': ConnectionStateChangedEvent;
  /** A user entered the room (also fired after join for users already there). */
  'peer-join': RemoteUserInfo;
  'peer-leave': RemoteUserInfo;
  'mute-audio': RemoteUserInfo;
  'unmute-audio': RemoteUserInfo;
  'mute-video': RemoteUserInfo;
  'unmute-video': RemoteUserInfo;
  /** Removed from the room by the server; the client is left as after `leave()`. */
  'client-banned': ClientBannedEvent;
  /** An unrecoverable error (e.g. SIGNAL_CHANNEL_RECONNECTION_FAILED). */
  error: RtcError;
  /** Every 2 s while joined: 0 unknown, 1 excellent … 5 very bad, 6 disconnected. */
  'network-quality': NetworkQualityEvent;
  /** Every interval set by `enableAudioVolumeEvaluation()`: local and remote volumes. */
  'audio-volume': AudioVolumeEvent;
  /** An SEI message another user sent with `sendSEIMessage()`, in the order sent. */
  'sei-message': SeiMessageEvent;
}

export interface SeiMessageEvent {
  userId: string;
  data: ArrayBuffer;
  /** 243 or 5, as the sender chose. */
  seiPayloadType: SeiPayloadType;
  /** Sent with the auxiliary stream? Always false: Parley relays SEI per user, not per stream. */
  isFromAuxiliary: boolean;
}
