/**
 * Operating Parley like the TRTC cloud: Tencent's own Node SDK (tencentcloud-sdk-nodejs),
 * pointed at Parley, lists a live call, removes a user, bans one and dismisses the room while
 * real browsers are in it; a callback receiver that verifies Sign as Tencent documents is
 * down for the first 30 s and then gets every event, in order; /metrics shows the call; the
 * admin console, used as a person would, removes a user.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
// Tencent's TRTC client alone (the whole SDK takes seconds to load).
import { trtc as tencentTrtc } from 'tencentcloud-sdk-nodejs/tencentcloud/services/trtc/index.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  closeAllPages,
  events,
  launchBrowser,
  newPage,
  openGuidePage,
  randomRoomId,
  startAppOrigin,
  startParley,
  waitFor,
  type ParleyUnderTest,
} from './harness.js';

const SDK_APP_ID = 1400000777;
const API = { secretId: 'AKIDparleyE2E0001', secretKey: 'e2e-api-secret-key-123' };
const CALLBACK_KEY = 'cbKey0123456789';
const ADMIN_TOKEN = 'admin-token-for-the-e2e-test';
/** How long the callback receiver stays down after the server starts (really). */
const RECEIVER_DOWN_MS = 30_000;

const TrtcClient = tencentTrtc.v20190722.Client;

interface Callback {
  raw: string;
  body: { EventGroupId: number; EventType: number; EventInfo: Record<string, unknown> };
  seq: number;
  room: string;
  at: number;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A receiver as Tencent documents it: base64(HMAC-SHA256(key, raw body)) must equal Sign. */
function startReceiver(port: number) {
  const received: Callback[] = [];
  const refused: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const sign = createHmac('sha256', CALLBACK_KEY).update(raw).digest('base64');
      if (req.headers.sign !== sign || req.headers.sdkappid !== String(SDK_APP_ID)) {
        refused.push(raw);
        return void res.writeHead(403).end();
      }
      received.push({
        raw,
        body: JSON.parse(raw),
        seq: Number(req.headers['x-parley-sequence']),
        room: String(req.headers['x-parley-room']),
        at: Date.now(),
      });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code":0}');
    });
  });
  server.listen(port, '127.0.0.1');
  return { received, refused, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let parley: ParleyUnderTest;
let app: { origin: string; close(): Promise<void> };
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let receiver: ReturnType<typeof startReceiver> | undefined;
let receiverTimer: NodeJS.Timeout;
let receiverUpAt = 0;

beforeAll(async () => {
  const callbackPort = await freePort();
  parley = await startParley({
    PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-api-e2e-')),
    PARLEY_SDK_APP_ID: String(SDK_APP_ID),
    PARLEY_SECRET_KEY: 'usersig-key-of-the-e2e-app',
    PARLEY_API_SECRET_ID: API.secretId,
    PARLEY_API_SECRET_KEY: API.secretKey,
    PARLEY_CALLBACK_URL: `http://127.0.0.1:${callbackPort}/trtc/callback`,
    PARLEY_CALLBACK_KEY: CALLBACK_KEY,
    PARLEY_CALLBACK_MAX_BACKOFF_MS: '2000',
    PARLEY_ADMIN_TOKEN: ADMIN_TOKEN,
  });
  // The operations secrets must stay out of the server log too (checked at close).
  for (const secret of [API.secretKey, CALLBACK_KEY, ADMIN_TOKEN]) parley.recordSecret(secret);
  // Down now, up in 30 s: the other tests run meanwhile, their events queue up.
  receiverTimer = setTimeout(() => {
    receiver = startReceiver(callbackPort);
    receiverUpAt = Date.now();
  }, RECEIVER_DOWN_MS);
  app = await startAppOrigin(parley.origin);
  browser = await launchBrowser();
});
afterEach(() => closeAllPages());
afterAll(async () => {
  clearTimeout(receiverTimer);
  await browser?.close();
  await app?.close();
  await parley?.close();
  await receiver?.close();
});

function trtc(credential = API) {
  return new TrtcClient({
    credential,
    region: 'ap-guangzhou',
    profile: {
      httpProfile: { endpoint: parley.origin.replace('http://', ''), protocol: 'http://' },
    },
  });
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (e: { code?: string }) => e.code,
  );

/** Records client-banned on a guide page (its client is window.client). */
const watchBanned = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as {
      client: { on(e: string, f: (e: unknown) => void): void };
      __banned: unknown;
    };
    w.__banned = null;
    w.client.on('client-banned', (e) => {
      const ev = e as { reason: string; message: string };
      w.__banned = { reason: ev.reason, message: ev.message };
    });
  });
const banned = (page: Page) =>
  page.evaluate(
    () => (window as unknown as { __banned: { reason: string; message: string } | null }).__banned,
  );

