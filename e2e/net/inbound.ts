/**
 * What a page receives (inbound-rtp totals over its recorded peer connections, window.__pcs)
 * and the figures of a window between two readings. No vitest here: the quality bench
 * (bench/quality.ts) reads the same figures outside the test runner.
 */
import type { Page } from 'playwright-core';

export interface InboundTotals {
  at: number;
  framesDecoded: number;
  frameWidth: number;
  freezesSeconds: number;
  freezeCount: number;
  videoBytes: number;
  audioSamples: number;
  concealedSamples: number;
  nacks: number;
}

/** What a page receives in total from all its peer connections (inbound-rtp). */
export async function inboundTotals(page: Page): Promise<InboundTotals> {
  return page.evaluate(async () => {
    const w = window as unknown as { __pcs: RTCPeerConnection[] };
    const t = {
      at: Date.now(),
      framesDecoded: 0,
      frameWidth: 0,
      freezesSeconds: 0,
      freezeCount: 0,
      videoBytes: 0,
      audioSamples: 0,
      concealedSamples: 0,
      nacks: 0,
    };
    for (const pc of w.__pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s: Record<string, number | string>) => {
        if (s.type !== 'inbound-rtp') return;
        const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
        if (s.kind === 'video') {
          t.framesDecoded += n('framesDecoded');
          t.frameWidth = Math.max(t.frameWidth, n('frameWidth'));
          t.freezesSeconds += n('totalFreezesDuration');
          t.freezeCount += n('freezeCount');
          t.videoBytes += n('bytesReceived');
          t.nacks += n('nackCount');
        } else if (s.kind === 'audio') {
          t.audioSamples += n('totalSamplesReceived');
          t.concealedSamples += n('concealedSamples');
        }
      });
    }
    return t;
  });
}

export interface WindowFigures {
  seconds: number;
  fps: number;
  freezesSeconds: number;
  freezeCount: number;
  concealedPercent: number;
  videoKbps: number;
  frameWidth: number;
  nacks: number;
}

/** The figures of what the page received between two readings. */
export function figures(a: InboundTotals, b: InboundTotals): WindowFigures {
  const seconds = (b.at - a.at) / 1000;
  const samples = b.audioSamples - a.audioSamples;
  return {
    seconds: Math.round(seconds * 10) / 10,
    fps: Math.round(((b.framesDecoded - a.framesDecoded) / seconds) * 10) / 10,
    freezesSeconds: Math.round((b.freezesSeconds - a.freezesSeconds) * 100) / 100,
    freezeCount: b.freezeCount - a.freezeCount,
    concealedPercent:
      samples > 0
        ? Math.round(((b.concealedSamples - a.concealedSamples) / samples) * 1000) / 10
        : 100,
    videoKbps: Math.round(((b.videoBytes - a.videoBytes) * 8) / seconds / 1000),
    frameWidth: b.frameWidth,
    nacks: b.nacks - a.nacks,
  };
}
