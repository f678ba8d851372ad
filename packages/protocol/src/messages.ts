/**
 * Parley signaling messages, one WebSocket text frame each, JSON.
 *
 * Envelope (see `Envelope`):
 *   request       {type: 'req', id, method, data}        answered by exactly one response
 *   response      {type: 'res', id, ok: true, data} | {type: 'res', id, ok: false, error}
 *   notification  {type: 'ntf', method, data}            no answer
 * Both sides send requests; ids are per sender.
 *
 * Session flow:
 *  1. The SDK opens `ws(s)://server/signal` and sends request `join` first (it carries
 *     PROTOCOL_VERSION). Auth failures answer SIGNAL_CHANNEL_SETUP_FAILED with the account
 *     extraCode; the server then closes the socket. The join result is a room snapshot: the
 *     SDK fires `peer-join` and `stream-added` for what it lists.
 *  2. Publishing: the SDK owns one publisher RTCPeerConnection, adds sendonly transceivers
 *     and sends `publish` with its offer and the mid → (streamType, kind) map of every track
 *     it publishes; the server answers with the answer SDP. Later changes repeat `publish`
 *     with a new offer carrying the full map: a new mid is a new (or replacing) track, a
 *     track whose mid the map no longer lists is unpublished (its stream too when it has no
 *     track left), and `muted` is applied to every listed track. The main and auxiliary
 *     streams share the one publisher connection; `unpublish` removes one stream type.
 *  3. Subscribing: the server owns the offers of the subscriber RTCPeerConnection. After
 *     `subscribe` (or at join / on a new stream when autoSubscribe is on) the server sends
 *     request `offer` with the SDP and the mid → (userId, streamType, kind) map; the SDK
 *     answers with its answer SDP. The server serializes these renegotiations.
 *  4. ICE: the server is ICE-lite; its candidates are in its SDP. The SDK still trickles its
 *     own with notification `candidate` (the server learns the client's address from its
 *     connectivity checks and ignores them). If the server loses a connection's media (a
 *     media worker died), it sends `media-reset` for the publisher (the SDK republishes on a
 *     new connection) and an `offer` with `restart: true` for the subscriber (the SDK answers
 *     it on a new connection); the room, streams and subscriptions stay as they were.
 *  5. The SDK sends `ping` every `heartbeatMs`. A socket that drops without `leave` keeps the
 *     participant for `sessionTimeoutMs`; the SDK reconnects and sends `resume` with the
 *     token from the join result, and the peer connections carry on untouched.
 *  6. Live mode: audience members are invisible (no `peer-join`, absent from snapshots) and
 *     may not publish. `switch-role` changes that: to anchor broadcasts `peer-join`; to
 *     audience unpublishes (`stream-removed` to the others) and broadcasts `peer-leave`.
 *  7. SEI: `sei` relays up to MAX_SEI_BYTES (base64) from a user publishing video to the
 *     others as `sei-message`, in the order sent. The server releases each one right after
 *     it forwards the sender's next video frame (at most 300 ms later), so it travels with
 *     that frame; it rides the signaling socket, not the bitstream.
 *  8. Dual stream: a publisher that sends its main video as two simulcast encodings (rids,
 *     smallest first) has `hasSmall` in its StreamInfo. `remote-video-type` says which one a
 *     subscriber wants ('big' by default, kept for the subscription, also before it exists);
 *     the server also sends the small one by itself while the subscriber's downlink cannot
 *     carry the big one.
 *  9. Room permissions: a privateMapKey (at join, or later with `update-private-map-key`) holds
 *     privilege bits. Tracks the user may not send are refused at publish and, when a later
 *     key withdraws the bit, withheld from everyone; streams and kinds it may not receive are
 *     neither announced (`stream-added` etc. describe only what it may receive) nor forwarded.
 * 10. Log upload is HTTP, not signaling (see logs.ts): the join result's `logToken` is the
 *     bearer token for `POST /v1/logs`.
 * 11. Cluster: a node of a Parley cluster lists the signaling URLs of the cluster's live nodes
 *     in the join result (`nodes`, this node first) and sends `nodes` when that list changes.
 *     When its socket drops, the SDK sends `resume` to this node first and then to the others
 *     in turn: any node of the cluster resumes a session whose node died (the SDK then
 *     republishes on `media-reset` and answers the new subscriber offer, as after a lost
 *     media worker), so nobody in the room sees the user leave.
 * 13. Switching rooms (v5 `switchRoom`): `switch-room` moves a joined session to another room
 *     of the same kind on the same socket. The server checks the new UserSig, privateMapKey
 *     and limits as at join (a refusal changes nothing: the session stays in its room), then
 *     the user leaves the old room (the others get `peer-leave`, its transports close) and
 *     joins the new one; the result is the new room's snapshot and resume token, and the new
 *     room's notifications follow it. The SDK makes new publisher and subscriber connections
 *     (mediasoup transports belong to one room's router) and publishes the same tracks again.
 *     A cluster node refuses it with SWITCH_ROOM_UNAVAILABLE (the SDK then leaves and joins).
 * 12. Custom messages (v5 `sendCustomMessage`): `custom-message` relays up to
 *     MAX_CUSTOM_MESSAGE_BYTES (base64) with a cmdId (1..10) and the sender's own sequence
 *     number from an anchor to everyone else in the room as `custom-message`, in the order
 *     sent, at most 30 per second and 8 KB per second per sender.
 */
