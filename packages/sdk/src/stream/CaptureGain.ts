/**
 * Capture volume (v4 `setAudioCaptureVolume`, v5 `captureVolume`): the microphone goes
 * through a Web Audio GainNode and the gain's output is what is sent. The output track stays
 * the same when the source changes (another device, a recaptured one), so the sender keeps
 * it; only the source node is swapped.
 */
import { createLogger } from '../util/Logger.js';
import { audioContext } from './AudioLevelMeter.js';

const log = createLogger('capture-gain');

export class CaptureGain {
  private source: MediaStreamAudioSourceNode | null = null;
  private sourceTrack: MediaStreamTrack | null = null;
  private readonly gain: GainNode;
  private readonly destination: MediaStreamAudioDestinationNode;
  /** The gained track to send. */
  readonly output: MediaStreamTrack;
  private readonly resumeOnGesture = (): void => this.resume();

  private constructor(private readonly context: AudioContext) {
    this.gain = context.createGain();
    this.destination = context.createMediaStreamDestination();
    this.gain.connect(this.destination);
    const output = this.destination.stream.getAudioTracks()[0];
    if (!output) throw new Error('the audio destination gave no track');
    this.output = output;
    this.resume();
    // A context made before any user gesture starts suspended and would send silence: the
    // first click or key lets it run (as v4's shared context does).
    if (context.state === 'suspended' && typeof document !== 'undefined') {
      for (const type of ['click', 'keydown', 'touchend']) {
        document.addEventListener(type, this.resumeOnGesture, { capture: true });
      }
    }
  }

  /** A gain stage, or null where Web Audio is unavailable. */
  static create(): CaptureGain | null {
    const context = audioContext();
    if (!context || typeof context.createMediaStreamDestination !== 'function') return null;
    try {
      return new CaptureGain(context);
    } catch (error) {
      log.warn('could not build the capture gain', error);
      return null;
    }
  }

  /** 0..1 is quieter, 1 as captured, above 1 louder (volume / 100). */
  setVolume(volume: number): void {
    this.gain.gain.value = volume / 100;
  }

  /** Feeds `track` (null: silence) into the gain. */
  setSource(track: MediaStreamTrack | null): void {
    if (track === this.sourceTrack) return;
    this.source?.disconnect();
    this.source = null;
    this.sourceTrack = track;
    if (!track) return;
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.source.connect(this.gain);
  }

  close(): void {
    this.setSource(null);
    this.gain.disconnect();
    this.output.stop();
    this.removeGestureListeners();
  }

  private resume(): void {
    if (this.context.state !== 'suspended') {
      this.removeGestureListeners();
      return;
    }
    this.context.resume().then(
      () => this.removeGestureListeners(),
      () => undefined,
    );
  }

  private removeGestureListeners(): void {
    if (typeof document === 'undefined') return;
    for (const type of ['click', 'keydown', 'touchend']) {
      document.removeEventListener(type, this.resumeOnGesture, { capture: true });
    }
  }
}
