/**
 * This node's part in a Parley cluster on Redis (on when PARLEY_REDIS_URL is set): the node's
 * heartbeat and the others' (NodeRegistry), requests between nodes (Rpc), each local room
 * joined to the cluster's room of its key (ClusterRoom), media relays between nodes (Relays),
 * admission with cluster-wide limits and epochs, sessions resumed from a node that died
 * (adopt), removals of users held by other nodes, and the reaping of a dead node's members
 * after the session grace period. See docs/scaling.md.
 */
import { hostname } from 'node:os';
import {
  ErrorCode,
  ProtocolErrorCode,
  ROOM_LIMIT_REACHED,
  roomKey,
  type RoomRef,
} from '@parley/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AdminNode } from '../admin/AdminApi.js';
import type { BanList } from '../api/BanList.js';
import { BanSync } from './BanSync.js';
import type { History } from '../api/History.js';
import { HistorySync } from './HistorySync.js';
import type { MediaEngine } from '../media/MediaEngine.js';
import type { Participant } from '../room/Participant.js';
import type { Room } from '../room/Room.js';
import type { RoomManager } from '../room/RoomManager.js';
import { ServerError } from '../ServerError.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import { ClusterRoom, hashToken, type JoinExtras } from './ClusterRoom.js';
import { defaultNodeUrl, signalUrlOf, type ClusterConfig } from './clusterConfig.js';
import { NodeRegistry } from './NodeRegistry.js';
import {
  keys,
  MemberRecordSchema,
  parseJson,
  type MemberRecord,
  type NodeInfo,
} from './records.js';
import { RedisLink } from './RedisLink.js';
import { Relays } from './Relays.js';
import { Rpc, RpcError } from './Rpc.js';

/** How long the old node may take to let a session go before it is taken for dead. */
export const RELEASE_TIMEOUT_MS = 800;
/** After reconnecting to Redis: when the room tables are read again (others rewrote theirs). */
const RESYNC_DELAY_MS = 2500;
/** How often the relays a room still lacks are asked for again. */
const RELAY_RETRY_INTERVAL_MS = 1000;
/** How often a node looks for members of node incarnations nobody vouches for. */
const ORPHAN_SWEEP_MS = 5000;
/** How long the other node may take to remove a user (RemoveUser / DismissRoom sent elsewhere). */
const REMOVE_TIMEOUT_MS = 5000;

export interface ClusterEvents {
  /** The live nodes' signaling URLs changed (this node first): clients are told. */
  'nodes-changed': [urls: string[]];
  /** The room appeared in / left the cluster (written once, by the node that made the change). */
  'room-created': [sdkAppId: number, ref: RoomRef];
  'room-emptied': [sdkAppId: number, ref: RoomRef];
  /** A member of a dead node was not resumed within the grace period (reaped by this node). */
  'member-reaped': [record: MemberRecord];
  /**
   * A later process took this node's id: this one has left the cluster (no Redis writes, no
   * heartbeat, no RPC); its clients are to be let go so they resume on a live node.
   */
  'stepped-down': [reason: string];
}

export interface ClusterOptions {
  config: ClusterConfig;
  /** The node's bans: kept the same on every node (BanSync). */
  bans: BanList;
  /** The node's room and user history: the same on every node (HistorySync). */
  history: History;
  rooms: RoomManager;
  engine: MediaEngine;
  log: Logger;
  port: number;
  host: string;
  announcedIp?: string;
  tls: boolean;
  /** How long a member of a dead node waits to be resumed elsewhere before it is removed. */
  sessionTimeoutMs: number;
  /** Cluster-wide limits (the node's PARLEY_MAX_* apply to the whole cluster). */
  maxRooms: number;
  maxMembersPerRoom: number;
  /** workers × PARLEY_WORKER_MAX_LOAD: reported in the heartbeat. */
  maxLoad: number;
  /** Removes users of a local room (the directory's removal, with its callbacks). */
  removeLocal(
    sdkAppId: number,
    ref: RoomRef,
    userIds: string[],
    reason: 'kick' | 'banned' | 'room-disband',
    message: string,
  ): Promise<string[]>;
}

