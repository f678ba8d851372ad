/**
 * Helpers for the v5 suite: a page on the application origin that loads `/sdk/trtc-v5.js`
 * (fixtures/v5.html), a TRTC instance in it, and what it received and reported.
 */
import type { Browser, Page } from 'playwright-core';
import type { ParleyUnderTest } from '../harness.js';
import { newPage, waitFor } from '../harness.js';

export interface V5Event {
  name: string;
  payload: Record<string, unknown>;
  at: number;
}

export interface V5ErrorData {
  name: string;
  code: number;
  extraCode?: number;
  functionName: string;
  message: string;
  isError: boolean;
}

export interface Inbound {
  framesDecoded: number;
  frameWidth: number;
  bytesReceived: number;
  audioEnergy: number;
}

/** Opens fixtures/v5.html and creates `window.trtc` (TRTC.create(options)). */
export async function openV5Page(
  browser: Browser,
  appOrigin: string,
  options: Record<string, unknown> = {},
): Promise<{ page: Page; pageErrors: string[] }> {
  const { page } = await newPage(browser);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${appOrigin}/v5.html`);
  await page.evaluate((o) => {
    (window as unknown as { makeTrtc(o: object): unknown }).makeTrtc(o);
  }, options);
  return { page, pageErrors };
}

/** enterRoom with a valid userSig for `userId` (a numeric room unless `strRoomId`). */
export async function enterRoom(
  page: Page,
  parley: Pick<ParleyUnderTest, 'sdkAppId' | 'userSig'>,
  userId: string,
  room: { roomId: number } | { strRoomId: string },
  extra: Record<string, unknown> = {},
): Promise<void> {
  await page.evaluate(
    async (o) => {
      await (window as unknown as { trtc: { enterRoom(o: object): Promise<void> } }).trtc.enterRoom(
        o,
      );
    },
    { sdkAppId: parley.sdkAppId, userId, userSig: parley.userSig(userId), ...room, ...extra },
  );
}

/** Runs `trtc[method](...args)` in the page and returns its rejection as data (null: resolved). */
export function errorOf(
  page: Page,
  method: string,
  ...args: unknown[]
): Promise<V5ErrorData | null> {
  return page.evaluate(
    ({ method, args }) => {
      const w = window as unknown as {
        trtc: Record<string, (...a: unknown[]) => unknown>;
        errorOf(call: () => unknown): Promise<V5ErrorData | null>;
      };
      return w.errorOf(() => w.trtc[method]!(...args));
    },
    { method, args },
  );
}

export const v5Events = (page: Page): Promise<V5Event[]> =>
  page.evaluate(() => (window as unknown as { __events: V5Event[] }).__events);

/** Waits for an event `name` whose payload has the fields of `match`. */
export function waitForEvent(
  page: Page,
  name: string,
  match: Record<string, unknown> = {},
  timeoutMs = 15_000,
): Promise<V5Event> {
  return waitFor(
    `${name} ${JSON.stringify(match)}`,
    async () =>
      (await v5Events(page)).find(
        (e) =>
          e.name === name &&
          Object.entries(match).every(
            ([k, v]) => JSON.stringify(e.payload[k]) === JSON.stringify(v),
          ),
      ) ?? null,
    timeoutMs,
  );
}

/** What arrives of `userId`'s track (trtc.getVideoTrack / getAudioTrack) on the page. */
export function inboundOf(
  page: Page,
  kind: 'audio' | 'video',
  userId: string,
  streamType: 'main' | 'sub' = 'main',
): Promise<Inbound | null> {
  return page.evaluate(
    async ({ kind, userId, streamType }) => {
      const w = window as unknown as {
        trtc: {
          getVideoTrack(q: object): MediaStreamTrack | null;
          getAudioTrack(q: object): MediaStreamTrack | null;
        };
        __pcs: RTCPeerConnection[];
      };
      const track =
        kind === 'video'
          ? w.trtc.getVideoTrack({ userId, streamType })
          : w.trtc.getAudioTrack({ userId, streamType });
      if (!track) return null;
      for (const pc of w.__pcs) {
        if (pc.connectionState === 'closed') continue;
        let found: Record<string, number> | null = null;
        (await pc.getStats()).forEach((s: Record<string, unknown>) => {
          if (s.type === 'inbound-rtp' && s.trackIdentifier === track.id) {
            found = s as Record<string, number>;
          }
        });
        if (found) {
          const f: Record<string, number> = found;
          return {
            framesDecoded: f.framesDecoded ?? 0,
            frameWidth: f.frameWidth ?? 0,
            bytesReceived: f.bytesReceived ?? 0,
            audioEnergy: f.totalAudioEnergy ?? 0,
          };
        }
      }
      return null;
    },
    { kind, userId, streamType },
  );
}

/** Bytes of all inbound audio and video on the page. */
export const inboundBytes = (
  page: Page,
): Promise<{ audio: number; video: number; audioStreams: number; videoStreams: number }> =>
  page.evaluate(() =>
    (
      window as unknown as {
        inboundBytes(): Promise<{
          audio: number;
          video: number;
          audioStreams: number;
          videoStreams: number;
        }>;
      }
    ).inboundBytes(),
  );

/** Waits until `userId`'s video is being decoded on the page (frames rising, a real size). */
export async function expectVideoDecoded(
  page: Page,
  userId: string,
  streamType: 'main' | 'sub' = 'main',
): Promise<Inbound> {
  const first = await waitFor(
    `video of ${userId} (${streamType}) decoded`,
    async () => {
      const v = await inboundOf(page, 'video', userId, streamType);
      return v && v.framesDecoded > 0 && v.frameWidth >= 160 ? v : null;
    },
    20_000,
  );
  return waitFor(
    `more frames of ${userId} (${streamType})`,
    async () => {
      const v = await inboundOf(page, 'video', userId, streamType);
      return v && v.framesDecoded > first.framesDecoded + 10 ? v : null;
    },
    20_000,
  );
}

/** Waits until audio energy from `userId` rises on the page. */
export async function expectAudioEnergy(page: Page, userId: string): Promise<Inbound> {
  const first = await waitFor(
    `audio of ${userId}`,
    async () => (await inboundOf(page, 'audio', userId)) ?? null,
    20_000,
  );
  return waitFor(
    `audio energy of ${userId} rising`,
    async () => {
      const a = await inboundOf(page, 'audio', userId);
      return a && a.audioEnergy > first.audioEnergy ? a : null;
    },
    20_000,
  );
}
