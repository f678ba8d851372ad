/**
 * What nodes of a cluster write to Redis and send each other, with the schemas every message
 * from Redis is validated against before use (another node's bug or an old version must not
 * take this one down).
 */
import { RoomRefSchema } from '@parley/protocol';
import { z } from 'zod';
import type { MemberState } from '../room/RemoteMembers.js';

const streamType = z.enum(['main', 'auxiliary']);
const kind = z.enum(['audio', 'video']);

export const MemberStateSchema = z.object({
  userId: z.string().min(1).max(32),
  node: z.string().min(1).max(64),
  epoch: z.number().int().nonnegative(),
  role: z.enum(['anchor', 'audience']),
  mode: z.enum(['rtc', 'live']),
  privilege: z.number().int().nonnegative(),
  autoSubscribe: z.boolean(),
  sessionId: z.string().max(64),
  streams: z
    .array(
      z.object({
        type: streamType,
        tracks: z
          .array(
            z.object({
              kind,
              mid: z.string().max(32),
              muted: z.boolean(),
              withheld: z.boolean(),
              layers: z.number().int().min(1).max(8),
              producerId: z.string().max(64).nullable(),
            }),
          )
          .max(2),
      }),
    )
    .max(2),
  subscriptions: z
    .array(
      z.object({
        userId: z.string().min(1).max(32),
        streamType,
        audio: z.boolean(),
        video: z.boolean(),
      }),
    )
    .max(1000),
  videoTypes: z
    .array(z.object({ key: z.string().max(80), type: z.enum(['big', 'small']) }))
    .max(1000),
}) satisfies z.ZodType<MemberState>;

/** A member as kept in Redis: its state plus what another node needs to resume or describe it. */
export const MemberRecordSchema = z.object({
  state: MemberStateSchema,
  sdkAppId: z.number().int().nonnegative(),
  room: RoomRefSchema,
  /** sha256 of its resume token: a node that resumes it checks the token against this. */
  tokenHash: z.string().max(128),
  logToken: z.string().max(256).optional(),
  /** Its node's incarnation (startedAt): a dead incarnation's members are reaped, not a new one's. */
  nodeStartedAt: z.number(),
  joinedAt: z.number(),
  clientIp: z.string().max(64),
  sdkVersion: z.string().max(64),
});
export type MemberRecord = z.infer<typeof MemberRecordSchema>;

/** What a room's channel carries (`parley:room:<key>`), from the node that made the change. */
export const RoomMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('put'), from: z.string(), record: MemberRecordSchema }),
  z.object({
    t: z.literal('gone'),
    from: z.string(),
    userId: z.string().min(1).max(32),
    epoch: z.number().int().nonnegative(),
    reason: z.enum(['leave', 'timeout', 'kick']),
  }),
  z.object({
    t: z.literal('sei'),
    from: z.string(),
    userId: z.string().min(1).max(32),
    payloadType: z.number().int(),
    data: z.string().max(4096),
  }),
  z.object({
    t: z.literal('custom'),
    from: z.string(),
    userId: z.string().min(1).max(32),
    cmdId: z.number().int().min(1).max(10),
    seq: z.number().int().min(0),
    data: z.string().max(4096),
  }),
]);
export type RoomMessage = z.infer<typeof RoomMessageSchema>;

/** A node's heartbeat (`parley:node:<id>`, a key with a TTL). */
export const NodeInfoSchema = z.object({
  id: z.string(),
  url: z.string(),
  signalUrl: z.string(),
  /** Transports + producers + consumers over its workers (PARLEY_WORKER_MAX_LOAD's measure). */
  load: z.number(),
  /** Load past which it sends new clients elsewhere (workers × PARLEY_WORKER_MAX_LOAD). */
  maxLoad: z.number(),
  rooms: z.number().int(),
  participants: z.number().int(),
  startedAt: z.number(),
});
export type NodeInfo = z.infer<typeof NodeInfoSchema>;

export const keys = {
  nodes: 'parley:nodes',
  node: (id: string) => `parley:node:${id}`,
  /** The rooms an incarnation of a node has members in (what to reap when it dies). */
  nodeRooms: (id: string, startedAt: number) => `parley:node-rooms:${id}@${startedAt}`,
  rooms: 'parley:rooms',
  members: (roomKey: string) => `parley:members:${roomKey}`,
  /** Joins admitted to a room and not yet in its member table: userId → expiry (ms). */
  pending: (roomKey: string) => `parley:pending:${roomKey}`,
  roomChannel: (roomKey: string) => `parley:room:${roomKey}`,
  rpcChannel: (node: string) => `parley:rpc:${node}`,
  session: (tokenHash: string) => `parley:session:${tokenHash}`,
  epoch: 'parley:epoch',
  reap: (node: string, startedAt: number) => `parley:reap:${node}:${startedAt}`,
  devCredentials: 'parley:dev-credentials',
  /** The node holding a WHIP or WHEP session (PATCH/DELETE elsewhere are forwarded to it). */
  mediaSession: (id: string) => `parley:media-session:${id}`,
  /** The node a server API media-out or recording task runs on (its other calls go there). */
  task: (sdkAppId: number, id: string) => `parley:task:${sdkAppId}:${id}`,
};

/** JSON from Redis or another node: null when it is not JSON (the schemas then refuse it). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
