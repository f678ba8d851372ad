/**
 * WHEP sessions on the real engine (a mediasoup worker), as deployed behind NAT with
 * PARLEY_ANNOUNCED_IP: the room-to-session pipe stays on loopback, and an offer whose payload
 * types the engine would number clashingly still plays.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genUserSig } from '@parley/usersig';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { ParleyServer } from '../ParleyServer.js';
import { publishOffer } from '../test/offers.js';
import { TEST_CLIENT_LIMITS } from '../test/signalTestKit.js';
import type { PlaybackSession } from './PlaybackSession.js';

const ANNOUNCED = '203.0.113.7';
let server: ParleyServer;
let base: string;
let sdkAppId: number;
let key: string;

beforeAll(async () => {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-whep-media-')),
    PARLEY_WORKERS: '1',
    PARLEY_RTC_LISTEN_IPS: '127.0.0.1',
    PARLEY_ANNOUNCED_IP: ANNOUNCED,
    ...TEST_CLIENT_LIMITS,
  });
  server = new ParleyServer({ config, log: createLogger('silent') });
  const { port } = await server.listen();
  base = `http://127.0.0.1:${port}`;
  ({ sdkAppId, secretKey: key } = config);
});
afterAll(() => server.close());

const sig = (userId: string) => genUserSig({ sdkAppId, key, userId, expire: 600 });
const post = (path: string, body: string, token: string) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body,
  });

describe('WHEP on mediasoup with PARLEY_ANNOUNCED_IP', () => {
  it('pipes the room to the session over loopback; plays an offer with VP8 at 96 and H264 at 100', async () => {
    const published = await post(
      `/whip/${sdkAppId}/cam?roomId=1`,
      await publishOffer(['audio', 'video']),
      sig('cam'),
    );
    expect(published.status, await published.clone().text()).toBe(201);
    // Clients are told the announced address.
    expect(await published.text()).toContain(ANNOUNCED);
    const token = sig('viewer');
    const res = await post(`/whep/${sdkAppId}/cam?roomId=1`, vp8H264Offer, token);
    expect(res.status, await res.clone().text()).toBe(201);
    const answer = await res.text();
    expect(answer).toMatch(/m=video 7 UDP\/TLS\/RTP\/SAVPF 96\r\n/);
    expect(answer).toContain('a=rtpmap:96 VP8/90000');
    const id = res.headers.get('location')!.split('/').pop()!;
    const session = server.whip.get('whep', id, token) as PlaybackSession;
    expect(session.pipes).toHaveLength(2);
    expect(session.pipes.map((p) => p.local.ip)).toEqual(['127.0.0.1', '127.0.0.1']);
  });
});

/** A player's offer: one recvonly video section with VP8 at 96 and H264 at 100. */
const vp8H264Offer = [
  'v=0',
  'o=- 1 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 100',
  'c=IN IP4 0.0.0.0',
  'a=setup:actpass',
  'a=recvonly',
  'a=mid:0',
  'a=rtcp-mux',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:100 H264/90000',
  'a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=fingerprint:sha-256 0C:5A:4E:3A:78:BC:91:AA:7E:01:B9:20:8C:C3:AB:9F:E3:96:54:16:F3:31:EB:47:BB:55:72:F8:FB:C3:E2:C9',
  '',
].join('\r\n');
