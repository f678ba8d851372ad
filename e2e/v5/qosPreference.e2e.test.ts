/**
 * v5 `qosPreference` on the camera: the video sender's degradationPreference and the track's
 * contentHint, read back from the publisher connection (getParameters()); a bad value 5000.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { randomRoomId, useE2eEnvironment } from '../harness.js';
import { enterRoom, errorOf, openV5Page } from './v5Page.js';

const env = useE2eEnvironment();

/** The published video sender's degradationPreference and its track's contentHint. */
const videoSender = (page: Page): Promise<{ degradation: string; hint: string } | null> =>
  page.evaluate(() => {
    const w = window as unknown as { __pcs: RTCPeerConnection[] };
    for (const pc of w.__pcs) {
      if (pc.connectionState === 'closed') continue;
      for (const sender of pc.getSenders()) {
        if (sender.track?.kind !== 'video') continue;
        const parameters = sender.getParameters() as RTCRtpSendParameters & {
          degradationPreference?: string;
        };
        return {
          degradation: parameters.degradationPreference ?? '',
          hint: sender.track.contentHint,
        };
      }
    }
    return null;
  });

describe('TRTC v5 qosPreference', () => {
  it.each([
    ['clear', 'maintain-resolution', 'detail'],
    ['smooth', 'maintain-framerate', 'motion'],
    [undefined, 'maintain-framerate', 'motion'],
  ])(
    'qosPreference %s: the sender keeps %s, the track hints %s',
    async (qos, degradation, hint) => {
      const { page, pageErrors } = await openV5Page(env.browser, env.app.origin);
      await enterRoom(page, env.parley, 'alice', { roomId: randomRoomId() });
      await page.evaluate(
        (qos) =>
          (
            window as unknown as { trtc: { startLocalVideo(o: object): Promise<void> } }
          ).trtc.startLocalVideo({
            view: 'local',
            option: qos === undefined ? {} : { qosPreference: qos },
          }),
        qos,
      );
      expect(await videoSender(page)).toEqual({ degradation, hint });
      expect(pageErrors).toEqual([]);
    },
  );

  it('a bad qosPreference rejects INVALID_PARAMETER naming it', async () => {
    const { page } = await openV5Page(env.browser, env.app.origin);
    const error = await errorOf(page, 'startLocalVideo', {
      view: 'local',
      option: { qosPreference: 'sharp' },
    });
    expect(error).toMatchObject({ code: 5000, functionName: 'startLocalVideo' });
    expect(error!.message).toMatch(/qosPreference/);
  });
});
