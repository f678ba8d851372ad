/**
 * Live mode: audience members watch without being seen; switchRole() turns them into
 * anchors (announced, publishing) and back.
 */
import { describe, expect, it } from 'vitest';
import { expectFlowing, receivingFrom, remoteMedia, useE2eEnvironment } from '../harness.js';
import { openJoined, randomRoom, recorded, waitForEvent, type CompatWindow } from './compatPage.js';

const env = useE2eEnvironment();

type LiveClient = { switchRole(role: string): Promise<void> };

describe('live mode', () => {
  it('audience watches unannounced; switchRole to anchor publishes to the room, back to audience withdraws', async () => {
    const roomId = randomRoom();
    const anchor = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'anchor',
      roomId,
      mode: 'live',
      publish: true, // role defaults to anchor
    });
    const viewer = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'viewer',
      roomId,
      mode: 'live',
      role: 'audience',
    });
    // The audience member decodes the anchor's media...
    await receivingFrom(viewer, ['anchor']);
    // ...while neither the anchor nor a later anchor hears of it.
    const late = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'late',
      roomId,
      mode: 'live',
    });
    await waitForEvent(late, 'late sees the anchor', (e) => e.name === 'stream-added');
    expect((await recorded(anchor)).filter((e) => e.userId === 'viewer')).toEqual([]);
    expect((await recorded(late)).filter((e) => e.userId === 'viewer')).toEqual([]);
    expect((await recorded(anchor, 'peer-join')).map((e) => e.userId)).toEqual(['late']);

    // An audience member cannot publish: refused by the SDK before anything is sent.
    const refused = await viewer.evaluate(async () => {
      const w = window as unknown as CompatWindow;
      try {
        await w.publishCamera(w.client, 'viewer');
        return null;
      } catch (e) {
        const err = e as { getCode(): number; message: string };
        return { code: err.getCode(), message: err.message };
      }
    });
    expect(refused?.code).toBe(0x1001);
    expect(refused?.message).toMatch(/audience/);

    // To anchor: announced, then its stream is added and decoded by the others.
    await viewer.evaluate(async () => {
      const w = window as unknown as CompatWindow;
      await (w.client as LiveClient).switchRole('anchor');
      await w.publishCamera(w.client, 'viewer');
    });
    const joined = await waitForEvent(
      anchor,
      'peer-join of viewer',
      (e) => e.name === 'peer-join' && e.userId === 'viewer',
    );
    const added = await waitForEvent(
      anchor,
      'stream-added of viewer',
      (e) => e.name === 'stream-added' && e.userId === 'viewer',
    );
    expect(added.at).toBeGreaterThanOrEqual(joined.at);
    await receivingFrom(anchor, ['viewer']);
    await receivingFrom(late, ['anchor', 'viewer']);

    // Back to audience: the others see its stream removed, then the user leave.
    await viewer.evaluate(() =>
      ((window as unknown as CompatWindow).client as LiveClient).switchRole('audience'),
    );
    const removed = await waitForEvent(
      anchor,
      'stream-removed of viewer',
      (e) => e.name === 'stream-removed' && e.userId === 'viewer',
    );
    const left = await waitForEvent(
      anchor,
      'peer-leave of viewer',
      (e) => e.name === 'peer-leave' && e.userId === 'viewer',
    );
    expect(left.at).toBeGreaterThanOrEqual(removed.at);
    expect((await remoteMedia(anchor)).map((m) => m.userId)).toEqual([]);
    // Still an audience member in good standing: it keeps watching the anchor.
    await expectFlowing(viewer, ['anchor']);
  });
});
