/**
 * The DOM side of `stream.play()`: `div#player_<id>` holding `video#video_<id>` and, for
 * remote streams, `audio#audio_<id>` (the names v4 apps query). The video element is always
 * muted, so it may autoplay; sound goes through the audio element, which the browser may
 * block until a user gesture: that is reported once as PLAY_NOT_ALLOWED and `resume()`
 * retries it.
 */
import { RtcError } from '../errors/RtcError.js';
import { Disposer } from '../util/Disposer.js';
import { createLogger } from '../util/Logger.js';
import type {
  ObjectFit,
  PlayerKind,
  PlayerState,
  PlayerStateChangedEvent,
  PlayerStateReason,
} from './types.js';

const log = createLogger('player');

/**
 * How long play() waits for an element's own play() promise. A blocked autoplay rejects at
 * once, but a remote element's promise only settles with its first frame, which may be
 * seconds away; that must not hold up the app.
 */
const PLAY_SETTLE_MS = 100;

export interface PlayerOptions {
  streamId: string;
  container: HTMLElement;
  /** A local preview: no audio element (no echo). */
  local: boolean;
  objectFit: ObjectFit;
  mirror: boolean;
  /** Mute the audio element. */
  muted: boolean;
  /** The audio element's volume, 0..1. */
  volume: number;
  /** The audio output device (`setSinkId`), null for the default. */
  audioOutput: string | null;
  /** Create the elements before their tracks arrive (the stream announces them). */
  expectAudio: boolean;
  expectVideo: boolean;
  onStateChange(event: PlayerStateChangedEvent): void;
  /** The browser blocked autoplay; called once until a successful `resume()`. */
  onAutoplayBlocked(error: RtcError): void;
}

type Attempt = 'ok' | 'pending' | 'blocked' | 'failed';

export class Player {
  private readonly div: HTMLDivElement;
  private video: HTMLVideoElement | null = null;
  private audio: HTMLAudioElement | null = null;
  private audioTrack: MediaStreamTrack | null = null;
  private videoTrack: MediaStreamTrack | null = null;
  private readonly elementListeners = new Disposer();
  private readonly trackListeners = { audio: new Disposer(), video: new Disposer() };
  private readonly lastState: Partial<Record<PlayerKind, PlayerState>> = {};
  private blockedReported = false;
  private stopped = false;

  constructor(private readonly options: PlayerOptions) {
    document.getElementById(`player_${options.streamId}`)?.remove();
    const div = document.createElement('div');
    div.id = `player_${options.streamId}`;
    Object.assign(div.style, {
      width: '100%',
      height: '100%',
      position: 'relative',
      overflow: 'hidden',
      backgroundColor: 'black',
    });
    options.container.appendChild(div);
    this.div = div;
    if (options.expectVideo) this.ensureVideo();
    if (options.expectAudio && !options.local) this.ensureAudio();
  }

  /**
   * Shows these tracks (null: none of that kind). A changed track is attached at once and
   * started: a remote track usually arrives after `play()` was called.
   */
  setTracks(audio: MediaStreamTrack | null, video: MediaStreamTrack | null): void {
    if (this.stopped) return;
    if (video !== this.videoTrack) {
      this.videoTrack = video;
      this.watchTrack('video', video);
      const element = video ? this.ensureVideo() : this.video;
      if (element) this.attach(element, video);
    }
    if (this.options.local) return;
    if (audio !== this.audioTrack) {
      this.audioTrack = audio;
      this.watchTrack('audio', audio);
      const element = audio ? this.ensureAudio() : this.audio;
      if (element) this.attach(element, audio);
    }
  }

  /** Starts the elements; rejects PLAY_NOT_ALLOWED if the browser blocks the sound. */
  async play(): Promise<void> {
    const results = await Promise.all(this.elements().map((el) => this.start(el)));
    if (results.includes('blocked')) throw this.blockedError();
  }

  /** Retries the elements after a user gesture. */
  async resume(): Promise<void> {
    if (this.stopped) return;
    const results = await Promise.all(this.elements().map((el) => this.start(el)));
    if (results.includes('blocked')) throw this.blockedError();
    // Unblocked: a later block (e.g. a new track) is news again.
    this.blockedReported = false;
  }

  setMuted(muted: boolean): void {
    if (this.audio) this.audio.muted = muted;
  }

  setVolume(volume: number): void {
    if (this.audio) this.audio.volume = Math.min(1, Math.max(0, volume));
  }

  /** Routes the sound to an output device; rejects as the browser's setSinkId does. */
  async setAudioOutput(deviceId: string): Promise<void> {
    if (this.audio) await this.audio.setSinkId(deviceId);
  }

  /** The video element (for getVideoFrame), while playing. */
  videoElement(): HTMLVideoElement | null {
    return this.video;
  }

  /**
   * Removes the elements (reporting each as STOPPED); the tracks keep running (they belong
   * to the stream).
   */
  stop(): void {
    if (this.stopped) return;
    if (this.video) this.state('video', 'STOPPED', 'ended');
    if (this.audio) this.state('audio', 'STOPPED', 'ended');
    this.stopped = true;
    this.elementListeners.dispose();
    this.trackListeners.audio.dispose();
    this.trackListeners.video.dispose();
    for (const el of this.elements()) {
      el.pause();
      el.srcObject = null;
    }
    this.div.remove();
    this.video = null;
    this.audio = null;
  }

