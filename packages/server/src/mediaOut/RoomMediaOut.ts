/**
 * Media leaving one room, as v4 clients ask for it: each client's mix (`startMixTranscode`:
 * one per client; the same streamId again changes its layout, another replaces it) and its
 * RTMP relay (`startPublishCDNStream`: the client's mix when the streamId names it, otherwise
 * its own stream). A mix runs once it has somewhere to go: the relay's URL or the
 * application's URL template. Jobs follow the room: a stream that comes, goes or is
 * republished rebinds them; a preset layout fills its placeholders again; the owner's leave
 * ends its jobs, and so does the room's close.
 */
import {
  checkMixConfig,
  defaultStreamId,
  ErrorCode,
  roomIdProblem,
  roomKey,
  type ErrorCodeValue,
  type MixConfig,
  type PublishCdnOptions,
  type RelaySlot,
  type RoomRef,
  type StreamType,
} from '@parley/protocol';
import type { Logger } from 'pino';
import type { Participant } from '../room/Participant.js';
import type { Room } from '../room/Room.js';
import type { TrackRef } from '../room/TrackDemand.js';
import { ServerError } from '../ServerError.js';
import { CrossRoomFeeds } from './CrossRoomFeeds.js';
import { MediaOutJob, type JobLayout, type MediaOutJobOptions } from './MediaOutJob.js';
import { mixJobLayout, relayJobLayout, type MixResolved, type RoomPublisher } from './mixLayout.js';
import type { PortPool } from './PortPool.js';

export interface MediaOutContext {
  /** Null when media-out can run; otherwise what is missing (said in refusals). */
  unavailable(): string | null;
  /** Null while another job may start; otherwise why not (the server's job limit). */
  full(): string | null;
  /** Jobs this room may run at once (PARLEY_MEDIA_OUT_MAX_JOBS_PER_ROOM). */
  maxJobsPerRoom?: number;
  /** Null when a client-given RTMP URL may be pushed to; otherwise why not (SSRF guard). */
  checkUrl(sdkAppId: number, url: string): Promise<string | null>;
  /** The application's RTMP URL for a stream id (its template), or null. */
  urlFor(sdkAppId: number, streamId: string): string | null;
  /** Another room of this node, for `mixUsers[].roomId` (none: other rooms are refused). */
  room?(sdkAppId: number, ref: RoomRef): Room | undefined;
  /**
   * Cluster: another room opened on this node for `holder` even with no member here (its
   * members elsewhere read in, their tracks relayed on demand; Room.hold); undefined when
   * nobody is in it anywhere.
   */
  openRoom?(sdkAppId: number, ref: RoomRef, holder: string): Promise<Room | undefined>;
  /** Why this application may not mix users of another room (null: it may). */
  crossRoomRefusal?(sdkAppId: number): string | null;
  /** The file of a `backgroundImage` id, or null when the server has no such image. */
  mixImage?(id: string): string | null;
  ports: PortPool;
  log: Logger;
  /** A push's state changed (Tencent's relay callback 401). */
  relayStatus?(status: RelayStatus): void;
  command?: string;
  supervisor?: MediaOutJobOptions['supervisor'];
}

/**
 * Tencent's 401 `Payload.Status` of an RTMP push: 2 pushing, 3 recovering (restarting after
 * a failure), 4 failed (given up), 0 ended. `TaskId` is the server API task's, or the
 * stream id for a v4 client's mix or relay; `UserId` the client's ("" for an API task).
 */
export interface RelayStatus {
  sdkAppId: number;
  room: RoomRef;
  taskId: string;
  userId: string;
  url: string;
  status: 0 | 2 | 3 | 4;
  /** Why it is recovering or failed. */
  cause?: string;
}

interface MixEntry {
  owner: string;
  config: MixConfig;
  /** Its background image's file and the room its users are in by default. */
  resolved: MixResolved;
  streamId: string;
  job: MediaOutJob | null;
  url: string | null;
}

/** A server API task (StartPublishCdnStream, StartMCUMixTranscode): one job per URL. */
interface TaskEntry {
  id: string;
  layoutOf: (publishers: readonly RoomPublisher[]) => JobLayout;
  jobs: MediaOutJob[];
}

interface RelayEntry {
  owner: string;
  /** v5's output (main, sub, mix); none for v4's single relay. */
  slot: RelaySlot | undefined;
  streamId: string;
  /** Relays the owner's mix (else the owner's own stream of `streamType`). */
  ofMix: boolean;
  streamType: StreamType;
  job: MediaOutJob | null;
}

