/**
 * `stream.getAudioLevel()`: the loudness (0..1) of an audio track, read from a Web Audio
 * AnalyserNode. One AudioContext serves every meter of the page (browsers cap how many a
 * page may open, and each costs an audio thread); the analyser is an automatic pull node,
 * so it runs without being connected to the speakers (nothing is heard twice).
 */
let sharedContext: AudioContext | null = null;

/** The page's one AudioContext (null where Web Audio is unavailable); CaptureGain shares it. */
export function audioContext(): AudioContext | null {
  if (sharedContext) return sharedContext;
  const Ctor =
    typeof AudioContext !== 'undefined'
      ? AudioContext
      : (globalThis as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctor) return null;
  sharedContext = new Ctor();
  return sharedContext;
}

export class AudioLevelMeter {
  private readonly source: MediaStreamAudioSourceNode;
  private readonly analyser: AnalyserNode;
  private readonly samples: Float32Array<ArrayBuffer>;

  private constructor(
    readonly track: MediaStreamTrack,
    private readonly context: AudioContext,
  ) {
    this.source = context.createMediaStreamSource(new MediaStream([track]));
    this.analyser = context.createAnalyser();
    // ~21 ms at 48 kHz: the level of "now", as v4's meter reports it.
    this.analyser.fftSize = 1024;
    this.samples = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
  }

  /** A meter on `track`, or null where Web Audio is unavailable. */
  static create(track: MediaStreamTrack): AudioLevelMeter | null {
    const context = audioContext();
    return context ? new AudioLevelMeter(track, context) : null;
  }

  /**
   * The RMS of the latest samples, 0..1 (speech is typically above 0.1). A context still
   * suspended by the autoplay policy reads 0 until a user gesture lets it resume.
   */
  level(): number {
    if (this.context.state === 'suspended') void this.context.resume().catch(() => undefined);
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const sample of this.samples) sum += sample * sample;
    return Math.min(1, Math.sqrt(sum / this.samples.length));
  }

  close(): void {
    this.source.disconnect();
    this.analyser.disconnect();
  }
}
