/**
 * Time from a subscriber's join() call (publisher live, userSig ready) to the first frame
 * painted in its video, measured with requestVideoFrameCallback and printed. A figure, not
 * an assertion: compare it with Janus's ~90 ms median on this machine.
 */
import { describe, expect, it } from 'vitest';
import { median, newPage, useE2eEnvironment, randomRoomId } from './harness.js';

const JOINS = 12;

const env = useE2eEnvironment();

describe('join to first painted frame', () => {
  it(`is measured over ${JOINS} joins and printed`, async () => {
    const roomId = randomRoomId();
    const { page: publisher } = await newPage(env.browser);
    await publisher.goto(
      `${env.app.origin}/guide.html?${new URLSearchParams({
        sdkAppId: String(env.parley.sdkAppId),
        userId: 'presenter',
        userSig: env.parley.userSig('presenter'),
        roomId: String(roomId),
      })}`,
    );
    await publisher.evaluate(() => (window as unknown as { start(): Promise<void> }).start());

    const { page: viewer } = await newPage(env.browser);
    await viewer.goto(`${env.app.origin}/sdk.html`);
    const times = await viewer.evaluate(
      async ({ sdkAppId, userSig, roomId, joins }) => {
        type Stream = { getId(): string; play(id: string): Promise<void> };
        type Client = {
          on(e: string, f: (ev: { stream: Stream }) => void): void;
          subscribe(s: Stream): Promise<void>;
          join(o: { roomId: number }): Promise<void>;
          leave(): Promise<void>;
        };
        const T = (window as unknown as { TRTC: { createClient(c: object): Client } }).TRTC;
        const results: number[] = [];
        for (let i = 0; i < joins; i++) {
          const client = T.createClient({ mode: 'rtc', sdkAppId, userId: 'viewer', userSig });
          const painted = new Promise<number>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`join ${i}: no frame painted within 10 s`)),
              10_000,
            );
            client.on('stream-added', (e) => void client.subscribe(e.stream));
            client.on('stream-subscribed', (e) => {
              const div = document.createElement('div');
              div.id = `v${i}_${e.stream.getId()}`;
              div.style.cssText = 'width:320px;height:240px';
              document.getElementById('players')!.appendChild(div);
              void e.stream.play(div.id).catch(() => undefined);
              const video = div.querySelector('video') as HTMLVideoElement;
              video.requestVideoFrameCallback(() => {
                clearTimeout(timer);
                resolve(performance.now());
              });
            });
          });
          const start = performance.now();
          await client.join({ roomId });
          results.push((await painted) - start);
          await client.leave();
          document.getElementById('players')!.innerHTML = '';
          await new Promise((r) => setTimeout(r, 300));
        }
        return results;
      },
      {
        sdkAppId: env.parley.sdkAppId,
        userSig: env.parley.userSig('viewer'),
        roomId,
        joins: JOINS,
      },
    );
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `[figure] join() → first painted frame over ${times.length} joins: median ${median(times).toFixed(0)} ms, ` +
        `min ${sorted[0]!.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms ` +
        `(Janus on this machine: ~90 ms median); all: ${times.map((t) => t.toFixed(0)).join(', ')}`,
    );
    expect(times).toHaveLength(JOINS);
    await publisher.context().close();
    await viewer.context().close();
  });
});
