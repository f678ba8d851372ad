/**
 * Video rates and sizes as a page's own getStats() reports them (every RTCPeerConnection the
 * page made, recorded by the harness): what a publisher sends, what a viewer decodes.
 */
import type { Page } from 'playwright-core';
import { sleep } from './harness.js';

export interface VideoCounters {
  /** Sum over every video RTP stream (all simulcast layers for a sender). */
  bytes: number;
  frames: number;
  /** Largest frame width among the streams now (0 when none has a size yet). */
  frameWidth: number;
  frameHeight: number;
  /** Per simulcast layer (rid) or '-' without one: width of what it encodes. */
  layers: Record<string, { bytes: number; frameWidth: number }>;
}

/** Counters of the page's outbound ('sent') or inbound ('received') video. */
export function videoCounters(page: Page, direction: 'sent' | 'received'): Promise<VideoCounters> {
  return page.evaluate(async (direction) => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const type = direction === 'sent' ? 'outbound-rtp' : 'inbound-rtp';
    const total = {
      bytes: 0,
      frames: 0,
      frameWidth: 0,
      frameHeight: 0,
      layers: {} as Record<string, { bytes: number; frameWidth: number }>,
    };
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== type || s.kind !== 'video') return;
        const bytes = Number(direction === 'sent' ? s.bytesSent : s.bytesReceived) || 0;
        const frames = Number(direction === 'sent' ? s.framesEncoded : s.framesDecoded) || 0;
        const width = Number(s.frameWidth) || 0;
        total.bytes += bytes;
        total.frames += frames;
        total.frameWidth = Math.max(total.frameWidth, width);
        total.frameHeight = Math.max(total.frameHeight, Number(s.frameHeight) || 0);
        total.layers[typeof s.rid === 'string' ? s.rid : '-'] = { bytes, frameWidth: width };
      });
    }
    return total;
  }, direction);
}

export interface VideoRate {
  /** bits per second over the window */
  bps: number;
  fps: number;
  frameWidth: number;
  frameHeight: number;
  /** Per layer (rid), bits per second. */
  layers: Record<string, { bps: number; frameWidth: number }>;
}

/** The video rate over `windowMs`, and the frame size at its end. */
export async function videoRate(
  page: Page,
  direction: 'sent' | 'received',
  windowMs = 1000,
): Promise<VideoRate> {
  const before = await videoCounters(page, direction);
  const started = Date.now();
  await sleep(windowMs);
  const after = await videoCounters(page, direction);
  const seconds = (Date.now() - started) / 1000;
  const layers: VideoRate['layers'] = {};
  for (const [rid, layer] of Object.entries(after.layers)) {
    const bytes = layer.bytes - (before.layers[rid]?.bytes ?? 0);
    layers[rid] = { bps: Math.round((bytes * 8) / seconds), frameWidth: layer.frameWidth };
  }
  return {
    bps: Math.round(((after.bytes - before.bytes) * 8) / seconds),
    fps: Math.round(((after.frames - before.frames) / seconds) * 10) / 10,
    frameWidth: after.frameWidth,
    frameHeight: after.frameHeight,
    layers,
  };
}

export const mbps = (bps: number): string => `${(bps / 1e6).toFixed(2)} Mbit/s`;
