/**
 * v5's DeviceDetector plugin in real Chromium: Parley's dialog walks through camera,
 * microphone, speaker and network, driven here as a user would (by role and name), and
 * `startPlugin` resolves with v5's result. With Chromium's fake devices the camera and
 * microphone pass with their names and the network is graded by a session on this server;
 * with the permission denied they fail (the dialog cannot be told they work); a skip before
 * any step resolves undefined as v5 does; bad options reject with v5's codes.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchBrowser, randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import { errorOf, openV5Page } from './v5Page.js';

const env = useE2eEnvironment();

interface PlainResult {
  camera?: { isSuccess: boolean; label: string; kind: string; deviceId: string };
  microphone?: { isSuccess: boolean; label: string; kind: string; deviceId: string };
  speaker?: { isSuccess: boolean; label: string; kind: string; deviceId: string };
  network?: { isSuccess: boolean; result: { quality: number; rtt: number } };
}

/** Starts the detector without waiting; `detectorResult(page)` reads what it resolved. */
async function startDetector(page: Page, options: unknown): Promise<void> {
  await page.evaluate((options) => {
    const w = window as unknown as {
      trtc: { startPlugin(n: string, o: unknown): Promise<Record<string, unknown> | undefined> };
      __detector: { done: boolean; result?: unknown; error?: string };
    };
    w.__detector = { done: false };
    w.trtc.startPlugin('DeviceDetector', options).then(
      (result) => {
        // MediaDeviceInfo's fields are getters: copy them for the test.
        const plain = (d: MediaDeviceInfo) => ({
          label: d.label,
          kind: d.kind,
          deviceId: d.deviceId,
        });
        const out: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(result ?? {})) {
          const v = value as { isSuccess: boolean; device?: MediaDeviceInfo; result?: unknown };
          out[key] = v.device
            ? { isSuccess: v.isSuccess, ...plain(v.device) }
            : { isSuccess: v.isSuccess, result: v.result };
        }
        w.__detector = { done: true, result: result === undefined ? undefined : out };
      },
      (error: Error) => (w.__detector = { done: true, error: error.message }),
    );
  }, options);
}

function detectorResult(page: Page): Promise<{ result?: PlainResult; error?: string }> {
  return waitFor('the detector to resolve', () =>
    page.evaluate(() => {
      const d = (
        window as unknown as {
          __detector: { done: boolean; result?: PlainResult; error?: string };
        }
      ).__detector;
      return d.done ? { ...d } : null;
    }),
  );
}

const dialog = (page: Page) => page.getByRole('dialog', { name: 'Device check' });
const status = (page: Page) => dialog(page).getByRole('status');

