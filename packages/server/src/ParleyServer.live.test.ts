/**
 * Live-mode rooms and SEI over raw WebSocket clients: who is announced to whom, switch-role
 * and the checks on it, SEI refusals. The browser flows are in e2e/compat/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { startTestServer, TestClient, type Frame, type TestServer } from './test/signalTestKit.js';

let kit: TestServer;

beforeAll(async () => {
  kit = await startTestServer();
});
afterAll(() => kit.close());

/** Opens a client and joins; fails the test when the join is refused. */
async function joinAs(
  userId: string,
  roomId: number,
  mode: 'rtc' | 'live',
  role: 'anchor' | 'audience' = 'anchor',
): Promise<{ peer: TestClient; result: Frame }> {
  const peer = await TestClient.open(kit.origin);
  const result = await peer.request(
    'join',
    kit.joinData(userId, { room: { kind: 'number', id: roomId }, mode, role }),
  );
  expect(result.ok, JSON.stringify(result.error)).toBe(true);
  return { peer, result };
}

const participantIds = (result: Frame) =>
  (result.data?.participants as Array<{ userId: string }>).map((p) => p.userId);

describe('live mode', () => {
  it('hides audience members: no peer-join, not in snapshots; anchors are announced', async () => {
    const roomId = 9101;
    const { peer: anchor } = await joinAs('anchor', roomId, 'live');
    const { peer: viewer, result: viewerJoin } = await joinAs('viewer', roomId, 'live', 'audience');
    expect(participantIds(viewerJoin)).toEqual(['anchor']);
    const { result: lateJoin } = await joinAs('late', roomId, 'live');
    expect(participantIds(lateJoin)).toEqual(['anchor']);
    await anchor.waitFor((f) => f.method === 'peer-join');
    expect(anchor.notifications('peer-join').map((f) => f.data?.userId)).toEqual(['late']);
    // Audience members still hear about anchors.
    await viewer.waitFor((f) => f.method === 'peer-join' && f.data?.userId === 'late');
    for (const p of [anchor, viewer]) p.close();
  });

  it('switch-role: to anchor announces, to audience says peer-leave; audience cannot publish', async () => {
    const roomId = 9102;
    const { peer: anchor } = await joinAs('anchor', roomId, 'live');
    const { peer: viewer } = await joinAs('viewer', roomId, 'live', 'audience');
    const publish = await viewer.request('publish', {
      sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n',
      tracks: [{ mid: '0', kind: 'video', streamType: 'main', muted: false }],
    });
    expect(publish.error).toMatchObject({
      code: ErrorCode.INVALID_OPERATION,
      message: expect.stringMatching(/audience/),
    });
    expect((await viewer.request('switch-role', { role: 'anchor' })).ok).toBe(true);
    const joined = await anchor.waitFor((f) => f.method === 'peer-join');
    expect(joined.data).toEqual({ userId: 'viewer', role: 'anchor' });
    // Same role again: nothing new is announced.
    expect((await viewer.request('switch-role', { role: 'anchor' })).ok).toBe(true);
    expect((await viewer.request('switch-role', { role: 'audience' })).ok).toBe(true);
    const left = await anchor.waitFor((f) => f.method === 'peer-leave');
    expect(left.data).toEqual({ userId: 'viewer', reason: 'leave' });
    expect(anchor.notifications('peer-join')).toHaveLength(1);
    const { result } = await joinAs('late', roomId, 'live');
    expect(participantIds(result)).toEqual(['anchor']);
    for (const p of [anchor, viewer]) p.close();
  });

  it('refuses switch-role in rtc mode and unknown roles', async () => {
    const { peer } = await joinAs('rtc_user', 9103, 'rtc');
    const rtc = await peer.request('switch-role', { role: 'audience' });
    expect(rtc.error).toMatchObject({
      code: ErrorCode.INVALID_OPERATION,
      message: expect.stringMatching(/live mode/),
    });
    const bad = await peer.request('switch-role', { role: 'host' });
    expect(bad.error?.code).toBe(ErrorCode.INVALID_PARAMETER);
    peer.close();
  });
});

describe('SEI relay', () => {
  it('refuses SEI from a user not publishing video, and malformed or oversized payloads', async () => {
    const { peer } = await joinAs('sei_user', 9104, 'rtc');
    const { peer: other } = await joinAs('sei_other', 9104, 'rtc');
    const notPublishing = await peer.request('sei', { payloadType: 243, data: 'AQID' });
    expect(notPublishing.error).toMatchObject({
      code: ErrorCode.INVALID_OPERATION,
      message: expect.stringMatching(/published video/),
    });
    const tooLarge = await peer.request('sei', {
      payloadType: 243,
      data: Buffer.alloc(1001).toString('base64'),
    });
    expect(tooLarge.error?.code).toBe(ErrorCode.INVALID_PARAMETER);
    const notBase64 = await peer.request('sei', { payloadType: 243, data: 'not base64!' });
    expect(notBase64.error?.code).toBe(ErrorCode.INVALID_PARAMETER);
    const badType = await peer.request('sei', { payloadType: 6, data: 'AQID' });
    expect(badType.error?.code).toBe(ErrorCode.INVALID_PARAMETER);
    expect(other.notifications('sei-message')).toEqual([]);
    for (const p of [peer, other]) p.close();
  });
});
