/**
 * This node's two Redis connections (commands, and pub/sub), with the Lua scripts that keep a
 * room's member table consistent when several nodes write it: a member's record is only ever
 * replaced by one of a newer epoch, and each change is published on the room's channel in the
 * same step, so every node sees the changes of one room in one order.
 *
 * Commands fail fast while Redis is down (no offline queue, a command timeout): a node keeps its
 * calls going and refuses what needs the cluster with a clear error instead of hanging.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { SafeEmitter } from '../util/TypedEmitter.js';
import { keys } from './records.js';

/** How long one Redis command may take before the caller gets an error. */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;

export interface RedisLinkEvents {
  /** Connected (again): the node re-registers and re-publishes what it holds. */
  up: [];
  down: [error: string];
  message: [channel: string, text: string];
}

// A join's admission in one step, so joins racing on several nodes cannot pass the limits
// together: a seat is held for the join (KEYS[4]: `epoch:userId` → expiry, ms) until its member
// record lands (PUT_MEMBER) or the join gives it back (RELEASE).
// Returns { epoch, verdict (0 admitted, 1 room full, 2 too many rooms), count, opened }.
const ADMIT = `
local epoch = redis.call('INCR', KEYS[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local present = redis.call('HEXISTS', KEYS[2], ARGV[1])
if present == 0 then
  local count = redis.call('HLEN', KEYS[2]) + redis.call('ZCARD', KEYS[4])
  if count >= tonumber(ARGV[4]) then return { epoch, 1, count, 0 } end
end
local rooms = redis.call('SCARD', KEYS[3])
local opened = redis.call('SADD', KEYS[3], ARGV[2])
if opened == 1 and rooms >= tonumber(ARGV[5]) then
  redis.call('SREM', KEYS[3], ARGV[2])
  return { epoch, 2, rooms, 0 }
end
if present == 0 then
  redis.call('ZADD', KEYS[4], now + tonumber(ARGV[3]), epoch .. ':' .. ARGV[1])
  redis.call('PEXPIRE', KEYS[4], tonumber(ARGV[3]))
end
return { epoch, 0, 0, opened }
`;

// An admitted join that failed gives its own seat back; the room leaves the index only when
// nobody is in it and no other admitted join is on its way (1 released, 2 and the room closed).
const RELEASE = `
redis.call('ZREM', KEYS[3], ARGV[2] .. ':' .. ARGV[1])
local t = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
if redis.call('HLEN', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[3]) == 0 then
  if redis.call('SREM', KEYS[2], ARGV[3]) == 1 then return 2 end
end
return 1
`;

const PUT_MEMBER = `
redis.call('ZREM', KEYS[4], ARGV[3] .. ':' .. ARGV[1])
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ok, rec = pcall(cjson.decode, cur)
  if ok and rec['state'] and tonumber(rec['state']['epoch']) > tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local opened = redis.call('SADD', KEYS[2], ARGV[5])
redis.call('SADD', KEYS[3], ARGV[5])
redis.call('PUBLISH', ARGV[4], ARGV[6])
if opened == 1 then return 2 end
return 1
`;

const DEL_MEMBER = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local ok, rec = pcall(cjson.decode, cur)
if ok and rec['state'] and tonumber(rec['state']['epoch']) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[5])
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[2], ARGV[4])
  return 2
