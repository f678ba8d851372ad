/**
 * Media out in a cluster: a mix takes users from several nodes. Alice joins node 0 and Bob
 * node 1, each publishing a solid colour and a tone and subscribing to nobody, so no viewer
 * brings Bob's tracks to node 0. Alice's startMixTranscode names both: the mix runs on her node
 * and Bob's tracks are relayed there for it (one relay in, from node 1), and the RTMP output
 * read back with ffmpeg shows both pictures and carries both tones. Stopping the mix stops
 * the relayed tracks again.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { randomRoomId, waitFor } from '../harness.js';
import { call, colourPublisher, isBlue, isRed, useRtmpServer } from '../mediaOutKit.js';
import { FrameWatcher, meanVolume } from '../rtmpServer.js';
import type { NodeUnderTest } from './clusterKit.js';
import { appOriginFor, useCluster } from './clusterTest.js';

const env = useCluster({
  nodes: 2,
  // The local nginx is on loopback, which media-out refuses unless listed (SSRF guard).
  env: { PARLEY_CDN_ALLOWED_HOSTS: '127.0.0.1' },
});
const rtmp = useRtmpServer();

/** A relay metric of `node` for what comes in from `peer`. */
const inFrom = async (node: NodeUnderTest, name: string, peer: NodeUnderTest): Promise<number> => {
  const text = await (await fetch(`${node.origin}/metrics`)).text();
  const labels = `peer="${peer.id}",direction="in"`;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
};
const relaysIn = (node: NodeUnderTest, peer: NodeUnderTest) => inFrom(node, 'parley_relays', peer);
const relayedIn = (node: NodeUnderTest, peer: NodeUnderTest) =>
  inFrom(node, 'parley_relay_bitrate_bits_per_second', peer);

/**
 * Joins `roomId` at `node` (the page loads the SDK from it and signals there), publishes a
 * canvas of one colour and a tone, subscribes to nobody; the client is window.__client.
 */
const publisher = async (
  node: NodeUnderTest,
  userId: string,
  roomId: number,
  color: string,
  toneHz: number,
): Promise<Page> =>
  colourPublisher(
    { browser: env.browser, appOrigin: await appOriginFor(node), parley: node },
    userId,
    roomId,
    { color, toneHz, autoSubscribe: false },
  );

describe('media out in a cluster', () => {
  it("a mix on alice's node takes bob's tracks from his node through a relay made for it", async () => {
    const [n0, n1] = env.nodes as [NodeUnderTest, NodeUnderTest];
    const roomId = randomRoomId();
    const alice = await publisher(n0, 'alice', roomId, '#ff0000', 440);
    await publisher(n1, 'bob', roomId, '#0000ff', 1200);
    // Nobody on node 0 watches bob: nothing of his is relayed there yet.
    expect(await relaysIn(n0, n1)).toBe(0);

    const streamId = `cmix${roomId}`;
    const url = rtmp.url(streamId);
    const box = (userId: string, x: number, zOrder: number) => ({
      userId,
      pureAudio: false,
      width: 320,
      height: 240,
      locationX: x,
      locationY: 0,
      zOrder,
    });
    const watcher = new FrameWatcher(url, 640, 240);
    const bothSeen = watcher.next((f) => isRed(f.at(160, 120)) && isBlue(f.at(480, 120)), 30_000);
    const started = Date.now();
    expect(
      await call(alice, 'startMixTranscode', {
        streamId,
        videoWidth: 640,
        videoHeight: 240,
        mixUsers: [box('alice', 0, 1), box('bob', 320, 2)],
      }),
    ).toEqual({ ok: true });
    expect(await call(alice, 'startPublishCDNStream', { streamId, url })).toEqual({ ok: true });
    const at = await bothSeen.finally(() => watcher.close());
    console.log(
      `[figure] cluster mix: both users' pictures in the output ${at - started} ms after the call`,
    );
    // One relay of bob's tracks into alice's node, for the mix alone.
    expect(await relaysIn(n0, n1)).toBe(1);
    // A solid colour encodes small: the tone (~40 kbit/s) and the picture, well above RTCP alone.
    expect(await relayedIn(n0, n1)).toBeGreaterThan(30_000);
    // Both tones in the mix's sound (bob's came through the relay too), read side by side.
    const [bobTone, aliceTone] = await Promise.all([
      meanVolume(url, 3, 1200),
      meanVolume(url, 3, 440),
    ]);
    expect(bobTone, "bob's 1200 Hz").toBeGreaterThan(-45);
    expect(aliceTone, "alice's 440 Hz").toBeGreaterThan(-45);

    expect(await call(alice, 'stopMixTranscode')).toEqual({ ok: true });
    // Nothing on node 0 wants bob's tracks any more: his node stops sending them (the pipe
    // between the two nodes stays open for the room, idle).
    await waitFor(
      "bob's tracks no longer relayed",
      async () => (await relayedIn(n0, n1)) < 10_000,
      10_000,
    );
  });
});
