/**
 * WHIP, WHEP and the server API's recording in a cluster of two nodes:
 * - a Chromium WHIP page publishes into node 1; a v4 user on node 0 sees it join and decodes
 *   it (relayed from node 1); a trickle PATCH and the DELETE sent to node 0 are forwarded to
 *   node 1, which holds the session; the v4 user sees it leave;
 * - a Chromium WHEP page on node 1 plays a v4 user who publishes on node 0;
 * - CreateCloudRecording sent to node 1 while both publishers are on node 0 runs on node 0;
 *   Describe and Delete sent to node 1 reach it; the files play in ffprobe;
 * - node 1 killed with a WHIP session on it: the v4 user on node 0 sees the WHIP user leave,
 *   and the session's URL answers 404 from node 0.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import * as tencentcloud from 'tencentcloud-sdk-nodejs';
import { afterAll, describe, expect, it } from 'vitest';
import { events, newPage, randomRoomId, receivingFrom, waitFor } from '../harness.js';
import { FrameWatcher, rtmpAvailable, startRtmpServer, type RtmpServer } from '../rtmpServer.js';
import { CLUSTER_API, CLUSTER_SDK_APP_ID, type NodeUnderTest } from './clusterKit.js';
import { appOriginFor, openNodePage, useCluster } from './clusterTest.js';

// A member of a dead node nobody resumes is removed after this (the WHIP member of the kill);
// the local nginx is on loopback, which media-out refuses unless listed (SSRF guard).
const env = useCluster({
  nodes: 2,
  env: { PARLEY_SESSION_TIMEOUT_MS: '4000', PARLEY_CDN_ALLOWED_HOSTS: '127.0.0.1' },
});
let rtmp: RtmpServer | undefined;
afterAll(async () => {
  await rtmp?.close();
});

/**
 * Joins `roomId` at `node`, publishes a canvas of one colour and a tone, subscribes to nobody
 * (so no viewer brings its tracks anywhere); the client is window.__client.
 */
async function colourPublisher(
  node: NodeUnderTest,
  userId: string,
  roomId: number,
  color: string,
): Promise<Page> {
  const { page } = await newPage(env.browser);
  await page.goto(`${await appOriginFor(node)}/sdk.html`);
  await page.evaluate(
    async ({ sdkAppId, userId, userSig, roomId, color }) => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 240;
      const g = canvas.getContext('2d')!;
      const draw = () => {
        g.fillStyle = color;
        g.fillRect(0, 0, canvas.width, canvas.height);
      };
      draw();
      setInterval(draw, 50);
      const video = canvas.captureStream(20).getVideoTracks()[0]!;
      const audioContext = new AudioContext();
      const oscillator = audioContext.createOscillator();
      const destination = audioContext.createMediaStreamDestination();
      oscillator.connect(destination);
      oscillator.start();
      const audio = destination.stream.getAudioTracks()[0]!;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const TRTC = (window as any).TRTC;
      const client = TRTC.createClient({
        mode: 'rtc',
        sdkAppId,
        userId,
        userSig,
        autoSubscribe: false,
      });
      await client.join({ roomId });
      const stream = TRTC.createStream({ userId, audioSource: audio, videoSource: video });
      await stream.initialize();
      await client.publish(stream);
      (window as unknown as { __client: unknown }).__client = client;
    },
    { sdkAppId: node.sdkAppId, userId, userSig: node.userSig(userId), roomId, color },
  );
  return page;
}

function call(
  page: Page,
  method: string,
  arg?: unknown,
): Promise<{ ok: boolean; message?: string }> {
  return page.evaluate(
    async ({ method, arg }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const client = (window as any).__client;
      try {
        await client[method](arg);
        return { ok: true };
      } catch (error) {
        return { ok: false, message: (error as Error).message };
      }
    },
    { method, arg },
  );
}

