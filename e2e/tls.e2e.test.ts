/**
 * Built-in TLS, as a person's browser sees it: the application page is served over https,
 * the SDK comes from Parley over https and so signals over wss by itself, and two pages
 * are in a call with video frames decoded. Chromium trusts the test certificate through
 * --ignore-certificate-errors-spki-list (that one key only), and a browser without it
 * refuses the page: nothing here ignores certificate errors in general.
 */
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeAllPages,
  expectFlowing,
  launchBrowser,
  newPage,
  openGuidePage,
  randomRoomId,
  startAppOrigin,
  startParley,
  type ParleyUnderTest,
} from './harness.js';
import {
  makeSelfSignedCertificate,
  type TestCertificate,
} from '../packages/server/src/test/tlsTestKit.js';

let cert: TestCertificate;
let parley: ParleyUnderTest;
let app: { origin: string; close(): Promise<void> };
let browser: Browser;

beforeAll(async () => {
  cert = makeSelfSignedCertificate();
  parley = await startParley({ PARLEY_TLS_CERT: cert.certFile, PARLEY_TLS_KEY: cert.keyFile });
  app = await startAppOrigin(parley.origin, { cert: cert.certPem, key: cert.keyPem });
  browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${cert.spkiHash}`]);
});
afterEach(() => closeAllPages());
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await parley?.close();
});

describe('built-in TLS (PARLEY_TLS_CERT / PARLEY_TLS_KEY)', () => {
  it('two https pages join a call over wss and decode each other’s video', async () => {
    expect(parley.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(app.origin).toMatch(/^https:\/\/localhost:\d+$/);
    const roomId = randomRoomId();
    const alice = await openGuidePage(browser, app.origin, parley, 'alice', roomId);
    const bob = await openGuidePage(browser, app.origin, parley, 'bob', roomId);
    for (const page of [alice, bob]) {
      expect(page.url()).toMatch(/^https:\/\/localhost:/);
      // Every signaling socket the page opened (one, or more after a reconnect) is wss.
      const sockets = await page.evaluate(() =>
        (window as unknown as { __sockets: WebSocket[] }).__sockets.map((ws) => ws.url),
      );
      expect(sockets.length).toBeGreaterThan(0);
      for (const url of sockets)
        expect(url).toBe(`${parley.origin.replace('https:', 'wss:')}/signal`);
      expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    }
    await expectFlowing(alice, ['bob']);
    await expectFlowing(bob, ['alice']);
    // The server log file has the session (and, checked at close, none of its secrets).
    expect(readFileSync(parley.logFile, 'utf8')).toMatch(/"msg":"joined"/);
  });

  it('is trusted through the certificate’s key only: a browser without the flag refuses the page', async () => {
    const plain = await launchBrowser();
    try {
      const { page } = await newPage(plain);
      await expect(page.goto(`${app.origin}/guide.html`)).rejects.toThrow(/ERR_CERT/);
    } finally {
      await plain.close();
    }
  });
});
