/**
 * v5's AUDIO_FRAME (`callExperimentalAPI('enableAudioFrameEvent', …)`): PCM of the local
 * microphone (`''`), of one remote user, or of every remote user (`'*'`), in 40 ms frames of
 * float32 samples at the asked rate (8000…48000) and channel count (1: one Float32Array, 2: a
 * pair), as trtc-sdk-v5 delivers them. Each tapped track goes through its own AudioContext
 * at that rate, which resamples; a ScriptProcessorNode reads it (an AudioWorklet would need a
 * module URL, which a page's CSP may refuse).
 */
import { createLogger } from '../util/Logger.js';

const log = createLogger('v5-audio-frame');

export const AUDIO_FRAME_SAMPLE_RATES = [8000, 16000, 32000, 44100, 48000] as const;

export interface AudioFrameConfig {
  sampleRate: number;
  channelCount: 1 | 2;
  port?: MessagePort;
}

export interface AudioFrame {
  userId: string;
  sampleRate: number;
  channelCount: 1 | 2;
  data: Float32Array | [Float32Array, Float32Array];
}

/** Reads one track into 40 ms frames until stopped. */
class Tap {
  private readonly context: AudioContext;
  private readonly source: MediaStreamAudioSourceNode;
  private readonly processor: ScriptProcessorNode;
  private readonly silent: GainNode;
  private readonly frameLength: number;
  private buffers: Float32Array[];
  private filled = 0;

  constructor(
    readonly track: MediaStreamTrack,
    readonly config: AudioFrameConfig,
    deliver: (channels: Float32Array[]) => void,
  ) {
    this.context = new AudioContext({ sampleRate: config.sampleRate });
    this.frameLength = Math.floor(config.sampleRate * 0.04);
    this.buffers = this.fresh();
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.processor = this.context.createScriptProcessor(1024, config.channelCount, 1);
    // A processor only runs when connected to the output: through a muted gain.
    this.silent = this.context.createGain();
    this.silent.gain.value = 0;
    this.processor.onaudioprocess = (event) => {
      const input = event.inputBuffer;
      const length = input.length;
      for (let offset = 0; offset < length;) {
        const n = Math.min(length - offset, this.frameLength - this.filled);
        for (let c = 0; c < this.config.channelCount; c++) {
          const channel = input.getChannelData(Math.min(c, input.numberOfChannels - 1));
          this.buffers[c]!.set(channel.subarray(offset, offset + n), this.filled);
        }
        this.filled += n;
        offset += n;
        if (this.filled === this.frameLength) {
          deliver(this.buffers);
          this.buffers = this.fresh();
          this.filled = 0;
        }
      }
    };
    this.source.connect(this.processor);
    this.processor.connect(this.silent);
    this.silent.connect(this.context.destination);
    this.context.resume().catch((error: unknown) => log.warn('audio frames not started', error));
  }

  private fresh(): Float32Array[] {
    return Array.from(
      { length: this.config.channelCount },
      () => new Float32Array(this.frameLength),
    );
  }

  stop(): void {
    this.processor.onaudioprocess = null;
    this.source.disconnect();
    this.processor.disconnect();
    void this.context.close().catch(() => undefined);
  }
}

/** What is asked (by userId, '' and '*') and the taps that serve it. */
export class AudioFrames {
  private readonly configs = new Map<string, AudioFrameConfig>();
  private readonly taps = new Map<string, Tap>();

  constructor(
    /** The local microphone track ('') or a remote user's received audio track. */
    private readonly trackOf: (userId: string) => MediaStreamTrack | null,
    /** The remote users there are now. */
    private readonly remoteUsers: () => string[],
    private readonly emit: (frame: AudioFrame) => void,
  ) {}

  configure(userId: string, config: AudioFrameConfig | null): void {
    if (config) this.configs.set(userId, config);
    else this.configs.delete(userId);
    this.refresh();
  }

  /** Starts, restarts or stops taps to match what is asked and the tracks there are. */
  refresh(): void {
    const wanted = new Map<string, AudioFrameConfig>();
    const local = this.configs.get('');
    if (local) wanted.set('', local);
    for (const userId of this.remoteUsers()) {
      const config = this.configs.get(userId) ?? this.configs.get('*');
      if (config) wanted.set(userId, config);
    }
    for (const [userId, tap] of [...this.taps]) {
      const config = wanted.get(userId);
      const track = config ? this.trackOf(userId) : null;
      if (!config || tap.config !== config || tap.track !== track || track.readyState === 'ended') {
        tap.stop();
        this.taps.delete(userId);
      }
    }
    for (const [userId, config] of wanted) {
      if (this.taps.has(userId)) continue;
      const track = this.trackOf(userId);
      if (!track || track.readyState === 'ended') continue;
      try {
        this.taps.set(
          userId,
          new Tap(track, config, (channels) => {
            const frame: AudioFrame = {
              userId,
              sampleRate: config.sampleRate,
              channelCount: config.channelCount,
              data: config.channelCount === 1 ? channels[0]! : [channels[0]!, channels[1]!],
            };
            if (config.port) config.port.postMessage(frame);
            else this.emit(frame);
          }),
        );
      } catch (error) {
        log.warn(`could not read the audio of ${userId || 'the microphone'}`, error);
      }
    }
  }

  stop(): void {
    this.configs.clear();
    for (const tap of this.taps.values()) tap.stop();
    this.taps.clear();
  }
}
