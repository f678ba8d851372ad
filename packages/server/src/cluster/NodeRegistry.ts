/**
 * The cluster's live nodes: each node keeps a heartbeat key in Redis (`parley:node:<id>`, a TTL
 * of HEARTBEAT_TTL_MS refreshed every HEARTBEAT_MS) with its URL and load; a node whose key
 * expired is dead. Every node reads the others' keys as often as it writes its own, so a node
 * that stops (killed, frozen, cut off) is declared dead by the others within about 2 s.
 */
import type { Logger } from 'pino';
import { SafeEmitter } from '../util/TypedEmitter.js';
import { keys, NodeInfoSchema, parseJson, type NodeInfo } from './records.js';
import type { RedisLink } from './RedisLink.js';

export const HEARTBEAT_MS = 500;
export const HEARTBEAT_TTL_MS = 2000;

export interface NodeRegistryEvents {
  /** A node's heartbeat expired (once per incarnation of that node). */
  'node-dead': [node: NodeInfo];
  /** The set of live nodes changed (their signaling URLs, this node first). */
  'nodes-changed': [urls: string[]];
  /**
   * A later process runs under this node's id (a replacement started while this one was frozen,
   * or a copy given the same PARLEY_NODE_ID): this one stops beating, once.
   */
  superseded: [newer: NodeInfo];
}

// Writes this incarnation's heartbeat unless a later incarnation of the same id holds the key
// (returned then); otherwise returns the node ids. One step, so two processes cannot both win;
// two started in the same millisecond are ordered by URL. "Later" reads the nodes' clocks: a
// replacement on another machine must not start with its clock behind the first's.
const BEAT = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, rec = pcall(cjson.decode, cur)
  local theirs = ok and type(rec) == 'table' and tonumber(rec['startedAt'])
  if theirs and (theirs > tonumber(ARGV[2]) or (theirs == tonumber(ARGV[2]) and type(rec['url']) == 'string' and rec['url'] > ARGV[5])) then
    return cur
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return redis.call('SMEMBERS', KEYS[2])
`;

export class NodeRegistry extends SafeEmitter<NodeRegistryEvents> {
  readonly #alive = new Map<string, NodeInfo>();
  #timer: NodeJS.Timeout | undefined;
  #beating = false;
  #superseded = false;
  #urls = '';
  /**
   * No node is declared dead before this: after (re)connecting to Redis the others need a
   * heartbeat's time to write their keys again (a Redis restart is not the death of every node).
   */
  #quietUntil = 0;

  constructor(
    private readonly redis: RedisLink,
    private readonly self: () => NodeInfo,
    private readonly log: Logger,
  ) {
    super();
  }

  start(): void {
    this.redis.on('up', () => {
      this.#quietUntil = Date.now() + HEARTBEAT_TTL_MS;
    });
    this.#timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.#timer.unref();
    void this.beat();
  }

  /** Stops beating and removes this node's key (a clean stop is not a death). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    // The key is a later incarnation's: not ours to remove.
    if (this.#superseded) return;
    const id = this.self().id;
    await this.redis.cmd
      .multi()
      .del(keys.node(id))
      .srem(keys.nodes, id)
      .exec()
      .catch(() => undefined);
  }

  /** The live nodes other than this one. */
  peers(): NodeInfo[] {
    return [...this.#alive.values()].filter((n) => n.id !== this.self().id);
  }

  /** The incarnation (startedAt) of a live node; undefined when it is not alive. */
  startedAtOf(id: string): number | undefined {
    return this.#alive.get(id)?.startedAt;
  }

  isAlive(id: string): boolean {
    return id === this.self().id || this.#alive.has(id);
  }

  /** Signaling URLs of the live nodes, this node first. */
  signalUrls(): string[] {
    const self = this.self();
    return [self.signalUrl, ...this.peers().map((n) => n.signalUrl)];
  }

  /** Writes this node's heartbeat and reads the others'. */
  async beat(): Promise<void> {
    if (this.#beating || this.#superseded || !this.redis.up) return;
    this.#beating = true;
    try {
      const self = this.self();
      const reply = await this.redis.cmd.eval(
        BEAT,
        2,
        keys.node(self.id),
        keys.nodes,
        JSON.stringify(self),
        String(self.startedAt),
        String(HEARTBEAT_TTL_MS),
        self.id,
        self.url,
      );
      if (typeof reply === 'string') {
        const newer = NodeInfoSchema.safeParse(parseJson(reply));
        if (newer.success) {
          this.#superseded = true;
          clearInterval(this.#timer);
          this.safeEmit('superseded', newer.data);
        }
        return;
      }
      const members = Array.isArray(reply) ? reply.filter((m) => typeof m === 'string') : [];
      const others = members.filter((id) => id !== self.id);
      const values = others.length > 0 ? await this.redis.cmd.mget(...others.map(keys.node)) : [];
      const seen = new Map<string, NodeInfo>();
      others.forEach((id, i) => {
        const text = values[i];
        if (!text) return;
        const parsed = NodeInfoSchema.safeParse(parseJson(text));
        if (parsed.success) seen.set(id, parsed.data);
      });
      const quiet = Date.now() < this.#quietUntil;
      for (const [id, info] of this.#alive) {
        const now = seen.get(id);
        if (!now && quiet) continue;
        if (!now || now.startedAt !== info.startedAt) {
          this.#alive.delete(id);
          this.log.warn({ peer: id }, 'cluster node is gone');
          this.safeEmit('node-dead', info);
        }
      }
      for (const [id, info] of seen) {
        if (!this.#alive.has(id)) this.log.info({ peer: id, url: info.url }, 'cluster node is up');
        this.#alive.set(id, info);
      }
      // Ids whose key expired long ago (never seen alive by this node) leave the set too.
      const dead = others.filter((id) => !seen.has(id) && !this.#alive.has(id));
      if (dead.length > 0 && !quiet) await this.redis.cmd.srem(keys.nodes, ...dead);
      const urls = this.signalUrls();
      const joined = urls.join(' ');
      if (joined !== this.#urls) {
        this.#urls = joined;
        this.safeEmit('nodes-changed', urls);
      }
    } catch (error) {
      this.log.debug({ err: error }, 'heartbeat failed');
    } finally {
      this.#beating = false;
    }
  }
}
