/**
 * TURN credentials in the join answer, and the `restart-ice` request's checks, over a raw
 * WebSocket client against a real server. The browser flows are in e2e/net/.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { startTestServer, TestClient, type TestServer } from '../test/signalTestKit.js';

let kit: TestServer;

beforeAll(async () => {
  kit = await startTestServer({
    PARLEY_TURN_URLS: 'turn:turn.example.com:3478?transport=udp',
    PARLEY_TURN_SECRET: 'the-turn-secret',
    PARLEY_TURN_TTL: '600',
  });
});
afterAll(() => kit.close());

describe('join with TURN configured', () => {
  it('hands the user REST credentials for the configured URLs, valid for the TTL', async () => {
    const peer = await TestClient.open(kit.origin);
    const before = Math.floor(Date.now() / 1000);
    const result = await peer.request('join', kit.joinData('turn-user'));
    expect(result.ok, JSON.stringify(result.error)).toBe(true);
    const servers = result.data?.iceServers as Array<Record<string, unknown>>;
    expect(servers).toHaveLength(1);
    const [server] = servers;
    expect(server!.urls).toEqual(['turn:turn.example.com:3478?transport=udp']);
    const [expiry, user] = String(server!.username).split(':');
    expect(user).toBe('turn-user');
    expect(Number(expiry) - before).toBeGreaterThanOrEqual(599);
    expect(Number(expiry) - before).toBeLessThanOrEqual(601);
    expect(server!.credential).toBe(
      createHmac('sha1', 'the-turn-secret').update(String(server!.username)).digest('base64'),
    );
    peer.close();
  });
});

describe('restart-ice', () => {
  it('is refused without a subscriber connection, and with a malformed body; the session lives on', async () => {
    const peer = await TestClient.open(kit.origin);
    expect((await peer.request('join', kit.joinData('restarter'))).ok).toBe(true);
    const none = await peer.request('restart-ice', { pc: 'subscriber' });
    expect(none.ok).toBe(false);
    expect(none.error?.message).toMatch(/no subscriber connection/);
    const bad = await peer.request('restart-ice', { pc: 'publisher' });
    expect(bad.ok).toBe(false);
    expect(bad.error?.code).toBe(ErrorCode.INVALID_PARAMETER);
    expect((await peer.request('ping', {})).ok).toBe(true);
    peer.close();
  });
});
