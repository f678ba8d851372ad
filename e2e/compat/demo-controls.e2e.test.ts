/**
 * The demo page's call controls, used as a person would: mute buttons (seen on the other
 * person's tile), the stats panel, the device picker and screen sharing.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newPage, waitFor, useE2eEnvironment, randomRoomId } from '../harness.js';

const env = useE2eEnvironment();

const SCREENSHOTS = '/tmp/parley-demo-controls';

interface DemoPage {
  page: Page;
  /** Uncaught exceptions in the page: the demo must survive missing SDK features. */
  errors: string[];
}

const randomRoom = () => String(randomRoomId());

async function openDemo(): Promise<DemoPage> {
  const { page } = await newPage(env.browser);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${env.parley.origin}/`);
  return { page, errors };
}

async function join({ page }: DemoPage, room: string, user: string): Promise<void> {
  await page.fill('#room-id', room);
  await page.fill('#user-id', user);
  await page.click('#join-btn');
  await page.locator('#call-view').waitFor({ state: 'visible', timeout: 15_000 });
  await waitFor(`${user}'s camera open`, () => page.locator('#mic-btn').isEnabled());
}

const remoteTile = (page: Page, user: string, type = 'main') =>
  page.locator(`.tile.remote[data-user-id="${user}"][data-type="${type}"]`);

/** ada and lin in one room, each seeing the other's video tile. */
async function joinPair(): Promise<{ ada: DemoPage; lin: DemoPage }> {
  const room = randomRoom();
  const ada = await openDemo();
  await join(ada, room, 'ada');
  const lin = await openDemo();
  await join(lin, room, 'lin');
  await remoteTile(ada.page, 'lin').waitFor({ state: 'visible', timeout: 20_000 });
  await remoteTile(lin.page, 'ada').waitFor({ state: 'visible', timeout: 20_000 });
  return { ada, lin };
}

/** "812 kbps" / "1.25 Mbps" as kbps; NaN for anything else ("n/a", "…"). */
function kbps(text: string): number {
  const match = /^([\d.]+)\s*(k|M)bps$/.exec(text.trim());
  if (!match) return NaN;
  return Number(match[1]) * (match[2] === 'M' ? 1000 : 1);
}

/** Waits for the stats panel to show something; a failure says what it showed instead. */
async function waitForStats(page: Page, what: string, ready: () => Promise<boolean>) {
  try {
    await waitFor(what, ready, 7000);
  } catch (error) {
    await page.screenshot({ path: `${SCREENSHOTS}-stats-failed.png` });
    const shown = await page.innerText('#stats-panel');
    throw new Error(`${(error as Error).message}; the panel shows ${JSON.stringify(shown)}`);
  }
}