describe('TRTC server API 3.0 through Tencent’s Node SDK', () => {
  it('answers a wrong key, an unknown SecretId, an expired timestamp, an unknown action and a missing parameter with Tencent’s codes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ok = { SdkAppId: SDK_APP_ID, StartTime: now - 60, EndTime: now };
    expect(await codeOf(trtc().DescribeRoomInfo(ok))).toBe('no error');
    expect(await codeOf(trtc({ ...API, secretKey: 'not-the-key' }).DescribeRoomInfo(ok))).toBe(
      'AuthFailure.SignatureFailure',
    );
    expect(await codeOf(trtc({ ...API, secretId: 'AKIDunknown' }).DescribeRoomInfo(ok))).toBe(
      'AuthFailure.SecretIdNotFound',
    );
    expect(await codeOf(trtc().request('NoSuchAction', {}))).toBe('InvalidAction');
    expect(await codeOf(trtc().DismissRoom({ SdkAppId: SDK_APP_ID } as never))).toBe(
      'MissingParameter.RoomId',
    );
    expect(await codeOf(trtc().RemoveUser({ SdkAppId: SDK_APP_ID, RoomId: 1 } as never))).toBe(
      'MissingParameter.UserIds',
    );
    expect(await codeOf(trtc().DismissRoom({ SdkAppId: 1400000001, RoomId: 1 }))).toBe(
      'UnauthorizedOperation.SdkAppId',
    );
    // The SDK signs with its clock: set it 10 minutes back (the server's check is monotonic).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 600_000);
    try {
      expect(await codeOf(trtc().DescribeRoomInfo(ok))).toBe('AuthFailure.SignatureExpire');
    } finally {
      vi.useRealTimers();
    }
  });

  it('lists a live call, removes a user, bans one (rejoin refused) and dismisses the room; the pages see it', async () => {
    const roomId = randomRoomId();
    // One after another: four calls setting up at once are too much for a 2-core machine.
    const alice = await openGuidePage(browser, app.origin, parley, 'alice', roomId);
    const bob = await openGuidePage(browser, app.origin, parley, 'bob', roomId);
    const carol = await openGuidePage(browser, app.origin, parley, 'carol', roomId);
    for (const page of [alice, bob, carol]) await watchBanned(page);
    const client = trtc();
    const now = Math.floor(Date.now() / 1000);
    const rooms = await client.DescribeRoomInfo({
      SdkAppId: SDK_APP_ID,
      StartTime: now - 3600,
      EndTime: now + 60,
      RoomId: String(roomId),
    });
    expect(rooms.Total).toBe(1);
    const live = rooms.RoomList![0]!;
    expect(live).toMatchObject({ RoomString: String(roomId), IsFinished: false });
    expect(live.CommId).toBe(`${SDK_APP_ID}_${roomId}_${live.CreateTime}`);
    const users = await client.DescribeUserInfo({
      SdkAppId: String(SDK_APP_ID),
      CommId: live.CommId!,
      StartTime: now - 3600,
      EndTime: now + 60,
      PageSize: 10,
    } as never);
    expect(users.UserList!.map((u) => u.UserId).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(users.UserList![0]).toMatchObject({ Finished: false, ClientIp: '127.0.0.1' });
    expect(users.UserList![0]!.SdkVersion).not.toBe('');

    // /metrics during the call (media counters are read every 10 s by default, and a bitrate
    // needs two readings).
    await waitFor(
      'media counted in /metrics',
      async () => {
        const text = await (await fetch(`${parley.origin}/metrics`)).text();
        const value = (name: string) =>
          Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
        return (
          value('parley_participants') >= 3 &&
          value('parley_publishers') >= 3 &&
          value('parley_subscribers') >= 3 &&
          value('parley_bitrate_in_bits_per_second') > 50_000 &&
          value('parley_bitrate_out_bits_per_second') > 50_000 &&
          /parley_join_latency_seconds_count \d+/.test(text) &&
          /nodejs_eventloop_lag_seconds \S+/.test(text)
        );
      },
      30_000,
    );

    await client.RemoveUser({ SdkAppId: SDK_APP_ID, RoomId: roomId, UserIds: ['bob'] });
    expect(await waitFor('bob banned', () => banned(bob))).toMatchObject({ reason: 'kick' });
    await waitFor('alice sees bob leave', async () =>
      (await events(alice)).some((e) => e.name === 'peer-leave' && e.userId === 'bob'),
    );

    const ban = await client.request('BanUser', {
      SdkAppId: SDK_APP_ID,
      RoomId: roomId,
      UserIds: ['carol'],
      Duration: 600,
      Reason: 'spam',
    });
    expect(ban.BanEndTime).toBeGreaterThan(now + 590);
    expect(await waitFor('carol banned', () => banned(carol))).toMatchObject({ reason: 'banned' });
    const rejoin = await carol.evaluate(
      async ({ sdkAppId, userSig, roomId }) => {
        const T = (
          window as unknown as {
            TRTC: { createClient(o: object): { join(o: object): Promise<void> } };
          }
        ).TRTC;
        const c = T.createClient({ mode: 'rtc', sdkAppId, userId: 'carol', userSig });
        try {
          await c.join({ roomId });
          return null;
        } catch (e) {
          const err = e as { getCode(): number; getExtraCode(): number; message: string };
          return { code: err.getCode(), extra: err.getExtraCode(), message: err.message };
        }
      },
      { sdkAppId: SDK_APP_ID, userSig: parley.userSig('carol'), roomId },
    );
    expect(rejoin).toMatchObject({ code: 0x4004, extra: -100030 });
    expect(rejoin!.message).toMatch(/banned from room \d+ until \d{4}-\d\d-\d\dT.*spam/);

    await client.DismissRoom({ SdkAppId: SDK_APP_ID, RoomId: roomId });
    for (const page of [alice]) {
      expect(await waitFor('room-disband', () => banned(page))).toMatchObject({
        reason: 'room-disband',
      });
    }
    expect(await codeOf(client.DismissRoom({ SdkAppId: SDK_APP_ID, RoomId: roomId }))).toBe(
      'FailedOperation.RoomNotExist',
    );
    const after = await client.DescribeRoomInfo({
      SdkAppId: SDK_APP_ID,
      StartTime: now - 3600,
      EndTime: Math.floor(Date.now() / 1000) + 60,
      RoomId: String(roomId),
    });
    expect(after.RoomList![0]).toMatchObject({ IsFinished: true });
  });

  it('admin console: a person signs in, sees the call with bitrates and removes a user', async () => {
    const roomId = randomRoomId();
    const erin = await openGuidePage(browser, app.origin, parley, 'erin', roomId);
    const frank = await openGuidePage(browser, app.origin, parley, 'frank', roomId);
    await watchBanned(frank);
    const { page } = await newPage(browser);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${parley.origin}/admin`);
    await page.getByLabel('SecretId').fill(API.secretId);
    await page.getByLabel('SecretKey').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#signin-error').textContent()).toMatch(/refused/);
    await page.getByLabel('SecretKey').fill(API.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const room = page.locator(`.room[data-room="${roomId}"]`);
    await room.waitFor();
    const frankRow = room.locator('tr[data-user="frank"]');
    await expect
      .poll(() => frankRow.textContent(), { timeout: 15_000 })
      .toMatch(/↑ \d+(\.\d)? (kbps|Mbps)/);
    await expect
      .poll(() => room.locator('tr[data-user="erin"]').textContent())
      .toMatch(/video.*audio/);
    const shot = await page.screenshot();
    writeFileSync(join(tmpdir(), 'parley-admin-console.png'), shot);
    const png = PNG.sync.read(shot);
    const colors = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4 * 97) colors.add(png.data.readUInt32BE(i) >>> 8);
    expect(colors.size, 'a rendered console, not a blank page').toBeGreaterThan(20);

    await frankRow.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => page.locator('#confirm-title').textContent()).toBe('Remove frank?');
    await page.locator('#confirm-ok').click();
    expect(await waitFor('frank banned', () => banned(frank))).toMatchObject({ reason: 'kick' });
    await waitFor('erin sees frank leave', async () =>
      (await events(erin)).some((e) => e.name === 'peer-leave' && e.userId === 'frank'),
    );
    await expect.poll(() => room.locator('tr[data-user="frank"]').count()).toBe(0);
    // Erin hangs up, so the room ends (and its callbacks end with 102) before the last test.
    await erin.evaluate(() =>
      (window as unknown as { client: { leave(): Promise<void> } }).client.leave(),
    );
  });

  it('callbacks: a receiver down for 30 s gets every event afterwards, Sign-verified and in order per room', async () => {
    await waitFor('receiver up', async () => receiverUpAt > 0, RECEIVER_DOWN_MS + 5000);
    await waitFor(
      'callback queue drained',
      async () => receiver!.received.length > 0 && parley.server.ops.callbacks.depth === 0,
      20_000,
    );
    const r = receiver!;
    expect(r.refused).toEqual([]);
    const deliveries = parley.server.ops.callbacks.deliveries(300);
    expect(
      deliveries.some((d) => d.outcome === 'failed'),
      'attempts failed while it was down',
    ).toBe(true);
    expect(deliveries.some((d) => d.outcome === 'dropped')).toBe(false);
    const byRoom = new Map<string, Callback[]>();
    for (const cb of r.received) byRoom.set(cb.room, [...(byRoom.get(cb.room) ?? []), cb]);
    expect(byRoom.size).toBe(2);
    for (const [room, list] of byRoom) {
      expect(
        list.map((c) => c.seq),
        `room ${room} in order, none missing`,
      ).toEqual(list.map((_, i) => i + 1));
      expect(list[0]!.body.EventType).toBe(101);
      expect(list.at(-1)!.body.EventType).toBe(102);
      const types = list.map((c) => c.body.EventType);
      expect(types.filter((t) => t === 103).length).toBe(types.filter((t) => t === 104).length);
      expect(types).toContain(201);
      expect(types).toContain(203);
      for (const c of list) expect(c.body.EventInfo.RoomId).toBe(Number(room));
    }
    const removed = r.received.filter(
      (c) => c.body.EventType === 104 && c.body.EventInfo.Reason === 3,
    );
    expect(removed.map((c) => c.body.EventInfo.UserId).sort()).toEqual(
      ['alice', 'bob', 'carol', 'frank'].sort(),
    );
    console.log(
      `[figure] ${r.received.length} callbacks delivered ${Date.now() - receiverUpAt} ms after the receiver came up`,
    );
  });
});
