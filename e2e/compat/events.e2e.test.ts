/**
 * Client events beyond the basic call: audio-volume, network-quality,
 * connection-state-changed, client-banned and error, with v4's payloads.
 */
import { describe, expect, it } from 'vitest';
import { receivingFrom, sleep, useE2eEnvironment, waitFor } from '../harness.js';
import {
  openJoined,
  randomRoom,
  recorded,
  waitForEvent,
  type CompatWindow,
  type RecordedEvent,
} from './compatPage.js';

const env = useE2eEnvironment();

type EventsClient = {
  enableAudioVolumeEvaluation(interval?: number, runInBackground?: boolean): void;
  leave(): Promise<void>;
  getConnectionState(): string;
};

describe('client events', () => {
  it('audio-volume: the fake microphone beep is heard, locally and from the remote user; interval 0 stops it', async () => {
    const roomId = randomRoom();
    const a = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'a',
      roomId,
      publish: true,
    });
    await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'b',
      roomId,
      publish: true,
    });
    await receivingFrom(a, ['b']);
    await a.evaluate(() =>
      ((window as unknown as CompatWindow).client as EventsClient).enableAudioVolumeEvaluation(300),
    );
    const loudest = (events: RecordedEvent[], user: string) =>
      Math.max(
        0,
        ...events
          .flatMap((e) => e.result ?? [])
          .filter((r) => r.userId === user)
          .map((r) => r.audioVolume),
      );
    const heard = await waitFor(
      'a non-zero volume for the local user a and the remote user b',
      async () => {
        const events = await recorded(a, 'audio-volume');
        return loudest(events, 'b') > 0 && loudest(events, 'a') > 0 ? events : null;
      },
      8000,
    );
    for (const event of heard) {
      for (const entry of event.result ?? []) {
        expect(entry.audioVolume).toBeGreaterThanOrEqual(0);
        expect(entry.audioVolume).toBeLessThanOrEqual(100);
        expect(entry.streamUserId).toBe(entry.userId);
        expect(['a', 'b']).toContain(entry.userId);
      }
    }
    await a.evaluate(() =>
      ((window as unknown as CompatWindow).client as EventsClient).enableAudioVolumeEvaluation(0),
    );
    await sleep(400); // a tick already running may still land
    const countAfterOff = (await recorded(a, 'audio-volume')).length;
    await sleep(1200);
    expect((await recorded(a, 'audio-volume')).length).toBe(countAfterOff);
  });

  it('network-quality: excellent or good both ways on loopback within 5 s', async () => {
    const roomId = randomRoom();
    const a = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'a',
      roomId,
      publish: true,
    });
    await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'b',
      roomId,
      publish: true,
    });
    await receivingFrom(a, ['b']);
    const since = Date.now();
    const event = await waitForEvent(
      a,
      'a network-quality event',
      (e) => e.name === 'network-quality' && e.at >= since,
      5000,
    );
    expect([1, 2]).toContain(event.uplinkNetworkQuality);
    expect([1, 2]).toContain(event.downlinkNetworkQuality);
  });

  it('connection-state-changed: CONNECTING → CONNECTED on join, → DISCONNECTED on leave', async () => {
    const page = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'stateful',
      roomId: randomRoom(),
    });
    await page.evaluate(() => ((window as unknown as CompatWindow).client as EventsClient).leave());
    const states = (await recorded(page, 'connection-state-changed')).map((e) => [
      e.prevState,
      e.state,
    ]);
    expect(states).toEqual([
      ['DISCONNECTED', 'CONNECTING'],
      ['CONNECTING', 'CONNECTED'],
      ['CONNECTED', 'DISCONNECTED'],
    ]);
  });

  it("client-banned: the same userId joining elsewhere kicks the first with reason 'kick'", async () => {
    const roomId = randomRoom();
    const first = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'twin',
      roomId,
    });
    await openJoined(env.browser, env.app.origin, env.parley, { userId: 'twin', roomId });
    const banned = await waitForEvent(first, 'client-banned', (e) => e.name === 'client-banned');
    expect(banned.reason).toBe('kick');
    expect(banned.code).toBe(0x4040);
    expect(banned.message).toMatch(/twin/);
    expect(
      await first.evaluate(() =>
        ((window as unknown as CompatWindow).client as EventsClient).getConnectionState(),
      ),
    ).toBe('DISCONNECTED');
  });

  it('error: SIGNAL_CHANNEL_RECONNECTION_FAILED when the signaling connection cannot come back', async () => {
    const page = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'stranded',
      roomId: randomRoom(),
    });
    // The network goes away: no new socket can open, and the current one drops.
    await page.evaluate(() => {
      const w = window as unknown as { WebSocket: unknown; __sockets: WebSocket[] };
      w.WebSocket = function offline() {
        throw new Error('offline');
      };
      for (const ws of w.__sockets) ws.close(3000, 'network gone');
    });
    const error = await waitForEvent(page, 'the error event', (e) => e.name === 'error', 15_000);
    expect(error.code).toBe(0x4006);
    expect(error.message).toMatch(/reconnect/);
    const states = (await recorded(page, 'connection-state-changed')).map((e) => e.state);
    expect(states.slice(-2)).toEqual(['RECONNECTING', 'DISCONNECTED']);
  });
});