  private elements(): HTMLMediaElement[] {
    return [this.video, this.audio].filter((el): el is HTMLMediaElement => el !== null);
  }

  private ensureVideo(): HTMLVideoElement {
    if (this.video) return this.video;
    const video = document.createElement('video');
    video.id = `video_${this.options.streamId}`;
    video.autoplay = true;
    video.playsInline = true;
    // Both the property and the attribute: some browsers' autoplay checks read the attribute.
    video.muted = true;
    video.setAttribute('muted', '');
    video.setAttribute('playsinline', '');
    Object.assign(video.style, {
      width: '100%',
      height: '100%',
      position: 'absolute',
      left: '0',
      top: '0',
      objectFit: this.options.objectFit,
      backgroundColor: 'black',
      transform: this.options.mirror ? 'scaleX(-1)' : '',
    });
    this.listen(video, 'video');
    this.div.appendChild(video);
    this.video = video;
    return video;
  }

  private ensureAudio(): HTMLAudioElement {
    if (this.audio) return this.audio;
    const audio = document.createElement('audio');
    audio.id = `audio_${this.options.streamId}`;
    audio.autoplay = true;
    audio.muted = this.options.muted;
    audio.volume = Math.min(1, Math.max(0, this.options.volume));
    const { audioOutput } = this.options;
    if (audioOutput !== null) {
      audio
        .setSinkId(audioOutput)
        .catch((error: unknown) => log.warn(`could not route the sound to ${audioOutput}`, error));
    }
    this.listen(audio, 'audio');
    this.div.appendChild(audio);
    this.audio = audio;
    return audio;
  }

  private attach(element: HTMLMediaElement, track: MediaStreamTrack | null): void {
    element.srcObject = track ? new MediaStream([track]) : null;
    // A blocked start is reported by start() itself; nobody awaits this one.
    if (track) void this.start(element);
  }

  /**
   * One element's play(), classified; 'pending' when it has not settled within
   * PLAY_SETTLE_MS (no frame yet). A later 'blocked' is still reported. Never rejects.
   */
  private start(element: HTMLMediaElement): Promise<Attempt> {
    if (this.stopped || !element.srcObject) return Promise.resolve('ok');
    let attempt: Promise<Attempt>;
    try {
      attempt = element.play().then(
        (): Attempt => 'ok',
        (error: unknown): Attempt => {
          const name = error instanceof Error ? error.name : '';
          // AbortError: a newer srcObject or pause() interrupted this play(); not a failure.
          if (name === 'AbortError') return 'pending';
          if (name === 'NotAllowedError') return 'blocked';
          log.warn(`${element.tagName.toLowerCase()} play() failed`, error);
          return 'failed';
        },
      );
    } catch (error) {
      log.warn('play() threw', error);
      return Promise.resolve('failed');
    }
    const late = attempt.then((result) => {
      if (result === 'blocked') this.reportBlocked();
      return result;
    });
    return Promise.race([
      late,
      new Promise<Attempt>((resolve) => setTimeout(() => resolve('pending'), PLAY_SETTLE_MS)),
    ]);
  }

  private reportBlocked(): void {
    if (this.blockedReported || this.stopped) return;
    this.blockedReported = true;
    log.warn(
      `autoplay of stream ${this.options.streamId} was blocked; call stream.resume() on a user gesture`,
    );
    this.options.onAutoplayBlocked(this.blockedError());
  }

  private blockedError(): RtcError {
    return RtcError.playNotAllowed(
      `the browser blocked autoplay of stream ${this.options.streamId} until the user interacts with the page; call stream.resume() from a click or touch handler`,
    );
  }

  private listen(element: HTMLMediaElement, type: PlayerKind): void {
    this.elementListeners.listen(element, 'playing', () => this.state(type, 'PLAYING', 'playing'));
    this.elementListeners.listen(element, 'pause', () => this.state(type, 'PAUSED', 'pause'));
    this.elementListeners.listen(element, 'ended', () => this.state(type, 'STOPPED', 'ended'));
  }

  private watchTrack(type: PlayerKind, track: MediaStreamTrack | null): void {
    const disposer = this.trackListeners[type];
    disposer.dispose();
    if (!track) return;
    disposer.listen(track, 'mute', () => this.state(type, 'PAUSED', 'mute'));
    disposer.listen(track, 'unmute', () => this.state(type, 'PLAYING', 'unmute'));
    disposer.listen(track, 'ended', () => this.state(type, 'STOPPED', 'ended'));
  }

  /** Reports a state once per change (element and track events often say the same thing). */
  private state(type: PlayerKind, state: PlayerState, reason: PlayerStateReason): void {
    if (this.stopped || this.lastState[type] === state) return;
    this.lastState[type] = state;
    this.options.onStateChange({ type, state, reason });
  }
}