import { z } from 'zod';
import { MixConfigSchema, PublishCdnSchema, RelaySlotSchema } from './mediaOut.js';

/** Bumped on any incompatible change; the server refuses other versions with a clear error. */
export const PROTOCOL_VERSION = 1;

/** Largest frame either side accepts (an SDP with many m-lines is ~20 kB). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

const userId = z.string().min(1).max(32);
/** A node's signaling WebSocket URL (ws:// or wss://). */
const nodeUrl = z
  .string()
  .max(512)
  .regex(/^wss?:\/\/[^\s]+$/, 'a ws:// or wss:// URL');
const sdp = z.string().min(1).max(60_000);

/** Largest SEI payload (v4's limit), before base64. */
export const MAX_SEI_BYTES = 1000;
/** SEI payload types v4 accepts: 5 (user data unregistered) and 243 (custom, the default). */
export const SEI_PAYLOAD_TYPES = [5, 243] as const;
/** Bytes a base64 text decodes to (it must be canonical: length a multiple of 4). */
const base64Bytes = (text: string): number =>
  (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
const seiData = z
  .string()
  .min(4)
  .max(Math.ceil(MAX_SEI_BYTES / 3) * 4)
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64')
  .refine(
    (text) => base64Bytes(text) <= MAX_SEI_BYTES,
    `must decode to at most ${MAX_SEI_BYTES} bytes`,
  );
const seiPayloadType = z.union([z.literal(5), z.literal(243)]);

/** Largest custom message (v5's limit), before base64. */
export const MAX_CUSTOM_MESSAGE_BYTES = 1000;
/** v5's custom message command ids. */
export const CUSTOM_MESSAGE_CMD_IDS = { min: 1, max: 10 } as const;
const customData = z
  .string()
  .max(Math.ceil(MAX_CUSTOM_MESSAGE_BYTES / 3) * 4)
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64')
  .refine(
    (text) => base64Bytes(text) <= MAX_CUSTOM_MESSAGE_BYTES,
    `must decode to at most ${MAX_CUSTOM_MESSAGE_BYTES} bytes`,
  );
const customMessage = {
  cmdId: z.number().int().min(CUSTOM_MESSAGE_CMD_IDS.min).max(CUSTOM_MESSAGE_CMD_IDS.max),
  /** The sender's own counter (v5's `seq`), passed through. */
  seq: z.number().int().min(0).max(0xffffffff),
  data: customData,
};

export const StreamTypeSchema = z.enum(['main', 'auxiliary']);
export type StreamType = z.infer<typeof StreamTypeSchema>;

export const TrackKindSchema = z.enum(['audio', 'video']);
export type TrackKind = z.infer<typeof TrackKindSchema>;

/** Which layer of a simulcast (dual stream) video a subscriber wants: v4's big or small stream. */
export const RemoteVideoTypeSchema = z.enum(['big', 'small']);
export type RemoteVideoType = z.infer<typeof RemoteVideoTypeSchema>;

/**
 * Which simulcast layer a viewer gets of a dual stream publisher's video, and why: `app`, the
 * one asked for (big unless `remote-video-type` said small); `estimate`, a lower one because
 * the server's estimate of the viewer's downlink does not cover it; `hold`, a lower one kept
 * after a sustained shortfall until the path shows room again.
 */
export const VideoLayerReasonSchema = z.enum(['app', 'estimate', 'hold']);
export type VideoLayerReason = z.infer<typeof VideoLayerReasonSchema>;
export const VideoLayerSchema = z.object({
  userId: z.string().max(256),
  streamType: StreamTypeSchema,
  /** null: nothing sent yet (or paused). */
  layer: RemoteVideoTypeSchema.nullable(),
  reason: VideoLayerReasonSchema,
});
export type VideoLayer = z.infer<typeof VideoLayerSchema>;

export const RoleSchema = z.enum(['anchor', 'audience']);
export type Role = z.infer<typeof RoleSchema>;

export const RoomRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('number'), id: z.number().int() }),
  z.object({ kind: z.literal('string'), id: z.string().max(64) }),
]);

