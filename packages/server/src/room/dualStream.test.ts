/**
 * Dual stream on the server: a publish offer with two simulcast encodings makes a stream with
 * `hasSmall`, and `remote-video-type` caps what a subscriber's consumer sends at the small
 * layer (also when chosen before subscribing), or lifts it to the big one again.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import type { MsConsumer } from '../media/mediasoup/objects.js';
import { startTestServer, TestClient, type TestServer } from '../test/signalTestKit.js';

const SIMULCAST_OFFER = readFileSync(
  new URL('../sdp/fixtures/chromium-simulcast-offer.sdp', import.meta.url),
  'utf8',
);
const tracks = [
  { mid: '0', kind: 'audio', streamType: 'main', muted: false },
  { mid: '1', kind: 'video', streamType: 'main', muted: false },
];

let kit: TestServer;
beforeAll(async () => {
  kit = await startTestServer();
});
afterAll(() => kit.close());

async function joined(userId: string, roomId: number): Promise<TestClient> {
  const client = await TestClient.open(kit.origin);
  const join = await client.request(
    'join',
    kit.joinData(userId, { room: { kind: 'number', id: roomId } }),
  );
  expect(join.ok).toBe(true);
  return client;
}

/** The preferred spatial layer of `viewer`'s video consumer of `publisher`'s main stream. */
function preferredSpatial(roomId: number, viewer: string, publisher: string): number | undefined {
  const room = [...kit.server.rooms.rooms()].find((r) => r.key.endsWith(`/n/${roomId}`));
  const consumer = room?.participants
    .get(viewer)
    ?.subscriptions.get(`${publisher}/main`)
    ?.consumers.get('video') as MsConsumer | undefined;
  return consumer?.inner.preferredLayers?.spatialLayer;
}

describe('dual stream', () => {
  it('a simulcast publish has hasSmall; remote-video-type moves a viewer between layers', async () => {
    const roomId = 9201;
    const cam = await joined('cam', roomId);
    expect((await cam.request('publish', { sdp: SIMULCAST_OFFER, tracks })).ok).toBe(true);

    const viewer = await joined('viewer', roomId);
    const snapshot = viewer.frames.find((f) => f.type === 'res')!.data as {
      participants: Array<{ streams: Array<{ hasSmall: boolean }> }>;
    };
    expect(snapshot.participants[0]!.streams[0]!.hasSmall).toBe(true);

    // Chosen before subscribing: the consumer starts on the small layer.
    const small = { userId: 'cam', streamType: 'main', type: 'small' };
    expect((await viewer.request('remote-video-type', small)).ok).toBe(true);
    const sub = { userId: 'cam', streamType: 'main', audio: true, video: true };
    expect((await viewer.request('subscribe', sub)).ok).toBe(true);
    expect(preferredSpatial(roomId, 'viewer', 'cam')).toBe(0);

    expect((await viewer.request('remote-video-type', { ...small, type: 'big' })).ok).toBe(true);
    expect(preferredSpatial(roomId, 'viewer', 'cam')).toBe(1);
    expect((await viewer.request('remote-video-type', small)).ok).toBe(true);
    expect(preferredSpatial(roomId, 'viewer', 'cam')).toBe(0);

    const missing = await viewer.request('remote-video-type', { ...small, userId: 'nobody' });
    expect(missing.error?.code).toBe(ErrorCode.REMOTE_STREAM_NOT_EXIST);
    const bad = await viewer.request('remote-video-type', { ...small, type: 'huge' });
    expect(bad.ok).toBe(false);
    expect(preferredSpatial(roomId, 'viewer', 'cam')).toBe(0);
    cam.close();
    viewer.close();
  });
});
