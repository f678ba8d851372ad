/**
 * The TRTC namespace: system checks with real codec probing, device lists, the Logger's
 * levels and log upload to the Parley server.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newPage, useE2eEnvironment, waitFor } from '../harness.js';
import { joinAs, randomRoom, type CompatWindow } from './compatPage.js';

const env = useE2eEnvironment();

interface Namespace {
  checkSystemRequirements(): Promise<{ result: boolean; detail: Record<string, boolean> }>;
  isSmallStreamSupported(): boolean;
  getDevices(): Promise<MediaDeviceInfo[]>;
  getCameras(): Promise<MediaDeviceInfo[]>;
  getMicrophones(): Promise<MediaDeviceInfo[]>;
  getSpeakers(): Promise<MediaDeviceInfo[]>;
  Logger: {
    LogLevel: Record<string, number>;
    setLogLevel(level: number): void;
    enableUploadLog(): void;
    disableUploadLog(): void;
  };
}

async function openPage(): Promise<Page> {
  const { page } = await newPage(env.browser);
  await page.goto(`${env.app.origin}/compat.html`);
  return page;
}

describe('TRTC namespace', () => {
  it('checkSystemRequirements probes this Chromium: WebRTC, devices, VP8 and H.264 both ways', async () => {
    const page = await openPage();
    const check = await page.evaluate(() =>
      (window as unknown as { TRTC: Namespace }).TRTC.checkSystemRequirements(),
    );
    expect(check).toEqual({
      result: true,
      detail: {
        isBrowserSupported: true,
        isWebRTCSupported: true,
        isMediaDevicesSupported: true,
        isH264EncodeSupported: true,
        isVp8EncodeSupported: true,
        isH264DecodeSupported: true,
        isVp8DecodeSupported: true,
      },
    });
    // Chromium sends simulcast: the small stream (dual stream) is available.
    expect(
      await page.evaluate(() =>
        (window as unknown as { TRTC: Namespace }).TRTC.isSmallStreamSupported(),
      ),
    ).toBe(true);
  });

  it('lists the fake camera and microphone', async () => {
    const page = await openPage();
    const lists = await page.evaluate(async () => {
      const T = (window as unknown as { TRTC: Namespace }).TRTC;
      const kinds = (list: MediaDeviceInfo[]) => list.map((d) => d.kind);
      return {
        devices: kinds(await T.getDevices()),
        cameras: kinds(await T.getCameras()),
        microphones: kinds(await T.getMicrophones()),
        speakers: kinds(await T.getSpeakers()),
      };
    });
    expect(lists.cameras.length).toBeGreaterThanOrEqual(1);
    expect(lists.microphones.length).toBeGreaterThanOrEqual(1);
    expect(new Set(lists.cameras)).toEqual(new Set(['videoinput']));
    expect(new Set(lists.microphones)).toEqual(new Set(['audioinput']));
    expect(lists.speakers.every((k) => k === 'audiooutput')).toBe(true);
    expect(lists.devices.length).toBe(
      lists.cameras.length + lists.microphones.length + lists.speakers.length,
    );
  });

  it('Logger.setLogLevel(NONE) silences the console; INFO does not', async () => {
    const consoleLines = async (level: 'INFO' | 'NONE'): Promise<string[]> => {
      const page = await openPage();
      const lines: string[] = [];
      page.on('console', (message) => {
        if (message.text().includes('[Parley]')) lines.push(message.text());
      });
      await page.evaluate((level) => {
        const { Logger } = (window as unknown as { TRTC: Namespace }).TRTC;
        Logger.setLogLevel(Logger.LogLevel[level]!);
      }, level);
      await joinAs(page, env.parley, { userId: `log_${level}`, roomId: randomRoom() });
      await page.evaluate(() =>
        ((window as unknown as CompatWindow).client as { leave(): Promise<void> }).leave(),
      );
      return lines;
    };
    const info = await consoleLines('INFO');
    expect(info.some((line) => /joined room/.test(line))).toBe(true);
    expect(await consoleLines('NONE')).toEqual([]);
  });

  it('Logger.enableUploadLog sends the SDK log to the server, stored per app, room and user', async () => {
    const page = await openPage();
    const roomId = randomRoom();
    const userId = 'uploader';
    await page.evaluate(() => {
      const { Logger } = (window as unknown as { TRTC: Namespace }).TRTC;
      // Upload does not depend on the console level.
      Logger.setLogLevel(Logger.LogLevel.NONE!);
      Logger.enableUploadLog();
    });
    await joinAs(page, env.parley, { userId, roomId });
    const key = {
      sdkAppId: env.parley.sdkAppId,
      room: { kind: 'number' as const, id: roomId },
      userId,
    };
    const joinLine = new RegExp(`${userId} joined room ${roomId}`);
    const stored = await waitFor('the join line on the server', async () =>
      env.parley.server.logs.read(key).find((line) => joinLine.test(line.message)),
    );
    expect(stored).toMatchObject({ level: 'info', tag: 'client' });
    // Nothing lands under another user or room.
    expect(env.parley.server.logs.read({ ...key, userId: 'someone_else' })).toEqual([]);
    expect(
      env.parley.server.logs.read({ ...key, room: { kind: 'string', id: String(roomId) } }),
    ).toEqual([]);

    // The lines logged while leaving arrive too (sent at leave, the token outlives the session).
    await page.evaluate(() =>
      ((window as unknown as CompatWindow).client as { leave(): Promise<void> }).leave(),
    );
    await waitFor('the leave line on the server', async () =>
      env.parley.server.logs.read(key).some((line) => /left the room/.test(line.message)),
    );

    // Readable over HTTP (dev mode), and appended to the user's file in the data directory.
    const query = new URLSearchParams({
      sdkAppId: String(env.parley.sdkAppId),
      roomId: String(roomId),
      userId,
    });
    const res = await fetch(`${env.parley.origin}/v1/logs?${query}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { lines: Array<{ message: string }> };
    expect(body.lines.some((line) => joinLine.test(line.message))).toBe(true);
    await env.parley.server.logs.flushed();
    const file = env.parley.server.logs.fileFor(key);
    expect(file).toMatch(new RegExp(`logs/${env.parley.sdkAppId}/n-${roomId}/${userId}\\.log$`));
    const text = await readFile(file!, 'utf8');
    expect(text).toMatch(joinLine);
    expect(text).toMatch(/left the room/);
  });
});
