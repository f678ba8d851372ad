/**
 * The races that a per-session lock could not prevent, now that every change to a room runs
 * through the room: two joins of one userId on two sockets, and a leave racing another
 * user's unpublish. After each, nothing is left behind: no orphan participant, no media
 * object, no room.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PROTOCOL_VERSION } from '@parley/protocol';
import type { ParleyServer } from '../ParleyServer.js';
import { startTestServer, TestClient, type TestServer } from '../test/signalTestKit.js';

let kit: TestServer;
let server: ParleyServer;

beforeAll(async () => {
  kit = await startTestServer();
  server = kit.server;
});
afterAll(() => kit.close());

/** A real offer with one audio section, made by werift as a browser's would be. */
async function realOffer(): Promise<string> {
  const { RTCPeerConnection } = await import('werift');
  const pc = new RTCPeerConnection({ iceServers: [] });
  const { MediaStreamTrack } = await import('werift');
  pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
  const offer = await pc.createOffer();
  await pc.close();
  return offer.sdp;
}

const load = () => server.engine.workers().reduce((sum, w) => sum + w.load, 0);

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

const tracks = [{ mid: '0', kind: 'audio', streamType: 'main', muted: false }];

describe('room races', () => {
  it('two joins of one userId at the same moment: exactly one session survives, the other is kicked', async () => {
    const room = { kind: 'number', id: 9101 };
    const sdp = await realOffer();
    const [a, b] = await Promise.all([TestClient.open(kit.origin), TestClient.open(kit.origin)]);
    // Each client publishes as soon as its own join is answered, as the SDK does.
    const answers = [a, b].map((client) => {
      const joined = client.request('join', kit.joinData('twin', { room }));
      const published = joined.then((j) =>
        j.ok ? client.request('publish', { sdp, tracks }).catch(() => null) : null,
      );
      return { joined, published };
    });
    expect((await Promise.all(answers.map((x) => x.joined))).map((j) => j.ok)).toEqual([
      true,
      true,
    ]);
    await until(() => [a, b].some((c) => c.notifications('banned').length > 0));
    const kicked = [a, b].filter((c) => c.notifications('banned').length > 0);
    expect(kicked).toHaveLength(1);
    expect(kicked[0]!.notifications('banned')[0]!.data).toMatchObject({ reason: 'kick' });
    expect(await kicked[0]!.waitClosed()).toBe(4040);
    const survivor = kicked[0] === a ? b : a;
    const survivorPublish = await answers[survivor === a ? 0 : 1]!.published;
    expect(survivorPublish?.ok).toBe(true);
    // The kicked one's publish is refused or never answered (its socket closed): never applied.
    const kickedPublish = await answers[survivor === a ? 1 : 0]!.published;
    expect(kickedPublish?.ok ?? false).toBe(false);
    const rooms = [...server.rooms.rooms()].filter((r) => r.key.endsWith('/n/9101'));
    expect(rooms).toHaveLength(1);
    expect([...rooms[0]!.participants.keys()]).toEqual(['twin']);
    // One publisher transport and one producer: the survivor's only.
    expect(load()).toBe(2);
    await survivor.request('leave', {});
    await until(() => load() === 0 && server.rooms.size === 0);
    expect(load()).toBe(0);
    expect(server.rooms.size).toBe(0);
  });

  it('a leave racing another user’s unpublish leaves no participant, session, room or media behind', async () => {
    const room = { kind: 'number', id: 9102 };
    const sdp = await realOffer();
    const pub = await TestClient.open(kit.origin);
    const sub = await TestClient.open(kit.origin);
    expect((await pub.request('join', kit.joinData('pub', { room }))).ok).toBe(true);
    const joined = await sub.request('join', kit.joinData('sub', { room }));
    const resumeToken = joined.data?.resumeToken as string;
    expect((await pub.request('publish', { sdp, tracks })).ok).toBe(true);
    await sub.waitFor((f) => f.method === 'stream-added');
    // The subscription makes a consumer (its offer stays unanswered: this client has no WebRTC).
    expect(
      (
        await sub.request('subscribe', {
          userId: 'pub',
          streamType: 'main',
          audio: true,
          video: true,
        })
      ).ok,
    ).toBe(true);
    expect(load()).toBeGreaterThanOrEqual(4);
    const [unpublished, left] = await Promise.all([
      pub.request('unpublish', { streamType: 'main' }),
      sub.request('leave', {}),
    ]);
    expect(unpublished.ok).toBe(true);
    expect(left.ok).toBe(true);
    await pub.request('leave', {});
    await until(() => load() === 0 && server.rooms.size === 0);
    expect(load()).toBe(0);
    expect(server.rooms.size).toBe(0);
    const again = await TestClient.open(kit.origin);
    const resumed = await again.request('resume', {
      protocolVersion: PROTOCOL_VERSION,
      resumeToken,
    });
    expect(resumed.error?.code).toBe(ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED);
  });
});
