/**
 * TRTC v5's enumerations, under the names and with the values `trtc-sdk-v5` 5.17.1 declares
 * them (its index.d.ts declares them `const enum`, so apps may write `TRTCStreamType.Main`
 * against its types and must be able to against ours). Const enums: inlined at build time,
 * nothing of them exists at run time, as in Tencent's bundle.
 */

export const enum Scene {
  LIVE = 'live',
  RTC = 'rtc',
}

export const enum UserRole {
  ANCHOR = 'anchor',
  AUDIENCE = 'audience',
}

export const enum TRTCStreamType {
  Main = 'main',
  Sub = 'sub',
}

/** `STATISTICS` video entries: the camera's big or small encoding, or the sub stream. */
export const enum TRTCVideoType {
  Big = 'big',
  Small = 'small',
  Sub = 'sub',
}

export const enum TRTCDeviceType {
  Camera = 'camera',
  Microphone = 'microphone',
  Speaker = 'speaker',
}

export const enum TRTCDeviceAction {
  Remove = 'remove',
  Add = 'add',
  Active = 'active',
}

export const enum ConnectionState {
  CONNECTED = 'CONNECTED',
  DISCONNECTED = 'DISCONNECTED',
  CONNECTING = 'CONNECTING',
  RECONNECTED = 'RECONNECTED',
  RECONNECTING = 'RECONNECTING',
}

export const enum PlayerState {
  PAUSED = 'PAUSED',
  PLAYING = 'PLAYING',
  STOPPED = 'STOPPED',
}

/** `KICKED_OUT`'s reason (`user_time_out` is declared but never fired with KICKED_OUT). */
export const enum BannedReason {
  BANNED = 'banned',
  KICK = 'kick',
  USER_TIME_OUT = 'user_time_out',
  ROOM_DISBAND = 'room_disband',
}

/** `REMOTE_USER_EXIT`'s reason. */
export const enum PEER_LEAVE_REASON {
  NORMAL_LEAVE = 0,
  TIMEOUT_LEAVE = 1,
  KICK = 2,
  ROLE_CHANGE = 3,
}

/** `NETWORK_QUALITY` levels: 0 before the first measurement, 1 best .. 6 disconnected. */
export const enum NetworkQualityValue {
  UNKNOWN = 0,
  EXCELLENT = 1,
  GOOD = 2,
  POOR = 3,
  BAD = 4,
  VERY_BAD = 5,
  DISCONNECTED = 6,
}

/** `TRTC.setLogLevel()` levels. */
export const enum LOG_LEVEL {
  TRACE = 0,
  DEBUG = 1,
  INFO = 2,
  WARN = 3,
  ERROR = 4,
  NONE = 5,
}

/** AIDenoiser modes (a plain `declare enum` in their types with no run-time object; const here so nothing dangles). */
export const enum DenoiserMode {
  NORMAL = 0,
  FAR_FIELD_REDUCTION = 1,
}

/** Plugins trtc-sdk-v5 starts by itself. */
export const enum AutoStartPluginName {
  Debug = 'Debug',
}