describe('demo page controls', () => {
  it('mute buttons: the other side sees the muted-mic badge and the avatar', async () => {
    const { ada, lin } = await joinPair();
    const adaOnLin = remoteTile(lin.page, 'ada');
    const badge = adaOnLin.locator('.muted-badge');
    const avatar = adaOnLin.locator('.avatar');
    expect(await badge.isVisible()).toBe(false);
    expect(await avatar.isVisible()).toBe(false);

    await ada.page.click('#mic-btn');
    await expect(ada.page.getAttribute('#mic-btn', 'aria-pressed')).resolves.toBe('true');
    await expect(ada.page.textContent('#mic-btn .label')).resolves.toBe('Unmute');
    await ada.page.locator('#local-tile .muted-badge').waitFor({ state: 'visible' });
    await badge.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await avatar.isVisible(), 'video still shown').toBe(false);

    await ada.page.click('#cam-btn');
    await expect(ada.page.getAttribute('#cam-btn', 'aria-pressed')).resolves.toBe('true');
    await expect(ada.page.textContent('#cam-btn .label')).resolves.toBe('Start video');
    await avatar.waitFor({ state: 'visible', timeout: 10_000 });
    await expect(avatar.textContent()).resolves.toBe('AD');
    await lin.page.screenshot({ path: `${SCREENSHOTS}-muted.png` });

    await ada.page.click('#mic-btn');
    await expect(ada.page.getAttribute('#mic-btn', 'aria-pressed')).resolves.toBe('false');
    await badge.waitFor({ state: 'hidden', timeout: 10_000 });
    expect(await avatar.isVisible(), 'video still muted').toBe(true);

    await ada.page.click('#cam-btn');
    await avatar.waitFor({ state: 'hidden', timeout: 10_000 });
    expect(ada.errors).toEqual([]);
    expect(lin.errors).toEqual([]);
  });

  it('someone joining later sees the mutes that happened before', async () => {
    const room = randomRoom();
    const ada = await openDemo();
    await join(ada, room, 'ada');
    await ada.page.click('#mic-btn');
    await ada.page.click('#cam-btn');
    const lin = await openDemo();
    await join(lin, room, 'lin');
    const adaOnLin = remoteTile(lin.page, 'ada');
    await adaOnLin.waitFor({ state: 'attached', timeout: 20_000 });
    await adaOnLin.locator('.muted-badge').waitFor({ state: 'visible', timeout: 10_000 });
    await adaOnLin.locator('.avatar').waitFor({ state: 'visible' });
    await ada.page.click('#cam-btn');
    await adaOnLin.locator('.avatar').waitFor({ state: 'hidden', timeout: 10_000 });
    expect(await adaOnLin.locator('.muted-badge').isVisible(), 'still muted').toBe(true);
    expect(ada.errors).toEqual([]);
    expect(lin.errors).toEqual([]);
  });

  it('stats panel: local resolution, frame rate and bitrate, and each remote user', async () => {
    const { ada } = await joinPair();
    const { page } = ada;
    await page.click('#stats-btn');
    await page.locator('#stats-panel').waitFor({ state: 'visible' });
    await expect(page.getAttribute('#stats-btn', 'aria-expanded')).resolves.toBe('true');
    const local = page.locator('#stats-local');
    const stat = (name: string) => local.locator(`[data-stat="${name}"]`).innerText();

    // The first sample (at once) gives sizes, the second (2 s later) rates.
    await waitForStats(page, 'local video stats', async () => {
      return /^\d+×\d+$/.test(await stat('resolution')) && kbps(await stat('video-bitrate')) > 0;
    });
    expect(await stat('fps')).toMatch(/^\d+ fps$/);
    expect(kbps(await stat('audio-bitrate'))).toBeGreaterThan(0);

    const lin = page.locator('#stats-remote .stats-user[data-user-id="lin"]');
    const linStat = (name: string) => lin.locator(`[data-stat="${name}"]`).innerText();
    await waitForStats(page, 'lin’s video stats', async () => {
      if ((await lin.count()) === 0) return false;
      return (
        /^\d+×\d+$/.test(await linStat('resolution')) && kbps(await linStat('video-bitrate')) > 0
      );
    });
    await page.screenshot({ path: `${SCREENSHOTS}-stats.png` });
    expect(await lin.locator('[data-stat="video-lost"]').innerText()).toMatch(/^\d+ lost$/);
    expect(await page.innerText('#stat-rtt')).toMatch(/^\d+ ms$/);

    await page.click('#stats-close');
    await page.locator('#stats-panel').waitFor({ state: 'hidden' });
    expect(ada.errors).toEqual([]);
  });

  it('stats panel: a client without the stats methods shows n/a and keeps working', async () => {
    const demo = await openDemo();
    const { page } = demo;
    // What a page on an SDK build without call statistics sees.
    await page.evaluate(() => {
      const T = (window as unknown as { TRTC: { createClient(c: unknown): object } }).TRTC;
      const createClient = T.createClient.bind(T);
      T.createClient = (config: unknown) =>
        Object.assign(createClient(config), {
          getLocalVideoStats: undefined,
          getLocalAudioStats: undefined,
          getRemoteVideoStats: undefined,
          getRemoteAudioStats: undefined,
          getTransportStats: undefined,
        });
    });
    await join(demo, randomRoom(), 'solo');
    await page.click('#stats-btn');
    await page.locator('#stats-panel').waitFor({ state: 'visible' });
    await page.waitForTimeout(2500);
    expect(await page.innerText('#stats-local [data-stat="resolution"]')).toBe('n/a');
    expect(await page.locator('#stats-local [data-stat="fps"]').isHidden()).toBe(true);
    expect(await page.innerText('#stats-local [data-stat="audio-bitrate"]')).toBe('n/a');
    expect(await page.innerText('#stat-rtt')).toBe('n/a');
    await page.screenshot({ path: `${SCREENSHOTS}-stats-na.png` });
    await page.click('#mic-btn');
    await page.locator('#local-tile .muted-badge').waitFor({ state: 'visible' });
    expect(demo.errors).toEqual([]);
  });

  it('device picker lists the cameras and microphones and switches the microphone', async () => {
    const demo = await openDemo();
    const { page } = demo;
    await join(demo, randomRoom(), 'dev');
    await page.click('#device-btn');
    await page.locator('#device-panel').waitFor({ state: 'visible' });
    await expect(page.getAttribute('#device-btn', 'aria-expanded')).resolves.toBe('true');
    const cameras = await waitFor('cameras listed', async () => {
      const labels = await page.locator('#camera-select option').allInnerTexts();
      return labels.length >= 1 && labels[0] !== 'No camera found' ? labels : null;
    });
    expect(cameras[0]).toMatch(/\S/);
    const microphones = await page.locator('#mic-select option').allInnerTexts();
    expect(microphones.length).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${SCREENSHOTS}-devices.png` });

    const canSwitch = await page.evaluate(() => {
      const T = (window as unknown as { TRTC: { createStream(c: object): object } }).TRTC;
      const stream = T.createStream({ userId: 'probe', audio: true }) as { switchDevice?: unknown };
      return typeof stream.switchDevice === 'function';
    });
    if (!canSwitch) {
      // An SDK without switchDevice: the lists are shown but cannot be changed.
      expect(await page.locator('#mic-select').isDisabled()).toBe(true);
      await page.locator('#device-hint').waitFor({ state: 'visible' });
    } else if (microphones.length > 1) {
      const target = microphones.find((label) => label !== microphones[0])!;
      await page.selectOption('#mic-select', { label: target });
      await page.locator('.toast', { hasText: target }).waitFor({ timeout: 10_000 });
      expect(await page.locator('#error').isVisible()).toBe(false);
    }
    await page.keyboard.press('Escape');
    await page.locator('#device-panel').waitFor({ state: 'hidden' });
    expect(demo.errors).toEqual([]);
  });

  it('screen share: a refusal from the SDK or the browser lands in the banner', async () => {
    const demo = await openDemo();
    const { page } = demo;
    const supported = await page.evaluate(() =>
      (
        window as unknown as { TRTC: { isScreenShareSupported(): boolean } }
      ).TRTC.isScreenShareSupported(),
    );
    if (!supported) {
      await join(demo, randomRoom(), 'nosharing');
      expect(await page.locator('#screen-btn').isHidden(), 'hidden when unsupported').toBe(true);
      await page.click('#leave-btn');
      await page.locator('#join-form').waitFor({ state: 'visible' });
    }
    // Show the button anyway and make the browser refuse the capture.
    await page.evaluate(() => {
      const w = window as unknown as { TRTC: { isScreenShareSupported(): boolean } };
      w.TRTC.isScreenShareSupported = () => true;
      navigator.mediaDevices.getDisplayMedia = () =>
        Promise.reject(new DOMException('Could not start video source', 'NotReadableError'));
    });
    await join(demo, randomRoom(), 'sharer');
    await page.click('#screen-btn');
    await page.locator('#error').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.innerText('#error-text')).toMatch(/Could not share your screen/);
    await expect(page.getAttribute('#screen-btn', 'aria-pressed')).resolves.toBe('false');
    expect(await page.locator('#screen-btn').isEnabled()).toBe(true);
    expect(await page.locator('#local-screen-tile').count()).toBe(0);
    await page.click('#mic-btn'); // the call goes on
    await page.locator('#local-tile .muted-badge').waitFor({ state: 'visible' });
    expect(demo.errors).toEqual([]);
  });

  it('screen share: the local screen and the remote "(screen)" tile come and go', async () => {
    const { ada, lin } = await joinPair();
    await ada.page.click('#screen-btn');
    await ada.page
      .locator('#local-screen-tile video')
      .waitFor({ state: 'visible', timeout: 10_000 });
    await expect(ada.page.getAttribute('#screen-btn', 'aria-pressed')).resolves.toBe('true');
    const screenOnLin = remoteTile(lin.page, 'ada', 'auxiliary');
    await screenOnLin.waitFor({ state: 'visible', timeout: 20_000 });
    await expect(screenOnLin.locator('.badge').innerText()).resolves.toBe('ada (screen)');
    await waitFor('ada’s screen playing on lin’s page', () =>
      screenOnLin
        .locator('video')
        .evaluate((v: HTMLVideoElement) => v.videoWidth > 0 && v.currentTime > 0.3),
    );
    await lin.page.screenshot({ path: `${SCREENSHOTS}-screen.png` });
    await ada.page.screenshot({ path: `${SCREENSHOTS}-screen-local.png` });
    expect(await remoteTile(lin.page, 'ada').isVisible(), 'camera tile stays').toBe(true);

    await ada.page.click('#screen-btn');
    await ada.page.locator('#local-screen-tile').waitFor({ state: 'detached' });
    await screenOnLin.waitFor({ state: 'detached', timeout: 10_000 });
    await expect(ada.page.getAttribute('#screen-btn', 'aria-pressed')).resolves.toBe('false');

    // Again, stopped this time from the browser's own "Stop sharing" bar: the track ends.
    await ada.page.click('#screen-btn');
    await screenOnLin.waitFor({ state: 'visible', timeout: 20_000 });
    await ada.page
      .locator('#local-screen-tile video')
      .evaluate((v: HTMLVideoElement) =>
        (v.srcObject as MediaStream).getVideoTracks()[0]!.dispatchEvent(new Event('ended')),
      );
    await ada.page.locator('#local-screen-tile').waitFor({ state: 'detached' });
    await screenOnLin.waitFor({ state: 'detached', timeout: 10_000 });
    await expect(ada.page.getAttribute('#screen-btn', 'aria-pressed')).resolves.toBe('false');
    expect(ada.errors).toEqual([]);
    expect(lin.errors).toEqual([]);
  });
});
