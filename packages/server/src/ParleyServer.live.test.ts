/**
 * Live-mode rooms and SEI over raw WebSocket clients: who is announced to whom, switch-role
 * and the checks on it, SEI refusals. The browser flows are in e2e/compat/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ErrorCode, PROTOCOL_VERSION } from '@parley/protocol';
import { genUserSig } from '@parley/usersig';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { ParleyServer } from './ParleyServer.js';

let server: ParleyServer;
let url: string;
let sdkAppId: number;
let key: string;

beforeAll(async () => {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-live-')),
  });
  sdkAppId = config.sdkAppId;
  key = config.secretKey;
  server = new ParleyServer({ config, log: createLogger('silent') });
  const { port } = await server.listen();
  url = `ws://127.0.0.1:${port}/signal`;
});
afterAll(() => server.close());

interface Frame {
  type: string;
  id?: number;
  ok?: boolean;
  method?: string;
  data?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** A raw signaling client: joins, sends requests, keeps every frame it got. */
class Peer {
  readonly frames: Frame[] = [];
  #id = 0;
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString()) as Frame));
  }
  static async join(
    userId: string,
    roomId: number,
    mode: 'rtc' | 'live',
    role: 'anchor' | 'audience' = 'anchor',
  ): Promise<{ peer: Peer; result: Frame }> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const peer = new Peer(ws);
    const result = await peer.request('join', {
      protocolVersion: PROTOCOL_VERSION,
      sdkVersion: 'test',
      sdkAppId,
      userId,
      userSig: genUserSig({ sdkAppId, key, userId, expire: 600 }),
      room: { kind: 'number', id: roomId },
      mode,
      role,
      autoSubscribe: false,
    });
    expect(result.ok, JSON.stringify(result.error)).toBe(true);
    return { peer, result };
  }
  async request(method: string, data: unknown): Promise<Frame> {
    const id = ++this.#id;
    this.ws.send(JSON.stringify({ type: 'req', id, method, data }));
    return this.waitFor((f) => f.type === 'res' && f.id === id);
  }
  notifications(method: string): Frame[] {
    return this.frames.filter((f) => f.type === 'ntf' && f.method === method);
  }
  async waitFor(match: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.frames.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no matching frame among ${JSON.stringify(this.frames)}`);
  }
  close(): void {
    this.ws.close();
  }
}

const participantIds = (result: Frame) =>
  (result.data?.participants as Array<{ userId: string }>).map((p) => p.userId);

describe('live mode', () => {
  it('hides audience members: no peer-join, not in snapshots; anchors are announced', async () => {
    const roomId = 9101;
    const { peer: anchor } = await Peer.join('anchor', roomId, 'live');
    const { peer: viewer, result: viewerJoin } = await Peer.join(
      'viewer',
      roomId,
      'live',
      'audience',
    );
    expect(participantIds(viewerJoin)).toEqual(['anchor']);
    const { result: lateJoin } = await Peer.join('late', roomId, 'live');
    expect(participantIds(lateJoin)).toEqual(['anchor']);
    await anchor.waitFor((f) => f.method === 'peer-join');
    expect(anchor.notifications('peer-join').map((f) => f.data?.userId)).toEqual(['late']);
    // Audience members still hear about anchors.
    await viewer.waitFor((f) => f.method === 'peer-join' && f.data?.userId === 'late');
    for (const p of [anchor, viewer]) p.close();
  });

  it('switch-role: to anchor announces, to audience says peer-leave; audience cannot publish', async () => {
    const roomId = 9102;
    const { peer: anchor } = await Peer.join('anchor', roomId, 'live');
    const { peer: viewer } = await Peer.join('viewer', roomId, 'live', 'audience');
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
    const { result } = await Peer.join('late', roomId, 'live');
    expect(participantIds(result)).toEqual(['anchor']);
    for (const p of [anchor, viewer]) p.close();
  });

  it('refuses switch-role in rtc mode and unknown roles', async () => {
    const { peer } = await Peer.join('rtc_user', 9103, 'rtc');
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
    const { peer } = await Peer.join('sei_user', 9104, 'rtc');
    const { peer: other } = await Peer.join('sei_other', 9104, 'rtc');
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