export const IceCandidateSchema = z.object({
  candidate: z.string().max(1024),
  sdpMid: z.string().max(64).nullish(),
  sdpMLineIndex: z.number().int().min(0).max(1024).nullish(),
  usernameFragment: z.string().max(256).nullish(),
});
export type IceCandidateInit = z.infer<typeof IceCandidateSchema>;

/** What a subscriber knows of a published stream: the per-user media state flags. */
export const StreamInfoSchema = z.object({
  userId,
  streamType: StreamTypeSchema,
  hasAudio: z.boolean(),
  hasVideo: z.boolean(),
  audioMuted: z.boolean(),
  videoMuted: z.boolean(),
  hasSmall: z.boolean(),
});
export type StreamInfo = z.infer<typeof StreamInfoSchema>;

export const ParticipantInfoSchema = z.object({
  userId,
  role: RoleSchema,
  streams: z.array(StreamInfoSchema).max(4),
});
export type ParticipantInfo = z.infer<typeof ParticipantInfoSchema>;

export const PublishedTrackSchema = z.object({
  mid: z.string().min(1).max(32),
  kind: TrackKindSchema,
  streamType: StreamTypeSchema,
  muted: z.boolean(),
});
export type PublishedTrack = z.infer<typeof PublishedTrackSchema>;

export const SubscribedTrackSchema = z.object({
  mid: z.string().min(1).max(32),
  kind: TrackKindSchema,
  userId,
  streamType: StreamTypeSchema,
});
export type SubscribedTrack = z.infer<typeof SubscribedTrackSchema>;

export const PeerConnectionNameSchema = z.enum(['publisher', 'subscriber']);
export type PeerConnectionName = z.infer<typeof PeerConnectionNameSchema>;

export const ErrorPayloadSchema = z.object({
  code: z.number().int(),
  extraCode: z.number().int().optional(),
  message: z.string().max(2000),
  /**
   * Cluster: a join refused by a node over its load limit names a lighter node's signaling URL
   * (extraCode NODE_OVERLOADED); the SDK joins there instead, once.
   */
  redirect: nodeUrl.optional(),
});
export type ErrorPayload = z.infer<typeof ErrorPayloadSchema>;

const RoomSnapshotSchema = z.object({
  participants: z.array(ParticipantInfoSchema).max(1000),
});

const empty = z.object({}).strict();

