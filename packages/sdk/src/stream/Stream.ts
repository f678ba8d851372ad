/**
 * What local and remote streams share: identity, their tracks (in one MediaStream the SDK
 * owns), playback through a Player (volume, output device, a snapshot of the picture), the
 * audio level, and local mute of the tracks.
 */
import type { TrackKind } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { createLogger } from '../util/Logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { randomId } from '../util/id.js';
import { AudioLevelMeter } from './AudioLevelMeter.js';
import { Player } from './Player.js';
import type { ObjectFit, PlayOptions, StreamEvents } from './types.js';
import { captureVideoFrame } from './videoFrame.js';

const log = createLogger('stream');

const OBJECT_FITS: readonly ObjectFit[] = ['cover', 'contain', 'fill', 'none', 'scale-down'];

export abstract class Stream extends TypedEmitter<StreamEvents> {
  protected readonly id: string = randomId();
  protected player: Player | null = null;
  protected audioTrack: MediaStreamTrack | null = null;
  protected videoTrack: MediaStreamTrack | null = null;
  private mediaStream: MediaStream | null = null;
  /** Mute state survives a track change (a remote track re-bound, a local track replaced). */
  private readonly enabled: Record<TrackKind, boolean> = { audio: true, video: true };
  /** Playback settings kept for the next player (the app may set them before play()). */
  private volume = 1;
  private audioOutput: string | null = null;
  private meter: AudioLevelMeter | null = null;

  protected constructor(protected userId: string) {
    super();
  }

  /** A unique id; the player's elements are `player_<id>`, `video_<id>`, `audio_<id>`. */
  getId(): string {
    return this.id;
  }

  getUserId(): string {
    return this.userId;
  }

  abstract hasAudio(): boolean;
  abstract hasVideo(): boolean;

  getAudioTrack(): MediaStreamTrack | null {
    return this.audioTrack;
  }

  getVideoTrack(): MediaStreamTrack | null {
    return this.videoTrack;
  }

  /** The MediaStream holding this stream's current tracks (null before the first track). */
  getMediaStream(): MediaStream | null {
    return this.mediaStream;
  }

  /** Whether `play()` was called and `stop()` not since. */
  isPlaying(): boolean {
    return this.player !== null;
  }

  /**
   * Plays into the element with id `elementId` (or that element): creates
   * `div#player_<id>` with the video (and, remote, the audio) element inside. Rejects
   * PLAY_NOT_ALLOWED when the browser blocks autoplay; `resume()` after a gesture.
   */
  async play(elementId: string | HTMLElement, options: PlayOptions = {}): Promise<void> {
    const container = findContainer(elementId);
    const objectFit = options.objectFit ?? 'cover';
    if (!OBJECT_FITS.includes(objectFit)) {
      throw RtcError.invalidParameter(
        `objectFit must be one of ${OBJECT_FITS.join(', ')} (CSS object-fit), got ${JSON.stringify(objectFit)}`,
      );
    }
    // Playing again (e.g. into another element) replaces the previous player.
    this.stop();
    const player = new Player({
      streamId: this.id,
      container,
      local: this.isLocal(),
      objectFit,
      mirror: options.mirror ?? this.defaultMirror(),
      muted: options.muted ?? false,
      volume: this.volume,
      audioOutput: this.audioOutput,
      expectAudio: this.hasAudio(),
      expectVideo: this.hasVideo(),
      onStateChange: (event) => this.emit('player-state-changed', event),
      onAutoplayBlocked: (error) => this.emit('error', error),
    });
    this.player = player;
    player.setTracks(this.audioTrack, this.videoTrack);
    await player.play();
  }

  /** Removes the player's elements. The tracks keep running. */
  stop(): void {
    this.player?.stop();
    this.player = null;
  }

  /** Retries playback after autoplay was blocked; call it from a user gesture. */
  async resume(): Promise<void> {
    await this.player?.resume();
  }

  /** Sets the playback volume (0..1) of the audio element, now and for later play() calls. */
  setAudioVolume(volume: number): void {
    if (typeof volume !== 'number' || Number.isNaN(volume)) {
      throw RtcError.invalidParameter(`volume must be a number from 0 to 1, got ${String(volume)}`);
    }
    this.volume = Math.min(1, Math.max(0, volume));
    this.player?.setVolume(this.volume);
  }

