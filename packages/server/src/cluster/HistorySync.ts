/**
 * DescribeRoomInfo and DescribeUserInfo answer the same on every node: each history record a
 * node makes (a room opened or closed, a user's stay) is written to Redis and announced, and
 * every node keeps the whole history (History.learn). A node reads it all again each time it
 * (re)connects, and gives back what Redis lost (a restart without persistence).
 */
import { RoomRefSchema } from '@parley/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { History, HistoryRecord } from '../api/History.js';
import type { RedisLink } from './RedisLink.js';
import { parseJson } from './records.js';

const RECORDS = 'parley:history';
/** Record keys by time of their last change, to drop the oldest past the bound. */
const ORDER = 'parley:history:order';
const CHANNEL = 'parley:history';
/** Records kept in Redis (rooms and stays together), as each node's own bound. */
const LIMIT = 20_000;

const base = { commId: z.string().max(300), sdkAppId: z.number().int(), room: RoomRefSchema };
const RecordSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('room'),
    ...base,
    createTime: z.number(),
    destroyTime: z.number(),
    finished: z.boolean(),
    userId: z.string().max(32),
  }),
  z.object({
    kind: z.literal('user'),
    ...base,
    userId: z.string().max(32),
    joinTs: z.number(),
    leaveTs: z.number(),
    finished: z.boolean(),
    sdkVersion: z.string().max(64),
    clientIp: z.string().max(64),
    leaveReason: z.enum(['leave', 'timeout', 'kick', 'banned', 'disband']).optional(),
  }),
]);
const MessageSchema = z.object({ from: z.string(), record: RecordSchema });

const keyOf = (r: HistoryRecord) =>
  r.kind === 'room' ? `r|${r.commId}` : `u|${r.commId}|${r.userId}|${r.joinTs}`;

export class HistorySync {
  #writes = 0;

  constructor(
    private readonly history: History,
    private readonly redis: RedisLink,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {
    history.onPut = (record) => this.#write(record);
    redis.on('message', (channel, text) => {
      if (channel !== CHANNEL) return;
      const parsed = MessageSchema.safeParse(parseJson(text));
      if (parsed.success && parsed.data.from !== this.nodeId) {
        this.history.learn(parsed.data.record as HistoryRecord);
      }
    });
    redis.on('up', () => void this.#load());
  }

  start(): Promise<void> {
    return this.redis.subscribe(CHANNEL);
  }

  async #load(): Promise<void> {
    try {
      const all = await this.redis.cmd.hgetall(RECORDS);
      for (const text of Object.values(all)) {
        const parsed = RecordSchema.safeParse(parseJson(text));
        if (parsed.success) this.history.learn(parsed.data as HistoryRecord);
      }
      const missing = this.history.all().filter((r) => all[keyOf(r)] === undefined);
      for (const record of missing) await this.#store(record);
    } catch (error) {
      this.log.warn({ err: error }, 'cluster history not read');
    }
  }

  #write(record: HistoryRecord): void {
    if (!this.redis.up) return;
    this.#store(record)
      .then(() => this.redis.publish(CHANNEL, { from: this.nodeId, record }))
      .catch((error: unknown) => this.log.debug({ err: error }, 'history record not shared'));
  }

  async #store(record: HistoryRecord): Promise<void> {
    const key = keyOf(record);
    await this.redis.cmd
      .multi()
      .hset(RECORDS, key, JSON.stringify(record))
      .zadd(ORDER, Date.now(), key)
      .exec();
    // Now and then, the oldest records past the bound go.
    if (++this.#writes % 500 === 0) {
      const old = await this.redis.cmd.zrange(ORDER, 0, -LIMIT - 1);
      if (old.length > 0) {
        await this.redis.cmd
          .multi()
          .hdel(RECORDS, ...old)
          .zrem(ORDER, ...old)
          .exec();
      }
    }
  }
}