/** Requests the SDK sends, with the result the server answers. */
export const clientRequests = {
  join: {
    data: z.object({
      protocolVersion: z.number().int(),
      sdkVersion: z.string().max(64),
      sdkAppId: z.number().int().nonnegative().max(0xffffffff),
      userId: z.string().max(256),
      userSig: z.string().max(8192),
      room: RoomRefSchema,
      mode: z.enum(['rtc', 'live']),
      role: RoleSchema,
      privateMapKey: z.string().max(8192).optional(),
      autoSubscribe: z.boolean(),
    }),
    result: RoomSnapshotSchema.extend({
      sessionId: z.string(),
      resumeToken: z.string(),
      heartbeatMs: z.number().int().positive(),
      sessionTimeoutMs: z.number().int().positive(),
      /** Bearer token for `POST /v1/logs` (absent from servers that do not store logs). */
      logToken: z.string().max(256).optional(),
      /** TURN/STUN servers for this user's peer connections (the server's PARLEY_TURN_*). */
      iceServers: z
        .array(
          z.object({
            urls: z.array(z.string().min(1).max(512)).min(1).max(8),
            username: z.string().max(512).optional(),
            credential: z.string().max(512).optional(),
          }),
        )
        .max(8)
        .optional(),
      /** Cluster: the live nodes' signaling URLs, this node first (see 11 above). */
      nodes: z.array(nodeUrl).max(64).optional(),
    }),
  },
  resume: {
    data: z.object({
      protocolVersion: z.number().int(),
      resumeToken: z.string().max(256),
    }),
    result: RoomSnapshotSchema,
  },
  publish: {
    data: z.object({
      sdp,
      tracks: z.array(PublishedTrackSchema).min(1).max(8),
      /** The offer restarts ICE (createOffer({iceRestart})): the answer brings new credentials. */
      iceRestart: z.boolean().optional(),
    }),
    result: z.object({ sdp }),
  },
  unpublish: {
    data: z.object({ streamType: StreamTypeSchema }),
    result: empty,
  },
  subscribe: {
    data: z.object({
      userId,
      streamType: StreamTypeSchema,
      audio: z.boolean(),
      video: z.boolean(),
    }),
    result: empty,
  },
  unsubscribe: {
    data: z.object({ userId, streamType: StreamTypeSchema }),
    result: empty,
  },
  mute: {
    data: z.object({ streamType: StreamTypeSchema, kind: TrackKindSchema, muted: z.boolean() }),
    result: empty,
  },
  'switch-role': {
    data: z.object({ role: RoleSchema }),
    result: empty,
  },
  'remote-video-type': {
    data: z.object({ userId, streamType: StreamTypeSchema, type: RemoteVideoTypeSchema }),
    result: empty,
  },
  /** The layer this session gets of each dual stream video it receives, and why. */
  'video-layers': {
    data: empty,
    result: z.object({ layers: z.array(VideoLayerSchema).max(200) }),
  },
  sei: {
    data: z.object({ payloadType: seiPayloadType, data: seiData }),
    result: empty,
  },
  'custom-message': {
    data: z.object(customMessage),
    result: empty,
  },
  /**
   * `callExperimentalAPI('updatePrivateMapKey')`: replaces the session's privateMapKey. The
   * server verifies it as at join and applies its privileges at once, both ways (send bits
   * withdrawn stop the others receiving those tracks; receive bits granted start forwarding).
   */
  'update-private-map-key': {
    data: z.object({ privateMapKey: z.string().min(1).max(8192) }),
    result: empty,
  },
  /**
   * The subscriber connection lost its path (ICE failed or long disconnected, or the network
   * changed): the server restarts ICE on its side and offers again with new credentials.
   */
  'restart-ice': {
    data: z.object({ pc: z.literal('subscriber') }).strict(),
    result: empty,
  },
  /**
   * 12. Media out: `startMixTranscode()` (checked again by the server: see mediaOut.ts); the
   * same streamId again changes the running mix's layout, another one replaces it. Refused
   * with START_MIX_TRANSCODE_FAILED and the cause when the mix cannot run.
   */
  'start-mix-transcode': {
    data: MixConfigSchema,
    result: z.object({ streamId: z.string() }),
  },
  'stop-mix-transcode': { data: empty, result: empty },
  /**
   * `startPublishCDNStream()`: relays this client's mix when `streamId` names it, otherwise its
   * own published stream, over RTMP to `url` or the application's configured URL template.
   */
  'start-publish-cdn': {
    data: PublishCdnSchema,
    result: z.object({ streamId: z.string() }),
  },
  /** Ends the client's relay (v5: the one of `slot`). */
  'stop-publish-cdn': {
    data: z.object({ slot: RelaySlotSchema.optional() }).strict(),
    result: empty,
  },
  /** 13. Moves the session to another room of the same kind (see above). */
  'switch-room': {
    data: z
      .object({
        userSig: z.string().max(8192),
        room: RoomRefSchema,
        privateMapKey: z.string().max(8192).optional(),
      })
      .strict(),
    result: RoomSnapshotSchema.extend({
      sessionId: z.string(),
      resumeToken: z.string(),
      logToken: z.string().max(256).optional(),
    }),
  },
  leave: { data: empty, result: empty },
  ping: { data: empty, result: empty },
} as const;