  /**
   * Plays the sound on the output device `deviceId` (from `TRTC.getSpeakers()`), now and for
   * later play() calls. A local stream plays no sound; the choice is kept all the same.
   */
  async setAudioOutput(deviceId: string): Promise<void> {
    if (typeof deviceId !== 'string' || deviceId === '') {
      throw RtcError.invalidParameter(
        `setAudioOutput() needs a deviceId string from TRTC.getSpeakers(), got ${JSON.stringify(deviceId)}`,
      );
    }
    if (
      typeof HTMLMediaElement === 'undefined' ||
      typeof HTMLMediaElement.prototype.setSinkId !== 'function'
    ) {
      throw RtcError.notSupported(
        'this browser cannot choose the audio output device (no HTMLMediaElement.setSinkId)',
      );
    }
    try {
      await this.player?.setAudioOutput(deviceId);
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      throw new RtcError({
        code: name === 'NotFoundError' ? ErrorCode.DEVICE_NOT_FOUND : ErrorCode.INVALID_OPERATION,
        message: `setAudioOutput(${JSON.stringify(deviceId)}) failed: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
    this.audioOutput = deviceId;
  }

  /**
   * The current loudness of the audio track, 0..1 (above ~0.1 is usually speech); 0 without
   * audio, while muted, or where Web Audio is unavailable.
   */
  getAudioLevel(): number {
    const track = this.audioTrack;
    if (!track || track.readyState === 'ended' || this.isMuted('audio') || this.isAudioSilent()) {
      return 0;
    }
    if (this.meter?.track !== track) {
      this.meter?.close();
      try {
        this.meter = AudioLevelMeter.create(track);
      } catch (error) {
        log.warn('could not measure the audio level', error);
        this.meter = null;
      }
    }
    return this.meter?.level() ?? 0;
  }

  /**
   * The picture the player shows now, as a PNG data URL; null before play() or before the
   * first frame.
   */
  getVideoFrame(): string | null {
    const video = this.player?.videoElement();
    const frame = video ? captureVideoFrame(video) : null;
    if (!frame) {
      log.warn(
        video
          ? 'getVideoFrame(): no frame decoded yet; try again once the video plays'
          : 'getVideoFrame(): no video frame to capture (call play() first)',
      );
    }
    return frame;
  }

  /** Stops playback. (A local stream also stops its capture: see LocalStream.) */
  close(): void {
    this.stop();
    this.meter?.close();
    this.meter = null;
  }

  muteAudio(): boolean {
    return this.setEnabled('audio', false);
  }

  muteVideo(): boolean {
    return this.setEnabled('video', false);
  }

  unmuteAudio(): boolean {
    return this.setEnabled('audio', true);
  }

  unmuteVideo(): boolean {
    return this.setEnabled('video', true);
  }

  /** Whether `kind` was muted with muteAudio()/muteVideo(). */
  isMuted(kind: TrackKind): boolean {
    return !this.enabled[kind];
  }

  protected abstract isLocal(): boolean;

  protected defaultMirror(): boolean {
    return false;
  }

  /** Hook for LocalStream: tell the server when a published track is (un)muted. */
  protected onMuteChanged(_kind: TrackKind, _muted: boolean): void {}

  /** Hook for RemoteStream: the sender muted its audio (its track carries silence). */
  protected isAudioSilent(): boolean {
    return false;
  }

  /** Replaces the `kind` track (null: none) in the MediaStream and the player. */
  protected setTrack(kind: TrackKind, track: MediaStreamTrack | null): void {
    const previous = kind === 'audio' ? this.audioTrack : this.videoTrack;
    if (previous === track) return;
    if (kind === 'audio') this.audioTrack = track;
    else this.videoTrack = track;
    if (previous) this.mediaStream?.removeTrack(previous);
    if (track) {
      track.enabled = this.enabled[kind];
      if (!this.mediaStream) this.mediaStream = new MediaStream();
      this.mediaStream.addTrack(track);
    }
    this.player?.setTracks(this.audioTrack, this.videoTrack);
  }

  private setEnabled(kind: TrackKind, enabled: boolean): boolean {
    const track = kind === 'audio' ? this.audioTrack : this.videoTrack;
    if (!track) return false;
    this.enabled[kind] = enabled;
    const changed = track.enabled !== enabled;
    track.enabled = enabled;
    if (changed) this.onMuteChanged(kind, !enabled);
    return true;
  }
}

function findContainer(elementId: string | HTMLElement): HTMLElement {
  if (typeof document === 'undefined') {
    throw RtcError.notSupported('play() needs a browser document');
  }
  if (typeof elementId === 'string') {
    const element = document.getElementById(elementId);
    if (!element) {
      throw RtcError.invalidParameter(
        `play(): no element with id ${JSON.stringify(elementId)} in the page`,
      );
    }
    return element;
  }
  if (typeof HTMLElement !== 'undefined' && elementId instanceof HTMLElement) return elementId;
  throw RtcError.invalidParameter('play() needs an element id (string) or an HTMLElement');
}
