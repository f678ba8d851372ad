/**
 * Presence: a tab that vanishes leaves 8-10 s after its last sign of life; a shorter network
 * blip is hidden by reconnection and nobody sees a leave.
 */
import { describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import {
  CHROMIUM,
  events,
  expectFlowing,
  openGuidePage,
  receivingFrom,
  sleep,
  waitFor,
  useE2eEnvironment,
  randomRoomId,
} from './harness.js';

const env = useE2eEnvironment();

const room = () => randomRoomId();

describe('presence', () => {
  it('removes a tab that disappears (browser killed) 8-10 s after its last sign of life', async () => {
    const roomId = room();
    const observer = await openGuidePage(
      env.browser,
      env.app.origin,
      env.parley,
      'observer',
      roomId,
    );
    // The victim runs in its own browser process, so it can be killed like a crashed tab.
    const victimServer = await chromium.launchServer({
      executablePath: CHROMIUM,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        '--disable-background-networking',
      ],
    });
    const victimBrowser = await chromium.connect(victimServer.wsEndpoint());
    await openGuidePage(victimBrowser, env.app.origin, env.parley, 'victim', roomId);
    await receivingFrom(observer, ['victim']);
    const killedAt = Date.now();
    victimServer.process().kill('SIGKILL');
    const left = await waitFor(
      'victim to leave',
      async () =>
        (await events(observer)).find((e) => e.name === 'peer-leave' && e.userId === 'victim'),
      14_000,
    );
    const afterKill = left.at - killedAt;
    console.log(
      `[figure] vanished tab removed ${afterKill} ms after it was killed (heartbeat 2 s, timeout 9 s)`,
    );
    // Its last heartbeat was 0-2 s before the kill, so 9 s after it is 7-9 s after the kill.
    expect(afterKill).toBeGreaterThan(6500);
    expect(afterKill).toBeLessThan(10_500);
    const removed = (await events(observer)).find(
      (e) => e.name === 'stream-removed' && e.userId === 'victim',
    );
    expect(removed).toBeDefined();
    await observer.context().close();
    await victimServer.close().catch(() => undefined);
  });

  it('hides a 1 s signaling blip: the socket reconnects and resumes, no one sees a leave, media flows', async () => {
    const roomId = room();
    const a = await openGuidePage(env.browser, env.app.origin, env.parley, 'steady', roomId);
    const b = await openGuidePage(env.browser, env.app.origin, env.parley, 'flaky', roomId);
    await receivingFrom(a, ['flaky']);
    const cutAt = Date.now();
    // Cut the SDK's socket from inside the page, as a dropped connection would.
    await b.evaluate(() => {
      for (const ws of (window as unknown as { __sockets: WebSocket[] }).__sockets)
        ws.close(3000, 'blip');
    });
    await waitFor(
      'flaky to be CONNECTED again',
      async () => {
        const list = (await events(b)).filter(
          (e) => e.name === 'connection-state-changed' && e.at >= cutAt,
        );
        return list.some((e) => e.state === 'RECONNECTING') && list.at(-1)?.state === 'CONNECTED';
      },
      10_000,
    );
    await sleep(1000);
    expect(
      (await events(a)).filter((e) => e.name === 'peer-leave' || e.name === 'stream-removed'),
    ).toEqual([]);
    await expectFlowing(a, ['flaky']);
    await expectFlowing(b, ['steady']);
    await a.context().close();
    await b.context().close();
  });
});