/** Notifications the SDK sends. */
export const clientNotifications = {
  candidate: z.object({ pc: PeerConnectionNameSchema, candidate: IceCandidateSchema }),
} as const;

/** Requests the server sends, with the result the SDK answers. */
export const serverRequests = {
  offer: {
    data: z.object({
      sdp,
      tracks: z.array(SubscribedTrackSchema).max(200),
      /** This offer is for a new connection replacing the current one (media worker lost). */
      restart: z.boolean().optional(),
    }),
    result: z.object({ sdp }),
  },
} as const;

/** Notifications the server sends. */
export const serverNotifications = {
  'peer-join': z.object({ userId, role: RoleSchema }),
  'peer-leave': z.object({ userId, reason: z.enum(['leave', 'timeout', 'kick']) }),
  'stream-added': z.object({ stream: StreamInfoSchema }),
  'stream-updated': z.object({ stream: StreamInfoSchema }),
  'stream-removed': z.object({ userId, streamType: StreamTypeSchema }),
  candidate: z.object({ pc: PeerConnectionNameSchema, candidate: IceCandidateSchema }),
  banned: z.object({
    reason: z.enum(['kick', 'banned', 'room-disband']),
    message: z.string().max(2000),
  }),
  'sei-message': z.object({ userId, payloadType: seiPayloadType, data: seiData }),
  'custom-message': z.object({ userId, ...customMessage }),
  /**
   * The server lost this connection's media (its worker died, or the transport failed): the
   * SDK makes a new publisher connection and publishes its streams again (same track map).
   */
  'media-reset': z.object({ pc: z.literal('publisher'), reason: z.string().max(500) }),
  /**
   * A refusal that has no request to answer (e.g. notifications over the rate limit): the
   * SDK logs it. Requests are refused with an error response instead.
   */
  error: ErrorPayloadSchema,
  /** Cluster: the live nodes' signaling URLs changed (this node first). */
  nodes: z.object({ urls: z.array(nodeUrl).max(64) }),
} as const;

type Infer<T> = T extends z.ZodType ? z.infer<T> : never;

type RequestMap = Record<string, { data: z.ZodType; result: z.ZodType }>;
export type RequestData<M extends RequestMap, K extends keyof M> = Infer<M[K]['data']>;
export type RequestResult<M extends RequestMap, K extends keyof M> = Infer<M[K]['result']>;

export type ClientRequestMethod = keyof typeof clientRequests;
export type ClientRequestData<K extends ClientRequestMethod> = RequestData<
  typeof clientRequests,
  K
>;
export type ClientRequestResult<K extends ClientRequestMethod> = RequestResult<
  typeof clientRequests,
  K
>;
export type ServerRequestMethod = keyof typeof serverRequests;
export type ServerRequestData<K extends ServerRequestMethod> = RequestData<
  typeof serverRequests,
  K
>;
export type ServerRequestResult<K extends ServerRequestMethod> = RequestResult<
  typeof serverRequests,
  K
>;
export type ClientNotificationMethod = keyof typeof clientNotifications;
export type ClientNotificationData<K extends ClientNotificationMethod> = Infer<
  (typeof clientNotifications)[K]
>;
export type ServerNotificationMethod = keyof typeof serverNotifications;
export type ServerNotificationData<K extends ServerNotificationMethod> = Infer<
  (typeof serverNotifications)[K]
>;

export type JoinData = ClientRequestData<'join'>;
export type JoinResult = ClientRequestResult<'join'>;
export type RoomSnapshot = z.infer<typeof RoomSnapshotSchema>;
