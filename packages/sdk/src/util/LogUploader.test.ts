import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogLine } from '@parley/protocol';
import { LogUploader, logUploadUrl, type FetchLike } from './LogUploader.js';

const line = (message: string): LogLine => ({ time: 1, level: 'info', tag: 't', message });

function fakeFetch(statuses: number[] = []) {
  const calls: Array<{
    url: string;
    body: { token: string; lines: LogLine[] };
    keepalive: boolean;
    headers: Record<string, string>;
  }> = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({
      url,
      body: JSON.parse(init.body),
      keepalive: init.keepalive,
      headers: init.headers,
    });
    return { status: statuses.shift() ?? 204 };
  };
  return { fetch, calls };
}

afterEach(() => vi.useRealTimers());

describe('logUploadUrl', () => {
  it('maps the signaling URL to the log endpoint of the same server', () => {
    expect(logUploadUrl('wss://parley.example.com/signal')).toBe(
      'https://parley.example.com/v1/logs',
    );
    expect(logUploadUrl('ws://127.0.0.1:8080/signal')).toBe('http://127.0.0.1:8080/v1/logs');
    expect(logUploadUrl('wss://h/rtc/signal')).toBe('https://h/rtc/v1/logs');
  });
});

describe('LogUploader', () => {
  const destination = { url: 'http://s/v1/logs', token: 'tok' };

  it('batches lines until a destination exists, then sends them as a CORS simple request', async () => {
    vi.useFakeTimers();
    const { fetch, calls } = fakeFetch();
    const uploader = new LogUploader({ fetch, flushDelayMs: 1000 });
    uploader.add(line('ignored while disabled'));
    uploader.enable();
    uploader.add(line('before join'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toEqual([]);
    uploader.setDestination(destination);
    uploader.add(line('after join'));
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(destination.url);
    expect(calls[0]!.headers['Content-Type']).toMatch(/^text\/plain/);
    expect(calls[0]!.body.token).toBe('tok');
    expect(calls[0]!.body.lines.map((l) => l.message)).toEqual(['before join', 'after join']);
  });

  it('keeps lines when the server is unreachable and retries them; drops refused ones', async () => {
    vi.useFakeTimers();
    const { fetch, calls } = fakeFetch([503, 204, 400]);
    const uploader = new LogUploader({ fetch, flushDelayMs: 100 });
    uploader.enable();
    uploader.setDestination(destination);
    uploader.add(line('a'));
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(200); // backed off
    expect(calls.map((c) => c.body.lines.map((l) => l.message))).toEqual([['a'], ['a']]);
    uploader.add(line('bad'));
    await uploader.flush();
    uploader.add(line('c'));
    await uploader.flush({ keepalive: true });
    expect(calls.map((c) => c.body.lines.map((l) => l.message))).toEqual([
      ['a'],
      ['a'],
      ['bad'],
      ['c'],
    ]);
    expect(calls[3]!.keepalive).toBe(true);
  });

  it('bounds the buffer and says how many lines were dropped', async () => {
    const { fetch, calls } = fakeFetch();
    const uploader = new LogUploader({ fetch, maxBuffered: 3 });
    uploader.enable();
    for (const m of ['1', '2', '3', '4', '5']) uploader.add(line(m));
    uploader.setDestination(destination);
    await uploader.flush();
    expect(calls[0]!.body.lines.map((l) => l.message)).toEqual([
      '2 log lines were dropped before upload (buffer full)',
      '3',
      '4',
      '5',
    ]);
  });

  it('stops using a token the server does not know, and forgets lines when disabled', async () => {
    const { fetch, calls } = fakeFetch([401]);
    const uploader = new LogUploader({ fetch });
    uploader.enable();
    uploader.setDestination(destination);
    uploader.add(line('x'));
    await uploader.flush();
    uploader.add(line('y'));
    await uploader.flush();
    expect(calls).toHaveLength(1);
    uploader.disable();
    uploader.enable();
    uploader.setDestination(destination);
    await uploader.flush();
    expect(calls).toHaveLength(1);
  });
});
