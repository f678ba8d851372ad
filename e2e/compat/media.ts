/**
 * Pages for the stream-media tests: a TRTC v4 client per page (loaded from the Parley origin
 * by fixtures/sdk.html), the events it saw with their payloads, and readers for what its
 * peer connections send and receive (getStats) and what the server forwards (router stats).
 */
import type { Browser, Page } from 'playwright-core';
import type { Client, LocalStream, RemoteStream, TRTCNamespace } from '@parley/sdk';
import { newPage, waitFor, type ParleyUnderTest } from '../harness.js';

/** One event a page's client or streams fired, reduced to what the tests check. */
export interface SeenEvent {
  name: string;
  userId?: string;
  streamType?: string;
  hasAudio?: boolean;
  hasVideo?: boolean;
  type?: string;
  state?: string;
  reason?: string;
  code?: number;
  at: number;
}

/** The page globals this module sets up (inside page.evaluate). */
export interface MediaWindow {
  TRTC: TRTCNamespace;
  client: Client;
  local: LocalStream;
  /** Remote streams by `${userId}/${type}`. */
  remotes: Record<string, RemoteStream>;
  /** streamId → userId, for harness.remoteMedia(). */
  __remoteUsers: Record<string, string>;
  __events: SeenEvent[];
  __pcs: RTCPeerConnection[];
}

export interface PageOptions {
  /** Call subscribe() on stream-added (default true). */
  subscribe?: boolean;
  autoSubscribe?: boolean;
}

/**
 * A page whose client joined `roomId` as `userId`. Remote streams are kept in `remotes`,
 * subscribed on stream-added (unless `subscribe: false`) and played on stream-subscribed
 * into `div#remote_<userId>_<type>`.
 */
export async function joinedPage(
  browser: Browser,
  parley: ParleyUnderTest,
  appOrigin: string,
  userId: string,
  roomId: number,
  options: PageOptions = {},
): Promise<Page> {
  const { page } = await newPage(browser);
  await page.goto(`${appOrigin}/sdk.html`);
  await page.evaluate(
    async ({ sdkAppId, userId, userSig, roomId, subscribe, autoSubscribe }) => {
      const w = window as unknown as MediaWindow;
      w.remotes = {};
      w.__remoteUsers = {};
      w.__events = [];
      const client = w.TRTC.createClient({ mode: 'rtc', sdkAppId, userId, userSig, autoSubscribe });
      w.client = client;
      const record = (name: string, payload: Partial<SeenEvent>) =>
        w.__events.push({ name, ...payload, at: Date.now() });
      for (const name of [
        'stream-added',
        'stream-updated',
        'stream-removed',
        'stream-subscribed',
      ] as const) {
        client.on(name, ({ stream }) =>
          record(name, {
            userId: stream.getUserId(),
            streamType: stream.getType(),
            hasAudio: stream.hasAudio(),
            hasVideo: stream.hasVideo(),
          }),
        );
      }
      for (const name of [
        'mute-audio',
        'unmute-audio',
        'mute-video',
        'unmute-video',
        'peer-join',
      ] as const) {
        client.on(name, ({ userId: who }) => record(name, { userId: who }));
      }
      client.on('stream-added', ({ stream }) => {
        w.remotes[`${stream.getUserId()}/${stream.getType()}`] = stream;
        stream.on('player-state-changed', (e) =>
          record('player-state-changed', { userId: stream.getUserId(), ...e }),
        );
        stream.on('error', (e) =>
          record('stream-error', { userId: stream.getUserId(), code: e.getCode() }),
        );
        if (subscribe) void client.subscribe(stream);
      });
      client.on('stream-subscribed', ({ stream }) => {
        const id = `remote_${stream.getUserId()}_${stream.getType()}`;
        if (!document.getElementById(id)) {
          const div = document.createElement('div');
          div.id = id;
          div.style.cssText = 'width:320px;height:240px;display:inline-block';
          document.body.appendChild(div);
        }
        w.__remoteUsers[stream.getId()] = stream.getUserId();
        stream.play(id).catch(() => undefined);
      });
      await client.join({ roomId });
    },
    {
      sdkAppId: parley.sdkAppId,
      userId,
      userSig: parley.userSig(userId),
      roomId,
      subscribe: options.subscribe ?? true,
      autoSubscribe: options.autoSubscribe ?? true,
    },
  );
  return page;
}

/** Creates, initializes and publishes `window.local` (camera + microphone by default). */
export async function publishLocal(
  page: Page,
  config: { audio?: boolean; video?: boolean } = { audio: true, video: true },
): Promise<void> {
  await page.evaluate(async (streamConfig) => {
    const w = window as unknown as MediaWindow;
    const local = w.TRTC.createStream({ userId: 'self', ...streamConfig });
    w.local = local;
    await local.initialize();
    await w.client.publish(local);
  }, config);
}

export const seen = (page: Page): Promise<SeenEvent[]> =>
  page.evaluate(() => (window as unknown as MediaWindow).__events);

