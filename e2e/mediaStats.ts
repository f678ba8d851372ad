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

export interface Playback {
  /** Longest time no new video frame was decoded (ms, sampled every 100 ms). */
  maxVideoStallMs: number;
  fps: number;
  bps: number;
  frameWidth: number;
  /** Share of the audio played out that was concealed (lost or late), 0–1. */
  audioConcealedRatio: number;
  /** Longest time no audio packet arrived (ms). */
  maxAudioStallMs: number;
  /** Per second: frames decoded and the widest frame, to show when and where a stall was. */
  timeline: { frames: number; width: number }[];
  /** Every sample (~100 ms apart) of the inbound video, to tell what a stall was made of. */
  samples: PlaybackSample[];
}

export interface PlaybackSample {
  /** Wall clock (Date.now()), comparable with the server's log times. */
  at: number;
  frames: number;
  width: number;
  keyFrames: number;
  videoPackets: number;
  /** Sum of the jitter buffer delay of the frames emitted so far (s) and their count. */
  jitterBufferDelay: number;
  jitterBufferEmitted: number;
}

/** Watches what the page plays from its inbound video and audio for `durationMs`. */
export function watchPlayback(page: Page, durationMs: number): Promise<Playback> {
  return page.evaluate(async (durationMs) => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const read = async () => {
      const now = {
        frames: 0,
        bytes: 0,
        width: 0,
        samples: 0,
        concealed: 0,
        packets: 0,
        keyFrames: 0,
        videoPackets: 0,
        jitterBufferDelay: 0,
        jitterBufferEmitted: 0,
      };
      for (const pc of pcs) {
        if (pc.connectionState === 'closed') continue;
        (await pc.getStats()).forEach((s: Record<string, unknown>) => {
          if (s.type !== 'inbound-rtp') return;
          if (s.kind === 'video') {
            now.frames += Number(s.framesDecoded) || 0;
            now.bytes += Number(s.bytesReceived) || 0;
            now.width = Math.max(now.width, Number(s.frameWidth) || 0);
            now.keyFrames += Number(s.keyFramesDecoded) || 0;
            now.videoPackets += Number(s.packetsReceived) || 0;
            now.jitterBufferDelay += Number(s.jitterBufferDelay) || 0;
            now.jitterBufferEmitted += Number(s.jitterBufferEmittedCount) || 0;
          } else if (s.kind === 'audio') {
            // totalSamplesReceived counts every sample played out, concealed ones included.
            now.samples += Number(s.totalSamplesReceived) || 0;
            now.concealed += Number(s.concealedSamples) || 0;
            now.packets += Number(s.packetsReceived) || 0;
          }
        });
      }
      return { ...now, at: performance.now(), wall: Date.now() };
    };
    const sample = (r: Awaited<ReturnType<typeof read>>) => ({
      at: r.wall,
      frames: r.frames,
      width: r.width,
      keyFrames: r.keyFrames,
      videoPackets: r.videoPackets,
      jitterBufferDelay: r.jitterBufferDelay,
      jitterBufferEmitted: r.jitterBufferEmitted,
    });
    const first = await read();
    let last = first;
    let lastFrameAt = first.at;
    let lastPacketAt = first.at;
    let maxVideoStallMs = 0;
    let maxAudioStallMs = 0;
    const timeline: { frames: number; width: number }[] = [];
    const samples = [sample(first)];
    let second = first;
    while (performance.now() - first.at < durationMs) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = await read();
      samples.push(sample(now));
      if (now.at - second.at >= 1000) {
        timeline.push({ frames: now.frames - second.frames, width: now.width });
        second = now;
      }
      if (now.frames > last.frames) lastFrameAt = now.at;
      if (now.packets > last.packets) lastPacketAt = now.at;
      maxVideoStallMs = Math.max(maxVideoStallMs, now.at - lastFrameAt);
      maxAudioStallMs = Math.max(maxAudioStallMs, now.at - lastPacketAt);
      last = now;
    }
    const seconds = (last.at - first.at) / 1000;
    const played = last.samples - first.samples;
    return {
      maxVideoStallMs: Math.round(maxVideoStallMs),
      fps: Math.round(((last.frames - first.frames) / seconds) * 10) / 10,
      bps: Math.round(((last.bytes - first.bytes) * 8) / seconds),
      frameWidth: last.width,
      audioConcealedRatio: played > 0 ? (last.concealed - first.concealed) / played : 1,
      maxAudioStallMs: Math.round(maxAudioStallMs),
      timeline,
      samples,
    };
  }, durationMs);
}

/**
 * What the longest stretch without a new frame in `samples` was made of, as a line for the
 * log: when it began and ended (ms after `since`, wall clock), the widths either side, whether
 * it ended on a keyframe, the video packets that came meanwhile (none: nothing arrived; many:
 * they came but made no frame, e.g. waiting for a keyframe), and the jitter buffer's average
 * delay of the frames emitted in the second before and after.
 */
export function describeStall(samples: PlaybackSample[], since: number): string {
  let worst: { from: number; to: number } | null = null;
  let lastNew = 0;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i]!.frames <= samples[i - 1]!.frames) continue;
    const gap = samples[i]!.at - samples[lastNew]!.at;
    if (!worst || gap > samples[worst.to]!.at - samples[worst.from]!.at)
      worst = { from: lastNew, to: i };
    lastNew = i;
  }
  if (!worst) return 'no frame decoded';
  const a = samples[worst.from]!;
  const b = samples[worst.to]!;
  const jitterMs = (from: number, to: number) => {
    const x = samples[Math.max(0, from)]!;
    const y = samples[Math.min(samples.length - 1, to)]!;
    const n = y.jitterBufferEmitted - x.jitterBufferEmitted;
    return n > 0 ? Math.round(((y.jitterBufferDelay - x.jitterBufferDelay) / n) * 1000) : NaN;
  };
  return (
    `longest gap ${b.at - a.at} ms, from ${a.at - since} to ${b.at - since} ms after the change; ` +
    `width ${a.width} -> ${b.width}; keyframes decoded at its end ${b.keyFrames - a.keyFrames}; ` +
    `video packets in it ${b.videoPackets - a.videoPackets}; jitter buffer delay ` +
    `${jitterMs(worst.from - 10, worst.from)} ms before, ${jitterMs(worst.to - 1, worst.to + 10)} ms after`
  );
}
