/** Public types of the Client: its configuration, call options and events. */
import type { RtcError } from '../errors/RtcError.js';
import type { RemoteStream } from '../stream/RemoteStream.js';

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
}

export interface JoinOptions {
  /** 1..4294967294, or a string when the client was created with `useStringRoomId`. */
  roomId: number | string;
  /** `'live'` mode only; default `'anchor'`. */
  role?: Role;
  privateMapKey?: string;
}

export interface PublishOptions {
  /** Publish as the auxiliary (screen share) stream. Not implemented yet. */
  isAuxiliary?: boolean;
}

export interface SubscribeOptions {
  /** Receive the audio (default true). */
  audio?: boolean;
  /** Receive the video (default true). */
  video?: boolean;
}

export type ConnectionState = 'DISCONNECTED' | 'CONNECTING' | 'RECONNECTING' | 'CONNECTED';

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

export interface StreamEvent {
  stream: RemoteStream;
}

export interface UserEvent {
  userId: string;
}

export interface ConnectionStateChangedEvent {
  prevState: ConnectionState;
  state: ConnectionState;
}

/** Every event a Client fires, with its payload. */
export interface ClientEvents {
  /** A remote stream was published (also fired after join for streams already there). */
  'stream-added': StreamEvent;
  /** A remote stream was unpublished, or its user left. */
  'stream-removed': StreamEvent;
  /** A remote stream gained or lost its audio or video track. */
  'stream-updated': StreamEvent;
  /** `subscribe()` succeeded and the requested tracks are on the stream: time to `play()`. */
  'stream-subscribed': StreamEvent;
  /** Signaling connection state changes (the peer connections are reported via `error`). */
  'connection-state-changed': ConnectionStateChangedEvent;
  /** A user entered the room (also fired after join for users already there). */
  'peer-join': UserEvent;
  'peer-leave': UserEvent;
  'mute-audio': UserEvent;
  'unmute-audio': UserEvent;
  'mute-video': UserEvent;
  'unmute-video': UserEvent;
  /** Removed from the room by the server; the client is left as after `leave()`. */
  'client-banned': ClientBannedEvent;
  /** An unrecoverable error (e.g. SIGNAL_CHANNEL_RECONNECTION_FAILED). */
  error: RtcError;
  /** Declared for v4 compatibility; not emitted yet. */
  'network-quality': { uplinkNetworkQuality: number; downlinkNetworkQuality: number };
  /** Declared for v4 compatibility; not emitted yet. */
  'audio-volume': { result: Array<{ userId: string; audioVolume: number; stream: unknown }> };
  /** Declared for v4 compatibility; not emitted yet. */
  'sei-message': { userId: string; data: ArrayBuffer };
}
