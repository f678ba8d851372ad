/**
 * v5's CDNStreaming plugin on Parley's media out, in real Chromium: a v5 user relays its main
 * stream and, at the same time, a mix of two v5 users over RTMP to a local nginx
 * (libnginx-mod-rtmp); ffprobe/ffmpeg read what arrives (codec, size, pixels where the layout
 * put each user); updatePlugin moves a user, stopPlugin ends each output; bad options are
 * refused with v5's code and a message naming the field.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment, waitFor } from '../harness.js';
import { isBlue, isGreen, isRed, rgb, useRtmpServer } from '../mediaOutKit.js';
import { grabFrame, probe } from '../rtmpServer.js';
import { enterRoom, openV5Page, type V5ErrorData } from './v5Page.js';

const env = useE2eEnvironment({
  // The local nginx is on loopback, which media-out refuses unless listed (SSRF guard).
  PARLEY_CDN_ALLOWED_HOSTS: '127.0.0.1',
});
const rtmp = useRtmpServer();

/** A v5 user in `roomId` publishing a canvas of one colour and a tone as its main stream. */
async function publisher(userId: string, roomId: number, color: string, hz: number): Promise<Page> {
  const { page } = await openV5Page(env.browser, env.app.origin);
  await enterRoom(page, env.parley, userId, { roomId });
  await page.evaluate(
    async ({ color, hz }) => {
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
      const audioContext = new AudioContext();
      const oscillator = audioContext.createOscillator();
      oscillator.frequency.value = hz;
      const destination = audioContext.createMediaStreamDestination();
      oscillator.connect(destination);
      oscillator.start();
      const { trtc } = window as unknown as {
        trtc: {
          startLocalAudio(o: object): Promise<void>;
          startLocalVideo(o: object): Promise<void>;
        };
      };
      await trtc.startLocalAudio({
        option: { audioTrack: destination.stream.getAudioTracks()[0] },
      });
      await trtc.startLocalVideo({
        view: 'local',
        option: { videoTrack: canvas.captureStream(20).getVideoTracks()[0] },
      });
    },
    { color, hz },
  );
  return page;
}

/** `trtc[method]('CDNStreaming', options)`: its rejection as data, null when it resolved. */
const plugin = (
  page: Page,
  method: 'startPlugin' | 'updatePlugin' | 'stopPlugin',
  options: unknown,
): Promise<V5ErrorData | null> =>
  page.evaluate(
    ({ method, options }) => {
      const w = window as unknown as {
        trtc: Record<string, (name: string, o: unknown) => Promise<unknown>>;
        errorOf(call: () => unknown): Promise<V5ErrorData | null>;
      };
      return w.errorOf(() => w.trtc[method]!('CDNStreaming', options));
    },
    { method, options },
  );

/** ffprobe until it reads the stream (a loaded machine can make one read time out). */
const probed = (url: string) =>
  waitFor(`ffprobe of ${url}`, () => probe(url).catch(() => null), 40_000);