/** Relay pipes into `node` from `peer` (its /metrics). */
async function relaysIn(node: NodeUnderTest, peer: NodeUnderTest): Promise<number> {
  const text = await (await fetch(`${node.origin}/metrics`)).text();
  const labels = `peer="${peer.id}",direction="in"`;
  const line = text.split('\n').find((l) => l.startsWith('parley_relays{') && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const isRed = ([r, g, b]: [number, number, number]) => r > 170 && g < 90 && b < 90;
const isBlue = ([r, g, b]: [number, number, number]) => b > 170 && r < 90 && g < 90;

interface SessionInfo {
  location: string;
  etag: string;
  answer: string;
}

interface PageStats {
  framesDecoded: number;
  frameWidth: number;
  audioEnergy: number;
}

/** The WHIP/WHEP fixture page, talking to `node`. */
async function whipPage(node: NodeUnderTest): Promise<Page> {
  const { page } = await newPage(env.browser);
  await page.goto(`${await appOriginFor(node)}/whip.html`);
  return page;
}

const whipPublish = (page: Page, url: string, token: string): Promise<SessionInfo> =>
  page.evaluate(
    ([u, t]) =>
      (
        window as unknown as { whipPublish(u: string, t: string): Promise<SessionInfo> }
      ).whipPublish(u, t),
    [url, token] as const,
  );

const stats = (page: Page): Promise<PageStats> =>
  page.evaluate(() => (window as unknown as { mediaStats(): Promise<PageStats> }).mediaStats());

/** A request on a session URL sent to `node` from here (not from the page's node). */
async function onSession(
  node: NodeUnderTest,
  location: string,
  method: 'DELETE' | 'PATCH',
  token: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${node.origin}${location}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'Content-Type': 'application/trickle-ice-sdpfrag' } : {}),
    },
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, text: await res.text() };
}

async function seesLeave(page: Page, userId: string, since: number, timeoutMs = 15_000) {
  return waitFor(
    `${userId} leaving`,
    async () =>
      (await events(page)).find(
        (e) => e.name === 'peer-leave' && e.userId === userId && e.at >= since,
      ) ?? null,
    timeoutMs,
  );
}

const api = (node: NodeUnderTest) =>
  new tencentcloud.trtc.v20190722.Client({
    credential: CLUSTER_API,
    region: 'ap-guangzhou',
    profile: {
      httpProfile: { endpoint: node.origin.replace(/^https?:\/\//, ''), protocol: 'http:' },
    },
  });

function ffprobe(path: string): Promise<{ streams: { codec_type: string; codec_name: string }[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-show_streams', '-of', 'json', path],
      { timeout: 60_000 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`ffprobe ${path}: ${error.message} ${stderr}`))
          : resolve(
              JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string }[] },
            ),
    );
  });
}

