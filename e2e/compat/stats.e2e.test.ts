/** Client stats with v4's field names, read from the browser's own getStats(). */
import { describe, expect, it } from 'vitest';
import { receivingFrom, sleep, useE2eEnvironment } from '../harness.js';
import { openJoined, randomRoom, type CompatWindow } from './compatPage.js';

const env = useE2eEnvironment();

type Stats = Record<string, Record<string, number>>;
interface AllStats {
  transport: { rtt: number; downlinksRTT: Record<string, number> };
  localAudio: Stats;
  localVideo: Stats;
  remoteAudio: Stats;
  remoteVideo: Stats;
  remoteAuxiliary: Stats;
}

function readStats(page: import('playwright-core').Page): Promise<AllStats> {
  return page.evaluate(async () => {
    const client = (window as unknown as CompatWindow).client as {
      getTransportStats(): Promise<AllStats['transport']>;
      getLocalAudioStats(): Promise<Stats>;
      getLocalVideoStats(): Promise<Stats>;
      getRemoteAudioStats(): Promise<Stats>;
      getRemoteVideoStats(type?: string): Promise<Stats>;
    };
    return {
      transport: await client.getTransportStats(),
      localAudio: await client.getLocalAudioStats(),
      localVideo: await client.getLocalVideoStats(),
      remoteAudio: await client.getRemoteAudioStats(),
      remoteVideo: await client.getRemoteVideoStats(),
      remoteAuxiliary: await client.getRemoteVideoStats('auxiliary'),
    };
  });
}

describe('client stats', () => {
  it('reports local and remote audio/video by userId, rising between calls, and round trips', async () => {
    const roomId = randomRoom();
    const spec = { roomId, publish: true };
    const a = await openJoined(env.browser, env.app.origin, env.parley, { ...spec, userId: 'a' });
    await openJoined(env.browser, env.app.origin, env.parley, { ...spec, userId: 'b' });
    await openJoined(env.browser, env.app.origin, env.parley, { ...spec, userId: 'c' });
    await receivingFrom(a, ['b', 'c']);

    const first = await readStats(a);
    await sleep(1500);
    const second = await readStats(a);

    // Keyed by our own userId for what we send, by the sender's for what we receive.
    expect(Object.keys(second.localAudio)).toEqual(['a']);
    expect(Object.keys(second.localVideo)).toEqual(['a']);
    expect(Object.keys(second.remoteAudio).sort()).toEqual(['b', 'c']);
    expect(Object.keys(second.remoteVideo).sort()).toEqual(['b', 'c']);
    expect(second.remoteAuxiliary).toEqual({});

    const rising = (section: keyof AllStats, user: string, fields: string[]) => {
      for (const field of fields) {
        const before = (first[section] as Stats)[user]?.[field] ?? 0;
        const after = (second[section] as Stats)[user]?.[field] ?? 0;
        expect(before, `${section}.${user}.${field} first call`).toBeGreaterThan(0);
        expect(after, `${section}.${user}.${field} rises`).toBeGreaterThan(before);
      }
    };
    rising('localAudio', 'a', ['bytesSent', 'packetsSent']);
    rising('localVideo', 'a', ['bytesSent', 'packetsSent', 'framesEncoded']);
    for (const user of ['b', 'c']) {
      rising('remoteAudio', user, ['bytesReceived', 'packetsReceived']);
      rising('remoteVideo', user, ['bytesReceived', 'packetsReceived', 'framesDecoded']);
      expect(second.remoteVideo[user]!.frameWidth).toBeGreaterThanOrEqual(160);
      expect(second.remoteVideo[user]!.frameHeight).toBeGreaterThanOrEqual(120);
      expect(second.remoteVideo[user]!.packetsLost).toBeGreaterThanOrEqual(0);
    }
    expect(second.localVideo.a!.frameWidth).toBeGreaterThanOrEqual(160);
    expect(second.localVideo.a!.frameHeight).toBeGreaterThanOrEqual(120);

    // Loopback round trips are ~0-1 ms: only that they are measured, per received user.
    expect(Number.isFinite(second.transport.rtt)).toBe(true);
    expect(second.transport.rtt).toBeGreaterThanOrEqual(0);
    expect(Object.keys(second.transport.downlinksRTT).sort()).toEqual(['b', 'c']);
    for (const rtt of Object.values(second.transport.downlinksRTT)) {
      expect(rtt).toBeGreaterThanOrEqual(0);
      expect(rtt).toBeLessThan(1000);
    }
  });

  it('answers empty stats when not in a room (after leave)', async () => {
    const page = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'solo',
      roomId: randomRoom(),
    });
    await page.evaluate(() =>
      ((window as unknown as CompatWindow).client as { leave(): Promise<void> }).leave(),
    );
    const stats = await readStats(page);
    expect(stats).toEqual({
      transport: { rtt: 0, downlinksRTT: {} },
      localAudio: {},
      localVideo: {},
      remoteAudio: {},
      remoteVideo: {},
      remoteAuxiliary: {},
    });
  });
});