/** Waits for an event matching `match` that fired at or after `since`. */
export function waitForEvent(
  page: Page,
  what: string,
  match: (e: SeenEvent) => boolean,
  since = 0,
  timeoutMs = 10_000,
): Promise<SeenEvent> {
  return waitFor(
    what,
    async () => (await seen(page)).find((e) => e.at >= since && match(e)),
    timeoutMs,
  );
}

export interface RtpTotals {
  audioBytes: number;
  videoBytes: number;
  framesDecoded: number;
  /** Largest inbound frame width seen among live video receivers. */
  frameWidth: number;
  frameHeight: number;
  audioEnergy: number;
}

/** What a page's peer connections received (inbound-rtp), summed per kind. */
export function inbound(page: Page): Promise<RtpTotals> {
  return page.evaluate(async () => {
    const totals = {
      audioBytes: 0,
      videoBytes: 0,
      framesDecoded: 0,
      frameWidth: 0,
      frameHeight: 0,
      audioEnergy: 0,
    };
    for (const pc of (window as unknown as MediaWindow).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, number | string>) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'audio') {
          totals.audioBytes += Number(s.bytesReceived ?? 0);
          totals.audioEnergy += Number(s.totalAudioEnergy ?? 0);
        } else {
          totals.videoBytes += Number(s.bytesReceived ?? 0);
          totals.framesDecoded += Number(s.framesDecoded ?? 0);
          if (Number(s.frameWidth ?? 0) > totals.frameWidth) {
            totals.frameWidth = Number(s.frameWidth);
            totals.frameHeight = Number(s.frameHeight ?? 0);
          }
        }
      });
    }
    return totals;
  });
}

/** What a page's peer connections sent (outbound-rtp), summed per kind. */
export function outbound(page: Page): Promise<{ audioBytes: number; videoBytes: number }> {
  return page.evaluate(async () => {
    const totals = { audioBytes: 0, videoBytes: 0 };
    for (const pc of (window as unknown as MediaWindow).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, number | string>) => {
        if (s.type !== 'outbound-rtp') return;
        const bytes = Number(s.bytesSent ?? 0);
        if (s.kind === 'audio') totals.audioBytes += bytes;
        else totals.videoBytes += bytes;
      });
    }
    return totals;
  });
}

/** Waits until `read` exceeds its first value by more than `by`; returns the last value. */
export async function expectGrowing(
  what: string,
  read: () => Promise<number>,
  by = 0,
  timeoutMs = 10_000,
): Promise<number> {
  const first = await read();
  let last = first;
  try {
    return await waitFor(
      `${what} growing`,
      async () => {
        last = await read();
        return last > first + by ? last : null;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (from ${first} to ${last})`);
  }
}

/**
 * Asserts `read` stays put: after a settle pause (packets in flight), two readings 1.5 s
 * apart are equal. Throws with both values otherwise.
 */
export async function expectStill(what: string, read: () => Promise<number>): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 700));
  const before = await read();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const after = await read();
  if (after !== before) throw new Error(`${what} still moving: ${before} → ${after}`);
}

/** The room (server side), for what the server forwards. */
export function roomOf(parley: ParleyUnderTest, roomId: number) {
  const room = [...parley.server.rooms.rooms()].find((r) => r.key.endsWith(`/n/${roomId}`));
  if (!room) throw new Error(`room ${roomId} is not open on the server`);
  return room;
}

/** Per published track on the server: its subscribers and what was forwarded to them. */
export function sourceStats(parley: ParleyUnderTest, roomId: number) {
  return roomOf(parley, roomId).sourceStats();
}

/** Packets the server forwarded (to the subscribers it has now) from the tracks of one kind. */
export async function forwarded(
  parley: ParleyUnderTest,
  roomId: number,
  kind: 'audio' | 'video',
): Promise<number> {
  return (await sourceStats(parley, roomId))
    .filter((s) => s.kind === kind)
    .reduce((sum, s) => sum + s.forwardedPackets, 0);
}

export { randomRoomId as randomRoom } from '../harness.js';

export interface StreamMedia {
  framesDecoded: number;
  frameWidth: number;
  audioBytes: number;
}

/** What a page receives per remote stream (`${userId}/${type}`), via its tracks' stats. */
export function receivedByStream(page: Page): Promise<Record<string, StreamMedia>> {
  return page.evaluate(async () => {
    const w = window as unknown as MediaWindow;
    const byTrack = new Map<string, Record<string, number>>();
    for (const pc of w.__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, number | string>) => {
        if (s.type === 'inbound-rtp' && typeof s.trackIdentifier === 'string') {
          byTrack.set(s.trackIdentifier, s as Record<string, number>);
        }
      });
    }
    const result: Record<string, StreamMedia> = {};
    for (const [key, stream] of Object.entries(w.remotes)) {
      const video = byTrack.get(stream.getVideoTrack()?.id ?? '');
      const audio = byTrack.get(stream.getAudioTrack()?.id ?? '');
      result[key] = {
        framesDecoded: video?.framesDecoded ?? 0,
        frameWidth: video?.frameWidth ?? 0,
        audioBytes: audio?.bytesReceived ?? 0,
      };
    }
    return result;
  });
}
