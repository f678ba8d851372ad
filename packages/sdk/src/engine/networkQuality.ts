/**
 * The `network-quality` event: every 2 s, a 0-6 grade per direction from the packet loss
 * and round trip measured on the peer connections (or the signaling heartbeat when a
 * direction carries no media).
 *
 * Grades (v4's scale): 0 unknown, 1 excellent, 2 good, 3 poor, 4 bad, 5 very bad,
 * 6 disconnected. A direction gets the grade of the first row its loss, its RTT and its
 * jitter all fit under; the worst of the three decides:
 *
 *   grade  loss    RTT        jitter
 *   1      < 1 %   < 100 ms   < 20 ms   (no audible or visible effect)
 *   2      < 3 %   < 200 ms   < 40 ms   (NACK/FEC hide it; conversation still natural)
 *   3      < 8 %   < 400 ms   < 80 ms   (occasional artefacts; talk-over starts)
 *   4      < 15 %  < 800 ms   < 160 ms  (frequent freezes; hard to talk)
 *   5      otherwise
 *   6      the connection (or the signaling socket) is down
 *
 * Jitter is the largest interarrival jitter of the direction's audio streams (video's only
 * without audio; see jitterMsOf): what the server reports of our packets (remote-inbound-rtp)
 * uplink, what we measure (inbound-rtp) downlink.
 */
import type { Session } from './Session.js';
import { StatsReader } from './StatsReader.js';
import { candidatePairRttMs, num, remoteInboundRttMs, type Stat } from './stats.js';

export type NetworkQuality = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface NetworkQualityEvent {
  uplinkNetworkQuality: NetworkQuality;
  downlinkNetworkQuality: NetworkQuality;
  /** ms (0 unknown) */
  uplinkRTT: number;
  /** percent of packets lost over the last interval */
  uplinkLoss: number;
  downlinkRTT: number;
  downlinkLoss: number;
}

export const NETWORK_QUALITY_INTERVAL_MS = 2000;

const GRADES: ReadonlyArray<{
  grade: NetworkQuality;
  maxLoss: number;
  maxRttMs: number;
  maxJitterMs: number;
}> = [
  { grade: 1, maxLoss: 0.01, maxRttMs: 100, maxJitterMs: 20 },
  { grade: 2, maxLoss: 0.03, maxRttMs: 200, maxJitterMs: 40 },
  { grade: 3, maxLoss: 0.08, maxRttMs: 400, maxJitterMs: 80 },
  { grade: 4, maxLoss: 0.15, maxRttMs: 800, maxJitterMs: 160 },
];

/** The grade for a loss ratio (0..1), a round trip and a jitter in ms. */
export function gradeOf(loss: number, rttMs: number, jitterMs = 0): NetworkQuality {
  for (const row of GRADES) {
    if (loss < row.maxLoss && rttMs < row.maxRttMs && jitterMs < row.maxJitterMs) return row.grade;
  }
  return 5;
}

/**
 * The largest `jitter` (reported in seconds) of the direction's audio streams, in ms; of its
 * video streams only when it carries no audio. Video's figure measures the sender as much as
 * the path: a frame's packets share one timestamp and leave spread out by the pacer, so a
 * keyframe or a busy encoder reads as 40-80 ms of "jitter" on loopback.
 */
export function jitterMsOf(
  stats: readonly Stat[],
  type: 'inbound-rtp' | 'remote-inbound-rtp',
): number {
  const streams = stats.filter((s) => s.type === type);
  const audio = streams.filter((s) => s.kind === 'audio');
  let max = 0;
  for (const s of audio.length > 0 ? audio : streams) max = Math.max(max, num(s.jitter) * 1000);
  return max;
}

interface Counters {
  packets: number;
  lost: number;
}

interface Direction {
  quality: NetworkQuality;
  rtt: number;
  loss: number;
}

const DOWN_STATES: ReadonlySet<RTCPeerConnectionState> = new Set(['failed', 'disconnected']);

/** Loss over the interval since `previous` (all of the counters when there is none). */
function lossBetween(previous: Counters | undefined, now: Counters): number {
  const lost = now.lost - (previous?.lost ?? 0);
  const total = now.packets - (previous?.packets ?? 0) + Math.max(0, lost);
  return total > 0 && lost > 0 ? lost / total : 0;
}

/** Samples one session's network every interval while it lives. */
export class NetworkQualityMonitor {
  private readonly reader: StatsReader;
  private previousUp: Counters | undefined;
  private previousDown: Counters | undefined;
  private timer: ReturnType<typeof setInterval> | null = null;
  private busy = false;

