/**
 * AUDIO_VOLUME for an instance that is not in a room (v5 allows `startLocalAudio` +
 * `enableAudioVolumeEvaluation` alone, e.g. a microphone test page): the local microphone's
 * level from a Web Audio meter, as the `''` user. In a room the engine's meter reports
 * instead (from the sent audio's energy, with the remote users).
 */
import { AudioLevelMeter } from '../stream/AudioLevelMeter.js';

export class LocalVolume {
  private timer: ReturnType<typeof setInterval> | null = null;
  private meter: AudioLevelMeter | null = null;
  private inBackground = false;

  constructor(
    /** The microphone track, if started. */
    private readonly track: () => MediaStreamTrack | null,
    /** Whether this meter should report now (not in a room). */
    private readonly active: () => boolean,
    private readonly report: (level: number) => void,
  ) {}

  /** `intervalMs <= 0` stops it. */
  configure(intervalMs: number, inBackground: boolean): void {
    this.stop();
    this.inBackground = inBackground;
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => this.tick(), Math.max(16, intervalMs));
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.meter?.close();
    this.meter = null;
  }

  private tick(): void {
    if (!this.active()) return;
    if (!this.inBackground && typeof document !== 'undefined' && document.hidden) return;
    const track = this.track();
    if (!track || track.readyState === 'ended') return;
    if (this.meter?.track !== track) {
      this.meter?.close();
      this.meter = AudioLevelMeter.create(track);
    }
    // A muted microphone (track disabled) reads silence, as v5 reports it.
    this.report(this.meter && track.enabled ? this.meter.level() : 0);
  }
}