const RemoveSchema = z.object({
  sdkAppId: z.number().int(),
  room: z.custom<RoomRef>((v) => typeof v === 'object' && v !== null && 'kind' in v && 'id' in v),
  userIds: z.array(z.string().max(32)).max(1000),
  reason: z.enum(['kick', 'banned', 'room-disband']),
  message: z.string().max(2000),
});
const ReleaseSchema = z.object({
  roomKey: z.string().max(200),
  userId: z.string().max(32),
  epoch: z.number().int(),
});
const SessionIndexSchema = z.object({
  sdkAppId: z.number().int(),
  room: z.custom<RoomRef>((v) => typeof v === 'object' && v !== null && 'kind' in v && 'id' in v),
  userId: z.string().max(32),
});

/** Hides the password of a Redis URL (for messages and logs). */
export const redactUrl = (url: string): string =>
  url.replace(/\/\/[^@/]*@/, '//***@').replace(/([?&]password=)[^&]*/i, '$1***');

export class Cluster extends SafeEmitter<ClusterEvents> {
  readonly nodeId: string;
  readonly nodeUrl: string;
  readonly signalUrl: string;
  readonly redis: RedisLink;
  readonly registry: NodeRegistry;
  readonly relays: Relays;
  readonly #rpc: Rpc;
  readonly #bans: BanSync;
  readonly #history: HistorySync;
  readonly #links = new Map<string, ClusterRoom>();
  readonly #extras = new WeakMap<Participant, JoinExtras>();
  readonly #startedAt = Date.now();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Node incarnations (`id@startedAt`) whose members are due to be reaped. */
  readonly #reaping = new Set<string>();
  #sweeper: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  /** Why this node left the cluster (a later process runs under its id); null while in it. */
  #steppedDown: string | null = null;

