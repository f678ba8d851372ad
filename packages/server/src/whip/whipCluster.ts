/**
 * WHIP and WHEP in a cluster. A WHIP publisher joins the room on the node its POST reached,
 * admitted and recorded like a v4 join, so every node's members see it and take its tracks
 * by relay. Each session's node is written to Redis: a PATCH or DELETE that reaches another
 * node is forwarded to it (over the cluster's requests, with a timeout). A WHEP POST for a
 * user who publishes on another node is played from that node: its answer carries that
 * node's media addresses, as a v4 client reaches any node's. A node that dies takes its
 * sessions with it: its WHIP members are removed by the reaper like any member of a dead node
 * (the others see peer-leave), and a forwarded request for one of its sessions gets 404.
 */
import { roomKey, RoomRefSchema, type RoomRef } from '@parley/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Cluster } from '../cluster/Cluster.js';
import { hashToken } from '../cluster/ClusterRoom.js';
import { keys, MemberRecordSchema, parseJson } from '../cluster/records.js';
import { RpcError } from '../cluster/Rpc.js';
import type { Participant } from '../room/Participant.js';
import type { RoomManager } from '../room/RoomManager.js';
import type { MediaSession } from './IngestSession.js';
import { WhipError } from './WhipError.js';
import {
  errorReply,
  playReply,
  sessionReply,
  type HttpReply,
  type PlayCall,
  type SessionCall,
  type WhipClusterHttp,
} from './whipHttp.js';
import type { WhipClusterHooks, WhipService } from './WhipService.js';

/** How long the node holding a session may take over a PATCH or DELETE. */
export const FORWARD_TIMEOUT_MS = 5000;
/** How long the publisher's node may take to set up a WHEP session. */
export const PLAY_TIMEOUT_MS = 10_000;
/** How long a session's node stays recorded (deleted when it ends; this is for a node that died). */
const SESSION_RECORD_TTL_S = 24 * 3600;

const ReplySchema = z.object({
  status: z.number().int().min(100).max(599),
  headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  body: z.string().max(256 * 1024),
});

const SessionParams = z.object({
  kind: z.enum(['whip', 'whep']),
  id: z.string().max(64),
  method: z.string().max(16),
  token: z.string().max(4096).optional(),
  ifMatch: z.string().max(1024).optional(),
  contentType: z.string().max(256).optional(),
  fragment: z
    .string()
    .max(16 * 1024)
    .optional(),
});

const PlayParams = z.object({
  address: z.object({
    sdkAppId: z.number().int(),
    ref: RoomRefSchema,
    userId: z.string().max(32),
    token: z.string().max(4096),
    privateMapKey: z.string().max(4096).optional(),
    remoteAddress: z.string().max(64),
  }),
  sdp: z.string().max(64 * 1024),
  streamType: z.enum(['main', 'auxiliary']),
  viewerId: z.string().max(32).optional(),
});

export class WhipCluster implements WhipClusterHooks, WhipClusterHttp {
  constructor(
    private readonly cluster: Cluster,
    private readonly service: WhipService,
    private readonly rooms: RoomManager,
    private readonly log: Logger,
  ) {
    cluster.serve('whip.session', async (params) => {
      const p = SessionParams.parse(params);
      const call: SessionCall = {
        method: p.method,
        ...(p.token !== undefined ? { token: p.token } : {}),
        ...(p.ifMatch !== undefined ? { ifMatch: p.ifMatch } : {}),
        ...(p.contentType !== undefined ? { contentType: p.contentType } : {}),
        body: () => Promise.resolve(p.fragment ?? ''),
      };
      return sessionReply(this.service, this.log, p.kind, p.id, call);
    });
    cluster.serve('whep.play', async (params) => {
      const p = PlayParams.parse(params);
      const { privateMapKey, ...address } = p.address;
      const call: PlayCall = {
        address: { ...address, ...(privateMapKey !== undefined ? { privateMapKey } : {}) },
        sdp: p.sdp,
        streamType: p.streamType,
        ...(p.viewerId !== undefined ? { viewerId: p.viewerId } : {}),
      };
      return playReply(this.service, this.log, call);
    });
  }

