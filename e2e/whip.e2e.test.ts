/**
 * WHIP ingest and WHEP playback against real clients: a Chromium page of our own doing WHIP
 * (no Parley SDK), Debian's simple-whip-client (GStreamer webrtcbin) and a Chromium WHEP
 * player, with v4 users (the guide page) on the other side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  events,
  expectFlowing,
  newPage,
  openGuidePage,
  randomRoomId,
  receivingFrom,
  useE2eEnvironment,
  waitFor,
} from './harness.js';

// A WHIP client that vanishes (no DELETE) is dropped after 4 s of silence instead of 10 s.
const env = useE2eEnvironment({ PARLEY_WHIP_DISCONNECT_TIMEOUT_MS: '4000' });
const GST_WHIP_CLIENT = fileURLToPath(new URL('./tools/gst-whip-client.py', import.meta.url));
// The GStreamer WHIP client needs python3-gi, GStreamer's typelibs and webrtcbin (scripts/test.mjs
// installs them). Debian 12's simple-whip-client is not used: see the script's header.

interface SessionInfo {
  location: string;
  etag: string;
  contentType: string;
  answerMs: number;
  answer: string;
}

interface PageStats {
  framesDecoded: number;
  frameWidth: number;
  audioEnergy: number;
  framesSent: number;
  state: string;
}

async function openWhipPage(): Promise<Page> {
  const { page } = await newPage(env.browser);
  await page.goto(`${env.app.origin}/whip.html`);
  return page;
}

const stats = (page: Page): Promise<PageStats> =>
  page.evaluate(() => (window as unknown as { mediaStats(): Promise<PageStats> }).mediaStats());

/** Waits until `page` (a guide page) has seen `userId` leave, after `since`. */
async function seesLeave(page: Page, userId: string, since: number) {
  return waitFor(`${userId} leaving`, async () => {
    const list = await events(page);
    const removed = list.find(
      (e) => e.name === 'stream-removed' && e.userId === userId && e.at >= since,
    );
    const left = list.find((e) => e.name === 'peer-leave' && e.userId === userId && e.at >= since);
    return removed && left ? { removed, left } : null;
  });
}

