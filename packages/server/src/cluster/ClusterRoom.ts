/**
 * One room of this node as part of the cluster's room of that key: writes its local members'
 * state to Redis after every room operation that changed it (and publishes it on the room's
 * channel in the same step), and applies what the other nodes write to their mirrors here,
 * bringing their tracks over by relay. Messages that arrive while the room's table is being
 * read are held and applied after it, in order.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Participant } from '../room/Participant.js';
import { memberState } from '../room/RemoteMembers.js';
import type { LeaveReason, Room, RoomLink } from '../room/Room.js';
import type { RedisLink } from './RedisLink.js';
import type { Relays } from './Relays.js';
import {
  keys,
  MemberRecordSchema,
  RoomMessageSchema,
  type MemberRecord,
  type RoomMessage,
} from './records.js';

/** What only the join knows of a local member, kept with its record. */
export interface JoinExtras {
  tokenHash: string;
  /** The session's log upload token (a node that resumes the session accepts it too). */
  logToken?: string;
  joinedAt: number;
  clientIp: string;
  sdkVersion: string;
}

export const hashToken = (token: string): string =>
  createHash('sha256').update(token).digest('base64url');

/** How long a resume token's index stays in Redis (refreshed by each write of its member). */
const SESSION_INDEX_TTL_S = 24 * 3600;
/** How soon a relay that failed may be tried again. */
const RELAY_RETRY_MS = 2000;

export interface ClusterRoomContext {
  nodeId: string;
  /** This node's incarnation. */
  startedAt: number;
  redis: RedisLink;
  relays: Relays;
  log: Logger;
  extras(participant: Participant): JoinExtras | undefined;
  /** The room's last member left the cluster with this write: its room-level callback, once. */
  roomEmptied(room: Room): void;
  /** The room opened with this write (a leave had closed it after this join's admission). */
  roomCreated(room: Room): void;
}

export class ClusterRoom implements RoomLink {
  readonly ready: Promise<void>;
  readonly #channel: string;
  /** Last record written per local userId (JSON): only changes are written. */
  readonly #written = new Map<string, string>();
  /** Messages that came while the table was being read; null once it was applied. */
  #held: RoomMessage[] | null = [];
  /** Writes go out in order, one after another. */
  #writes: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Relays being made (0) or failed at (ms), by node/producer. */
  readonly #relaying = new Map<string, number>();

  constructor(
    private readonly room: Room,
    private readonly ctx: ClusterRoomContext,
  ) {
    this.#channel = keys.roomChannel(room.key);
    room.setLink(this);
    room.on('participant-left', (participant, reason) => this.#left(participant, reason));
    room.on('participant-moved', (participant) => this.#written.delete(participant.userId));
    room.on('sei', (sender, message) => {
      if (!ctx.redis.up) return;
      ctx.redis
        .publish(this.#channel, { t: 'sei', from: ctx.nodeId, ...message, userId: sender.userId })
        .catch(() => undefined);
    });
    room.on('custom-message', (sender, message) => {
      if (!ctx.redis.up) return;
      ctx.redis
        .publish(this.#channel, {
          t: 'custom',
          from: ctx.nodeId,
          ...message,
          userId: sender.userId,
        })
        .catch(() => undefined);
    });
    room.once('closed', () => void this.close());
    this.ready = this.#open();
    this.ready.catch(() => undefined);
  }

  get channel(): string {
    return this.#channel;
  }

  /** Reads the room's table and applies what other nodes hold (then the held messages). */
  async #open(): Promise<void> {
    try {
      await this.ctx.redis.subscribe(this.#channel);
      const table = await this.ctx.redis.cmd.hgetall(keys.members(this.room.key));
      for (const text of Object.values(table)) {
        const record = this.#parseRecord(text);
        if (record && record.state.node !== this.ctx.nodeId) await this.#put(record);
      }
      // In arrival order, including what comes while these are applied.
      const held = this.#held ?? [];
      while (held.length > 0) await this.#apply(held.shift()!);
    } finally {
      this.#held = null;
    }
  }

  /** A message on the room's channel (already known to be this room's). */
  onMessage(text: string): void {
    let message: RoomMessage;
    try {
      message = RoomMessageSchema.parse(JSON.parse(text));
    } catch (error) {
      this.ctx.log.warn({ err: error, room: this.room.key }, 'malformed cluster message ignored');
      return;
    }
    if (message.from === this.ctx.nodeId) return;
    if (this.#held) {
      this.#held.push(message);
      return;
    }
    void this.#apply(message);
  }

  async #apply(message: RoomMessage): Promise<void> {
    try {
      if (message.t === 'put') await this.#put(message.record);
      else if (message.t === 'gone') {
        await this.room.removeRemote(message.userId, message.epoch, message.reason);
      } else if (message.t === 'custom') {
        const sender = this.room.participants.get(message.userId);
        if (sender && !sender.local) {
          const { userId, cmdId, seq, data } = message;
          this.room.sendCustomMessage(sender, { userId, cmdId, seq, data });
        }
      } else {
        const sender = this.room.participants.get(message.userId);
        if (sender && !sender.local) {
          this.room.sendSei(sender, {
            userId: message.userId,
            payloadType: message.payloadType as 5 | 243,
            data: message.data,
          });
        }
      }
    } catch (error) {
      this.ctx.log.warn({ err: error, room: this.room.key }, 'cluster message not applied');
    }
  }

  async #put(record: MemberRecord): Promise<void> {
    await this.room.applyRemote(record.state);
    this.pullRelays();
  }