describe('TRTC v5: the DeviceDetector plugin', () => {
  it('with fake devices: camera, microphone and speaker pass with their names, the network is graded on this server', async () => {
    const { page, pageErrors } = await openV5Page(env.browser, env.app.origin);
    await startDetector(page, {
      networkDetect: {
        sdkAppId: env.parley.sdkAppId,
        userId: 'probe',
        userSig: env.parley.userSig('probe'),
        roomId: randomRoomId(),
      },
      cameraDetect: { mirror: true },
    });
    await dialog(page).waitFor();

    await dialog(page)
      .getByRole('heading', { name: /Camera \(step 1 of 4\)/ })
      .waitFor();
    // Frames must arrive before the user may say yes.
    await status(page)
      .filter({ hasText: /works: \d+×\d+/ })
      .waitFor({ timeout: 20_000 });
    await dialog(page).getByRole('button', { name: 'Yes' }).click();

    await dialog(page)
      .getByRole('heading', { name: /Microphone/ })
      .waitFor();
    await status(page)
      .filter({ hasText: /picks up sound/ })
      .waitFor({ timeout: 20_000 });
    expect(await dialog(page).getByRole('meter', { name: 'Microphone level' }).count()).toBe(1);
    await dialog(page).getByRole('button', { name: 'Yes' }).click();

    await dialog(page)
      .getByRole('heading', { name: /Speaker/ })
      .waitFor();
    await dialog(page).getByRole('button', { name: 'Play test sound' }).click();
    await status(page)
      .filter({ hasText: /Playing the test sound/ })
      .waitFor();
    await dialog(page).getByRole('button', { name: 'Yes' }).click();

    await dialog(page)
      .getByRole('heading', { name: /Network/ })
      .waitFor();
    await status(page)
      .filter({ hasText: /Network quality \d/ })
      .waitFor({ timeout: 40_000 });
    await dialog(page).getByRole('button', { name: 'Next' }).click();

    await dialog(page).getByRole('heading', { name: 'Report' }).waitFor();
    await dialog(page).getByRole('button', { name: 'Done' }).click();

    const { result, error } = await detectorResult(page);
    expect(error).toBeUndefined();
    console.log(`[device detector] ${JSON.stringify(result)}`);
    expect(result?.camera).toMatchObject({ isSuccess: true, kind: 'videoinput' });
    expect(result?.camera?.label).not.toBe('');
    expect(result?.microphone).toMatchObject({ isSuccess: true, kind: 'audioinput' });
    expect(result?.microphone?.label).not.toBe('');
    expect(result?.speaker?.isSuccess).toBe(true);
    expect(result?.network?.isSuccess).toBe(true);
    expect(result?.network?.result.quality).toBeGreaterThanOrEqual(1);
    expect(result?.network?.result.quality).toBeLessThanOrEqual(5);
    expect(result?.network?.result.rtt).toBeGreaterThanOrEqual(0);
    // The dialog is gone, and the probe let go of its devices and room.
    expect(await dialog(page).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('with the permission denied: camera and microphone fail; a skip before any step resolves undefined; bad options reject', async () => {
    // Chromium's fake prompt, told to deny (the last value of the switch wins).
    const browser = await launchBrowser(['--use-fake-ui-for-media-stream=deny']);
    try {
      const { page, pageErrors } = await openV5Page(browser, env.app.origin);

      expect(
        await errorOf(page, 'startPlugin', 'DeviceDetector', { allowSkip: 'no' }),
      ).toMatchObject({ code: 5000, extraCode: 5002 });
      expect(
        await errorOf(page, 'startPlugin', 'DeviceDetector', {
          networkDetect: { sdkAppId: env.parley.sdkAppId, userId: 'probe' },
        }),
      ).toMatchObject({ code: 5000, extraCode: 5001 });
      expect(await dialog(page).count()).toBe(0);

      // Escape before any step ends: undefined, as v5's skip.
      await startDetector(page, {});
      await dialog(page).waitFor();
      await page.keyboard.press('Escape');
      expect(await detectorResult(page)).toEqual({ done: true });

      await startDetector(page, {});
      await status(page)
        .filter({ hasText: /No camera: access was denied/ })
        .waitFor();
      // The user cannot confirm a camera that shows nothing.
      expect(await dialog(page).getByRole('button', { name: 'Yes' }).isDisabled()).toBe(true);
      await dialog(page).getByRole('button', { name: 'No' }).click();
      await status(page)
        .filter({ hasText: /No microphone: access was denied/ })
        .waitFor();
      expect(await dialog(page).getByRole('button', { name: 'Yes' }).isDisabled()).toBe(true);
      await dialog(page).getByRole('button', { name: 'No' }).click();
      await dialog(page)
        .getByRole('heading', { name: /Speaker/ })
        .waitFor();
      await dialog(page).getByRole('button', { name: 'Skip detection' }).click();

      const { result } = await detectorResult(page);
      expect(result?.camera).toMatchObject({ isSuccess: false, kind: 'videoinput' });
      expect(result?.microphone).toMatchObject({ isSuccess: false, kind: 'audioinput' });
      expect(result?.speaker).toBeUndefined();
      expect(result?.network).toBeUndefined();
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
