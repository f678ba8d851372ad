/**
 * The server's media-out service: whether this machine can run pipelines (checked at start
 * and said in the start-up log, with the packages to install when not), the loopback ports
 * their inputs use, and one RoomMediaOut per room that has asked for media out.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RoomRef } from '@parley/protocol';
import type { Logger } from 'pino';
import type { Room } from '../room/Room.js';
import { checkMediaOutOnce, describeMissing, type Availability } from './availability.js';
import { checkCdnUrl, templateHosts, type Resolve } from './cdnHosts.js';
import type { MediaOutJobOptions } from './MediaOutJob.js';
import { PortPool } from './PortPool.js';
import { RoomMediaOut, type RelayStatus } from './RoomMediaOut.js';

export interface MediaOutServiceOptions {
  log: Logger;
  /** The application's RTMP URL template (`{streamId}` is replaced), if it has one. */
  urlTemplate: (sdkAppId: number) => string | null;
  /**
   * The hosts a given RTMP URL may name (`host`, `host:port`, `*`); null: the application
   * sets none, so only its URL template's host.
   */
  allowedHosts?: (sdkAppId: number) => readonly string[] | null;
  /** Another room of this node (v4's `mixUsers[].roomId`); none: only the caller's room. */
  room?: (sdkAppId: number, ref: RoomRef) => Room | undefined;
  /** Cluster: another room opened on this node for a mix (RoomManager.open). */
  openRoom?: (sdkAppId: number, ref: RoomRef, holder: string) => Promise<Room | undefined>;
  /**
   * Why an application may not mix users of another room (null: it may). An application
   * that enforces room permission (privateMapKey) may not: a mix would take a room's media
   * out to someone the room never let in.
   */
  crossRoomRefusal?: (sdkAppId: number) => string | null;
  /** Where `backgroundImage` ids are files `<id>.png` / `<id>.jpg`; none: no images. */
  mixImagesDir?: string;
  /** Tests: a resolver instead of DNS. */
  resolve?: Resolve;
  /** Jobs (pipeline processes) at once; more are refused. Default unlimited. */
  maxJobs?: number;
  /** Jobs one room may run at once; more are refused. Default unlimited. */
  maxJobsPerRoom?: number;
  /** Loopback UDP ports for pipeline inputs. */
  portRange?: [number, number];
  /** Tests: another pipeline program, or a fixed availability. */
  command?: string;
  availability?: Availability;
  supervisor?: MediaOutJobOptions['supervisor'];
  /** RTMP pushes' state changes (relay callbacks, group 4). */
  relayStatus?: (status: RelayStatus) => void;
}

export class MediaOutService {
  #availability: Availability | null;
  readonly #rooms = new Map<string, RoomMediaOut>();
  readonly #ports: PortPool;
  /** Rooms' media out still ending after their room closed (close() waits for them too). */
  readonly #closing = new Set<Promise<void>>();

  constructor(private readonly options: MediaOutServiceOptions) {
    this.#availability = options.availability ?? null;
    const [min, max] = options.portRange ?? [30000, 34999];
    this.#ports = new PortPool(min, max);
  }

  get availability(): Availability | null {
    return this.#availability;
  }

  /** Checks the machine once; logs whether media out is available and what is missing. */
  async start(): Promise<void> {
    this.#availability ??= await checkMediaOutOnce();
    const { log } = this.options;
    if (this.#availability.available) {
      log.info('media-out available (GStreamer): mixing and CDN relay enabled');
    } else {
      log.warn(
        { missing: this.#availability.missing },
        `media-out unavailable: mixing and CDN relay are refused until these Debian packages are installed: ${describeMissing(this.#availability)}`,
      );
    }
  }

  /** Null when this server may push to `url` for the application; otherwise why not. */
  checkUrl(sdkAppId: number, url: string): Promise<string | null> {
    const allowed =
      this.options.allowedHosts?.(sdkAppId) ?? templateHosts(this.options.urlTemplate(sdkAppId));
    return checkCdnUrl(url, allowed, this.options.resolve);
  }

  /** The file of a background image id (checked to be one), or null. */
  mixImage(id: string): string | null {
    const dir = this.options.mixImagesDir;
    if (!dir || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
    for (const ext of ['png', 'jpg', 'jpeg']) {
      const path = join(dir, `${id}.${ext}`);
      if (existsSync(path)) return path;
    }
    return null;
  }

  #unavailable(): string | null {
    const a = this.#availability;
    if (!a) return 'media-out has not started';
    return a.available ? null : `install ${describeMissing(a)}`;
  }

  /** The room's media out (made on first use; gone with the room). */
  forRoom(room: Room): RoomMediaOut {
    let out = this.#rooms.get(room.key);
    if (!out) {
      const { log, command, supervisor } = this.options;
      out = new RoomMediaOut(room, {
        unavailable: () => this.#unavailable(),
        full: () => {
          const max = this.options.maxJobs ?? Infinity;
          let running = 0;
          for (const r of this.#rooms.values()) running += r.jobs().length;
          return running >= max
            ? `this server already runs its maximum of ${max} media-out jobs (PARLEY_MEDIA_OUT_MAX_JOBS)`
            : null;
        },
        maxJobsPerRoom: this.options.maxJobsPerRoom ?? Infinity,
        checkUrl: (sdkAppId, url) => this.checkUrl(sdkAppId, url),
        urlFor: (sdkAppId, streamId) => {
          const template = this.options.urlTemplate(sdkAppId);
          return template ? template.replaceAll('{streamId}', streamId) : null;
        },
        ports: this.#ports,
        ...(this.options.room ? { room: this.options.room } : {}),
        ...(this.options.openRoom ? { openRoom: this.options.openRoom } : {}),
        ...(this.options.crossRoomRefusal
          ? { crossRoomRefusal: this.options.crossRoomRefusal }
          : {}),
        mixImage: (id) => this.mixImage(id),
        log,
        ...(this.options.relayStatus ? { relayStatus: this.options.relayStatus } : {}),
        ...(command ? { command } : {}),
        ...(supervisor ? { supervisor } : {}),
      });
      this.#rooms.set(room.key, out);
      const made = out;
      room.once('closed', () => {
        if (this.#rooms.get(room.key) === made) this.#rooms.delete(room.key);
        const closing = made.close().catch(() => undefined);
        this.#closing.add(closing);
        void closing.finally(() => this.#closing.delete(closing));
      });
    }
    return out;
  }

  /** The room's media out if it has any (tests, metrics). */
  existing(roomKey: string): RoomMediaOut | undefined {
    return this.#rooms.get(roomKey);
  }

  /** Ends every job (EOS first, so outputs finish cleanly). */
  async close(): Promise<void> {
    const rooms = [...this.#rooms.values()];
    this.#rooms.clear();
    await Promise.all([...rooms.map((r) => r.close()), ...this.#closing]);
  }
}
