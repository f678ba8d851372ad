/**
 * Uploaded SDK log lines, per (sdkAppId, room, userId): a bounded in-memory store for the
 * `GET /v1/logs` endpoint and, with a data directory, an append-only file per user at
 * `<dir>/logs/<sdkAppId>/<room>/<userId>.log` that survives restarts.
 */
import { appendFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LogLine, RoomRef } from '@parley/protocol';
import type { Logger } from 'pino';

export interface LogKey {
  sdkAppId: number;
  room: RoomRef;
  userId: string;
}

export interface StoredLogLine extends LogLine {
  /** When the server received it (ms since the epoch): the browser's clock may be off. */
  receivedAt: number;
}

export interface LogStoreOptions {
  /** The data directory; files go under `<dir>/logs/`. No files without it. */
  dir?: string;
  log: Logger;
  /** Lines kept per user in memory (the oldest go first). */
  maxLinesPerUser?: number;
  /** Characters kept in memory over all users (the least recently written user goes first). */
  maxTotalChars?: number;
  /** Bytes one user's log file may reach; later lines stay in memory only. */
  maxFileBytes?: number;
}

interface Entry {
  lines: StoredLogLine[];
  chars: number;
}

const lineChars = (line: LogLine): number => line.message.length + line.tag.length + 32;

/** A directory name for a room: the kind is kept so room 7 and room '7' stay apart. */
export function roomDirName(room: RoomRef): string {
  // encodeURIComponent leaves no '/' and, with the prefix, no '.' or '..' name.
  return room.kind === 'number' ? `n-${room.id}` : `s-${encodeURIComponent(room.id)}`;
}

function keyString(key: LogKey): string {
  return `${key.sdkAppId}/${roomDirName(key.room)}/${key.userId}`;
}

function formatLine(line: LogLine): string {
  const message = line.message.replace(/\r?\n/g, '\\n');
  return `${new Date(line.time).toISOString()} ${line.level.toUpperCase()} ${line.tag}: ${message}\n`;
}

export class LogStore {
  readonly dir: string | undefined;
  readonly #log: Logger;
  readonly #maxLinesPerUser: number;
  readonly #maxTotalChars: number;
  readonly #maxFileBytes: number;
  /** Insertion order = least recently written first (entries are re-inserted on write). */
  readonly #entries = new Map<string, Entry>();
  #totalChars = 0;
  /** Per file, the tail of its write chain: appends to one file never interleave. */
  readonly #writes = new Map<string, Promise<void>>();

  constructor(options: LogStoreOptions) {
    this.dir = options.dir === undefined ? undefined : join(options.dir, 'logs');
    this.#log = options.log;
    this.#maxLinesPerUser = options.maxLinesPerUser ?? 2000;
    this.#maxTotalChars = options.maxTotalChars ?? 32 * 1024 * 1024;
    this.#maxFileBytes = options.maxFileBytes ?? 8 * 1024 * 1024;
  }

  /** The file a user's lines are appended to (undefined without a data directory). */
  fileFor(key: LogKey): string | undefined {
    if (this.dir === undefined) return undefined;
    return join(this.dir, String(key.sdkAppId), roomDirName(key.room), `${key.userId}.log`);
  }

  append(key: LogKey, lines: readonly LogLine[], now = Date.now()): void {
    const id = keyString(key);
    const entry = this.#entries.get(id) ?? { lines: [], chars: 0 };
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    for (const line of lines) {
      entry.lines.push({ ...line, receivedAt: now });
      entry.chars += lineChars(line);
    }
    this.#totalChars += lines.reduce((sum, line) => sum + lineChars(line), 0);
    while (entry.lines.length > this.#maxLinesPerUser) {
      const dropped = entry.lines.shift()!;
      entry.chars -= lineChars(dropped);
      this.#totalChars -= lineChars(dropped);
    }
    for (const [oldId, old] of this.#entries) {
      if (this.#totalChars <= this.#maxTotalChars || oldId === id) break;
      this.#entries.delete(oldId);
      this.#totalChars -= old.chars;
    }
    this.#writeFile(key, lines);
  }

  read(key: LogKey): StoredLogLine[] {
    return [...(this.#entries.get(keyString(key))?.lines ?? [])];
  }

  /** Resolves when every file append started so far has finished (tests, shutdown). */
  async flushed(): Promise<void> {
    await Promise.all(this.#writes.values());
  }

  #writeFile(key: LogKey, lines: readonly LogLine[]): void {
    const file = this.fileFor(key);
    if (file === undefined) return;
    const text = lines.map(formatLine).join('');
    const previous = this.#writes.get(file) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        await mkdir(dirname(file), { recursive: true });
        // One user's file stops growing at the cap: a chatty client cannot fill the disk.
        const size = await stat(file).then(
          (info) => info.size,
          () => 0,
        );
        if (size + text.length > this.#maxFileBytes) return;
        await appendFile(file, text, 'utf8');
      })
      .catch((error: unknown) => this.#log.warn({ err: error, file }, 'could not append SDK log'))
      .finally(() => {
        if (this.#writes.get(file) === next) this.#writes.delete(file);
      });
    this.#writes.set(file, next);
  }
}