describe('WHIP ingest and WHEP playback', () => {
  it('a Chromium WHIP page publishes into a room: a v4 user decodes its video and hears it; DELETE makes it leave', async () => {
    const roomId = randomRoomId();
    const viewer = await openGuidePage(env.browser, env.app.origin, env.parley, 'v4user', roomId);
    const whip = await openWhipPage();
    const token = env.parley.userSig('whipper');
    const started = Date.now();
    const session = await whip.evaluate(
      ([url, t]) =>
        (
          window as unknown as { whipPublish(u: string, t: string): Promise<SessionInfo> }
        ).whipPublish(url, t),
      [`/whip/${env.parley.sdkAppId}/whipper?roomId=${roomId}`, token] as const,
    );
    expect(session.location).toMatch(/^\/whip\/sessions\/[\w-]+$/);
    expect(session.etag).toMatch(/^".+"$/);
    expect(session.contentType).toBe('application/sdp');

    const received = await receivingFrom(viewer, ['whipper']);
    const firstFrameMs = Date.now() - started;
    expect(received[0]!.frameWidth).toBe(640);
    await expectFlowing(viewer, ['whipper']);
    const seen = await events(viewer);
    expect(seen.some((e) => e.name === 'peer-join' && e.userId === 'whipper')).toBe(true);
    expect(seen.some((e) => e.name === 'stream-added' && e.userId === 'whipper')).toBe(true);
    console.log(
      `WHIP (Chromium): POST → answer ${session.answerMs.toFixed(0)} ms; publish → v4 first frame ${firstFrameMs} ms`,
    );

    const deletedAt = Date.now();
    const status = await whip.evaluate(
      (t) => (window as unknown as { endSession(t: string): Promise<number> }).endSession(t),
      token,
    );
    expect(status).toBe(200);
    const left = await seesLeave(viewer, 'whipper', deletedAt);
    expect(left.left.at - deletedAt).toBeLessThan(2000);
    // The session is gone: a second DELETE finds nothing.
    const again = await whip.evaluate(
      (t) => (window as unknown as { endSession(t: string): Promise<number> }).endSession(t),
      token,
    );
    expect(again).toBe(404);
    expect(env.parley.server.whip.size).toBe(0);
  });

  it('an ICE restart over PATCH (RFC 9725 §4.4.2): new credentials both ways, the v4 user keeps receiving', async () => {
    const roomId = randomRoomId();
    const viewer = await openGuidePage(env.browser, env.app.origin, env.parley, 'v4r', roomId);
    const whip = await openWhipPage();
    const token = env.parley.userSig('restarter');
    const session = await whip.evaluate(
      ([url, t]) =>
        (
          window as unknown as { whipPublish(u: string, t: string): Promise<SessionInfo> }
        ).whipPublish(url, t),
      [`/whip/${env.parley.sdkAppId}/restarter?roomId=${roomId}`, token] as const,
    );
    await receivingFrom(viewer, ['restarter']);
    const restarted = await whip.evaluate(
      (t) =>
        (
          window as unknown as {
            restartIce(t: string): Promise<{
              etag: string;
              localUfrag: string;
              oldServerUfrag: string;
              serverUfrag: string;
            }>;
          }
        ).restartIce(t),
      token,
    );
    expect(restarted.serverUfrag).not.toBe(restarted.oldServerUfrag);
    expect(restarted.etag).not.toBe(session.etag);
    // The page's transport runs on its new credentials, connected again.
    await waitFor('ICE on the new credentials', async () => {
      const ice = await whip.evaluate(() =>
        (
          window as unknown as {
            iceNow(): Promise<{ localUfrag: string; state: string; dtls: string } | null>;
          }
        ).iceNow(),
      );
      return ice?.localUfrag === restarted.localUfrag && ice.state === 'connected' ? ice : null;
    });
    await expectFlowing(viewer, ['restarter']);
    const status = await whip.evaluate(
      (t) => (window as unknown as { endSession(t: string): Promise<number> }).endSession(t),
      token,
    );
    expect(status).toBe(200);
  });

  it('a WHEP page plays a v4 user’s stream (frames decoded, audio heard); DELETE ends it', async () => {
    const roomId = randomRoomId();
    await openGuidePage(env.browser, env.app.origin, env.parley, 'anchor', roomId);
    await waitFor('anchor publishing', async () => {
      const room = env.parley.server.rooms.get(env.parley.sdkAppId, { kind: 'number', id: roomId });
      const stream = room?.participants.get('anchor')?.streams.get('main');
      return stream?.tracks.get('video')?.producer && stream.tracks.get('audio')?.producer;
    });
    const player = await openWhipPage();
    const token = env.parley.userSig('player1');
    const started = Date.now();
    const session = await player.evaluate(
      ([url, t]) =>
        (window as unknown as { whepPlay(u: string, t: string): Promise<SessionInfo> }).whepPlay(
          url,
          t,
        ),
      [`/whep/${env.parley.sdkAppId}/anchor?roomId=${roomId}`, token] as const,
    );
    expect(session.location).toMatch(/^\/whep\/sessions\/[\w-]+$/);
    let last: PageStats | null = null;
    const first = await waitFor('WHEP frames decoded', async () => {
      const s = await stats(player);
      last = s;
      return s.framesDecoded > 0 && s.audioEnergy > 0 ? s : null;
    }).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}; stats ${JSON.stringify(last)}; answer:\n${session.answer}`,
      );
    });
    console.log(
      `WHEP (Chromium): POST → answer ${session.answerMs.toFixed(0)} ms; → first frame ${Date.now() - started} ms`,
    );
    expect(first.frameWidth).toBeGreaterThanOrEqual(320);
    const later = await waitFor('WHEP frames still coming', async () => {
      const s = await stats(player);
      return s.framesDecoded > first.framesDecoded + 20 && s.audioEnergy > first.audioEnergy
        ? s
        : null;
    });
    expect(later.state).toBe('connected');
    // The player is no room member: the anchor's room lists only the anchor.
    const room = env.parley.server.rooms.get(env.parley.sdkAppId, { kind: 'number', id: roomId });
    expect([...room!.participants.keys()]).toEqual(['anchor']);
    const status = await player.evaluate(
      (t) => (window as unknown as { endSession(t: string): Promise<number> }).endSession(t),
      token,
    );
    expect(status).toBe(200);
    expect(env.parley.server.whip.size).toBe(0);
  });

  it('a newer session of the same userId wins: a v4 join kicks the WHIP session, whose URL is then gone', async () => {
    const roomId = randomRoomId();
    const viewer = await openGuidePage(env.browser, env.app.origin, env.parley, 'watcher', roomId);
    const whip = await openWhipPage();
    const token = env.parley.userSig('dup');
    await whip.evaluate(
      ([url, t]) =>
        (
          window as unknown as { whipPublish(u: string, t: string): Promise<SessionInfo> }
        ).whipPublish(url, t),
      [`/whip/${env.parley.sdkAppId}/dup?roomId=${roomId}`, token] as const,
    );
    await receivingFrom(viewer, ['dup']);
    expect(env.parley.server.whip.size).toBe(1);
    // The same userId joins with the v4 SDK: the WHIP session is the older one and goes.
    await openGuidePage(env.browser, env.app.origin, env.parley, 'dup', roomId);
    await waitFor('the WHIP session ended', async () => env.parley.server.whip.size === 0);
    const status = await whip.evaluate(
      (t) => (window as unknown as { endSession(t: string): Promise<number> }).endSession(t),
      token,
    );
    expect(status).toBe(404);
    await expectFlowing(viewer, ['dup']);
  });

  it('GStreamer webrtcbin (a WHIP client script) publishes test video and audio: a v4 user decodes it; SIGINT → DELETE → it leaves', async () => {
    const roomId = randomRoomId();
    const viewer = await openGuidePage(env.browser, env.app.origin, env.parley, 'v4b', roomId);
    const url = `${env.parley.origin}/whip/${env.parley.sdkAppId}/gst?roomId=${roomId}`;
    const started = Date.now();
    const client = startGstWhipClient(url, env.parley.userSig('gst'));
    try {
      const received = await receivingFrom(viewer, ['gst']);
      console.log(`WHIP (GStreamer webrtcbin): start → v4 first frame ${Date.now() - started} ms`);
      expect(received[0]!.frameWidth).toBe(320);
      await expectFlowing(viewer, ['gst']);
      const stoppedAt = Date.now();
      client.process.kill('SIGINT');
      await seesLeave(viewer, 'gst', stoppedAt);
      await waitFor('the client exits', async () => client.process.exitCode !== null);
      expect(client.output()).toMatch(/WHIP DELETE 200/);
      expect(client.process.exitCode).toBe(0);
      expect(env.parley.server.whip.size).toBe(0);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nclient output:\n${client.output()}`);
    } finally {
      if (client.process.exitCode === null) client.process.kill('SIGKILL');
    }
  });

  it('GStreamer publishes H264 (x264, constrained baseline) and Opus over WHIP: a v4 user decodes the H264 video; a killed client leaves after its silence', async () => {
    const roomId = randomRoomId();
    const viewer = await openGuidePage(env.browser, env.app.origin, env.parley, 'v4c', roomId);
    const url = `${env.parley.origin}/whip/${env.parley.sdkAppId}/gst264?roomId=${roomId}`;
    const video =
      'videotestsrc is-live=true pattern=smpte ! video/x-raw,width=320,height=240,framerate=15/1 ! ' +
      'videoconvert ! queue ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=500 ! ' +
      'video/x-h264,profile=constrained-baseline ! rtph264pay pt=102 config-interval=-1 aggregate-mode=zero-latency ! ' +
      'application/x-rtp,media=video,encoding-name=H264,payload=102';
    const audio =
      'audiotestsrc is-live=true wave=sine volume=0.3 ! audioconvert ! audioresample ! queue ! ' +
      'opusenc ! rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111';
    const client = startGstWhipClient(url, env.parley.userSig('gst264'), [video, audio]);
    try {
      const received = await receivingFrom(viewer, ['gst264']);
      expect(received[0]!.frameWidth).toBe(320);
      await expectFlowing(viewer, ['gst264']);
      const room = env.parley.server.rooms.get(env.parley.sdkAppId, { kind: 'number', id: roomId });
      const producer = room?.participants.get('gst264')?.streams.get('main')?.tracks.get('video');
      expect(producer?.producer?.kind).toBe('video');
      expect(client.output()).toMatch(/a=rtpmap:102 H264\/90000/);
      // The client dies without a DELETE: its silence ends the session.
      const killedAt = Date.now();
      client.process.kill('SIGKILL');
      const left = await seesLeave(viewer, 'gst264', killedAt);
      console.log(`WHIP client killed → v4 peer-leave ${left.left.at - killedAt} ms`);
      expect(left.left.at - killedAt).toBeLessThan(8000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nclient output:\n${client.output()}`);
    } finally {
      if (client.process.exitCode === null) client.process.kill('SIGKILL');
    }
  });
});

/** e2e/tools/gst-whip-client.py: webrtcbin with test sources (a moving ball, a tone). */
function startGstWhipClient(
  url: string,
  token: string,
  pipelines: [video: string, audio: string] | [] = [],
): { process: ChildProcess; output(): string } {
  const child = spawn('/usr/bin/python3', [GST_WHIP_CLIENT, url, token, ...pipelines], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return { process: child, output: () => output };
}
