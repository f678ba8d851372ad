/**
 * LocalStream capture settings: profiles on the capture and the encoder, the content hint,
 * device choice at creation and switchDevice() while published, and app-given tracks.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newPage, waitFor, useE2eEnvironment } from '../harness.js';
import {
  expectGrowing,
  inbound,
  joinedPage,
  randomRoom,
  waitForEvent,
  type MediaWindow,
} from './media.js';

const env = useE2eEnvironment();

/** The publisher connection's sender encodings and the local tracks' settings. */
function sending(page: Page) {
  return page.evaluate(() => {
    const w = window as unknown as MediaWindow;
    const publisher = w.__pcs.find(
      (pc) =>
        pc.connectionState !== 'closed' &&
        pc.getTransceivers().some((t) => t.direction === 'sendonly'),
    );
    const bitrate = (kind: string) =>
      publisher
        ?.getSenders()
        .find((s) => s.track?.kind === kind)
        ?.getParameters().encodings[0]?.maxBitrate;
    const video = w.local.getVideoTrack()?.getSettings();
    return {
      audioMaxBitrate: bitrate('audio'),
      videoMaxBitrate: bitrate('video'),
      width: video?.width,
      height: video?.height,
    };
  });
}

describe('LocalStream capture settings', () => {
  it('setVideoProfile/setAudioProfile shape the capture and cap the encoder, before and after publish', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      w.local = w.TRTC.createStream({ userId: 'alice', audio: true, video: true });
      await w.local.setVideoProfile('360p');
      w.local.setAudioProfile('high');
      await w.local.initialize();
      await w.client.publish(w.local);
    });
    expect(await sending(alice)).toEqual({
      audioMaxBitrate: 128_000,
      videoMaxBitrate: 800_000,
      width: 640,
      height: 360,
    });
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    await waitFor('bob decoding 640x360', async () => {
      const m = await inbound(bob);
      return m.frameWidth === 640 && m.frameHeight === 360;
    });

    await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      await w.local.setVideoProfile({ width: 320, height: 240, frameRate: 15, bitrate: 300 });
      w.local.setAudioProfile('standard');
    });
    await waitFor('the new caps on the senders', async () => {
      const s = await sending(alice);
      return s.videoMaxBitrate === 300_000 && s.audioMaxBitrate === 40_000 ? s : null;
    });
    expect(await sending(alice)).toMatchObject({ width: 320, height: 240 });
    await waitFor('bob decoding 320x240', async () => {
      const m = await inbound(bob);
      return m.frameWidth === 320 && m.frameHeight === 240;
    });
    const refused = await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const code = (run: () => unknown) =>
        Promise.resolve()
          .then(run)
          .then(
            () => 0,
            (e: { getCode(): number; message: string }) => `${e.getCode()} ${e.message}`,
          );
      return {
        video: await code(() => w.local.setVideoProfile('999p')),
        audio: await code(() => w.local.setAudioProfile('loud')),
        screen: await code(() => w.local.setScreenProfile({ width: -1 })),
      };
    });
    expect(refused.video).toMatch(/^4096 unknown video profile "999p"/);
    expect(refused.audio).toMatch(/^4096 unknown audio profile "loud"/);
    expect(refused.screen).toMatch(/^4096 unknown screen profile/);
  });

  it('setVideoContentHint sets the track hint and keeps it for a replaced track', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    const hints = await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const stream = w.TRTC.createStream({ userId: 'alice', audio: false, video: true });
      await stream.initialize();
      stream.setVideoContentHint('text');
      const first = stream.getVideoTrack()!.contentHint;
      const canvas = document.createElement('canvas');
      await stream.replaceTrack(canvas.captureStream().getVideoTracks()[0]!);
      const replaced = stream.getVideoTrack()!.contentHint;
      const bad = (() => {
        try {
          stream.setVideoContentHint('blurry' as 'text');
          return 0;
        } catch (e) {
          return (e as { getCode(): number }).getCode();
        }
      })();
      return { first, replaced, bad };
    });
    expect(hints).toEqual({ first: 'text', replaced: 'text', bad: 0x1000 });
  });

  it('cameraId/microphoneId/facingMode pick the devices; switchDevice keeps the media flowing', async () => {
    const roomId = randomRoom();
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    const devices = await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const cameras = await w.TRTC.getCameras();
      const microphones = await w.TRTC.getMicrophones();
      return {
        cameras: cameras.map((d) => d.deviceId),
        microphones: microphones.map((d) => d.deviceId),
      };
    });
    expect(devices.cameras.length).toBeGreaterThanOrEqual(1);
    expect(devices.microphones.length).toBeGreaterThanOrEqual(1);
    const camera = devices.cameras[0]!;
    const microphone = devices.microphones[devices.microphones.length - 1]!;

    const opened = await alice.evaluate(
      async ({ camera, microphone }) => {
        const w = window as unknown as MediaWindow;
        w.local = w.TRTC.createStream({
          userId: 'alice',
          audio: true,
          video: true,
          cameraId: camera,
          microphoneId: microphone,
        });
        await w.local.initialize();
        await w.client.publish(w.local);
        const front = w.TRTC.createStream({ userId: 'alice', video: true, facingMode: 'user' });
        await front.initialize();
        const frontOk = front.getVideoTrack()?.readyState === 'live';
        front.close();
        const missing = w.TRTC.createStream({ userId: 'alice', video: true, cameraId: 'nope' });
        const missingError = await missing.initialize().then(
          () => null,
          (e: { getCode(): number; name: string }) => ({ code: e.getCode(), name: e.name }),
        );
        return {
          camera: w.local.getVideoTrack()!.getSettings().deviceId,
          microphone: w.local.getAudioTrack()!.getSettings().deviceId,
          frontOk,
          missingError,
        };
      },
      { camera, microphone },
    );
    expect(opened).toEqual({
      camera,
      microphone,
      frontOk: true,
      missingError: { code: 0x1003, name: 'OverconstrainedError' },
    });

    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    await expectGrowing('bob decoding alice', async () => (await inbound(bob)).framesDecoded, 5);

    const otherMicrophone = devices.microphones[0]!;
    const switched = await alice.evaluate(
      async ({ camera, otherMicrophone }) => {
        const w = window as unknown as MediaWindow;
        const oldVideo = w.local.getVideoTrack()!;
        const oldAudio = w.local.getAudioTrack()!;
        await w.local.switchDevice('video', camera);
        await w.local.switchDevice('audio', otherMicrophone);
        const publisher = w.__pcs.find((pc) =>
          pc.getTransceivers().some((t) => t.direction === 'sendonly'),
        )!;
        const sent = publisher.getSenders().map((s) => s.track);
        const video = w.local.getVideoTrack()!;
        const audio = w.local.getAudioTrack()!;
        const wrongType = await w.local.switchDevice('screen' as 'audio', 'x').then(
          () => 0,
          (e: { getCode(): number }) => e.getCode(),
        );
        return {
          newVideo: video !== oldVideo && video.readyState === 'live',
          newAudio: audio !== oldAudio && audio.readyState === 'live',
          oldStopped: oldVideo.readyState === 'ended' && oldAudio.readyState === 'ended',
          sendingNew: sent.includes(video) && sent.includes(audio),
          microphone: audio.getSettings().deviceId,
          wrongType,
        };
      },
      { camera, otherMicrophone },
    );
    expect(switched).toEqual({
      newVideo: true,
      newAudio: true,
      oldStopped: true,
      sendingNew: true,
      microphone: otherMicrophone,
      wrongType: 0x1000,
    });
    await expectGrowing(
      'bob decoding after the switch',
      async () => (await inbound(bob)).framesDecoded,
      10,
    );
    await expectGrowing(
      'bob hearing after the switch',
      async () => (await inbound(bob)).audioEnergy,
    );
  });

  it('custom audioSource/videoSource tracks are published: the subscriber decodes the canvas size', async () => {
    const roomId = randomRoom();
    const bob = await joinedPage(env.browser, env.parley, env.app.origin, 'bob', roomId);
    const alice = await joinedPage(env.browser, env.parley, env.app.origin, 'alice', roomId);
    await alice.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      const canvas = document.createElement('canvas');
      canvas.width = 352;
      canvas.height = 288;
      const ctx = canvas.getContext('2d')!;
      let n = 0;
      setInterval(() => {
        n++;
        ctx.fillStyle = `hsl(${(n * 11) % 360} 70% 50%)`;
        ctx.fillRect(0, 0, 352, 288);
      }, 50);
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      const sink = audio.createMediaStreamDestination();
      tone.connect(sink);
      tone.start();
      w.local = w.TRTC.createStream({
        userId: 'alice',
        audioSource: sink.stream.getAudioTracks()[0]!,
        videoSource: canvas.captureStream(15).getVideoTracks()[0]!,
      });
      await w.local.initialize();
      await w.client.publish(w.local);
    });
    const added = await waitForEvent(bob, 'stream-added', (e) => e.name === 'stream-added');
    expect(added).toMatchObject({ userId: 'alice', hasAudio: true, hasVideo: true });
    await waitFor('bob decoding the 352x288 canvas', async () => {
      const m = await inbound(bob);
      return m.framesDecoded > 5 && m.frameWidth === 352 && m.frameHeight === 288;
    });
    // A steady tone: energy keeps rising.
    await expectGrowing(
      'bob hearing the oscillator',
      async () => (await inbound(bob)).audioEnergy,
      0.01,
    );
  });

  it('close() during initialize() releases the camera and microphone the browser hands over late', async () => {
    const { page } = await newPage(env.browser);
    await page.goto(`${env.app.origin}/sdk.html`);
    const outcome = await page.evaluate(async () => {
      const w = window as unknown as MediaWindow;
      // Every track the browser hands out, to check afterwards that none is left live.
      const handed: MediaStreamTrack[] = [];
      const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = async (constraints) => {
        const stream = await gum(constraints);
        handed.push(...stream.getTracks());
        return stream;
      };
      const stream = w.TRTC.createStream({ userId: 'early', audio: true, video: true });
      const initializing = stream.initialize();
      stream.close(); // e.g. the component unmounted while the permission prompt was open
      const code = await initializing.then(
        () => 0,
        (e: { getCode(): number }) => e.getCode(),
      );
      return {
        code,
        handed: handed.length,
        live: handed.filter((t) => t.readyState === 'live').length,
        hasVideo: stream.hasVideo(),
      };
    });
    expect(outcome).toEqual({ code: 0x1001, handed: 2, live: 0, hasVideo: false });
  });
});
