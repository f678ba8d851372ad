/**
 * The TRTC v4 basic workflow, run as the guide's code in real Chromium pages served from an
 * application origin, against a self-hosted Parley.
 */
import { describe, expect, it } from 'vitest';
import {
  events,
  expectFlowing,
  newPage,
  openGuidePage,
  remoteMedia,
  sleep,
  waitFor,
  useE2eEnvironment,
  randomRoomId,
} from './harness.js';

const env = useE2eEnvironment();

const openGuide = (userId: string, roomId: number) =>
  openGuidePage(env.browser, env.app.origin, env.parley, userId, roomId);

describe('basic call: the TRTC v4 guide code against a self-hosted Parley', () => {
  it('three pages each receive the other two; one leaves and the others see it within 1 s; it rejoins', async () => {
    const roomId = randomRoomId();
    const alice = await openGuide('alice', roomId);
    const bob = await openGuide('bob', roomId);
    const carol = await openGuide('carol', roomId);

    await expectFlowing(alice, ['bob', 'carol']);
    await expectFlowing(bob, ['alice', 'carol']);
    await expectFlowing(carol, ['alice', 'bob']);

    const leftAt = Date.now();
    await carol.evaluate(() =>
      (window as unknown as { client: { leave(): Promise<void> } }).client.leave(),
    );
    for (const page of [alice, bob]) {
      const seen = await waitFor(
        'carol leaving',
        async () => {
          const list = await events(page);
          const removed = list.find(
            (e) => e.name === 'stream-removed' && e.userId === 'carol' && e.at >= leftAt,
          );
          const left = list.find(
            (e) => e.name === 'peer-leave' && e.userId === 'carol' && e.at >= leftAt,
          );
          return removed && left ? { removed, left } : null;
        },
        3000,
      );
      expect(seen.removed.at - leftAt).toBeLessThan(1000);
      expect(seen.left.at - leftAt).toBeLessThan(1000);
    }
    await expectFlowing(alice, ['bob']);
    await expectFlowing(bob, ['alice']);

    await carol.evaluate(async (room) => {
      const w = window as unknown as {
        client: { join(o: { roomId: number }): Promise<void>; publish(s: unknown): Promise<void> };
        localStream: unknown;
        __remoteUsers: Record<string, string>;
      };
      // What the app does after leave: forget the old remote players.
      w.__remoteUsers = {};
      document.getElementById('remotes')!.innerHTML = '';
      await w.client.join({ roomId: room });
      await w.client.publish(w.localStream);
    }, roomId);
    await expectFlowing(alice, ['bob', 'carol']);
    await expectFlowing(bob, ['alice', 'carol']);
    await expectFlowing(carol, ['alice', 'bob']);
    const carolEvents = await events(carol);
    expect(
      carolEvents
        .filter((e) => e.name === 'peer-join')
        .map((e) => e.userId)
        .sort(),
    ).toEqual(expect.arrayContaining(['alice', 'bob']));
    await Promise.all([alice, bob, carol].map((p) => p.context().close()));
  });

  it('keeps numeric 123 and string "123" apart: no media crosses between the two rooms', async () => {
    const { page: numeric } = await newPage(env.browser);
    const { page: textual } = await newPage(env.browser);
    await numeric.goto(
      `${env.app.origin}/guide.html?${new URLSearchParams({
        sdkAppId: String(env.parley.sdkAppId),
        userId: 'num',
        userSig: env.parley.userSig('num'),
        roomId: '123',
      })}`,
    );
    await numeric.evaluate(() => (window as unknown as { start(): Promise<void> }).start());
    await textual.goto(`${env.app.origin}/guide.html`);
    // Same digits, string room: a different room, so neither side may see the other.
    await textual.evaluate(
      async ({ sdkAppId, userSig }) => {
        const T = (
          window as unknown as {
            TRTC: {
              createClient(c: object): {
                join(o: object): Promise<void>;
                on(e: string, f: (e: { userId?: string }) => void): void;
              };
              createStream(c: object): { initialize(): Promise<void> };
            };
          }
        ).TRTC;
        const client = T.createClient({
          mode: 'rtc',
          sdkAppId,
          userId: 'str',
          userSig,
          useStringRoomId: true,
        });
        const seen: string[] = [];
        client.on('peer-join', (e) => seen.push(e.userId ?? ''));
        (window as unknown as { __seen: string[] }).__seen = seen;
        await client.join({ roomId: '123' });
      },
      { sdkAppId: env.parley.sdkAppId, userSig: env.parley.userSig('str') },
    );
    await sleep(1500);
    expect(
      await textual.evaluate(() => (window as unknown as { __seen: string[] }).__seen),
    ).toEqual([]);
    expect(await remoteMedia(numeric)).toEqual([]);
    // Each user is alone in its own room (other tests' rooms may still be timing out).
    const roomsOf = (userId: string) =>
      [...env.parley.server.rooms.rooms()]
        .filter((r) => r.participants.has(userId))
        .map((r) => ({ key: r.key, members: [...r.participants.keys()] }));
    expect(roomsOf('num')).toEqual([{ key: `${env.parley.sdkAppId}/n/123`, members: ['num'] }]);
    expect(roomsOf('str')).toEqual([{ key: `${env.parley.sdkAppId}/s/123`, members: ['str'] }]);
    await numeric.context().close();
    await textual.context().close();
  });
});