  /**
   * Brings over the tracks of other nodes' members that have no relay here yet (each once at a
   * time; one that failed is tried again at a later change, not before RELAY_RETRY_MS).
   */
  pullRelays(): void {
    if (this.#closed || this.#held) return;
    const now = Date.now();
    for (const need of this.room.pendingRelays()) {
      const key = `${need.node}/${need.producerId}`;
      const last = this.#relaying.get(key);
      if (last !== undefined && (last === 0 || now - last < RELAY_RETRY_MS)) continue;
      this.#relaying.set(key, 0);
      this.ctx.relays.relay(this.room, need).then(
        () => this.#relaying.delete(key),
        (error: unknown) => {
          this.#relaying.set(key, Date.now());
          this.ctx.log.warn(
            { err: error, room: this.room.key, user: need.userId, node: need.node },
            'relay failed',
          );
        },
      );
    }
  }

  /** After every room operation: the local members whose state changed are written. */
  settled(room: Room): void {
    if (this.#closed) return;
    for (const participant of room.localParticipants()) this.#write(participant);
    // The last viewer here of a relayed track is gone: its node stops sending it.
    for (const need of room.takeUnwantedRelays()) this.ctx.relays.unrelay(room.key, need);
    this.pullRelays();
  }

  /**
   * Reads the room's table again (after Redis was out of reach): the other nodes' members as
   * they are now, and mirrors of live nodes' members that are no longer there go (they left
   * meanwhile). Members of nodes not alive stay for the reaper's grace period.
   */
  async resync(isAlive: (node: string) => boolean): Promise<void> {
    if (this.#closed) return;
    try {
      const table = await this.ctx.redis.cmd.hgetall(keys.members(this.room.key));
      const present = new Set<string>();
      for (const text of Object.values(table)) {
        const record = this.#parseRecord(text);
        if (!record || record.state.node === this.ctx.nodeId) continue;
        present.add(record.state.userId);
        await this.#put(record);
      }
      for (const p of [...this.room.participants.values()]) {
        if (p.local || p.node === null || present.has(p.userId) || !isAlive(p.node)) continue;
        await this.room.removeRemote(p.userId, p.epoch, 'leave');
      }
    } catch (error) {
      this.ctx.log.warn(
        { err: error, room: this.room.key },
        'room not read again after reconnecting',
      );
    }
  }

  /** Writes every local member again (Redis came back, maybe empty): no room event for that. */
  rewrite(): void {
    this.#written.clear();
    if (this.#closed) return;
    // The rooms reappear in an empty Redis: not a room opening, no callback.
    for (const participant of this.room.localParticipants()) this.#write(participant, true);
  }

  #write(participant: Participant, rewriting = false): void {
    const extras = this.ctx.extras(participant);
    if (!extras) return;
    const record: MemberRecord = {
      state: memberState(participant, this.ctx.nodeId),
      sdkAppId: this.room.sdkAppId,
      room: this.room.ref,
      nodeStartedAt: this.ctx.startedAt,
      ...extras,
    };
    const text = JSON.stringify(record);
    if (this.#written.get(participant.userId) === text) return;
    this.#written.set(participant.userId, text);
    const { redis, nodeId } = this.ctx;
    this.#enqueue(
      async () => {
        const result = await redis.putMember({
          roomKey: this.room.key,
          nodeRooms: keys.nodeRooms(nodeId, this.ctx.startedAt),
          userId: participant.userId,
          epoch: participant.epoch,
          record: text,
          message: JSON.stringify({ t: 'put', from: nodeId, record }),
        });
        // Refused: a newer session of the user exists elsewhere; this one ends (its put may
        // have come before this session joined here, so it is not left to that).
        if (result === 0) {
          this.room.supersede(participant);
          return;
        }
        if (result === 2 && !rewriting) this.ctx.roomCreated(this.room);
        await redis.cmd.set(
          keys.session(extras.tokenHash),
          JSON.stringify({
            sdkAppId: this.room.sdkAppId,
            room: this.room.ref,
            userId: participant.userId,
          }),
          'EX',
          SESSION_INDEX_TTL_S,
        );
      },
      () => {
        // Not written: written again once Redis is back (rewrite()).
        if (this.#written.get(participant.userId) === text)
          this.#written.delete(participant.userId);
      },
    );
  }

  #left(participant: Participant, reason: LeaveReason): void {
    if (!participant.local) return;
    this.#written.delete(participant.userId);
    const extras = this.ctx.extras(participant);
    const { redis, nodeId } = this.ctx;
    this.#enqueue(async () => {
      const result = await redis.delMember({
        roomKey: this.room.key,
        userId: participant.userId,
        epoch: participant.epoch,
        message: JSON.stringify({
          t: 'gone',
          from: nodeId,
          userId: participant.userId,
          epoch: participant.epoch,
          reason,
        }),
      });
      if (extras && result > 0) await redis.cmd.del(keys.session(extras.tokenHash));
      if (result === 2) this.ctx.roomEmptied(this.room);
    });
  }

  #enqueue(write: () => Promise<void>, failed?: () => void): void {
    this.#writes = this.#writes.then(write).catch((error: unknown) => {
      failed?.();
      this.ctx.log.warn({ err: error, room: this.room.key }, 'cluster write failed');
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.ctx.relays.roomClosed(this.room.key);
    await this.#writes;
    await this.ctx.redis.cmd
      .srem(keys.nodeRooms(this.ctx.nodeId, this.ctx.startedAt), this.room.key)
      .catch(() => undefined);
    await this.ctx.redis.unsubscribe(this.#channel).catch(() => undefined);
  }

  #parseRecord(text: string): MemberRecord | null {
    try {
      return MemberRecordSchema.parse(JSON.parse(text));
    } catch (error) {
      this.ctx.log.warn({ err: error, room: this.room.key }, 'malformed member record ignored');
      return null;
    }
  }
}
