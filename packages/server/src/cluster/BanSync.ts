/**
 * Bans hold for the whole cluster: a ban made or lifted on one node is written to Redis
 * (`parley:bans`, one field per room and user) and announced on its channel; every node keeps
 * the full list in its BanList (so the join check stays local and synchronous) and reads it
 * again each time it (re)connects to Redis.
 */
import { roomKey, RoomRefSchema, type RoomRef } from '@parley/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Ban, BanList } from '../api/BanList.js';
import type { RedisLink } from './RedisLink.js';
import { parseJson } from './records.js';

const BANS = 'parley:bans';
const CHANNEL = 'parley:bans';

const BanSchema = z.object({
  sdkAppId: z.number().int(),
  room: RoomRefSchema,
  userId: z.string().max(32),
  until: z.number(),
  reason: z.string().max(200),
  by: z.string().max(200),
});
const MessageSchema = z.object({
  from: z.string(),
  key: z.object({ sdkAppId: z.number().int(), room: RoomRefSchema, userId: z.string().max(32) }),
  ban: BanSchema.nullable(),
});

const field = (sdkAppId: number, room: RoomRef, userId: string) =>
  `${roomKey(sdkAppId, room)}|${userId}`;

export class BanSync {
  constructor(
    private readonly bans: BanList,
    private readonly redis: RedisLink,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {
    bans.on('added', (ban) =>
      this.#write({ sdkAppId: ban.sdkAppId, room: ban.room, userId: ban.userId }, ban),
    );
    bans.on('removed', (sdkAppId, room, userId) => this.#write({ sdkAppId, room, userId }, null));
    redis.on('message', (channel, text) => {
      if (channel !== CHANNEL) return;
      const parsed = MessageSchema.safeParse(parseJson(text));
      if (!parsed.success || parsed.data.from === this.nodeId) return;
      this.bans.learn(parsed.data.key, parsed.data.ban);
    });
    redis.on('up', () => void this.#load());
  }

  start(): Promise<void> {
    return this.redis.subscribe(CHANNEL);
  }

  /** Reads every ban of the cluster, and adds this node's own that Redis lacks (it was empty). */
  async #load(): Promise<void> {
    try {
      for (const ban of this.bans.list()) {
        await this.redis.cmd.hsetnx(
          BANS,
          field(ban.sdkAppId, ban.room, ban.userId),
          JSON.stringify(ban),
        );
      }
      const all = await this.redis.cmd.hgetall(BANS);
      const now = Date.now();
      for (const [key, text] of Object.entries(all)) {
        const parsed = BanSchema.safeParse(parseJson(text));
        if (!parsed.success || parsed.data.until <= now) {
          await this.redis.cmd.hdel(BANS, key);
          continue;
        }
        this.bans.learn(parsed.data, parsed.data as Ban);
      }
    } catch (error) {
      this.log.warn({ err: error }, 'cluster bans not read');
    }
  }

  #write(key: { sdkAppId: number; room: RoomRef; userId: string }, ban: Ban | null): void {
    const name = field(key.sdkAppId, key.room, key.userId);
    const message = JSON.stringify({ from: this.nodeId, key, ban });
    const write = ban
      ? this.redis.cmd
          .multi()
          .hset(BANS, name, JSON.stringify(ban))
          .publish(CHANNEL, message)
          .exec()
      : this.redis.cmd.multi().hdel(BANS, name).publish(CHANNEL, message).exec();
    write.catch((error: unknown) =>
      this.log.warn(
        { err: error, user: key.userId },
        'ban not shared with the cluster (Redis down)',
      ),
    );
  }
}
