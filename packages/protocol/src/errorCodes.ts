/**
 * TRTC Web SDK v4 error codes (checked against the trtc-js-sdk 4.15.22 bundle).
 * The SDK rejects with these as `RtcError.getCode()`; the server sends them in
 * error responses so that both sides speak the same numbers.
 */
export const ErrorCode = {
  INVALID_PARAMETER: 0x1000,
  INVALID_OPERATION: 0x1001,
  NOT_SUPPORTED: 0x1002,
  DEVICE_NOT_FOUND: 0x1003,
  INITIALIZE_FAILED: 0x1004,
  SIGNAL_CHANNEL_SETUP_FAILED: 0x4001,
  SIGNAL_CHANNEL_ERROR: 0x4002,
  ICE_TRANSPORT_ERROR: 0x4003,
  JOIN_ROOM_FAILED: 0x4004,
  CREATE_OFFER_FAILED: 0x4005,
  SIGNAL_CHANNEL_RECONNECTION_FAILED: 0x4006,
  UPLINK_RECONNECTION_FAILED: 0x4007,
  DOWNLINK_RECONNECTION_FAILED: 0x4008,
  REMOTE_STREAM_NOT_EXIST: 0x4010,
  CLIENT_BANNED: 0x4040,
  SERVER_TIMEOUT: 0x4041,
  SUBSCRIPTION_TIMEOUT: 0x4042,
  PLAY_NOT_ALLOWED: 0x4043,
  DEVICE_AUTO_RECOVER_FAILED: 0x4044,
  START_PUBLISH_CDN_FAILED: 0x4045,
  STOP_PUBLISH_CDN_FAILED: 0x4046,
  START_MIX_TRANSCODE_FAILED: 0x4047,
  STOP_MIX_TRANSCODE_FAILED: 0x4048,
  NOT_SUPPORTED_H264: 0x4049,
  SWITCH_ROLE_FAILED: 0x404a,
  API_CALL_TIMEOUT: 0x404b,
  UNKNOWN: 0xffff,
} as const;

/** The table's type, under the same name (TRTC v4's types export `ErrorCode` as a type). */
export type ErrorCode = typeof ErrorCode;
export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

/**
 * Account errors that v4 reports as `getExtraCode()` of a SIGNAL_CHANNEL_SETUP_FAILED
 * join rejection. Applications branch on these (70001: fetch a fresh userSig), so
 * they must stay exact.
 */
export const AccountErrorCode = {
  UNKNOWN_SDK_APP_ID: -8,
  USERSIG_EXPIRED: 70001,
  USERSIG_EMPTY: 70002,
  USERSIG_INVALID: 70003,
  USERSIG_WRONG_KEY: 70009,
  USERSIG_WRONG_USER: 70013,
  USERSIG_WRONG_SDK_APP_ID: 70014,
} as const;

/** extraCode of JOIN_ROOM_FAILED when the room refuses (privateMapKey missing or lacking a privilege). */
export const ROOM_PERMISSION_DENIED = -100006;

/**
 * extraCode of a refusal because a configured limit is reached: members per room, publishers
 * per room, rooms per server or per application. (Rate limits use RATE_LIMITED instead.)
 */
export const ROOM_LIMIT_REACHED = -100031;

/** Parley's own extraCodes for protocol-level refusals (not in v4; never collide with its ranges). */
export const ProtocolErrorCode = {
  /** The SDK speaks a protocol version this server does not. */
  INCOMPATIBLE_PROTOCOL: -200001,
  /** A message failed validation. */
  MALFORMED_MESSAGE: -200002,
  /** A message exceeded the size limit. */
  MESSAGE_TOO_LARGE: -200003,
  /** A request came in a state that does not allow it (e.g. publish before join). */
  WRONG_STATE: -200004,
  /** The resume token is unknown or its grace period is over. */
  SESSION_EXPIRED: -200005,
  /** The server failed internally while handling the request. */
  INTERNAL: -200006,
  /** The client went over a rate limit (messages per second, joins per second per IP). */
  RATE_LIMITED: -200007,
  /**
   * Cluster mode: the node cannot reach Redis (or another node it needs) within the join
   * timeout, so it cannot admit anyone to a room that spans the cluster; calls in progress go on.
   */
  CLUSTER_UNAVAILABLE: -200008,
  /**
   * Cluster mode: this node is over its load limit (PARLEY_WORKER_MAX_LOAD × workers) and a
   * lighter node can take the join; the error's `redirect` names it (the SDK follows it once).
   */
  NODE_OVERLOADED: -200009,
  /**
   * `switch-room` cannot be done on this connection (cluster mode: the new room may live on
   * other nodes): the SDK exits and enters instead. Nothing changed on the server.
   */
  SWITCH_ROOM_UNAVAILABLE: -200010,
} as const;
