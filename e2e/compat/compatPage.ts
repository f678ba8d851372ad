/**
 * Pages running e2e/fixtures/compat.html: a v4-style app whose client records every event
 * with its payload. Helpers to join, publish and read those events from tests.
 */
import type { Browser, Page } from 'playwright-core';
import { newPage, waitFor, type ParleyUnderTest } from '../harness.js';

export interface RecordedEvent {
  name: string;
  at: number;
  userId?: string;
  state?: string;
  prevState?: string;
  reason?: string;
  message?: string;
  code?: number;
  uplinkNetworkQuality?: number;
  downlinkNetworkQuality?: number;
  result?: Array<{ userId: string; audioVolume: number; streamUserId: string }>;
  isArrayBuffer?: boolean;
  bytes?: number[];
  seiPayloadType?: number;
}

export interface JoinSpec {
  userId: string;
  roomId: number;
  mode?: 'rtc' | 'live' | 'videoCall';
  role?: 'anchor' | 'audience';
  /** Publish camera + microphone after join. */
  publish?: boolean;
}

/** The page's globals (see compat.html). */
export interface CompatWindow {
  makeClient(config: object): unknown;
  publishCamera(client: unknown, userId: string): Promise<unknown>;
  client: unknown;
  __events: RecordedEvent[];
}

export async function openCompatPage(browser: Browser, appOrigin: string): Promise<Page> {
  const { page } = await newPage(browser);
  await page.goto(`${appOrigin}/compat.html`);
  return page;
}

/** What a page needs of a Parley server: its app id and user signatures. */
export type ParleyAccount = Pick<ParleyUnderTest, 'sdkAppId' | 'userSig'>;

/** Creates `window.client`, joins and (optionally) publishes the camera. */
export async function joinAs(page: Page, parley: ParleyAccount, spec: JoinSpec): Promise<void> {
  await page.evaluate(
    async ({ spec, sdkAppId, userSig }) => {
      const w = window as unknown as CompatWindow;
      const client = w.makeClient({
        mode: spec.mode ?? 'rtc',
        sdkAppId,
        userId: spec.userId,
        userSig,
      }) as { join(o: object): Promise<void> };
      w.client = client;
      await client.join({ roomId: spec.roomId, ...(spec.role ? { role: spec.role } : {}) });
      if (spec.publish) await w.publishCamera(client, spec.userId);
    },
    { spec, sdkAppId: parley.sdkAppId, userSig: parley.userSig(spec.userId) },
  );
}

/** A page with a joined client. */
export async function openJoined(
  browser: Browser,
  appOrigin: string,
  parley: ParleyAccount,
  spec: JoinSpec,
): Promise<Page> {
  const page = await openCompatPage(browser, appOrigin);
  await joinAs(page, parley, spec);
  return page;
}

export function recorded(page: Page, name?: string): Promise<RecordedEvent[]> {
  return page.evaluate(
    (name) =>
      (window as unknown as CompatWindow).__events.filter(
        (e) => name === undefined || e.name === name,
      ),
    name,
  );
}

/** Waits for an event matching `match` (recorded at or after `since`). */
export function waitForEvent(
  page: Page,
  what: string,
  match: (e: RecordedEvent) => boolean,
  timeoutMs = 15_000,
): Promise<RecordedEvent> {
  return waitFor(what, async () => (await recorded(page)).find(match), timeoutMs);
}

export { randomRoomId as randomRoom } from '../harness.js';
