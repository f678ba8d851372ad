/**
 * On a lossy downlink, gives retransmissions time to arrive: while the received media loses
 * packets (≥ 3% over the last window), every receiver's jitter buffer aims at 600 ms
 * (RTCRtpReceiver.jitterBufferTarget) instead of the browser's minimum, so a packet NACKed and
 * resent once or twice is still in time to be played; the picture does not freeze and the
 * audio is not concealed for it. Below 1% the browser's own target comes back (low latency).
 * 600, not 300: at 20% loss each way and ~900 kbit/s, 300 ms left 1.3–2.9 s of freezes in
 * 20 s on an idle machine, 600 ms 0.5–0.9 s (e2e/net/loss).
 */
import type { SubscriberTransport } from '../transport/SubscriberTransport.js';

export const LOSSY_JITTER_TARGET_MS = 600;
const LOSSY_FROM = 0.03;
const CLEAN_BELOW = 0.01;
const INTERVAL_MS = 2000;

/** The jitter buffer target for a window's loss fraction (null: the browser's own). */
export function jitterTargetFor(lossFraction: number, current: number | null): number | null {
  if (lossFraction >= LOSSY_FROM) return LOSSY_JITTER_TARGET_MS;
  if (lossFraction < CLEAN_BELOW) return null;
  return current;
}

interface Counts {
  lost: number;
  received: number;
}

export class LossResilience {
  private timer: ReturnType<typeof setInterval> | null = null;
  private last: Counts | null = null;
  private target: number | null = null;

  constructor(private readonly subscriber: SubscriberTransport) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), INTERVAL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    const report = await this.subscriber.getStats().catch(() => null);
    if (!report) return;
    const counts: Counts = { lost: 0, received: 0 };
    report.forEach((s: { type?: string; packetsLost?: number; packetsReceived?: number }) => {
      if (s.type !== 'inbound-rtp') return;
      counts.lost += s.packetsLost ?? 0;
      counts.received += s.packetsReceived ?? 0;
    });
    const last = this.last;
    this.last = counts;
    if (!last) return;
    const lost = Math.max(0, counts.lost - last.lost);
    const total = lost + Math.max(0, counts.received - last.received);
    if (total === 0) return;
    const next = jitterTargetFor(lost / total, this.target);
    if (next !== this.target) {
      this.target = next;
      this.subscriber.setJitterBufferTarget(next);
    }
  }
}
