/**
 * A bounded, persisted history of rooms and of users' stays in them, for DescribeRoomInfo and
 * DescribeUserInfo. Fed by RoomDirectory events; every change appends the whole record to
 * `<stateDir>/history.jsonl` (last write wins), which is compacted when it grows to twice
 * the bound. Records of a previous run still open at start are closed at the file's last
 * write, since a restart ends every session.
 */
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { roomKey, type RoomRef } from '@parley/protocol';
import type { DirectoryLeaveReason, RoomDirectory } from '../room/RoomDirectory.js';

export interface RoomRecord {
  kind: 'room';
  /** `SdkAppId_RoomId_CreateTime`, Tencent's CommId. */
  commId: string;
  sdkAppId: number;
  room: RoomRef;
  /** Epoch s. */
  createTime: number;
  destroyTime: number;
  finished: boolean;
  /** The first user to enter. */
  userId: string;
}

export interface UserRecord {
  kind: 'user';
  commId: string;
  sdkAppId: number;
  room: RoomRef;
  userId: string;
  joinTs: number;
  leaveTs: number;
  finished: boolean;
  sdkVersion: string;
  clientIp: string;
  leaveReason?: DirectoryLeaveReason;
}

export type HistoryRecord = RoomRecord | UserRecord;

const recordKey = (r: HistoryRecord) =>
  r.kind === 'room' ? `r|${r.commId}` : `u|${r.commId}|${r.userId}|${r.joinTs}`;

export interface HistoryOptions {
  file: string | null;

  /** Records kept (rooms and user stays together). */
  limit?: number;
}

export class History {
  /** Insertion-ordered: the oldest records are dropped first. */
  readonly #records = new Map<string, HistoryRecord>();
  /** Live room key → its CommId; live user → its open record key. */
  readonly #liveRooms = new Map<string, RoomRecord>();
  readonly #liveUsers = new Map<string, UserRecord>();
  /**
   * Cluster: joins here to a room whose record another node made and this one has not learnt
   * yet (it arrives within milliseconds), by room key; written once it does.
   */
  readonly #waiting = new Map<string, Array<(room: RoomRecord) => void>>();
  readonly #limit: number;
  #lines = 0;
  /** Cluster: each record this node makes or changes, to share with the other nodes. */
  onPut: ((record: HistoryRecord) => void) | null = null;

  constructor(
    private readonly options: HistoryOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.#limit = options.limit ?? 20_000;
    this.#load();
  }

  /** Follows a directory's events from now on. */
  follow(directory: RoomDirectory): void {
    const s = (ms: number) => Math.floor(ms / 1000);
    directory.on('room-created', (e) => {
      const createTime = s(e.at);
      const record: RoomRecord = {
        kind: 'room',
        commId: `${e.sdkAppId}_${String(e.room.id)}_${createTime}`,
        sdkAppId: e.sdkAppId,
        room: e.room,
        createTime,
        destroyTime: 0,
        finished: false,
        userId: '',
      };
      this.#liveRooms.set(roomKey(e.sdkAppId, e.room), record);
      this.#put(record);
    });
    directory.on('room-closed', (e) => {
      const key = roomKey(e.sdkAppId, e.room);
      const record = this.#liveRooms.get(key);
      if (!record) return;
      this.#liveRooms.delete(key);
      this.#put({ ...record, destroyTime: s(e.at), finished: true });
    });
    directory.on('participant-joined', (e) => {
      const key = roomKey(e.sdkAppId, e.room);
      const enter = (room: RoomRecord) => {
        if (room.userId === '') {
          const updated = { ...room, userId: e.userId };
          this.#liveRooms.set(key, updated);
          this.#put(updated);
        }
        const record: UserRecord = {
          kind: 'user',
          commId: room.commId,
          sdkAppId: e.sdkAppId,
          room: e.room,
          userId: e.userId,
          joinTs: s(e.at),
          leaveTs: 0,
          finished: false,
          sdkVersion: e.sdkVersion,
          clientIp: e.clientIp,
        };
        this.#liveUsers.set(`${key}|${e.userId}`, record);
        this.#put(record);
      };
      const room = this.#liveRooms.get(key);
      if (room) return enter(room);
      const waiting = this.#waiting.get(key) ?? [];
      waiting.push(enter);
      this.#waiting.set(key, waiting);
      // Not learnt in time (no cluster, or a record lost): the stay goes unrecorded.
      setTimeout(() => {
        const list = this.#waiting.get(key);
        if (list?.includes(enter)) list.splice(list.indexOf(enter), 1);
        if (list?.length === 0) this.#waiting.delete(key);
      }, 10_000).unref();
    });
    directory.on('participant-left', (e) => {
      const key = `${roomKey(e.sdkAppId, e.room)}|${e.userId}`;
      const record = this.#liveUsers.get(key);
      if (!record) return;
      this.#liveUsers.delete(key);
      this.#put({ ...record, leaveTs: s(e.at), finished: true, leaveReason: e.reason });
    });
  }

