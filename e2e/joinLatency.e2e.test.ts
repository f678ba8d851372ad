/**
 * Time from a subscriber's join() call (publisher live, userSig ready) to its first frame, by
 * two criteria side by side (e2e/pageScripts.ts JOIN_PROBE): painted (requestVideoFrameCallback)
 * and playing (the <video> has a picture and its clock moves), with the milestones between.
 * A figure, not a timing assertion: `npm run bench -- join` compares it with Janus in one run.
 */
import { describe, expect, it } from 'vitest';
import { median, newPage, useE2eEnvironment, randomRoomId } from './harness.js';
import { JOIN_PROBE, measureParleyJoins } from './pageScripts.js';

const JOINS = 12;

const env = useE2eEnvironment();

describe('join to first frame', () => {
  it(`is measured over ${JOINS} joins, painted and playing, and printed`, async () => {
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

    const { context, page: viewer } = await newPage(env.browser);
    await context.addInitScript(JOIN_PROBE);
    await viewer.goto(`${env.app.origin}/sdk.html`);
    const samples = await measureParleyJoins(viewer, {
      sdkAppId: env.parley.sdkAppId,
      userId: 'viewer',
      userSig: env.parley.userSig('viewer'),
      roomId,
      joins: JOINS,
    });
    // Every join shows the publisher, and a frame is painted no later than it plays.
    expect(samples.filter((s) => s === null)).toEqual([]);
    const ok = samples.filter((s) => s !== null);
    for (const s of ok) {
      expect(s.painted).toBeGreaterThan(0);
      expect(s.playing).toBeGreaterThan(0);
      expect(s.marks.subscribed).toBeLessThanOrEqual(s.painted);
    }
    const summary = (key: string) => {
      const values = ok.map((s) => s.marks[key]).filter((v): v is number => v !== undefined);
      return `${key} ${median(values).toFixed(0)}`;
    };
    console.log(
      `[figure] join() → first frame over ${ok.length} joins, median ms: ` +
        ['joined', 'added', 'subscribed', 'painted', 'playing'].map(summary).join(', ') +
        `; painted all: ${ok.map((s) => s.painted.toFixed(0)).join(', ')}` +
        `; playing all: ${ok.map((s) => s.playing.toFixed(0)).join(', ')}`,
    );
  });
});
