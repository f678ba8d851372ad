/**
 * `client.setTurnServer()` (v4): the TURN servers become the iceServers of the peer
 * connections of the next join, and a call still works when the TURN server is unreachable
 * (the direct candidates connect).
 */
import { describe, expect, it } from 'vitest';
import { newPage, useE2eEnvironment } from './harness.js';

const env = useE2eEnvironment();

interface PeerConfigs {
  published: boolean;
  iceServers: RTCIceServer[][];
  error?: string;
}

describe('setTurnServer', () => {
  it('gives the TURN servers to the publishing connection; publishing still works', async () => {
    const { page } = await newPage(env.browser);
    await page.goto(`${env.app.origin}/sdk.html`);
    const userId = 'turn-user';
    const result: PeerConfigs = await page.evaluate(
      async ({ sdkAppId, userSig, userId }) => {
        type Stream = { initialize(): Promise<void>; close(): void };
        type Client = {
          setTurnServer(config: object): void;
          join(o: { roomId: number }): Promise<void>;
          publish(s: Stream): Promise<void>;
          leave(): Promise<void>;
        };
        const w = window as unknown as {
          TRTC: { createClient(c: object): Client; createStream(c: object): Stream };
          __pcs: RTCPeerConnection[];
        };
        const client = w.TRTC.createClient({ mode: 'rtc', sdkAppId, userId, userSig });
        // Nothing listens there: relay candidates never come, the host ones connect.
        client.setTurnServer([
          { url: 'turn:127.0.0.1:9?transport=udp', username: 'alice', credential: 'secret' },
          { url: 'stun:127.0.0.1:9' },
        ]);
        try {
          await client.join({ roomId: 4242 });
          const stream = w.TRTC.createStream({ userId, audio: true, video: true });
          await stream.initialize();
          await client.publish(stream);
          const iceServers = w.__pcs.map((pc) => pc.getConfiguration().iceServers ?? []);
          await client.leave();
          stream.close();
          return { published: true, iceServers };
        } catch (e) {
          return { published: false, iceServers: [], error: String(e) };
        }
      },
      { sdkAppId: env.parley.sdkAppId, userSig: env.parley.userSig(userId), userId },
    );
    expect(result.error).toBeUndefined();
    expect(result.published).toBe(true);
    expect(result.iceServers.length).toBeGreaterThan(0);
    for (const servers of result.iceServers) {
      expect(servers).toMatchObject([
        { urls: ['turn:127.0.0.1:9?transport=udp'], username: 'alice', credential: 'secret' },
        { urls: ['stun:127.0.0.1:9'] },
      ]);
    }
  });

  it('rejects an unusable description at once with INVALID_PARAMETER', async () => {
    const { page } = await newPage(env.browser);
    await page.goto(`${env.app.origin}/sdk.html`);
    const outcome = await page.evaluate(() => {
      const w = window as unknown as {
        TRTC: { createClient(c: object): { setTurnServer(c: object): void } };
      };
      const client = w.TRTC.createClient({ mode: 'rtc', sdkAppId: 1, userId: 'u', userSig: 's' });
      try {
        client.setTurnServer({ url: 'turn:127.0.0.1:3478' });
        return { thrown: false };
      } catch (e) {
        const err = e as { getCode(): number; message: string };
        return { thrown: true, code: err.getCode(), message: err.message };
      }
    });
    expect(outcome).toMatchObject({ thrown: true, code: 0x1000 });
    expect(outcome.message).toMatch(/needs username and credential/);
  });
});
