/**
 * The media plane on mediasoup workers: a room that outgrows its worker spans another one
 * (its producers piped there), and a worker killed mid-call is replaced while the call comes
 * back by itself: no re-join, and nobody sees anyone leave.
 */
import { describe, expect, it } from 'vitest';
import {
  events,
  expectFlowing,
  openGuidePage,
  randomRoomId,
  remoteMedia,
  useE2eEnvironment,
  waitFor,
} from './harness.js';

// Two workers; a worker takes 4 objects of one room before the room spans the other.
const env = useE2eEnvironment({ PARLEY_WORKERS: '2', PARLEY_WORKER_MAX_LOAD: '4' });

const openGuide = (userId: string, roomId: number) =>
  openGuidePage(env.browser, env.app.origin, env.parley, userId, roomId);

async function mediaRouterOf(roomId: number) {
  const room = [...env.parley.server.rooms.rooms()].find((r) => r.key.endsWith(`/n/${roomId}`));
  const router = await room?.mediaRouter();
  if (!router) throw new Error(`room ${roomId} has no media router`);
  return router;
}

describe('media workers', () => {
  it('a room that outgrows its worker spans a second one, and media crosses the pipe', async () => {
    const roomId = randomRoomId();
    const alice = await openGuide('alice', roomId);
    const bob = await openGuide('bob', roomId);
    const carol = await openGuide('carol', roomId);
    await expectFlowing(carol, ['alice', 'bob']);
    await expectFlowing(alice, ['bob', 'carol']);
    await expectFlowing(bob, ['alice', 'carol']);
    const router = await mediaRouterOf(roomId);
    expect(new Set(router.workerPids).size).toBe(2);
    expect(env.parley.server.engine.workers().every((w) => w.load > 0)).toBe(true);
  });

  it('a worker killed mid-call is replaced and the call comes back by itself', async () => {
    const roomId = randomRoomId();
    const alice = await openGuide('alice', roomId);
    const bob = await openGuide('bob', roomId);
    await expectFlowing(alice, ['bob']);
    await expectFlowing(bob, ['alice']);
    const engine = env.parley.server.engine;
    const [home] = (await mediaRouterOf(roomId)).workerPids;
    const killedAt = Date.now();
    process.kill(home!, 'SIGKILL');

    await waitFor(
      'a replacement worker',
      async () => {
        const pids = engine.workers().map((w) => w.pid);
        return pids.length === 2 && !pids.includes(home!) ? pids : null;
      },
      10_000,
    );
    // Both pages replace both connections (publisher and subscriber): two new ones each, connected.
    for (const page of [alice, bob]) {
      await waitFor(
        'new peer connections at the page',
        async () => {
          const pcs = await page.evaluate(() =>
            (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.map(
              (pc) => pc.connectionState,
            ),
          );
          const open = pcs.filter((s) => s !== 'closed');
          return pcs.length >= 4 && open.length === 2 && open.every((s) => s === 'connected')
            ? pcs
            : null;
        },
        20_000,
      );
    }
    for (const [page, from] of [
      [alice, 'bob'],
      [bob, 'alice'],
    ] as const) {
      const back = await waitFor(
        `${from}'s media at the other page after the kill`,
        async () => {
          const [media] = await remoteMedia(page);
          return media && media.framesDecoded > 0 ? media : null;
        },
        20_000,
      );
      expect(back.userId).toBe(from);
    }
    console.log(`[figure] worker killed → both pages decoding again: ${Date.now() - killedAt} ms`);
    await expectFlowing(alice, ['bob']);
    await expectFlowing(bob, ['alice']);
    for (const page of [alice, bob]) {
      const after = (await events(page)).filter((e) => e.at >= killedAt).map((e) => e.name);
      expect(after).not.toContain('peer-leave');
      expect(after).not.toContain('stream-removed');
    }
    expect((await mediaRouterOf(roomId)).workerPids).not.toContain(home);
  });
});