end
return 1
`;

/** What the admission script decided; `count` is the members or rooms counted when refused. */
export interface Admission {
  epoch: number;
  verdict: 'admitted' | 'room-full' | 'too-many-rooms';
  count: number;
  /** This join opened the room in the cluster. */
  opened: boolean;
}

/** How long a seat is held for an admitted join whose member record has not landed yet. */
export const ADMISSION_HOLD_MS = 15_000;

/**
 * What putMember/delMember did: 0 refused (stale epoch / not there), 1 done, 2 done and the
 * room appeared (it was not open: the join's admission did not open it, e.g. a leave emptied
 * it meanwhile) / emptied.
 */
export type MemberWrite = 0 | 1 | 2;

export class RedisLink extends SafeEmitter<RedisLinkEvents> {
  readonly cmd: Redis;
  readonly #sub: Redis;
  /** Channels subscribed to, with how many users each (a room closing and reopening overlap). */
  readonly #channels = new Map<string, number>();
  #up = false;

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    super();
    const options = {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
      // Keep trying, at most once a second: the node lives on without Redis meanwhile.
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
      lazyConnect: true,
    };
    this.cmd = new Redis(url, options);
    this.#sub = new Redis(url, { ...options, autoResubscribe: false });
    this.cmd.on('ready', () => this.#ready());
    this.#sub.on('ready', () => {
      if (this.#channels.size > 0) {
        this.#sub
          .subscribe(...this.#channels.keys())
          .catch((error: unknown) => this.#failed(error));
      }
      this.#ready();
    });
    for (const conn of [this.cmd, this.#sub]) {
      conn.on('error', (error: Error) => this.#failed(error));
      conn.on('end', () => this.#failed(new Error('connection ended')));
      conn.on('close', () => this.#failed(new Error('connection closed')));
    }
    this.#sub.on('message', (channel: string, text: string) =>
      this.safeEmit('message', channel, text),
    );
  }

  /** Connected with both connections (pub/sub too). */
  get up(): boolean {
    return this.#up;
  }

  /** Starts connecting; resolves at once (a node does not wait for Redis to take clients). */
  start(): void {
    for (const conn of [this.cmd, this.#sub]) {
      conn.connect().catch((error: unknown) => this.#failed(error));
    }
  }

  async close(): Promise<void> {
    this.#up = false;
    await Promise.allSettled([this.cmd.quit(), this.#sub.quit()]);
    this.cmd.disconnect();
    this.#sub.disconnect();
  }

  async subscribe(channel: string): Promise<void> {
    const users = this.#channels.get(channel) ?? 0;
    this.#channels.set(channel, users + 1);
    if (users === 0 && this.#sub.status === 'ready') await this.#sub.subscribe(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    const users = this.#channels.get(channel);
    if (users === undefined) return;
    if (users > 1) {
      this.#channels.set(channel, users - 1);
      return;
    }
    this.#channels.delete(channel);
    if (this.#sub.status === 'ready') await this.#sub.unsubscribe(channel);
  }

  /** Publishes; resolves with how many nodes' subscriptions received it. */
  publish(channel: string, message: unknown): Promise<number> {
    return this.cmd.publish(channel, JSON.stringify(message));
  }

  async admit(options: {
    roomKey: string;
    userId: string;
    maxMembers: number;
    maxRooms: number;
  }): Promise<Admission> {
    const { roomKey } = options;
    const reply = await this.cmd.eval(
      ADMIT,
      4,
      keys.epoch,
      keys.members(roomKey),
      keys.rooms,
      keys.pending(roomKey),
      options.userId,
      roomKey,
      String(ADMISSION_HOLD_MS),
      String(options.maxMembers),
      String(options.maxRooms),
    );
    const [epoch, verdict, count, opened] = (Array.isArray(reply) ? reply : []).map(Number);
    if (epoch === undefined || Number.isNaN(epoch)) {
      throw new Error(`unexpected admission reply from Redis: ${JSON.stringify(reply)}`);
    }
    return {
      epoch,
      verdict: verdict === 1 ? 'room-full' : verdict === 2 ? 'too-many-rooms' : 'admitted',
      count: count ?? 0,
      opened: opened === 1,
    };
  }

  /**
   * Gives back the seat of an admitted join that failed; true when that closed the room (nobody
   * in it and no other join on its way).
   */
  async release(roomKey: string, userId: string, epoch: number): Promise<boolean> {
    const result = await this.cmd.eval(
      RELEASE,
      3,
      keys.members(roomKey),
      keys.rooms,
      keys.pending(roomKey),
      userId,
      String(epoch),
      roomKey,
    );
    return Number(result) === 2;
  }

  async putMember(options: {
    roomKey: string;
    /** The writing node's room index (keys.nodeRooms). */
    nodeRooms: string;
    userId: string;
    epoch: number;
    record: string;
    message: string;
  }): Promise<MemberWrite> {
    const { roomKey } = options;
    const result = await this.cmd.eval(
      PUT_MEMBER,
      4,
      keys.members(roomKey),
      keys.rooms,
      options.nodeRooms,
      keys.pending(roomKey),
      options.userId,
      options.record,
      String(options.epoch),
      keys.roomChannel(roomKey),
      roomKey,
      options.message,
    );
    return Number(result) as MemberWrite;
  }

  async delMember(options: {
    roomKey: string;
    userId: string;
    epoch: number;
    message: string;
  }): Promise<MemberWrite> {
    const { roomKey } = options;
    const result = await this.cmd.eval(
      DEL_MEMBER,
      2,
      keys.members(roomKey),
      keys.rooms,
      options.userId,
      String(options.epoch),
      keys.roomChannel(roomKey),
      roomKey,
      options.message,
    );
    return Number(result) as MemberWrite;
  }

  #ready(): void {
    if (this.#up || this.cmd.status !== 'ready' || this.#sub.status !== 'ready') return;
    this.#up = true;
    this.log.info('redis connected');
    this.safeEmit('up');
  }

  #failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (!this.#up) {
      this.log.debug({ err: message }, 'redis not reachable');
      return;
    }
    this.#up = false;
    this.log.warn({ err: message }, 'redis connection lost; calls in progress go on');
    this.safeEmit('down', message);
  }
}
