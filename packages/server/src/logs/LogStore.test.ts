import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '@parley/protocol';
import { createLogger } from '../logger.js';
import { LogStore, roomDirName, type LogKey } from './LogStore.js';

const log = createLogger('silent');
const key = (userId: string, id = 7): LogKey => ({
  sdkAppId: 1400000001,
  room: { kind: 'number', id },
  userId,
});
const line = (message: string): LogLine => ({ time: 0, level: 'info', tag: 'client', message });

describe('LogStore', () => {
  it('keeps lines per user and room, the newest maxLinesPerUser of them', () => {
    const store = new LogStore({ log, maxLinesPerUser: 3 });
    store.append(key('a'), ['1', '2'].map(line));
    store.append(key('a'), ['3', '4'].map(line));
    store.append(key('b'), [line('other user')]);
    store.append(key('a', 8), [line('other room')]);
    expect(store.read(key('a')).map((l) => l.message)).toEqual(['2', '3', '4']);
    expect(store.read(key('b')).map((l) => l.message)).toEqual(['other user']);
    expect(store.read(key('a', 8)).map((l) => l.message)).toEqual(['other room']);
    expect(store.read(key('nobody'))).toEqual([]);
  });

  it('bounds memory over all users: the least recently written user goes first', () => {
    const store = new LogStore({ log, maxTotalChars: 600 });
    const big = 'x'.repeat(100);
    store.append(key('old'), [line(big)]);
    store.append(key('mid'), [line(big)]);
    store.append(key('old'), [line(big)]); // written again: now the most recent
    store.append(key('new'), [line(big), line(big)]);
    expect(store.read(key('mid'))).toEqual([]);
    expect(store.read(key('old'))).toHaveLength(2);
    expect(store.read(key('new'))).toHaveLength(2);
  });

  it('appends to <dir>/logs/<sdkAppId>/<room>/<userId>.log, one line per entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-logs-'));
    const store = new LogStore({ log, dir });
    store.append(key('a'), [
      { time: Date.UTC(2024, 0, 2, 3, 4, 5), level: 'warn', tag: 'signal', message: 'two\nlines' },
    ]);
    store.append(key('a'), [line('second')]);
    await store.flushed();
    const file = store.fileFor(key('a'))!;
    expect(file).toBe(join(dir, 'logs', '1400000001', 'n-7', 'a.log'));
    expect(readFileSync(file, 'utf8')).toBe(
      '2024-01-02T03:04:05.000Z WARN signal: two\\nlines\n' +
        '1970-01-01T00:00:00.000Z INFO client: second\n',
    );
  });

  it('names room directories safely and keeps numeric and string rooms apart', () => {
    expect(roomDirName({ kind: 'number', id: 7 })).toBe('n-7');
    expect(roomDirName({ kind: 'string', id: '7' })).toBe('s-7');
    expect(roomDirName({ kind: 'string', id: '..' })).toBe('s-..');
    expect(roomDirName({ kind: 'string', id: 'a/b c' })).toBe('s-a%2Fb%20c');
    expect(new LogStore({ log }).fileFor(key('a'))).toBeUndefined();
  });
});