describe('TRTC v5: CDNStreaming', () => {
  it('relays the main stream and a mix side by side; update moves a user; stop ends each; bad options name the field', async () => {
    const roomId = randomRoomId();
    const alice = await publisher('alice', roomId, '#ff0000', 440);
    await publisher('bob', roomId, '#0000ff', 1200);
    const mainName = `v5main${roomId}`;
    const mixName = `v5mix${roomId}`;
    const box = (userId: string, x: number, y: number, zOrder: number) => ({
      fixedVideoUser: { userId },
      fixedVideoStreamType: 'main',
      width: 320,
      height: 180,
      locationX: x,
      locationY: y,
      zOrder,
    });
    const mix = (bobAt: [number, number]) => ({
      target: {
        publishMode: 'publish-mix-stream-to-cdn',
        streamId: mixName,
        url: rtmp.url(mixName),
      },
      encoding: {
        videoWidth: 640,
        videoHeight: 360,
        videoFramerate: 15,
        videoBitrate: 600,
        audioChannels: 2,
      },
      mix: {
        backgroundColor: 0x00ff00,
        audioMixUserList: [{ userId: 'alice' }, { userId: 'bob' }],
        videoLayoutList: [box('alice', 0, 0, 1), box('bob', bobAt[0], bobAt[1], 2)],
      },
    });

    // Bad options: v5's code, the field named, nothing started.
    const noEncoding = await plugin(alice, 'startPlugin', {
      ...mix([320, 180]),
      encoding: undefined,
    });
    expect(noEncoding).toMatchObject({ code: 5000, extraCode: 5001, name: 'INVALID_PARAMETER' });
    expect(noEncoding!.message).toContain("'encoding'");
    const badZ = mix([320, 180]);
    badZ.mix.videoLayoutList[1]!.zOrder = 0;
    const zOrder = await plugin(alice, 'startPlugin', badZ);
    expect(zOrder).toMatchObject({ code: 5000 });
    expect(zOrder!.message).toContain('mix.videoLayoutList[1].zOrder');
    const badId = await plugin(alice, 'startPlugin', {
      target: { publishMode: 'PublishMainStreamToCDN', streamId: 'not ok' },
    });
    expect(badId).toMatchObject({ code: 5000, extraCode: 5011 });
    expect(badId!.message).toContain('target.streamId');
    const badMode = await plugin(alice, 'startPlugin', { target: { publishMode: 'to-the-moon' } });
    expect(badMode).toMatchObject({ code: 5000 });
    expect(badMode!.message).toContain('target.publishMode');
    const toRoom = await plugin(alice, 'startPlugin', {
      target: { publishMode: 'publish-mix-stream-to-room', robotUser: { userId: 'robot' } },
    });
    expect(toRoom).toMatchObject({ code: 5200 });
    expect(toRoom!.message).toContain('PublishMixStreamToRoom');
    expect(await rtmp.publishing()).toEqual([]);

    // The main stream, relayed as it is.
    const startedMain = Date.now();
    expect(
      await plugin(alice, 'startPlugin', {
        target: { publishMode: 'publish-main-stream-to-cdn', url: rtmp.url(mainName) },
      }),
    ).toBeNull();
    await waitFor(
      'the main relay on the RTMP server',
      async () => (await rtmp.publishing()).includes(mainName),
      10_000,
    );
    console.log(
      `[figure] v5 main relay: startPlugin → RTMP publish ${Date.now() - startedMain} ms`,
    );
    const mainVideo = (await probed(rtmp.url(mainName))).find((s) => s.codec_type === 'video');
    expect(mainVideo).toMatchObject({ codec_name: 'h264' });
    await waitFor(
      'alice red in the relayed main stream',
      async () => {
        const f = await grabFrame(rtmp.url(mainName), mainVideo!.width!, mainVideo!.height!).catch(
          () => null,
        );
        return f !== null && isRed(f.at(f.width >> 1, f.height >> 1));
      },
      20_000,
    );

    // The mix, at the size asked, while the main relay goes on.
    const startedMix = Date.now();
    expect(await plugin(alice, 'startPlugin', mix([320, 180]))).toBeNull();
    console.log(`[figure] v5 mix: startPlugin resolved in ${Date.now() - startedMix} ms`);
    await waitFor(
      'the mix on the RTMP server beside the main relay',
      async () => {
        const names = await rtmp.publishing();
        return names.includes(mixName) && names.includes(mainName);
      },
      10_000,
    );
    const streams = await probed(rtmp.url(mixName));
    expect(
      streams.find((s) => s.codec_type === 'video'),
      JSON.stringify(streams),
    ).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    expect(
      streams.find((s) => s.codec_type === 'audio'),
      JSON.stringify(streams),
    ).toMatchObject({
      codec_name: 'aac',
      channels: 2,
    });
    const frame = await waitFor(
      'alice and bob where the layout puts them',
      async () => {
        const f = await grabFrame(rtmp.url(mixName), 640, 360).catch(() => null);
        return f && isRed(f.at(100, 50)) && isBlue(f.at(450, 250)) ? f : null;
      },
      20_000,
    );
    expect(isGreen(frame.at(600, 20)), `background ${rgb(frame, 600, 20)}`).toBe(true);
    expect(isGreen(frame.at(100, 300)), `background ${rgb(frame, 100, 300)}`).toBe(true);

    // updatePlugin merges the change: bob moves to the bottom left.
    const updated = Date.now();
    expect(await plugin(alice, 'updatePlugin', mix([0, 180]))).toBeNull();
    const moved = await waitFor(
      'bob moved in the mix',
      async () => {
        const f = await grabFrame(rtmp.url(mixName), 640, 360).catch(() => null);
        return f && isBlue(f.at(100, 250)) && isGreen(f.at(450, 250)) ? f : null;
      },
      30_000,
    );
    console.log(`[figure] v5 mix: updatePlugin → new layout read back ${Date.now() - updated} ms`);
    expect(isRed(moved.at(100, 50)), `alice stays ${rgb(moved, 100, 50)}`).toBe(true);

    // stopPlugin ends each output on its own.
    expect(
      await plugin(alice, 'stopPlugin', { target: { publishMode: 'publish-mix-stream-to-cdn' } }),
    ).toBeNull();
    await waitFor(
      'the mix gone, the main relay still there',
      async () => {
        const names = await rtmp.publishing();
        return !names.includes(mixName) && names.includes(mainName);
      },
      10_000,
    );
    expect(
      await plugin(alice, 'stopPlugin', { target: { publishMode: 'PublishMainStreamToCDN' } }),
    ).toBeNull();
    await waitFor(
      'nothing published any more',
      async () => (await rtmp.publishing()).length === 0,
      10_000,
    );
    // Stopping what no longer runs resolves, as in v5.
    expect(
      await plugin(alice, 'stopPlugin', { target: { publishMode: 'PublishMainStreamToCDN' } }),
    ).toBeNull();
    // Five RTMP outputs started, read back and stopped: more than the default on a loaded machine.
  }, 240_000);
});