  /**
   * Cluster: a record another node made or changed. Kept as if made here (queries answer the
   * same on every node); a live room's record lets joins here record their stays in it.
   */
  learn(record: HistoryRecord): void {
    this.#store(record);
    if (record.kind === 'user') {
      // A stay another node opened may end here (the session moved here, or its node died
      // and this one reaped it): known as live, it is closed by the leave seen here.
      const key = `${roomKey(record.sdkAppId, record.room)}|${record.userId}`;
      if (!record.finished) this.#liveUsers.set(key, record);
      else if (this.#liveUsers.get(key)?.joinTs === record.joinTs) this.#liveUsers.delete(key);
      return;
    }
    const key = roomKey(record.sdkAppId, record.room);
    if (record.finished) {
      if (this.#liveRooms.get(key)?.commId === record.commId) this.#liveRooms.delete(key);
      return;
    }
    const current = this.#liveRooms.get(key);
    // The first user is filled in by whichever node saw it; keep what is known.
    this.#liveRooms.set(
      key,
      current?.commId === record.commId && record.userId === '' ? current : record,
    );
    const waiting = this.#waiting.get(key);
    this.#waiting.delete(key);
    for (const enter of waiting ?? []) enter(this.#liveRooms.get(key)!);
  }

  /** Every record kept (a cluster node shares them with a Redis that lost them). */
  all(): HistoryRecord[] {
    return [...this.#records.values()];
  }

  /** Rooms of an app that existed at some time in [start, end] (epoch s), newest first. */
  rooms(sdkAppId: number, start: number, end: number, roomString?: string): RoomRecord[] {
    const result: RoomRecord[] = [];
    for (const r of this.#records.values()) {
      if (r.kind !== 'room' || r.sdkAppId !== sdkAppId) continue;
      if (roomString !== undefined && String(r.room.id) !== roomString) continue;
      if (r.createTime > end || (r.finished && r.destroyTime < start)) continue;
      result.push(r);
    }
    return result.reverse();
  }

  /** Users' stays in the room instance `commId` overlapping [start, end] (epoch s). */
  users(sdkAppId: number, commId: string, start: number, end: number): UserRecord[] {
    const result: UserRecord[] = [];
    for (const r of this.#records.values()) {
      if (r.kind !== 'user' || r.sdkAppId !== sdkAppId || r.commId !== commId) continue;
      if (r.joinTs > end || (r.finished && r.leaveTs < start)) continue;
      result.push(r);
    }
    return result;
  }

  /** Ended stays, newest first (admin console). */
  recentStays(sdkAppId: number | undefined, limit: number): UserRecord[] {
    const result: UserRecord[] = [];
    for (const r of [...this.#records.values()].reverse()) {
      if (r.kind === 'user' && r.finished && (sdkAppId === undefined || r.sdkAppId === sdkAppId))
        result.push(r);
      if (result.length >= limit) break;
    }
    return result;
  }

  #put(record: HistoryRecord): void {
    this.#store(record);
    this.onPut?.(record);
  }

  #store(record: HistoryRecord): void {
    const key = recordKey(record);
    this.#records.delete(key);
    this.#records.set(key, record);
    while (this.#records.size > this.#limit) {
      const oldest = this.#records.keys().next().value as string;
      this.#records.delete(oldest);
    }
    const { file } = this.options;
    if (!file) return;
    try {
      appendFileSync(file, JSON.stringify(record) + '\n');
      if (++this.#lines > 2 * this.#limit) this.#compact();
    } catch {
      // History is best effort: a full disk must not break rooms.
    }
  }

  #load(): void {
    const { file } = this.options;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    let text = '';
    let closedAt = Math.floor(this.now() / 1000);
    try {
      text = readFileSync(file, 'utf8');
      closedAt = Math.floor(statSync(file).mtimeMs / 1000);
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const record = JSON.parse(line) as HistoryRecord;
        const key = recordKey(record);
        this.#records.delete(key);
        this.#records.set(key, record);
      } catch {
        // A line torn by a crash: skip it.
      }
    }
    for (const [key, r] of this.#records) {
      if (r.finished) continue;
      this.#records.set(
        key,
        r.kind === 'room'
          ? { ...r, finished: true, destroyTime: closedAt }
          : { ...r, finished: true, leaveTs: closedAt },
      );
    }
    while (this.#records.size > this.#limit) {
      this.#records.delete(this.#records.keys().next().value as string);
    }
    this.#compact();
  }

  #compact(): void {
    const { file } = this.options;
    if (!file) return;
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, [...this.#records.values()].map((r) => JSON.stringify(r) + '\n').join(''));
    renameSync(tmp, file);
    this.#lines = this.#records.size;
  }
}
