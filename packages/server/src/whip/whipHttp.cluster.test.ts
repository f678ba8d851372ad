/**
 * The HTTP face of WHIP/WHEP in cluster mode: what is not held here goes to the node that
 * holds it (the forwarded request carries the method, token, If-Match, type and fragment; its
 * answer is sent back as it is), and what is refused before that. Across real nodes:
 * e2e/cluster/mediaInOut.e2e.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhipError } from './WhipError.js';
import { createWhipHttp, type HttpReply, type PlayCall, type WhipClusterHttp } from './whipHttp.js';
import type { WhipService } from './WhipService.js';

const forwarded: { kind: string; id: string; call: Record<string, unknown> }[] = [];
const played: { node: string; call: PlayCall }[] = [];
let answer: HttpReply | null = null;
let publisherNode: string | null = 'node-b';

/** Holds no session; refuses every local lookup as an unknown session would be. */
const service = {
  holds: () => false,
  checkViewer: () => undefined,
  get: (kind: string, id: string) => {
    throw new WhipError(404, `no ${kind.toUpperCase()} session ${id}`);
  },
} as unknown as WhipService;

const cluster: WhipClusterHttp = {
  forwardSession: async (kind, id, call) => {
    forwarded.push({ kind, id, call: { ...call } });
    return answer;
  },
  publisherNode: async () => publisherNode,
  forwardPlay: async (node, call) => {
    played.push({ node, call });
    return {
      status: 201,
      headers: { 'Content-Type': 'application/sdp', Location: '/whep/sessions/remote1' },
      body: 'v=0 answer from node-b',
    };
  },
};

let server: Server;
let base: string;
beforeAll(async () => {
  const handle = createWhipHttp(service, pino({ level: 'silent' }), { cluster: () => cluster });
  server = createServer((req, res) => {
    void handle(req, res, new URL(req.url ?? '/', 'http://x'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('WHIP/WHEP requests for another node', () => {
  it("a PATCH for a session held elsewhere goes to its node with everything it needs; that node's answer comes back as it is", async () => {
    forwarded.length = 0;
    answer = { status: 200, headers: { ETag: '"abc.1"' }, body: 'a=ice-ufrag:new\r\n' };
    const res = await fetch(`${base}/whip/sessions/s1`, {
      method: 'PATCH',
      headers: {
        Authorization: 'Bearer tok',
        'Content-Type': 'application/trickle-ice-sdpfrag',
        'If-Match': '*',
      },
      body: 'a=ice-ufrag:x\r\na=ice-pwd:y\r\n',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"abc.1"');
    expect(await res.text()).toBe('a=ice-ufrag:new\r\n');
    expect(forwarded).toEqual([
      {
        kind: 'whip',
        id: 's1',
        call: {
          method: 'PATCH',
          token: 'tok',
          ifMatch: '*',
          contentType: 'application/trickle-ice-sdpfrag',
          fragment: 'a=ice-ufrag:x\r\na=ice-pwd:y\r\n',
        },
      },
    ]);
  });

  it('without a Bearer token nothing is forwarded (401)', async () => {
    forwarded.length = 0;
    const res = await fetch(`${base}/whep/sessions/s2`, { method: 'DELETE' });
    expect(res.status).toBe(401);
    expect(forwarded).toEqual([]);
  });

  it('a session no node holds: 404 from here', async () => {
    forwarded.length = 0;
    answer = null;
    const res = await fetch(`${base}/whep/sessions/s3`, {
      method: 'DELETE',
      headers: { Authorization: 'Bearer tok' },
    });
    expect(res.status).toBe(404);
    expect(forwarded.map((f) => f.call.method)).toEqual(['DELETE']);
  });

  it("a WHEP POST for a user on another node is played there: that node's 201 with its Location", async () => {
    played.length = 0;
    publisherNode = 'node-b';
    const res = await fetch(`${base}/whep/1400000001/anchor?roomId=42&streamType=main`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer viewer-sig' },
      body: 'v=0 offer',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/whep/sessions/remote1');
    expect(await res.text()).toBe('v=0 answer from node-b');
    expect(played).toHaveLength(1);
    expect(played[0]!.node).toBe('node-b');
    expect(played[0]!.call).toMatchObject({
      sdp: 'v=0 offer',
      streamType: 'main',
      address: {
        sdkAppId: 1400000001,
        ref: { kind: 'number', id: 42 },
        userId: 'anchor',
        token: 'viewer-sig',
      },
    });
  });
});