  constructor(private readonly options: ClusterOptions) {
    super();
    const { config, log } = options;
    this.nodeId = config.nodeId ?? `${hostname()}:${options.port}`;
    this.nodeUrl =
      config.nodeUrl ??
      defaultNodeUrl({
        host: options.host,
        ...(options.announcedIp ? { announcedIp: options.announcedIp } : {}),
        port: options.port,
        tls: options.tls,
        hostname: hostname(),
      });
    this.signalUrl = signalUrlOf(this.nodeUrl);
    const clusterLog = log.child({ node: this.nodeId });
    this.redis = new RedisLink(config.redisUrl, clusterLog);
    this.#rpc = new Rpc(this.redis, this.nodeId, clusterLog);
    this.registry = new NodeRegistry(this.redis, () => this.#info(), clusterLog);
    this.relays = new Relays(this.#rpc, clusterLog, (key) => this.#roomByKey(key));
    this.#bans = new BanSync(options.bans, this.redis, this.nodeId, clusterLog);
    this.#history = new HistorySync(options.history, this.redis, this.nodeId, clusterLog);
    this.redis.on('message', (channel, text) => {
      if (!channel.startsWith('parley:room:')) return;
      this.#links.get(channel.slice('parley:room:'.length))?.onMessage(text);
    });
    this.redis.on('up', () => {
      void this.registry.beat();
      // A Redis that lost its data must not hand out epochs below the sessions that live on.
      void this.#raiseEpoch().finally(() => {
        for (const link of this.#links.values()) link.rewrite();
      });
      // What changed elsewhere while this node was cut off: read again once the others have
      // written their members again (they do on reconnecting too).
      this.#later(RESYNC_DELAY_MS, () => {
        for (const link of this.#links.values())
          void link.resync((node) => this.registry.isAlive(node));
      });
    });
    this.registry.on('node-dead', (node) => this.#nodeDead(node));
    this.registry.on('nodes-changed', (urls) => this.safeEmit('nodes-changed', urls));
    this.registry.on('superseded', (newer) => void this.#stepDown(newer));
    this.#rpc.handle('member.remove', async (params) => {
      const p = RemoveSchema.parse(params);
      return options.removeLocal(p.sdkAppId, p.room, p.userIds, p.reason, p.message);
    });
    this.#rpc.handle('session.release', async (params) => {
      const p = ReleaseSchema.parse(params);
      const room = this.#roomByKey(p.roomKey);
      return room ? room.release(p.userId, p.epoch) : false;
    });
    options.rooms.on('room-created', (room) => this.#link(room));
    options.rooms.prepare = (room) => this.#ready(room);
    log.info(
      { node: this.nodeId, url: this.nodeUrl, redis: redactUrl(config.redisUrl) },
      'cluster mode',
    );
  }

  /** Connects to Redis in the background: the node takes clients at once. */
  async start(): Promise<void> {
    this.redis.start();
    await this.#rpc.start();
    await this.#bans.start();
    await this.#history.start();
    this.registry.start();
    this.#sweeper = setInterval(() => void this.#sweepOrphans(), ORPHAN_SWEEP_MS);
    this.#sweeper.unref();
    // Relays that failed (a node busy or just back) are tried again without waiting for a
    // change in the room.
    this.#retry = setInterval(() => {
      for (const link of this.#links.values()) link.pullRelays();
    }, RELAY_RETRY_INTERVAL_MS);
    this.#retry.unref();
  }

  async #raiseEpoch(): Promise<void> {
    let highest = 0;
    for (const room of this.options.rooms.rooms()) {
      for (const p of room.participants.values()) highest = Math.max(highest, p.epoch);
    }
    await this.redis.cmd
      .eval(
        "local cur = tonumber(redis.call('GET', KEYS[1]) or '0') if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 1",
        1,
        keys.epoch,
        String(highest),
      )
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'epoch not raised'));
  }

  /** Runs `work` after `ms` unless the node closes first. */
  #later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) work();
    }, ms);
    this.#timers.add(timer);
  }

  /**
   * Members of node incarnations that no live node vouches for (dead before this node saw
   * them, or the whole cluster restarted): reaped after the grace period like a death seen.
   */
  async #sweepOrphans(): Promise<void> {
    if (this.#closed || !this.redis.up) return;
    try {
      // SCAN, not KEYS: a big Redis is not blocked while it walks its keys.
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await this.redis.cmd.scan(
          cursor,
          'MATCH',
          'parley:node-rooms:*',
          'COUNT',
          500,
        );
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      for (const key of found) {
        const tail = key.slice('parley:node-rooms:'.length);
        const at = tail.lastIndexOf('@');
        const id = tail.slice(0, at);
        const startedAt = Number(tail.slice(at + 1));
        if (!id || !Number.isFinite(startedAt)) continue;
        const live = id === this.nodeId ? this.#startedAt : this.registry.startedAtOf(id);
        if (live === startedAt || this.#reaping.has(tail)) continue;
        this.#scheduleReap({ id, startedAt });
      }
    } catch (error) {
      this.options.log.debug({ err: error }, 'orphan sweep failed');
    }
  }

  get steppedDown(): string | null {
    return this.#steppedDown;
  }

  /**
   * A later process runs under this node's id, so its sessions were (or will be) resumed there:
   * this one leaves the cluster without touching it (the records, keys and RPC channel are the
   * other's now) and tells the server to let its clients go.
   */
  async #stepDown(newer: NodeInfo): Promise<void> {
    if (this.#steppedDown !== null) return;
    const since = new Date(newer.startedAt).toISOString();
    this.#steppedDown = `another process runs as cluster node ${this.nodeId} since ${since} (${newer.url}); PARLEY_NODE_ID must be unique: this process (started ${new Date(this.#startedAt).toISOString()}) has left the cluster`;
    this.options.log.error(
      { node: this.nodeId, startedAt: this.#startedAt, newer: newer.startedAt, url: newer.url },
      'a later process took this node id: leaving the cluster',
    );
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#retry);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#rpc.close();
    await this.redis.close();
    this.safeEmit('stepped-down', this.#steppedDown);
  }

  async close(): Promise<void> {
    if (this.#steppedDown !== null) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#retry);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#rpc.close();
    await Promise.all([...this.#links.values()].map((link) => link.close()));
    await this.registry.stop();
    await this.redis.close();
  }

  /**
   * Serves `method` to the other nodes (WHIP/WHEP sessions, server API tasks held here);
   * `params` come unvalidated: the handler parses them.
   */
  serve(method: string, handler: (params: unknown, from: string) => Promise<unknown>): void {
    this.#rpc.handle(method, handler);
  }

  /** Asks node `node` to run `method` (RpcError: unreachable, timeout or refused). */
  ask(node: string, method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    if (this.#steppedDown !== null) {
      return Promise.reject(new RpcError('unreachable', this.#steppedDown));
    }
    return this.#rpc.call(node, method, params, timeoutMs);
  }

  /** Whether `node` is a live node of the cluster (this one included). */
  isAlive(node: string): boolean {
    return node === this.nodeId ? this.#steppedDown === null : this.registry.isAlive(node);
  }

  /** The live nodes' signaling URLs, this node first. */
  signalUrls(): string[] {
    return this.registry.signalUrls();
  }

  /** Every live node (this one first) with its load, rooms and relays (admin console). */
  nodeViews(): AdminNode[] {
    const relays = this.relays.list();
    return [this.#info(), ...this.registry.peers()].map((n) => ({
      id: n.id,
      url: n.url,
      self: n.id === this.nodeId,
      load: n.load,
      maxLoad: n.maxLoad,
      rooms: n.rooms,
      participants: n.participants,
      startedAt: n.startedAt,
      relaysIn: relays.filter((r) => r.peer === n.id && r.direction === 'in').length,
      relaysOut: relays.filter((r) => r.peer === n.id && r.direction === 'out').length,
    }));
  }

  /** What the join knows of a member that its record carries. */
  noteJoin(participant: Participant, extras: Omit<JoinExtras, 'joinedAt'>): void {
    this.#extras.set(participant, { ...extras, joinedAt: Date.now() });
  }

  /**
   * Before a join: the cluster is reachable and has room for it. Resolves with the session's
   * epoch (a later session of the same userId anywhere has a higher one). The join that opens
   * the room in the cluster says so (`room-created`) here, before its own join event, as the
   * callbacks' order wants; `abandon` undoes that for a join that then fails.
   */
  async admit(sdkAppId: number, ref: RoomRef, userId: string): Promise<number> {
    const key = roomKey(sdkAppId, ref);
    if (this.#steppedDown !== null) throw this.leftCluster();
    let admission;
    try {
      if (!this.redis.up) throw new Error('not connected');
      admission = await this.redis.admit({
        roomKey: key,
        userId,
        maxMembers: this.options.maxMembersPerRoom,
        maxRooms: this.options.maxRooms,
      });
    } catch (error) {
      throw this.unavailable(error);
    }
    if (admission.verdict === 'room-full') {
      throw new ServerError(
        ErrorCode.JOIN_ROOM_FAILED,
        `room ${String(ref.id)} is full: it has ${admission.count} members and joining members across the cluster, the limit (PARLEY_MAX_MEMBERS_PER_ROOM) is ${this.options.maxMembersPerRoom}`,
        ROOM_LIMIT_REACHED,
      );
    }
    if (admission.verdict === 'too-many-rooms') {
      throw new ServerError(
        ErrorCode.JOIN_ROOM_FAILED,
        `the cluster has ${admission.count} rooms open, its limit (PARLEY_MAX_ROOMS) is ${this.options.maxRooms}: room ${String(ref.id)} cannot be opened now; retry later`,
        ROOM_LIMIT_REACHED,
      );
    }
    if (admission.opened) this.safeEmit('room-created', sdkAppId, ref);
    return admission.epoch;
  }

  /**
   * A join admitted by `admit` (with `epoch`) failed: its seat is given back, and a room it
   * opened that nobody entered and no other join is entering closes again.
   */
  async abandon(sdkAppId: number, ref: RoomRef, userId: string, epoch: number): Promise<void> {
    try {
      if (await this.redis.release(roomKey(sdkAppId, ref), userId, epoch)) {
        this.safeEmit('room-emptied', sdkAppId, ref);
      }
    } catch {
      // Redis down: the seat expires by itself; the room's entry goes when the cluster next empties it.
    }
  }

  /**
   * A lighter node's signaling URL when this node is over its load limit (its workers' load
   * summed, against workers × PARLEY_WORKER_MAX_LOAD) and another is below 80 % of its own:
   * the join goes there instead. Null otherwise: a node takes every client it can.
   */
  redirectFor(): string | null {
    const self = this.#info();
    if (self.load < self.maxLoad) return null;
    let best: NodeInfo | null = null;
    for (const peer of this.registry.peers()) {
      const share = peer.load / Math.max(1, peer.maxLoad);
      if (share >= 0.8) continue;
      if (!best || share < best.load / Math.max(1, best.maxLoad)) best = peer;
    }
    return best?.signalUrl ?? null;
  }

  /** A resume this node cannot look up now (Redis): the SDK tries the next node on it. */
  resumeUnavailable(): ServerError {
    return new ServerError(
      ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED,
      this.#steppedDown ??
        'this Parley node cannot reach the cluster (Redis) to resume the session now; another node may',
      ProtocolErrorCode.CLUSTER_UNAVAILABLE,
    );
  }

  /** The refusal of a join by a node that left the cluster (a later process took its id). */
  leftCluster(): ServerError {
    return new ServerError(
      ErrorCode.JOIN_ROOM_FAILED,
      this.#steppedDown ?? 'this Parley node has left the cluster',
      ProtocolErrorCode.CLUSTER_UNAVAILABLE,
    );
  }

  /** The clear refusal of a join while Redis cannot be reached. */
  unavailable(cause: unknown): ServerError {
    const why = cause instanceof Error ? cause.message : String(cause);
    return new ServerError(
      ErrorCode.JOIN_ROOM_FAILED,
      `this Parley node cannot reach the cluster's Redis (${why}); calls in progress go on, joins are refused until it is back`,
      ProtocolErrorCode.CLUSTER_UNAVAILABLE,
    );
  }

  /**
   * A resume token this node does not hold: the session of another node, if that node is gone
   * or lets it go. Resolves with its record and the new epoch, or null (no such session).
   */
  async adopt(token: string): Promise<{ record: MemberRecord; epoch: number } | null> {
    if (this.#steppedDown !== null || !this.redis.up) throw this.resumeUnavailable();
    const tokenHash = hashToken(token);
    let indexText: string | null;
    let recordText: string | null = null;
    let index;
    try {
      indexText = await this.redis.cmd.get(keys.session(tokenHash));
      if (!indexText) return null;
      index = SessionIndexSchema.safeParse(parseJson(indexText));
      if (!index.success) return null;
      recordText = await this.redis.cmd.hget(
        keys.members(roomKey(index.data.sdkAppId, index.data.room)),
        index.data.userId,
      );
    } catch {
      throw this.resumeUnavailable();
    }
    if (!recordText) return null;
    const key = roomKey(index.data.sdkAppId, index.data.room);
    const parsed = MemberRecordSchema.safeParse(parseJson(recordText));
    if (!parsed.success || parsed.data.tokenHash !== tokenHash) return null;
    const record = parsed.data;
    const owner = record.state.node;
    // The session's node incarnation: this very process holds it (then it ended here), a
    // live one is asked to let it go, any other (an earlier run of a restarted node, or a
    // node that died) is gone and the session is taken over.
    const live = owner === this.nodeId ? this.#startedAt : this.registry.startedAtOf(owner);
    if (owner === this.nodeId && live === record.nodeStartedAt) return null;
    if (owner !== this.nodeId && live === record.nodeStartedAt) {
      try {
        const released = await this.#rpc.call(
          owner,
          'session.release',
          { roomKey: key, userId: record.state.userId, epoch: record.state.epoch },
          RELEASE_TIMEOUT_MS,
        );
        if (released !== true) return null;
      } catch (error) {
        if (!(error instanceof RpcError) || error.kind === 'refused') return null;
        // Gone (its Redis connection closed) or frozen: its session is taken over here.
        this.options.log.warn(
          { peer: owner, user: record.state.userId, why: error.message },
          'taking over a session from an unresponsive node',
        );
      }
    }
    const epoch = await this.redis.cmd.incr(keys.epoch);
    return { record, epoch };
  }

  /**
   * Removes users wherever they are in the cluster: those of this node here, the others by
   * their node. Resolves with the userIds that were in the room.
   */
  async removeElsewhere(
    sdkAppId: number,
    ref: RoomRef,
    userIds: readonly string[],
    reason: 'kick' | 'banned' | 'room-disband',
    message: string,
  ): Promise<string[]> {
    const key = roomKey(sdkAppId, ref);
    const table = await this.redis.cmd.hgetall(keys.members(key));
    const byNode = new Map<string, string[]>();
    // '*': every member of the other nodes (DismissRoom on a node without the room).
    const wanted = userIds.includes('*') ? Object.keys(table) : userIds;
    for (const userId of wanted) {
      const text = table[userId];
      const record = text ? MemberRecordSchema.safeParse(parseJson(text)) : null;
      if (!record?.success || record.data.state.node === this.nodeId) continue;
      const list = byNode.get(record.data.state.node) ?? [];
      list.push(userId);
      byNode.set(record.data.state.node, list);
    }
    const removed = await Promise.all(
      [...byNode].map(async ([node, ids]) => {
        const result = await this.#rpc.call(
          node,
          'member.remove',
          { sdkAppId, room: ref, userIds: ids, reason, message },
          REMOVE_TIMEOUT_MS,
        );
        return z.array(z.string()).parse(result);
      }),
    );
    return removed.flat();
  }

  /** Users of a room across the cluster (a node without the room asks Redis). */
  async members(sdkAppId: number, ref: RoomRef): Promise<MemberRecord[]> {
    const table = await this.redis.cmd.hgetall(keys.members(roomKey(sdkAppId, ref)));
    return Object.values(table).flatMap((text) => {
      const parsed = MemberRecordSchema.safeParse(parseJson(text));
      return parsed.success ? [parsed.data] : [];
    });
  }

  #info(): NodeInfo {
    let participants = 0;
    let rooms = 0;
    for (const room of this.options.rooms.rooms()) {
      rooms++;
      participants += room.localParticipants().length;
    }
    return {
      id: this.nodeId,
      url: this.nodeUrl,
      signalUrl: this.signalUrl,
      load: this.options.engine.workers().reduce((sum, w) => sum + w.load, 0),
      maxLoad: this.options.maxLoad,
      rooms,
      participants,
      startedAt: this.#startedAt,
    };
  }

  #roomByKey(key: string): Room | undefined {
    for (const room of this.options.rooms.rooms())
      if (room.key === key && !room.closed) return room;
    return undefined;
  }

  #link(room: Room): void {
    const link = new ClusterRoom(room, {
      nodeId: this.nodeId,
      startedAt: this.#startedAt,
      redis: this.redis,
      relays: this.relays,
      log: this.options.log,
      extras: (p) => this.#extras.get(p),
      roomEmptied: (r) => this.safeEmit('room-emptied', r.sdkAppId, r.ref),
      roomCreated: (r) => this.safeEmit('room-created', r.sdkAppId, r.ref),
    });
    this.#links.set(room.key, link);
    room.once('closed', () => {
      if (this.#links.get(room.key) === link) this.#links.delete(room.key);
    });
  }

  async #ready(room: Room): Promise<void> {
    const link = this.#links.get(room.key);
    if (!link) return;
    try {
      await link.ready;
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /**
   * A node died: the relays from it go at once (their viewers wait for the member to resume
   * elsewhere); after the grace period one node removes its members that nobody resumed.
   */
  #nodeDead(node: NodeInfo): void {
    this.relays.nodeLost(node.id);
    for (const room of this.options.rooms.rooms()) void room.nodeLost(node.id);
    this.#scheduleReap(node);
  }

  #scheduleReap(node: { id: string; startedAt: number }): void {
    const incarnation = `${node.id}@${node.startedAt}`;
    if (this.#reaping.has(incarnation)) return;
    this.#reaping.add(incarnation);
    this.#later(this.options.sessionTimeoutMs, () => {
      void this.#reap(node)
        .catch((error: unknown) =>
          this.options.log.warn({ err: error, peer: node.id }, 'reaping a dead node failed'),
        )
        .finally(() => this.#reaping.delete(incarnation));
    });
  }

  async #reap(node: { id: string; startedAt: number }): Promise<void> {
    if (this.#closed || !this.redis.up) return;
    // It beat again (a stall, a partition healed): its members are alive, nothing to reap.
    const live = node.id === this.nodeId ? this.#startedAt : this.registry.startedAtOf(node.id);
    if (live === node.startedAt) return;
    const lock = await this.redis.cmd.set(
      keys.reap(node.id, node.startedAt),
      this.nodeId,
      'PX',
      60_000,
      'NX',
    );
    if (lock !== 'OK') return;
    const index = keys.nodeRooms(node.id, node.startedAt);
    const roomKeys = await this.redis.cmd.smembers(index);
    for (const key of roomKeys) {
      const table = await this.redis.cmd.hgetall(keys.members(key));
      for (const text of Object.values(table)) {
        const parsed = MemberRecordSchema.safeParse(parseJson(text));
        if (
          !parsed.success ||
          parsed.data.state.node !== node.id ||
          parsed.data.nodeStartedAt !== node.startedAt
        ) {
          continue;
        }
        const { state } = parsed.data;
        const result = await this.redis.delMember({
          roomKey: key,
          userId: state.userId,
          epoch: state.epoch,
          // From no node: every node applies it, this one too.
          message: JSON.stringify({
            t: 'gone',
            from: 'reaper',
            userId: state.userId,
            epoch: state.epoch,
            reason: 'timeout',
          }),
        });
        if (result === 0) continue;
        await this.redis.cmd.del(keys.session(parsed.data.tokenHash));
        this.options.log.info(
          { peer: node.id, user: state.userId, room: key },
          'member of a dead node removed',
        );
        this.safeEmit('member-reaped', parsed.data);
        if (result === 2) this.safeEmit('room-emptied', parsed.data.sdkAppId, parsed.data.room);
      }
    }
    await this.redis.cmd.del(index);
  }
}
