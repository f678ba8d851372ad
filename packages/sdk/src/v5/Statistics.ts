/**
 * v5's STATISTICS event: every 2 s while in a room, the round trip, loss, byte totals and
 * per-stream bitrate, size and frame rate of what is sent and received, read from the two
 * peer connections' getStats() (bitrates and loss over the last interval).
 */
import type { RoomEngine } from '../engine/RoomEngine.js';
import { num, type Stat } from '../engine/stats.js';
import { TRTCVideoType } from './enums.js';
import type { TRTCStatistics } from './types.js';

export const STATISTICS_INTERVAL_MS = 2000;

interface Counters {
  at: number;
  bytes: Map<string, number>;
  lost: number;
  received: number;
}

export class Statistics {
  private timer: ReturnType<typeof setInterval> | null = null;
  private previous: Counters | null = null;
  private busy = false;

  constructor(
    private readonly engine: RoomEngine,
    private readonly report: (statistics: TRTCStatistics) => void,
  ) {}

  start(): void {
    this.stop();
    this.timer = setInterval(() => void this.tick(), STATISTICS_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.previous = null;
  }

  private async tick(): Promise<void> {
    const reader = this.engine.stats(true);
    if (!reader || this.busy) return;
    this.busy = true;
    try {
      const [up, down, transport] = await Promise.all([
        reader.publisherStats(),
        reader.subscriberStats(),
        reader.transportStats(),
      ]);
      if (this.timer === null) return;
      const now = Date.now();
      const previous = this.previous;
      const bytes = new Map<string, number>();
      const kbps = (id: string, total: number): number => {
        bytes.set(id, total);
        const before = previous?.bytes.get(id);
        if (!previous || before === undefined || now <= previous.at) return 0;
        return Math.max(0, Math.round(((total - before) * 8) / (now - previous.at)));
      };

      const localAudio = reader.mainOutbound(up, 'audio')[0];
      const source = localAudio ? up.find((s) => s.id === localAudio.mediaSourceId) : undefined;
      const localVideo = reader.mainOutbound(up, 'video').map((s) => ({
        width: num(s.frameWidth),
        height: num(s.frameHeight),
        frameRate: Math.round(num(s.framesPerSecond)),
        bitrate: kbps(s.id, num(s.bytesSent)),
        videoType: s.rid === 's' ? TRTCVideoType.Small : TRTCVideoType.Big,
      }));

      const remote = new Map<string, TRTCStatistics['remoteStatistics'][number]>();
      let lost = 0;
      let received = 0;
      for (const { owner, kind, stat } of reader.inbound(down)) {
        lost += num(stat.packetsLost);
        received += num(stat.packetsReceived);
        const entry = remote.get(owner.userId) ?? {
          userId: owner.userId,
          audio: { bitrate: 0, audioLevel: 0, jitterBufferDelay: 0 },
          video: [],
        };
        remote.set(owner.userId, entry);
        const jitterBufferDelay = jitterMs(stat);
        if (kind === 'audio') {
          entry.audio = {
            bitrate: kbps(stat.id, num(stat.bytesReceived)),
            audioLevel: num(stat.audioLevel),
            jitterBufferDelay,
          };
        } else {
          entry.video.push({
            width: num(stat.frameWidth),
            height: num(stat.frameHeight),
            frameRate: Math.round(num(stat.framesPerSecond)),
            bitrate: kbps(stat.id, num(stat.bytesReceived)),
            videoType: owner.streamType === 'auxiliary' ? TRTCVideoType.Sub : TRTCVideoType.Big,
            jitterBufferDelay,
          });
        }
      }
      const downLoss =
        previous && received + lost > previous.received + previous.lost
          ? Math.round(
              (100 * Math.max(0, lost - previous.lost)) /
                (received + lost - previous.received - previous.lost),
            )
          : 0;
      const upLoss = Math.round(
        100 *
          Math.max(
            0,
            ...up.filter((s) => s.type === 'remote-inbound-rtp').map((s) => num(s.fractionLost)),
          ),
      );
      this.previous = { at: now, bytes, lost, received };
      this.report({
        rtt: transport.rtt,
        upLoss,
        downLoss,
        bytesSent: sum(up, 'outbound-rtp', 'bytesSent'),
        bytesReceived: sum(down, 'inbound-rtp', 'bytesReceived'),
        localStatistics: {
          audio: {
            bitrate: localAudio ? kbps(localAudio.id, num(localAudio.bytesSent)) : 0,
            audioLevel: source ? num(source.audioLevel) : 0,
          },
          video: localVideo,
        },
        remoteStatistics: [...remote.values()],
      });
    } finally {
      this.busy = false;
    }
  }
}

function sum(stats: readonly Stat[], type: string, field: string): number {
  return stats.filter((s) => s.type === type).reduce((total, s) => total + num(s[field]), 0);
}

/** Average jitter buffer delay in ms (jitterBufferDelay is in seconds, summed per emitted sample). */
function jitterMs(stat: Stat): number {
  const emitted = num(stat.jitterBufferEmittedCount);
  return emitted > 0 ? Math.round((num(stat.jitterBufferDelay) / emitted) * 1000) : 0;
}
