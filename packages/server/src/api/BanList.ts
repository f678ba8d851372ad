/**
 * Time-limited bans of users from rooms, kept in `<stateDir>/bans.json` so a restart does
 * not lift them. Checked at every join.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { roomKey, type RoomRef } from '@parley/protocol';
import { SafeEmitter } from '../util/TypedEmitter.js';

export interface Ban {
  sdkAppId: number;
  room: RoomRef;
  userId: string;
  /** Epoch ms. */
  until: number;
  reason: string;
  /** The API RequestId (or admin action) that made it, for the audit trail. */
  by: string;
}

const banKey = (sdkAppId: number, room: RoomRef, userId: string) =>
  `${roomKey(sdkAppId, room)}|${userId}`;

export interface BanListEvents {
  /** A ban made or lifted here (not one learnt from another node: see `learn`). */
  added: [ban: Ban];
  removed: [sdkAppId: number, room: RoomRef, userId: string];
}

export class BanList extends SafeEmitter<BanListEvents> {
  readonly #bans = new Map<string, Ban>();

  constructor(
    private readonly file: string | null,
    private readonly now: () => number = Date.now,
  ) {
    super();
    if (!file) return;
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Ban[];
      for (const ban of stored) this.#bans.set(banKey(ban.sdkAppId, ban.room, ban.userId), ban);
    } catch {
      // No file yet (or unreadable: bans are then empty, as on a first start).
    }
  }

  add(ban: Ban): void {
    this.#bans.set(banKey(ban.sdkAppId, ban.room, ban.userId), ban);
    this.#save();
    this.safeEmit('added', ban);
  }

  remove(sdkAppId: number, room: RoomRef, userId: string): boolean {
    const removed = this.#bans.delete(banKey(sdkAppId, room, userId));
    if (removed) this.#save();
    // Lifted cluster-wide even when this node had not learnt of it.
    this.safeEmit('removed', sdkAppId, room, userId);
    return removed;
  }

  /** Cluster: a ban made (`ban`) or lifted (null) on another node. */
  learn(key: { sdkAppId: number; room: RoomRef; userId: string }, ban: Ban | null): void {
    const k = banKey(key.sdkAppId, key.room, key.userId);
    if (ban && ban.until > this.now()) this.#bans.set(k, ban);
    else this.#bans.delete(k);
    this.#save();
  }

  /** The ban in force for this user in this room, if any. */
  find(sdkAppId: number, room: RoomRef, userId: string): Ban | undefined {
    const key = banKey(sdkAppId, room, userId);
    const ban = this.#bans.get(key);
    if (ban && ban.until <= this.now()) {
      this.#bans.delete(key);
      this.#save();
      return undefined;
    }
    return ban;
  }

  list(sdkAppId?: number): Ban[] {
    const now = this.now();
    return [...this.#bans.values()].filter(
      (b) => b.until > now && (sdkAppId === undefined || b.sdkAppId === sdkAppId),
    );
  }

  #save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.list(), null, 1));
    renameSync(tmp, this.file);
  }
}
