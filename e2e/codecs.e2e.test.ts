/** H264 end to end when the publisher's browser sends only H264 and the others decode it. */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  expectFlowing,
  newPage,
  openGuidePage,
  useE2eEnvironment,
  randomRoomId,
} from './harness.js';

const env = useE2eEnvironment();

/** Makes this browser offer H264 (constrained baseline, packetization-mode 1) alone for video. */
const PREFER_H264 = `
  (() => {
    const add = RTCPeerConnection.prototype.addTransceiver;
    RTCPeerConnection.prototype.addTransceiver = function (trackOrKind, init) {
      const transceiver = add.call(this, trackOrKind, init);
      const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
      if (kind === 'video' && init && init.direction === 'sendonly') {
        transceiver.setCodecPreferences(
          RTCRtpSender.getCapabilities('video').codecs.filter(
            (c) => c.mimeType === 'video/H264' && /packetization-mode=1/.test(c.sdpFmtpLine || '') && /42e01f/.test(c.sdpFmtpLine || ''),
          ),
        );
      }
      return transceiver;
    };
  })();
`;

/** mimeTypes of the video this page receives (inbound) or sends (outbound). */
function videoCodecs(page: Page, direction: 'inbound-rtp' | 'outbound-rtp'): Promise<string[]> {
  return page.evaluate(async (direction) => {
    const found: string[] = [];
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s: { type: string; kind?: string; codecId?: string }) => {
        if (s.type === direction && s.kind === 'video' && s.codecId) {
          found.push((report.get(s.codecId) as { mimeType: string }).mimeType);
        }
      });
    }
    return found;
  }, direction);
}

describe('codecs', () => {
  it('negotiates H264 when the publisher offers only H264, and the subscriber decodes it', async () => {
    const roomId = randomRoomId();
    const { context, page: h264 } = await newPage(env.browser);
    await context.addInitScript(PREFER_H264);
    await h264.goto(
      `${env.app.origin}/guide.html?${new URLSearchParams({
        sdkAppId: String(env.parley.sdkAppId),
        userId: 'h264',
        userSig: env.parley.userSig('h264'),
        roomId: String(roomId),
      })}`,
    );
    await h264.evaluate(() => (window as unknown as { start(): Promise<void> }).start());
    const viewer = await openGuidePage(env.browser, env.app.origin, env.parley, 'vp8', roomId);
    await expectFlowing(viewer, ['h264']);
    await expectFlowing(h264, ['vp8']);
    expect(await videoCodecs(h264, 'outbound-rtp')).toEqual(['video/H264']);
    expect(await videoCodecs(viewer, 'inbound-rtp')).toEqual(['video/H264']);
    expect(await videoCodecs(viewer, 'outbound-rtp')).toEqual(['video/VP8']);
  });
});