  // ---- WhipClusterHooks (the WHIP member's admission, the sessions' records) ----

  admit(sdkAppId: number, ref: RoomRef, userId: string): Promise<number> {
    return this.cluster.admit(sdkAppId, ref, userId);
  }

  noteJoin(participant: Participant, clientIp: string): void {
    // Its resume token is never handed out: no node can resume a WHIP member.
    this.cluster.noteJoin(participant, {
      tokenHash: hashToken(participant.resumeToken),
      clientIp,
      sdkVersion: 'whip',
    });
  }

  abandon(sdkAppId: number, ref: RoomRef, userId: string, epoch: number): Promise<void> {
    return this.cluster.abandon(sdkAppId, ref, userId, epoch);
  }

  held(session: MediaSession): void {
    const key = keys.mediaSession(session.id);
    const { redis, nodeId } = this.cluster;
    redis.cmd.set(key, nodeId, 'EX', SESSION_RECORD_TTL_S).catch((error: unknown) => {
      this.log.warn({ err: error, session: session.id }, 'WHIP/WHEP session node not recorded');
    });
    session.on('ended', () => {
      redis.cmd.del(key).catch(() => undefined);
    });
  }

  // ---- WhipClusterHttp (requests for what another node holds) ----

  async forwardSession(
    kind: 'whip' | 'whep',
    id: string,
    call: Omit<SessionCall, 'body'> & { fragment?: string },
  ): Promise<HttpReply | null> {
    let node: string | null;
    try {
      node = await this.cluster.redis.cmd.get(keys.mediaSession(id));
    } catch (error) {
      return errorReply(
        new WhipError(
          503,
          `session ${id} is not held by this node, and the cluster (Redis) cannot be asked which node holds it: ${(error as Error).message}`,
          { 'Retry-After': '2' },
        ),
      );
    }
    if (node === null || node === this.cluster.nodeId) return null;
    if (!this.cluster.isAlive(node)) {
      return errorReply(
        new WhipError(
          404,
          `the ${kind.toUpperCase()} session ${id} was held by node ${node}, which has left the cluster: the session is gone`,
        ),
      );
    }
    return this.#ask(node, 'whip.session', { kind, id, ...call }, FORWARD_TIMEOUT_MS);
  }

  async publisherNode(sdkAppId: number, ref: RoomRef, userId: string): Promise<string | null> {
    const local = this.rooms.get(sdkAppId, ref)?.participants.get(userId);
    if (local?.local && !local.left) return null;
    let text: string | null;
    try {
      text = await this.cluster.redis.cmd.hget(keys.members(roomKey(sdkAppId, ref)), userId);
    } catch (error) {
      throw new WhipError(
        503,
        `this node cannot ask the cluster (Redis) where user ${userId} publishes: ${(error as Error).message}`,
        { 'Retry-After': '2' },
      );
    }
    const record = text ? MemberRecordSchema.safeParse(parseJson(text)) : null;
    if (!record?.success) return null;
    const { node } = record.data.state;
    return node === this.cluster.nodeId ? null : node;
  }

  forwardPlay(node: string, call: PlayCall): Promise<HttpReply> {
    return this.#ask(node, 'whep.play', call, PLAY_TIMEOUT_MS);
  }

  /** A request to `node` whose answer is an HTTP reply; its failures as 502/503/504. */
  async #ask(node: string, method: string, params: unknown, timeoutMs: number): Promise<HttpReply> {
    try {
      const answer = await this.cluster.ask(node, method, params, timeoutMs);
      return ReplySchema.parse(answer);
    } catch (error) {
      if (error instanceof RpcError && error.kind === 'timeout') {
        return errorReply(
          new WhipError(504, `node ${node} did not answer within ${timeoutMs} ms (${method})`),
        );
      }
      if (error instanceof RpcError && error.kind === 'unreachable') {
        return errorReply(
          new WhipError(503, `node ${node} cannot be reached: ${error.message}`, {
            'Retry-After': '2',
          }),
        );
      }
      this.log.warn({ err: error, node, method }, 'forwarded WHIP/WHEP request failed');
      return errorReply(
        new WhipError(502, `node ${node} failed the request: ${(error as Error).message}`),
      );
    }
  }
}