  constructor(
    private readonly session: Session,
    private readonly emit: (event: NetworkQualityEvent) => void,
  ) {
    this.reader = new StatsReader(session);
  }

  start(intervalMs = NETWORK_QUALITY_INTERVAL_MS): void {
    this.stop();
    this.timer = setInterval(() => void this.tick(), intervalMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    // A slow getStats() must not pile up samples.
    if (this.busy || this.session.ended) return;
    this.busy = true;
    try {
      const event = await this.sample();
      if (!this.session.ended && this.timer !== null) this.emit(event);
    } finally {
      this.busy = false;
    }
  }

  async sample(): Promise<NetworkQualityEvent> {
    const { session } = this;
    const signalState = session.signal.state;
    if (signalState === 'reconnecting' || signalState === 'closed') {
      return { ...pack('uplink', disconnected()), ...pack('downlink', disconnected()) };
    }
    const signalRtt = session.signal.rttMs;
    const [upStats, downStats] = await Promise.all([
      this.reader.publisherStats(),
      this.reader.subscriberStats(),
    ]);
    const up = this.uplink(upStats, signalRtt);
    const down = this.downlink(downStats, signalRtt);
    return { ...pack('uplink', up), ...pack('downlink', down) };
  }

  private uplink(stats: readonly Stat[], signalRtt: number | undefined): Direction {
    const publisher = this.session.publisher;
    if (publisher && DOWN_STATES.has(publisher.connectionState)) return disconnected();
    if (!publisher || publisher.connectionState !== 'connected') return fromSignal(signalRtt);
    const outbound = stats.filter((s) => s.type === 'outbound-rtp');
    const counters: Counters = {
      packets: outbound.reduce((sum, s) => sum + num(s.packetsSent), 0),
      lost: stats
        .filter((s) => s.type === 'remote-inbound-rtp')
        .reduce((sum, s) => sum + Math.max(0, num(s.packetsLost)), 0),
    };
    const loss = lossBetween(this.previousUp, counters);
    this.previousUp = counters;
    const rtt = remoteInboundRttMs(stats) ?? candidatePairRttMs(stats) ?? signalRtt;
    return rtt === undefined
      ? unknown()
      : direction(loss, rtt, jitterMsOf(stats, 'remote-inbound-rtp'));
  }

  private downlink(stats: readonly Stat[], signalRtt: number | undefined): Direction {
    const state = this.session.subscriber.connectionState;
    if (DOWN_STATES.has(state)) return disconnected();
    const inbound = stats.filter((s) => s.type === 'inbound-rtp');
    if (state !== 'connected' || inbound.length === 0) return fromSignal(signalRtt);
    const counters: Counters = {
      packets: inbound.reduce((sum, s) => sum + num(s.packetsReceived), 0),
      lost: inbound.reduce((sum, s) => sum + Math.max(0, num(s.packetsLost)), 0),
    };
    const loss = lossBetween(this.previousDown, counters);
    this.previousDown = counters;
    const rtt = candidatePairRttMs(stats) ?? signalRtt;
    return rtt === undefined ? unknown() : direction(loss, rtt, jitterMsOf(stats, 'inbound-rtp'));
  }
}

function direction(loss: number, rtt: number, jitterMs = 0): Direction {
  return {
    quality: gradeOf(loss, rtt, jitterMs),
    rtt: Math.round(rtt),
    loss: Math.round(loss * 100),
  };
}

function fromSignal(signalRtt: number | undefined): Direction {
  return signalRtt === undefined ? unknown() : direction(0, signalRtt);
}

function unknown(): Direction {
  return { quality: 0, rtt: 0, loss: 0 };
}

function disconnected(): Direction {
  return { quality: 6, rtt: 0, loss: 0 };
}

function pack<P extends 'uplink' | 'downlink'>(prefix: P, d: Direction) {
  return {
    [`${prefix}NetworkQuality`]: d.quality,
    [`${prefix}RTT`]: d.rtt,
    [`${prefix}Loss`]: d.loss,
  } as P extends 'uplink'
    ? Pick<NetworkQualityEvent, 'uplinkNetworkQuality' | 'uplinkRTT' | 'uplinkLoss'>
    : Pick<NetworkQualityEvent, 'downlinkNetworkQuality' | 'downlinkRTT' | 'downlinkLoss'>;
}
