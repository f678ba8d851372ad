/**
 * The server never sends to addresses a client names: it is ICE-lite (it answers the
 * client's connectivity checks and learns its address from them), so candidates in an offer
 * or trickled later are never probed. Tried with 500 candidates at UDP listeners here.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TestClient, type TestServer } from '../test/signalTestKit.js';

let kit: TestServer;
const listeners: Socket[] = [];
let received = 0;

beforeAll(async () => {
  kit = await startTestServer();
  for (let i = 0; i < 5; i++) {
    const socket = createSocket('udp4');
    socket.on('message', () => received++);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    listeners.push(socket);
  }
});
afterAll(async () => {
  for (const socket of listeners) socket.close();
  await kit.close();
});

async function offerWithCandidates(count: number): Promise<string> {
  const { RTCPeerConnection, MediaStreamTrack } = await import('werift');
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
  const offer = await pc.createOffer();
  await pc.close();
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = listeners[i % listeners.length]!.address().port;
    lines.push(`a=candidate:${i} 1 udp ${2122260223 - i} 127.0.0.1 ${port} typ host`);
  }
  return offer.sdp.replace(/(a=mid:0\r?\n)/, `$1${lines.join('\r\n')}\r\n`);
}

describe('candidates a client names', () => {
  it('500 candidates in an offer and 40 trickled: nothing is sent to any of them', async () => {
    const sdp = await offerWithCandidates(500);
    expect(sdp.match(/a=candidate:/g)?.length).toBeGreaterThanOrEqual(500);
    const client = await TestClient.open(kit.origin);
    expect((await client.request('join', kit.joinData('prober'))).ok).toBe(true);
    const tracks = [{ mid: '0', kind: 'audio', streamType: 'main', muted: false }];
    const published = await client.request('publish', { sdp, tracks });
    expect(published.ok).toBe(true);
    // A re-offer, and trickled candidates on top.
    expect((await client.request('publish', { sdp, tracks })).ok).toBe(true);
    const port = listeners[0]!.address().port;
    for (let i = 0; i < 40; i++) {
      client.ws.send(
        JSON.stringify({
          type: 'ntf',
          method: 'candidate',
          data: {
            pc: 'publisher',
            candidate: {
              candidate: `candidate:t${i} 1 udp 2122260223 127.0.0.1 ${port} typ host`,
              sdpMid: '0',
              sdpMLineIndex: 0,
            },
          },
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(received).toBe(0);
    await client.request('leave', {});
  });
});