/** How often jobs compare their inputs with the room (a republished track keeps no event). */
const RECHECK_MS = 2000;

export class RoomMediaOut {
  readonly #mixes = new Map<string, MixEntry>();
  /** By relayKey(owner, slot): v4's one relay per client, v5's one per output. */
  readonly #relays = new Map<string, RelayEntry>();
  readonly #tasks = new Map<string, TaskEntry>();
  /** Jobs made and not yet registered in an entry: they hold their slot of the job limits. */
  readonly #pending = new Set<MediaOutJob>();
  readonly #log: Logger;
  #scheduled: NodeJS.Timeout | null = null;
  #recheck: NodeJS.Timeout | null = null;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  #syncQueued = false;
  #closing: Promise<void> | null = null;
  readonly #feeds: CrossRoomFeeds;
  /** Other rooms opened here for this room's mixes (openRoom), by key. */
  readonly #held = new Map<string, Room>();
  /** Other rooms this room's jobs read tracks of (their TrackDemand), by key. */
  #demanded = new Map<string, Room>();

  constructor(
    private readonly room: Room,
    private readonly ctx: MediaOutContext,
  ) {
    this.#log = ctx.log.child({ room: room.key, part: 'media-out' });
    this.#feeds = new CrossRoomFeeds(
      () => room.ensureMedia(),
      this.#log.child({ part: 'cross-room' }),
      () => this.#schedule(),
    );
    const changed = () => this.#schedule();
    room.on('stream-published', changed);
    room.on('stream-unpublished', changed);
    room.on('stream-updated', changed);
    room.on('participant-joined', changed);
    // Cluster: a track of a member on another node arrived for a job (see #updateDemand).
    room.on('relay-attached', changed);
    room.on('participant-left', (participant) => {
      if (participant.local) void this.ownerLeft(participant.userId);
      changed();
    });
    room.once('closed', () => void this.close());
  }

  // ---- the public operations, one at a time (two calls of a client never interleave) ----

  startTask(
    id: string,
    layoutOf: (publishers: readonly RoomPublisher[]) => JobLayout,
    urls: readonly string[],
  ): Promise<void> {
    return this.#serial(() => this.#startTask(id, layoutOf, urls));
  }
  updateTask(
    id: string,
    layoutOf: (publishers: readonly RoomPublisher[]) => JobLayout,
  ): Promise<boolean> {
    return this.#serial(() => this.#updateTask(id, layoutOf));
  }
  stopTask(id: string): Promise<boolean> {
    return this.#serial(() => this.#stopTask(id));
  }
  startMix(owner: Participant, input: unknown): Promise<{ streamId: string }> {
    return this.#serial(() => this.#startMix(owner, input));
  }
  stopMix(owner: Participant): Promise<void> {
    return this.#serial(() => this.#stopMix(owner));
  }
  startRelay(owner: Participant, options: PublishCdnOptions): Promise<{ streamId: string }> {
    return this.#serial(() => this.#startRelay(owner, options));
  }
  stopRelay(owner: Participant, slot?: RelaySlot): Promise<void> {
    return this.#serial(() => this.#stopRelay(owner, slot));
  }
  /** The owner left: its mix and relay end. */
  ownerLeft(userId: string): Promise<void> {
    return this.#serial(() => this.#ownerLeft(userId));
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#closed) throw new ServerError(ErrorCode.INVALID_OPERATION, 'the room has ended');
      return work().finally(() => this.#updateDemand());
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The jobs running now (tests, metrics). */
  jobs(): MediaOutJob[] {
    const jobs = new Set([
      ...[...this.#mixes.values(), ...this.#relays.values()]
        .map((e) => e.job)
        .filter((j): j is MediaOutJob => j !== null),
      ...[...this.#tasks.values()].flatMap((t) => t.jobs),
    ]);
    for (const job of this.#pending) if (!job.stopped) jobs.add(job);
    return [...jobs];
  }

  /** Starts a job made by #job; its slot is held until the caller registers it (or it fails). */
  async #start(job: MediaOutJob, code: ErrorCodeValue, keepPending = false): Promise<void> {
    try {
      await this.#wrap(code, job.start());
    } catch (error) {
      this.#pending.delete(job);
      throw error;
    }
    if (!keepPending) this.#pending.delete(job);
  }

  // ---- server API tasks ----

  /**
   * Starts a task: a job per URL with the layout `layoutOf` makes from the room (again at
   * every change of its streams). Rejects with the first job's cause; nothing is left running.
   */
  async #startTask(
    id: string,
    layoutOf: (publishers: readonly RoomPublisher[]) => JobLayout,
    urls: readonly string[],
  ): Promise<void> {
    const missing = this.ctx.unavailable();
    if (missing) throw new Error(`media out is not available on this server: ${missing}`);
    const task: TaskEntry = { id, layoutOf, jobs: [] };
    try {
      for (const [i, url] of urls.entries()) {
        const job = this.#job(
          `task:${id}:${i}`,
          url,
          layoutOf(this.#publishers()),
          null,
          ErrorCode.START_PUBLISH_CDN_FAILED,
        );
        task.jobs.push(job);
        // The task's jobs keep their slots until the task is registered below.
        await this.#start(job, ErrorCode.START_PUBLISH_CDN_FAILED, true);
      }
    } catch (error) {
      await Promise.all(task.jobs.map((j) => j.stop()));
      for (const job of task.jobs) this.#pending.delete(job);
      throw error;
    }
    this.#tasks.set(id, task);
    for (const job of task.jobs) this.#pending.delete(job);
    this.#log.info({ task: id, urls: urls.map(hostOf) }, 'task started');
  }

  /** A new layout for a running task (its jobs restart with it). False: no such task. */
  async #updateTask(
    id: string,
    layoutOf: (publishers: readonly RoomPublisher[]) => JobLayout,
  ): Promise<boolean> {
    const task = this.#tasks.get(id);
    if (!task) return false;
    task.layoutOf = layoutOf;
    const layout = layoutOf(this.#publishers());
    await Promise.all(task.jobs.map((j) => j.update(layout)));
    return true;
  }

  async #stopTask(id: string): Promise<boolean> {
    const task = this.#tasks.get(id);
    if (!task) return false;
    this.#tasks.delete(id);
    await Promise.all(task.jobs.map((j) => j.stop()));
    this.#log.info({ task: id }, 'task stopped');
    return true;
  }

  hasTask(id: string): boolean {
    return this.#tasks.has(id);
  }

  // ---- mixing ----

  async #startMix(owner: Participant, input: unknown): Promise<{ streamId: string }> {
    const fail = (message: string) =>
      new ServerError(ErrorCode.START_MIX_TRANSCODE_FAILED, message);
    const missing = this.ctx.unavailable();
    if (missing) throw fail(`mixing is not available on this server: ${missing}`);
    refuseAudience(owner, 'startMixTranscode()');
    const check = checkMixConfig(input, owner.userId);
    if (!check.ok) throw new ServerError(ErrorCode.INVALID_PARAMETER, check.message);
    const config = check.config;
    const roomId = String(this.room.ref.id);
    const resolved: MixResolved = { roomId };
    if (config.backgroundImage !== '') {
      const path = this.#backgroundImage(config.backgroundImage);
      resolved.backgroundImage = path;
    }
    for (const [i, user] of config.mixUsers.entries()) {
      if (user.roomId !== undefined && String(user.roomId) !== roomId) {
        await this.#otherRoomUser(i, user.userId, user.roomId, fail);
        continue;
      }
      if (config.mode === 'manual' && !this.room.participants.has(user.userId)) {
        throw fail(`mixUsers ${user.userId} is not in room ${roomId}`);
      }
      if (config.mode === 'manual' && user.userId !== owner.userId) {
        const kinds = user.pureAudio ? (['audio'] as const) : (['audio', 'video'] as const);
        const denied = kinds.filter((kind) => !owner.canReceive(user.streamType, kind));
        if (denied.length > 0) {
          throw fail(
            `mixUsers ${user.userId}: this user's privateMapKey does not allow receiving ${user.streamType} ${denied.join(' and ')}, so it cannot mix it`,
          );
        }
      }
    }
    const streamId =
      config.streamId || defaultStreamId(this.room.sdkAppId, this.room.ref.id, owner.userId);
    const existing = this.#mixes.get(owner.userId);
    if (existing && existing.streamId === streamId) {
      existing.config = config;
      existing.resolved = resolved;
      if (existing.job) {
        await this.#feedOthers(this.#mixLayout(existing));
        await this.#wrap(
          ErrorCode.START_MIX_TRANSCODE_FAILED,
          existing.job.update(this.#mixLayout(existing)),
        );
      }
      this.#log.info({ owner: owner.userId, streamId }, 'mix layout updated');
      return { streamId };
    }
    if (existing) await this.#endMix(existing);
    const entry: MixEntry = {
      owner: owner.userId,
      config,
      resolved,
      streamId,
      job: null,
      url: null,
    };
    const relay = this.#mixRelay(owner.userId, streamId);
    const url = relay ? null : this.ctx.urlFor(this.room.sdkAppId, streamId);
    if (url) await this.#runMix(entry, url, ErrorCode.START_MIX_TRANSCODE_FAILED);
    this.#mixes.set(owner.userId, entry);
    this.#log.info({ owner: owner.userId, streamId, running: entry.job !== null }, 'mix started');
    return { streamId };
  }

  async #stopMix(owner: Participant): Promise<void> {
    const entry = this.#mixes.get(owner.userId);
    if (!entry) throw ServerError.wrongState('no mix is running: call startMixTranscode() first');
    await this.#endMix(entry);
    this.#log.info({ owner: owner.userId, streamId: entry.streamId }, 'mix stopped');
  }

  async #endMix(entry: MixEntry): Promise<void> {
    this.#mixes.delete(entry.owner);
    const relay = this.#mixRelay(entry.owner, entry.streamId);
    if (relay) this.#relays.delete(relayKey(relay.owner, relay.slot));
    await entry.job?.stop();
    entry.job = null;
  }

  /** The relay that pushes `owner`'s mix `streamId`, if any. */
  #mixRelay(owner: string, streamId: string): RelayEntry | undefined {
    for (const relay of this.#relays.values()) {
      if (relay.owner === owner && relay.ofMix && relay.streamId === streamId) return relay;
    }
    return undefined;
  }

  #mixLayout(entry: MixEntry): JobLayout {
    return mixJobLayout(entry.config, entry.owner, this.#publishers(), entry.resolved);
  }

  /**
   * `backgroundImage`: TRTC's is the id of an image uploaded in its console; Parley's names a
   * file the operator put in the mix-images directory. An unknown id is the caller's mistake.
   */
  #backgroundImage(id: string): string {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      throw new ServerError(
        ErrorCode.INVALID_PARAMETER,
        `config.backgroundImage must be an image id (letters, digits, _ and -), got ${JSON.stringify(id)}`,
      );
    }
    const path = this.ctx.mixImage?.(id) ?? null;
    if (!path) {
      throw new ServerError(
        ErrorCode.INVALID_PARAMETER,
        `config.backgroundImage: this server has no image ${JSON.stringify(id)} (the operator puts ${id}.png or ${id}.jpg in the mix-images directory: PARLEY_MIX_IMAGES_DIR, by default <PARLEY_DATA_DIR>/mix-images)`,
      );
    }
    return path;
  }

  /** The room of a `mixUsers` entry of another room: of this application, on this node. */
  async #otherRoomUser(
    i: number,
    userId: string,
    roomId: number | string,
    fail: (message: string) => ServerError,
  ): Promise<void> {
    const refused = this.ctx.crossRoomRefusal?.(this.room.sdkAppId) ?? null;
    if (refused) throw fail(`mixUsers[${i}] is in room ${String(roomId)}: ${refused}`);
    const ref = this.#otherRef(roomId);
    if (!ref) {
      throw new ServerError(
        ErrorCode.INVALID_PARAMETER,
        `config.mixUsers[${i}].roomId must be a ${this.room.ref.kind === 'number' ? 'numeric room id (this client joined with a number)' : 'string room id (this client joined with a string)'}, got ${JSON.stringify(roomId)}`,
      );
    }
    let other = this.ctx.room?.(this.room.sdkAppId, ref);
    if ((!other || other.closed) && this.ctx.openRoom) {
      // Cluster: the room has nobody on this node; its members elsewhere are relayed here.
      other = await this.ctx
        .openRoom(this.room.sdkAppId, ref, this.#holder)
        .catch((error: unknown) => {
          throw fail(
            `mixUsers[${i}]: room ${String(roomId)} cannot be opened on this node: ${(error as Error).message}`,
          );
        });
      if (other) {
        this.#held.set(other.key, other);
        this.#log.info(
          { other: other.key, members: other.participants.size },
          'room of a mixed user opened on this node',
        );
      }
    }
    const member = other?.participants.get(userId);
    if (!other || !member || member.left || !member.visible) {
      throw fail(
        `mixUsers[${i}] ${userId} is not in room ${String(roomId)}${other ? '' : ' (nobody is in that room on this server)'}`,
      );
    }
  }

  /** A `mixUsers[].roomId` as a room of this application (same kind as this room's id). */
  #otherRef(roomId: number | string): RoomRef | null {
    const ref: RoomRef | null =
      this.room.ref.kind === 'number'
        ? typeof roomId === 'number'
          ? { kind: 'number', id: roomId }
          : null
        : typeof roomId === 'string'
          ? { kind: 'string', id: roomId }
          : null;
    return ref && roomIdProblem(ref) === null ? ref : null;
  }

  /** The other room a layout user's `roomId` (a string, as layouts keep it) names, if any. */
  #otherRoom(roomId: string): Room | undefined {
    const ref = this.#otherRef(this.room.ref.kind === 'number' ? Number(roomId) : roomId);
    return ref ? this.ctx.room?.(this.room.sdkAppId, ref) : undefined;
  }

  /**
   * Cluster: the rooms a layout names that are not open on this node (their members all
   * elsewhere, the room closed here meanwhile) are opened again for this room's mixes.
   */
  async #openOthers(layout: JobLayout): Promise<void> {
    if (!this.ctx.openRoom) return;
    for (const user of layout.users) {
      if (user.roomId === undefined) continue;
      const open = this.#otherRoom(user.roomId);
      if (open && !open.closed) continue;
      const ref = this.#otherRef(
        this.room.ref.kind === 'number' ? Number(user.roomId) : user.roomId,
      );
      if (!ref) continue;
      const other = await this.ctx
        .openRoom(this.room.sdkAppId, ref, this.#holder)
        .catch(() => undefined);
      if (other) this.#held.set(other.key, other);
    }
  }

  /** The tracks of other rooms a layout names, fed into this room's router (awaited). */
  async #feedOthers(layout: JobLayout): Promise<Set<string>> {
    await this.#openOthers(layout);
    const sources = new Set<string>();
    const feeding: Array<Promise<void>> = [];
    for (const user of layout.users) {
      if (user.roomId === undefined) continue;
      const other = this.#otherRoom(user.roomId);
      const participant = other?.participants.get(user.userId);
      if (!other || !participant || participant.left) continue;
      for (const kind of ['audio', 'video'] as const) {
        if (kind === 'video' && !user.box) continue;
        const track = participant.streams.get(user.streamType)?.tracks.get(kind);
        const producer = track && !track.withheld ? track.producer : null;
        if (!producer || producer.closed) continue;
        sources.add(producer.id);
        feeding.push(
          this.#feeds.feed(roomKey(other.sdkAppId, other.ref), () => other.ensureMedia(), producer),
        );
      }
    }
    await Promise.all(feeding);
    return sources;
  }

  async #runMix(entry: MixEntry, url: string, code: ErrorCodeValue): Promise<void> {
    await entry.job?.stop();
    entry.job = null;
    await this.#feedOthers(this.#mixLayout(entry));
    const job = this.#job(`mix:${entry.streamId}`, url, this.#mixLayout(entry), entry.owner, code);
    await this.#start(job, code);
    entry.job = job;
    entry.url = url;
  }

  // ---- relays ----

  async #startRelay(owner: Participant, options: PublishCdnOptions): Promise<{ streamId: string }> {
    const fail = (message: string) => new ServerError(ErrorCode.START_PUBLISH_CDN_FAILED, message);
    const missing = this.ctx.unavailable();
    if (missing) throw fail(`relaying to a CDN is not available on this server: ${missing}`);
    refuseAudience(owner, 'startPublishCDNStream()');
    if (options.url !== undefined) {
      const refused = await this.ctx.checkUrl(this.room.sdkAppId, options.url);
      if (refused) throw fail(`url refused: ${refused}`);
    }
    const streamId =
      options.streamId ??
      defaultStreamId(this.room.sdkAppId, this.room.ref.id, owner.userId, options.streamType);
    const url = options.url ?? this.ctx.urlFor(this.room.sdkAppId, streamId);
    const mix = this.#mixes.get(owner.userId);
    const ofMix = mix !== undefined && mix.streamId === streamId;
    if (!ofMix) {
      const stream = owner.streams.get(options.streamType);
      if (!stream || stream.tracks.size === 0) {
        throw ServerError.wrongState(
          `nothing to relay: no ${options.streamType} stream is published (publish() first, or name a mix started by this client in streamId)`,
        );
      }
    }
    if (!url) {
      throw fail(
        `no RTMP URL for stream ${streamId}: pass url to startPublishCDNStream(), or configure the application's cdnUrlTemplate (PARLEY_CDN_URL_TEMPLATE), e.g. rtmp://cdn.example.com/live/{streamId}`,
      );
    }
    const key = relayKey(owner.userId, options.slot);
    const previous = this.#relays.get(key);
    // v5 again for its mix, to where it already goes: nothing to restart.
    if (previous?.ofMix && ofMix && previous.streamId === streamId && mix.job && mix.url === url) {
      return { streamId };
    }
    if (previous) await this.#endRelay(previous);
    // Another output of this client pushing the same mix (v5: at most one of them).
    const other = ofMix ? this.#mixRelay(owner.userId, streamId) : undefined;
    if (other) await this.#endRelay(other, false);
    const entry: RelayEntry = {
      owner: owner.userId,
      slot: options.slot,
      streamId,
      ofMix,
      streamType: options.streamType,
      job: null,
    };
    if (ofMix) {
      // Already there (the application's template): keep it running.
      if (!(mix.job && !mix.job.stopped && mix.url === url)) {
        await this.#runMix(mix, url, ErrorCode.START_PUBLISH_CDN_FAILED);
      }
    } else {
      const job = this.#job(
        `relay:${streamId}`,
        url,
        relayJobLayout(owner.userId, options.streamType),
        owner.userId,
        ErrorCode.START_PUBLISH_CDN_FAILED,
      );
      await this.#start(job, ErrorCode.START_PUBLISH_CDN_FAILED);
      entry.job = job;
    }
    this.#relays.set(key, entry);
    this.#log.info(
      { owner: owner.userId, slot: options.slot, streamId, ofMix, host: hostOf(url) },
      'relay started',
    );
    return { streamId };
  }

  async #stopRelay(owner: Participant, slot: RelaySlot | undefined): Promise<void> {
    const entry = this.#relays.get(relayKey(owner.userId, slot));
    if (!entry)
      throw ServerError.wrongState('no stream is relayed: call startPublishCDNStream() first');
    await this.#endRelay(entry);
    this.#log.info({ owner: owner.userId, streamId: entry.streamId }, 'relay stopped');
  }

  /** `keepMix`: a mix this relayed goes on to the template's URL (not when its owner leaves). */
  async #endRelay(entry: RelayEntry, keepMix = true): Promise<void> {
    this.#relays.delete(relayKey(entry.owner, entry.slot));
    await entry.job?.stop();
    if (entry.ofMix && keepMix) {
      // The mix stays set up; it goes on only where the application's template sends it.
      const mix = this.#mixes.get(entry.owner);
      if (mix?.job) {
        await mix.job.stop();
        mix.job = null;
        mix.url = null;
        const url = this.ctx.urlFor(this.room.sdkAppId, mix.streamId);
        if (url)
          await this.#runMix(mix, url, ErrorCode.STOP_PUBLISH_CDN_FAILED).catch(() => undefined);
      }
    }
  }

  // ---- the room ----

  /** The owner left: its mix and relay end. */
  async #ownerLeft(userId: string): Promise<void> {
    for (const relay of [...this.#relays.values()]) {
      if (relay.owner === userId) await this.#endRelay(relay, false).catch(() => undefined);
    }
    const mix = this.#mixes.get(userId);
    if (mix) await this.#endMix(mix).catch(() => undefined);
    this.#updateRecheck();
  }

  close(): Promise<void> {
    // A second call (the room's close and the service's) waits for the same work.
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    if (this.#scheduled) clearTimeout(this.#scheduled);
    if (this.#recheck) clearInterval(this.#recheck);
    // Not #serial (which refuses once closed): after whatever operation is under way.
    const run = this.#queue.then(async () => {
      const owners = new Set([
        ...this.#mixes.keys(),
        ...[...this.#relays.values()].map((r) => r.owner),
      ]);
      for (const owner of owners) await this.#ownerLeft(owner);
      for (const id of [...this.#tasks.keys()]) await this.#stopTask(id);
      this.#updateDemand();
      this.#feeds.close();
    });
    this.#queue = run.catch(() => undefined);
    await run;
  }

  #job(
    id: string,
    url: string,
    layout: JobLayout,
    owner: string | null,
    code: ErrorCodeValue,
  ): MediaOutJob {
    // Checked and reserved in one step (no await between): parallel starts cannot overrun.
    const full = this.ctx.full();
    if (full) throw new ServerError(code, full);
    const perRoom = this.ctx.maxJobsPerRoom ?? Infinity;
    if (this.jobs().length >= perRoom) {
      throw new ServerError(
        code,
        `this room already runs its maximum of ${perRoom} media-out jobs (PARLEY_MEDIA_OUT_MAX_JOBS_PER_ROOM)`,
      );
    }
    const job = new MediaOutJob(
      {
        id,
        router: () => this.room.ensureMedia(),
        sink: { kind: 'rtmp', url },
        lookup: (userId, streamType, kind, roomId) =>
          roomId === undefined
            ? this.#producerOf(userId, streamType, kind, owner)
            : this.#fedProducerOf(userId, streamType, kind, roomId),
        ports: this.ctx.ports,
        log: this.#log.child({ job: id }),
        ...(this.ctx.command ? { command: this.ctx.command } : {}),
        ...(this.ctx.supervisor ? { supervisor: this.ctx.supervisor } : {}),
      },
      layout,
    );
    this.#pending.add(job);
    this.#reportRelay(job, id, url, owner);
    job.on('failed', (error) => {
      this.#log.error({ err: error, job: id }, 'media-out job failed');
      if (owner === null) return;
      this.room.participants.get(owner)?.sink?.notify('error', {
        code,
        message: `${id.startsWith('mix') ? 'the mix' : 'the relay'} ${id.slice(id.indexOf(':') + 1)} stopped: ${error.message}`,
      });
    });
    this.#updateRecheck(true);
    return job;
  }

  /** The push's state as relay callbacks: each change once, nothing after a failure. */
  #reportRelay(job: MediaOutJob, id: string, url: string, owner: string | null): void {
    const report = this.ctx.relayStatus;
    if (!report) return;
    let last: RelayStatus['status'] | null = null;
    const send = (status: RelayStatus['status'], cause?: string) => {
      if (last === 4 || (status === 0 && last === null) || (status === last && status !== 3))
        return;
      last = status;
      report({
        sdkAppId: this.room.sdkAppId,
        room: this.room.ref,
        taskId: id.startsWith('task:') ? id.split(':')[1]! : id.slice(id.indexOf(':') + 1),
        userId: owner ?? '',
        url,
        status,
        ...(cause ? { cause } : {}),
      });
    };
    job.on('running', () => send(2));
    job.on('restarting', (cause) => send(3, cause));
    job.on('failed', (error) => send(4, error.message));
    job.on('startFailed', (error) => send(4, error.message));
    job.on('stopped', () => send(0));
  }

  /**
   * The producer a job takes for a user's track; a client's job (`viewer` its owner) only
   * gets others' tracks its privateMapKey lets it receive, as a subscription would.
   */
  #producerOf(
    userId: string,
    streamType: StreamType,
    kind: 'audio' | 'video',
    viewer: string | null,
  ): string | null {
    if (viewer !== null && userId !== viewer) {
      const owner = this.room.participants.get(viewer);
      if (!owner || !owner.canReceive(streamType, kind)) return null;
    }
    const participant = this.room.participants.get(userId);
    if (!participant || participant.left) return null;
    const track = participant.streams.get(streamType)?.tracks.get(kind);
    if (!track || track.withheld || !track.producer || track.producer.closed) return null;
    return track.producer.id;
  }

  /** A track of another room as this room's router has it (null until it is fed in). */
  #fedProducerOf(
    userId: string,
    streamType: StreamType,
    kind: 'audio' | 'video',
    roomId: string,
  ): string | null {
    const participant = this.#otherRoom(roomId)?.participants.get(userId);
    if (!participant || participant.left) return null;
    const track = participant.streams.get(streamType)?.tracks.get(kind);
    if (!track || track.withheld || !track.producer || track.producer.closed) return null;
    return this.#feeds.localId(track.producer.id);
  }

  #publishers(): RoomPublisher[] {
    return [...this.room.participants.values()]
      .filter((p) => p.visible && !p.left && p.streams.size > 0)
      .map((p) => ({ userId: p.userId, streams: [...p.streams.keys()] }));
  }

  /** Folds a burst of room changes into one look at the jobs. */
  #schedule(): void {
    if (this.#closed || this.#scheduled) return;
    this.#scheduled = setTimeout(() => {
      this.#scheduled = null;
      this.#queueSync();
    }, 100);
  }

  /** A look at the jobs, in turn with the operations (a stop never races a restart). */
  #queueSync(): void {
    if (this.#syncQueued) return;
    this.#syncQueued = true;
    this.#serial(() => {
      this.#syncQueued = false;
      return this.#sync();
    }).catch(() => undefined);
  }

  async #sync(): Promise<void> {
    const fed = new Set<string>();
    for (const mix of [...this.#mixes.values()]) {
      if (!mix.job || mix.job.stopped) continue;
      const layout = this.#mixLayout(mix);
      for (const id of await this.#feedOthers(layout)) fed.add(id);
      const change =
        JSON.stringify(layout) === JSON.stringify(mix.job.layout)
          ? mix.job.refresh()
          : mix.job.update(layout);
      await change.catch((error: unknown) => this.#log.warn({ err: error }, 'mix not updated'));
    }
    // Tracks of other rooms no running mix names any more stop coming in.
    this.#feeds.retain(fed);
    for (const task of [...this.#tasks.values()]) {
      const layout = task.layoutOf(this.#publishers());
      for (const job of task.jobs) {
        if (job.stopped) continue;
        const change =
          JSON.stringify(layout) === JSON.stringify(job.layout)
            ? job.refresh()
            : job.update(layout);
        await change.catch((error: unknown) => this.#log.warn({ err: error }, 'task not updated'));
      }
    }
    for (const relay of [...this.#relays.values()]) {
      await relay.job
        ?.refresh()
        .catch((error: unknown) => this.#log.warn({ err: error }, 'relay not updated'));
    }
  }

  /**
   * Tells the room which members' tracks the jobs read: in a cluster, those of members on other
   * nodes are then relayed here (as for a viewer), and the next look at the jobs binds them.
   */
  #updateDemand(): void {
    const tracks: TrackRef[] = [];
    for (const job of this.jobs()) {
      for (const { userId, streamType, audio, box, roomId } of job.layout.users) {
        // Another room's users come by local pipes (CrossRoomFeeds), not this room's relays.
        if (roomId !== undefined) continue;
        if (audio) tracks.push({ userId, streamType, kind: 'audio' });
        if (box) tracks.push({ userId, streamType, kind: 'video' });
      }
    }
    this.room.setTrackDemand('media-out', tracks);
    // Users of other rooms: their tracks on other nodes are relayed into their room here
    // (then piped into this one); rooms held open here that no job names any more let go.
    const others = new Map<string, { room: Room; tracks: TrackRef[] }>();
    // A mix waiting for its URL keeps the rooms it names (their users are read once it runs).
    const layouts = [
      ...this.jobs().map((job) => job.layout),
      ...[...this.#mixes.values()].filter((m) => !m.job).map((m) => this.#mixLayout(m)),
    ];
    for (const layout of layouts) {
      for (const { userId, streamType, audio, box, roomId } of layout.users) {
        if (roomId === undefined) continue;
        const other = this.#otherRoom(roomId);
        if (!other || other.closed) continue;
        const entry = others.get(other.key) ?? { room: other, tracks: [] };
        if (audio) entry.tracks.push({ userId, streamType, kind: 'audio' });
        if (box) entry.tracks.push({ userId, streamType, kind: 'video' });
        others.set(other.key, entry);
      }
    }
    for (const { room, tracks } of others.values()) {
      this.#log.debug({ other: room.key, tracks: tracks.length }, 'tracks of another room read');
      room.setTrackDemand(this.#holder, tracks);
    }
    for (const [key, room] of [...this.#held]) {
      if (others.has(key) && !room.closed) continue;
      this.#held.delete(key);
      room.unhold(this.#holder);
    }
    for (const [key, room] of this.#demanded) {
      if (!others.has(key)) room.setTrackDemand(this.#holder, []);
    }
    this.#demanded = new Map([...others].map(([key, { room }]) => [key, room]));
  }

  /** This room's name among what other rooms' media-out readers and holders are. */
  get #holder(): string {
    return `media-out:${this.room.key}`;
  }

  #updateRecheck(force = false): void {
    const running = force || this.jobs().length > 0;
    if (running && !this.#recheck && !this.#closed) {
      this.#recheck = setInterval(() => this.#queueSync(), RECHECK_MS);
      this.#recheck.unref();
    } else if (!running && this.#recheck) {
      clearInterval(this.#recheck);
      this.#recheck = null;
    }
  }

  async #wrap<T>(code: ErrorCodeValue, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (error instanceof ServerError) throw error;
      throw new ServerError(code, `media-out failed: ${(error as Error).message}`);
    }
  }
}

/**
 * TRTC's live audience publishes nothing and may not start mixes or relays (it would take
 * others' streams out of the room without being on stage): anchors only.
 */
function refuseAudience(owner: Participant, call: string): void {
  if (owner.role !== 'anchor') {
    throw ServerError.wrongState(
      `${call} is for anchors: an audience member cannot mix or relay (switchRole('anchor') first)`,
    );
  }
}

function relayKey(owner: string, slot: RelaySlot | undefined): string {
  return `${owner}\n${slot ?? ''}`;
}

/** An RTMP URL's host only: its path may carry a stream key, which logs must not show. */
function hostOf(url: string): string {
  return /^rtmps?:\/\/([^/]+)/.exec(url)?.[1] ?? '?';
}
