/**
 * `enableAudioVolumeEvaluation()`: every interval, the volume (0..100) of the local published
 * audio and of every remote stream whose audio we receive, as `audio-volume` events. Read
 * from getStats() energy counters (totalAudioEnergy / totalSamplesDuration), so the value is
 * the RMS level over the whole interval rather than a snapshot that may fall between words,
 * and no WebAudio context (which autoplay rules may suspend) is needed.
 */
import type { LocalStream } from '../stream/LocalStream.js';
import type { RemoteStream } from '../stream/RemoteStream.js';
import { streamKey } from './RoomState.js';
import type { Session } from './Session.js';
import { StatsReader } from './StatsReader.js';
import { energyOf, volumeBetween, type EnergySample } from './stats.js';

export interface AudioVolumeEntry {
  userId: string;
  /** 0..100 */
  audioVolume: number;
  stream: LocalStream | RemoteStream;
}

export interface AudioVolumeEvent {
  result: AudioVolumeEntry[];
}

/** Shorter intervals only burn CPU: getStats() itself takes a few ms. */
export const MIN_AUDIO_VOLUME_INTERVAL_MS = 16;

export class AudioVolumeMeter {
  private intervalMs = 0;
  private runInBackground = false;
  private session: Session | null = null;
  private reader: StatsReader | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private busy = false;
  /** Energy counters at the previous tick, by stats id. */
  private previous = new Map<string, EnergySample>();

  constructor(private readonly emit: (event: AudioVolumeEvent) => void) {}

  /** `intervalMs <= 0` turns evaluation off. */
  configure(intervalMs: number, runInBackground: boolean): void {
    this.intervalMs = intervalMs <= 0 ? 0 : Math.max(MIN_AUDIO_VOLUME_INTERVAL_MS, intervalMs);
    this.runInBackground = runInBackground;
    this.restart();
  }

  /** Evaluates this session's streams (null: none, e.g. after leave). */
  attach(session: Session | null): void {
    this.session = session;
    this.reader = session ? new StatsReader(session) : null;
    this.previous.clear();
    this.restart();
  }

  private restart(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.intervalMs > 0 && this.session) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
    }
  }

  private hidden(): boolean {
    return typeof document !== 'undefined' && document.visibilityState === 'hidden';
  }

  private async tick(): Promise<void> {
    const session = this.session;
    const reader = this.reader;
    if (!session || !reader || session.ended || this.busy) return;
    if (!this.runInBackground && this.hidden()) return;
    this.busy = true;
    try {
      const result = await this.measure(session, reader);
      if (this.session === session && !session.ended && this.timer !== null) {
        this.emit({ result });
      }
    } finally {
      this.busy = false;
    }
  }

  private async measure(session: Session, reader: StatsReader): Promise<AudioVolumeEntry[]> {
    const [up, down] = await Promise.all([reader.publisherStats(), reader.subscriberStats()]);
    const seen = new Map<string, EnergySample>();
    const volumeOf = (id: string, sample: EnergySample | undefined): number => {
      if (!sample) return 0;
      seen.set(id, sample);
      return volumeBetween(this.previous.get(id), sample);
    };
    const result: AudioVolumeEntry[] = [];
    const local = session.published;
    if (local?.hasAudio()) {
      // The media source of the sender: what the microphone captures (0 while muted).
      const outbound = reader.mainOutbound(up, 'audio')[0];
      const source = outbound ? up.find((s) => s.id === outbound.mediaSourceId) : undefined;
      const volume = source && !local.isMuted('audio') ? volumeOf(source.id, energyOf(source)) : 0;
      result.push({ userId: reader.userId, audioVolume: volume, stream: local });
    }
    for (const { owner, kind, stat } of reader.inbound(down)) {
      if (kind !== 'audio') continue;
      const stream = session.streams.get(streamKey(owner.userId, owner.streamType));
      if (!stream || !stream.getAudioTrack()) continue;
      result.push({
        userId: owner.userId,
        audioVolume: volumeOf(stat.id, energyOf(stat)),
        stream,
      });
    }
    this.previous = seen;
    return result;
  }
}