describe('WHIP, WHEP and recording across nodes', () => {
  it('a WHIP publisher on node 1 is decoded by a v4 user on node 0; PATCH and DELETE sent to node 0 reach node 1', async () => {
    const [n0, n1] = env.nodes as [NodeUnderTest, NodeUnderTest];
    const roomId = randomRoomId();
    const viewer = await openNodePage(env.browser, n0, 'v4viewer', roomId);
    const whip = await whipPage(n1);
    const token = n1.userSig('whipper');
    const started = Date.now();
    const session = await whipPublish(
      whip,
      `/whip/${CLUSTER_SDK_APP_ID}/whipper?roomId=${roomId}`,
      token,
    );
    expect(session.location).toMatch(/^\/whip\/sessions\/[\w-]+$/);
    const received = await receivingFrom(viewer, ['whipper']);
    console.log(
      `[figure] cluster WHIP: POST on node 1 → first frame on node 0 ${Date.now() - started} ms`,
    );
    expect(received[0]!.frameWidth).toBeGreaterThan(0);
    const seen = await events(viewer);
    expect(seen.some((e) => e.name === 'peer-join' && e.userId === 'whipper')).toBe(true);

    // A trickled candidate sent to node 0: forwarded to node 1, which needs none (ICE-lite): 204.
    const trickle = await onSession(
      n0,
      session.location,
      'PATCH',
      token,
      'a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n',
    );
    expect(trickle.status).toBe(204);
    // Another user's UserSig is refused by the node that holds the session.
    const wrong = await onSession(n0, session.location, 'DELETE', n0.userSig('someone-else'));
    expect(wrong.status).toBe(403);

    const deletedAt = Date.now();
    const deleted = await onSession(n0, session.location, 'DELETE', token);
    expect(deleted.status).toBe(200);
    await seesLeave(viewer, 'whipper', deletedAt);
    // Gone everywhere: node 0 and node 1 both answer 404.
    expect((await onSession(n0, session.location, 'DELETE', token)).status).toBe(404);
    expect((await onSession(n1, session.location, 'DELETE', token)).status).toBe(404);
  });

  it('a WHEP page on node 1 decodes a v4 user who publishes on node 0', async () => {
    const [n0, n1] = env.nodes as [NodeUnderTest, NodeUnderTest];
    const roomId = randomRoomId();
    await openNodePage(env.browser, n0, 'anchor', roomId);
    const player = await whipPage(n1);
    const token = n1.userSig('player');
    // The anchor publishes shortly after its join: until then the POST is refused (404).
    const session = await waitFor('WHEP session', async () =>
      player
        .evaluate(
          ([u, t]) =>
            (
              window as unknown as { whepPlay(u: string, t: string): Promise<SessionInfo> }
            ).whepPlay(u, t),
          [`/whep/${CLUSTER_SDK_APP_ID}/anchor?roomId=${roomId}`, token] as const,
        )
        .catch(() => null),
    );
    const started = Date.now();
    const first = await waitFor('WHEP frames decoded', async () => {
      const s = await stats(player);
      return s.framesDecoded > 0 && s.audioEnergy > 0 ? s : null;
    });
    console.log(`[figure] cluster WHEP: answer → first frame decoded ${Date.now() - started} ms`);
    expect(first.frameWidth).toBeGreaterThan(0);
    await waitFor('WHEP frames still coming', async () => {
      const s = await stats(player);
      return s.framesDecoded > first.framesDecoded + 20 ? s : null;
    });
    // The page's DELETE goes to node 1, which forwards it to node 0 where the session plays.
    const status = await player.evaluate(
      (t) => (window as unknown as { endSession(t: string): Promise<number> }).endSession(t),
      token,
    );
    expect(status).toBe(200);
    expect((await onSession(n0, session.location, 'DELETE', token)).status).toBe(404);
  });

  it("CreateCloudRecording sent to node 1 records node 0's publishers; Describe and Delete sent to node 1 reach the task", async () => {
    const [n0, n1] = env.nodes as [NodeUnderTest, NodeUnderTest];
    const roomId = randomRoomId();
    const alice = await openNodePage(env.browser, n0, 'alice', roomId);
    const bob = await openNodePage(env.browser, n0, 'bob', roomId);
    await receivingFrom(alice, ['bob']);
    await receivingFrom(bob, ['alice']);
    const client = api(n1);
    const { TaskId } = await client.CreateCloudRecording({
      SdkAppId: CLUSTER_SDK_APP_ID,
      RoomId: String(roomId),
      UserId: 'recorder',
      UserSig: n1.userSig('recorder'),
      RecordParams: { RecordMode: 1, StreamType: 0, MaxIdleTime: 30 },
      StorageParams: { CloudVod: { TencentVod: {} } },
      MixTranscodeParams: {
        VideoParams: { Width: 320, Height: 240, Fps: 15, BitRate: 500, Gop: 2 },
      },
    } as never);
    const taskId = TaskId!;
    const described = await waitFor(
      'both users recorded',
      async () => {
        const d = await client.DescribeCloudRecording({
          SdkAppId: CLUSTER_SDK_APP_ID,
          TaskId: taskId,
        });
        return d.Status === 'InProgress' && d.StorageFileList?.length === 2 ? d : null;
      },
      30_000,
    );
    expect(described.StorageFileList!.map((f) => f.UserId).sort()).toEqual(['alice', 'bob']);
    // Node 0 holds the task: node 1 has no recordings directory for the room.
    const dir = join(n0.dataDir, 'recordings', String(CLUSTER_SDK_APP_ID), String(roomId), taskId);
    await waitFor('some seconds recorded', async () => {
      const d = await client.DescribeCloudRecording({
        SdkAppId: CLUSTER_SDK_APP_ID,
        TaskId: taskId,
      });
      const first = Math.min(
        ...(d.StorageFileList ?? []).map((f) => f.BeginTimeStamp ?? Date.now()),
      );
      return Date.now() - first > 4000 ? true : null;
    });
    await client.DeleteCloudRecording({ SdkAppId: CLUSTER_SDK_APP_ID, TaskId: taskId });
    const files = readdirSync(dir).filter((f) => f.endsWith('.mp4'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const probed = await ffprobe(join(dir, file));
      expect(probed.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual([
        'audio:aac',
        'video:h264',
      ]);
    }
    // Deleted: node 1 describes it as ended (Tencent keeps an ended task describable).
    const after = await client.DescribeCloudRecording({
      SdkAppId: CLUSTER_SDK_APP_ID,
      TaskId: taskId,
    });
    expect(after.Status).toBe('Exited');
    // A task nobody has: ResourceNotFound from node 1 as from node 0.
    const code = await client
      .DescribeCloudRecording({ SdkAppId: CLUSTER_SDK_APP_ID, TaskId: 'no-such-task' })
      .then(
        () => 'Success',
        (error: { code?: string }) => error.code,
      );
    expect(code).toBe('ResourceNotFound');
  });

  it('a mix on node 0 takes a user of another room who is only on node 1 (mixUsers[].roomId)', async () => {
    if (!rtmpAvailable()) {
      throw new Error(
        'nginx with libnginx-mod-rtmp is needed: apt-get install nginx libnginx-mod-rtmp',
      );
    }
    rtmp ??= await startRtmpServer();
    const [n0, n1] = env.nodes as [NodeUnderTest, NodeUnderTest];
    const roomA = randomRoomId();
    const roomB = randomRoomId();
    const alice = await colourPublisher(n0, 'alice', roomA, '#ff0000');
    // Bob is in another room, which has nobody on node 0.
    await colourPublisher(n1, 'bob', roomB, '#0000ff');
    const streamId = `xmix${roomA}`;
    const url = rtmp.url(streamId);
    const box = (x: number, zOrder: number) => ({
      pureAudio: false,
      width: 320,
      height: 240,
      locationX: x,
      locationY: 0,
      zOrder,
    });
    // A user who is in that room nowhere is refused, naming the room.
    const refused = await call(alice, 'startMixTranscode', {
      streamId: `${streamId}b`,
      mixUsers: [
        { userId: 'alice', ...box(0, 1) },
        { userId: 'nobody', roomId: roomB + 1, ...box(320, 2) },
      ],
    });
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/nobody is not in room/);
    const watcher = new FrameWatcher(url, 640, 240);
    const bothSeen = watcher.next((f) => isRed(f.at(160, 120)) && isBlue(f.at(480, 120)), 40_000);
    const started = Date.now();
    expect(
      await call(alice, 'startMixTranscode', {
        streamId,
        videoWidth: 640,
        videoHeight: 240,
        mixUsers: [
          { userId: 'alice', ...box(0, 1) },
          { userId: 'bob', roomId: roomB, ...box(320, 2) },
        ],
      }),
    ).toEqual({ ok: true });
    expect(await call(alice, 'startPublishCDNStream', { streamId, url })).toEqual({ ok: true });
    const at = await bothSeen.finally(() => watcher.close());
    console.log(
      `[figure] cluster cross-room mix: both pictures in the output ${at - started} ms after the call`,
    );
    // Bob's room was opened on node 0 for the mix alone, with a relay in from node 1.
    expect(await relaysIn(n0, n1)).toBe(1);
    expect(await call(alice, 'stopMixTranscode')).toEqual({ ok: true });
    // No mix names it any more: the room closes on node 0, and its relay with it.
    await waitFor('the relay from node 1 closed', async () => (await relaysIn(n0, n1)) === 0);
  });

  it('node 1 killed with a WHIP session: the v4 user on node 0 sees the WHIP user leave; the session URL is gone', async () => {
    const [n0, n1] = env.nodes as [NodeUnderTest, NodeUnderTest];
    const roomId = randomRoomId();
    const viewer = await openNodePage(env.browser, n0, 'survivor', roomId);
    const whip = await whipPage(n1);
    const token = n1.userSig('doomed');
    const session = await whipPublish(
      whip,
      `/whip/${CLUSTER_SDK_APP_ID}/doomed?roomId=${roomId}`,
      token,
    );
    await receivingFrom(viewer, ['doomed']);
    const killedAt = Date.now();
    await n1.kill();
    const left = await seesLeave(viewer, 'doomed', killedAt, 30_000);
    console.log(
      `[figure] cluster WHIP: node killed → peer-leave on node 0 ${left.at - killedAt} ms`,
    );
    const gone = await onSession(n0, session.location, 'DELETE', token);
    expect(gone.status).toBe(404);
    expect(gone.text).toMatch(/left the cluster/);
  });
});
