/**
 * A stream captured here to publish: camera and microphone, a screen (`screen: true`), or
 * app-given tracks (`audioSource`/`videoSource`). Created by `TRTC.createStream()`, captured
 * by `initialize()`. Once published, its track changes reach the others: `replaceTrack` and
 * `switchDevice` swap what is sent without renegotiation, `addTrack`/`removeTrack`
 * renegotiate (the others get `stream-updated`), mute stops the bytes.
 */
import type { TrackKind } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import type { ConnectionState } from '../connectionState.js';
import { RtcError, describe } from '../errors/RtcError.js';
import {
  AUDIO_PROFILES,
  DEFAULT_AUDIO_PROFILE,
  DEFAULT_SCREEN_PROFILE,
  DEFAULT_VIDEO_PROFILE,
  SCREEN_PROFILES,
  VIDEO_PROFILES,
  resolveAudioProfile,
  resolveVideoProfile,
  type AudioProfile,
  type VideoProfile,
} from '../profiles.js';
import { Disposer } from '../util/Disposer.js';
import { createLogger } from '../util/Logger.js';
import {
  audioConstraints,
  captureDevices,
  captureScreen,
  isTrack,
  videoConstraints,
  type DeviceChoice,
} from './capture.js';
import { CaptureGain } from './CaptureGain.js';
import { deviceIdOf, recaptureDevice } from './recapture.js';
import { Stream } from './Stream.js';
import type { StreamConfig, VideoContentHint } from './types.js';

const log = createLogger('local-stream');

const CONTENT_HINTS: readonly VideoContentHint[] = ['motion', 'detail', 'text'];

/** What a LocalStream asks of the Client that publishes it. */
export interface LocalStreamPublisher {
  /** muteAudio()/muteVideo() and their unmute: stop or resume sending, tell the server. */
  onLocalMuteChanged(kind: TrackKind, muted: boolean): void;
  /** The `kind` profile changed: new encoder limits. */
  onProfileChanged(kind: TrackKind): void;
  /** Send `track` instead of the current `kind` track (no renegotiation). */
  replaceTrack(kind: TrackKind, track: MediaStreamTrack): Promise<void>;
  /** The stream gained a track: publish it too (renegotiates). */
  addTrack(track: MediaStreamTrack): Promise<void>;
  /** The stream lost its `kind` track: stop publishing it (renegotiates). */
  removeTrack(kind: TrackKind): Promise<void>;
}

export class LocalStream extends Stream {
  private readonly config: StreamConfig;
  private videoProfile: VideoProfile = { ...VIDEO_PROFILES[DEFAULT_VIDEO_PROFILE] };
  private screenProfile: VideoProfile = { ...SCREEN_PROFILES[DEFAULT_SCREEN_PROFILE] };
  private audioProfile: AudioProfile = { ...AUDIO_PROFILES[DEFAULT_AUDIO_PROFILE] };
  /** A screen is mostly text and lines: keep it sharp rather than fluid (as v4 does). */
  private contentHint: VideoContentHint | null;
  /** What the encoder gives up first when the uplink is short (v5 qosPreference); null: the browser's. */
  private degradationPreference: RTCDegradationPreference | null;
  private initialized = false;
  private initializing: Promise<void> | null = null;
  private publisher: LocalStreamPublisher | null = null;
  /** Tracks this stream opened from a camera or microphone (switchDevice may replace them). */
  private readonly deviceTracks = new WeakSet<MediaStreamTrack>();
  /** The 'ended' listener of a screen capture's video track. */
  private readonly screenWatch = new Disposer();
  /** The 'ended' listeners of the camera and microphone tracks (device auto-recovery). */
  private readonly deviceWatch: Record<TrackKind, Disposer> = {
    audio: new Disposer(),
    video: new Disposer(),
  };
  /** setAudioCaptureVolume(): 100 sends the microphone as captured. */
  private captureVolume = 100;
  /** The gain stage the sent audio goes through, once a capture volume was set. */
  private gain: CaptureGain | null = null;
  /** The publishing connection's state, as v4's stream `connection-state-changed` gives it. */
  private connectionState: ConnectionState = 'DISCONNECTED';

  constructor(config: StreamConfig) {
    super(typeof config?.userId === 'string' ? config.userId : '');
    this.config = typeof config === 'object' && config !== null ? { ...config } : {};
    this.contentHint = this.config.screen ? 'detail' : null;
    this.degradationPreference = null;
  }

  /**
   * Captures what the config asks for: the camera and microphone in one getUserMedia call
   * (one permission prompt), or the screen with getDisplayMedia, constrained by the profiles.
   * Rejects with an RtcError whose `name` is the browser's (NotAllowedError, NotFoundError,
   * NotReadableError, OverconstrainedError) as v4 apps expect; code DEVICE_NOT_FOUND or
   * INITIALIZE_FAILED.
   */
  initialize(): Promise<void> {
    if (this.initialized) {
      log.warn('initialize() called again on an initialized stream; ignoring');
      return Promise.resolve();
    }
    if (!this.initializing) {
      this.initializing = this.capture().finally(() => {
        this.initializing = null;
      });
    }
    return this.initializing;
  }

  isInitialized(): boolean {
    return this.initialized;
  }

  /** Whether this is a screen share (`createStream({screen: true})`). */
  isScreen(): boolean {
    return this.config.screen === true;
  }

  hasAudio(): boolean {
    return this.audioTrack !== null;
  }

  hasVideo(): boolean {
    return this.videoTrack !== null;
  }

  /**
   * A preset name ('480p', ...) or `{width, height, frameRate, bitrate}` (kbps). Before
   * initialize() it shapes the capture; afterwards the camera is re-constrained and, when
   * published, the encoder re-capped.
   */
  async setVideoProfile(profile: string | Partial<VideoProfile>): Promise<void> {
    const resolved = resolveVideoProfile(profile, VIDEO_PROFILES, this.videoProfile);
    if (!resolved) {
      throw RtcError.invalidParameter(
        `unknown video profile ${JSON.stringify(profile)}; use one of ${Object.keys(VIDEO_PROFILES).join(', ')} or {width, height, frameRate, bitrate} with positive numbers`,
      );
    }
    this.videoProfile = resolved;
    if (this.isScreen()) return;
    const track = this.videoTrack;
    if (track && this.deviceTracks.has(track)) {
      await track
        .applyConstraints(videoConstraints(resolved))
        .catch((error: unknown) => log.warn('could not apply the new video profile', error));
    }
    this.publisher?.onProfileChanged('video');
  }

  /** A screen preset ('1080p', '720p_2', ...) or `{width, height, frameRate, bitrate}`. */
  setScreenProfile(profile: string | Partial<VideoProfile>): void {
    const resolved = resolveVideoProfile(profile, SCREEN_PROFILES, this.screenProfile);
    if (!resolved) {
      throw RtcError.invalidParameter(
        `unknown screen profile ${JSON.stringify(profile)}; use one of ${Object.keys(SCREEN_PROFILES).join(', ')} or {width, height, frameRate, bitrate} with positive numbers`,
      );
    }
    this.screenProfile = resolved;
    if (!this.isScreen()) return;
    const track = this.videoTrack;
    if (track && !this.config.videoSource) {
      track
        .applyConstraints(videoConstraints(resolved))
        .catch((error: unknown) => log.warn('could not apply the new screen profile', error));
    }
    this.publisher?.onProfileChanged('video');
  }

  /**
   * A preset name ('standard', 'high', 'standard-stereo', 'high-stereo'). The capture follows
   * at the next initialize() or switchDevice(); a published stream's encoder at once.
   */
  setAudioProfile(profile: string | AudioProfile): void {
    const resolved = resolveAudioProfile(profile);
    if (!resolved) {
      throw RtcError.invalidParameter(
        `unknown audio profile ${JSON.stringify(profile)}; use one of ${Object.keys(AUDIO_PROFILES).join(', ')}`,
      );
    }
    this.audioProfile = resolved;
    this.publisher?.onProfileChanged('audio');
  }

  /** The profile the video is captured and encoded with (the screen profile for a screen). */
  getVideoProfile(): VideoProfile {
    return { ...(this.isScreen() ? this.screenProfile : this.videoProfile) };
  }

  getAudioProfile(): AudioProfile {
    return { ...this.audioProfile };
  }

  /**
   * Tells the encoder what the video is: 'motion' (camera, film, game: keep it fluid),
   * 'detail' or 'text' (slides, documents: keep it sharp). Kept for later video tracks too.
   */
  /** The video sender's degradationPreference, set once it is published. */
  setDegradationPreference(preference: RTCDegradationPreference | null): void {
    this.degradationPreference = preference;
  }

  getDegradationPreference(): RTCDegradationPreference | null {
    return this.degradationPreference;
  }

  setVideoContentHint(hint: VideoContentHint): void {
    if (!CONTENT_HINTS.includes(hint)) {
      throw RtcError.invalidParameter(
        `content hint must be 'motion', 'detail' or 'text', got ${JSON.stringify(hint)}`,
      );
    }
    this.contentHint = hint;
    if (this.videoTrack) applyContentHint(this.videoTrack, hint);
  }

  /**
   * Switches to another camera or microphone (`deviceId` from TRTC.getCameras() or
   * getMicrophones(); 'user'/'environment' pick a phone's front/back camera). A published
   * stream sends the new device at once.
   */
  async switchDevice(type: TrackKind, deviceId: string): Promise<void> {
    if (type !== 'audio' && type !== 'video') {
      throw RtcError.invalidParameter(
        `switchDevice() type must be 'audio' or 'video', got ${JSON.stringify(type)}`,
      );
    }
    if (typeof deviceId !== 'string' || deviceId === '') {
      throw RtcError.invalidParameter(
        `switchDevice() needs a deviceId string, got ${JSON.stringify(deviceId)}`,
      );
    }
    const current = this.trackOf(type);
    if (!current || !this.deviceTracks.has(current)) {
      throw RtcError.invalidOperation(
        `switchDevice('${type}') needs a ${type === 'audio' ? 'microphone' : 'camera'} track captured by initialize() (not a screen or a custom source)`,
      );
    }
    const facing = type === 'video' && (deviceId === 'user' || deviceId === 'environment');
    const device: DeviceChoice = facing
      ? { facingMode: deviceId as 'user' | 'environment' }
      : { deviceId };
    const constraints: MediaStreamConstraints =
      type === 'audio'
        ? { audio: audioConstraints(this.audioProfile, device) }
        : { video: videoConstraints(this.videoProfile, device) };
    let captured: MediaStream;
    try {
      captured = await captureDevices(constraints);
    } catch (error) {
      // Many phones open one camera at a time: free the current one and try once more.
      if (!(error instanceof RtcError) || error.name !== 'NotReadableError') throw error;
      current.stop();
      captured = await captureDevices(constraints);
    }
    const track = captured.getTracks()[0];
    if (!track) throw RtcError.invalidOperation(`switchDevice('${type}') captured no track`);
    if (this.trackOf(type) !== current) {
      // Closed or changed meanwhile: the new device is not wanted any more.
      track.stop();
      return;
    }
    this.deviceTracks.add(track);
    this.setTrack(type, track);
    try {
      await this.publisher?.replaceTrack(type, this.getSendTrack(type) ?? track);
    } finally {
      current.stop();
    }
    if (type === 'audio') this.config.microphoneId = deviceId;
    else if (facing) this.config.facingMode = device.facingMode;
    else this.config.cameraId = deviceId;
  }

  /**
   * Adds an audio or video track to a stream that has none of that kind (e.g. turning a
   * voice call into a video call). A published stream publishes it too: the others get
   * `stream-updated` with hasVideo/hasAudio now true.
   */
  async addTrack(track: MediaStreamTrack): Promise<void> {
    if (!isTrack(track)) throw RtcError.invalidParameter('addTrack() needs a MediaStreamTrack');
    const kind = track.kind as TrackKind;
    if (this.trackOf(kind)) {
      throw RtcError.invalidOperation(
        `the stream already has a ${kind} track; use replaceTrack() to swap it`,
      );
    }
    this.setTrack(kind, track);
    try {
      await this.publisher?.addTrack(track);
    } catch (error) {
      if (this.trackOf(kind) === track) this.setTrack(kind, null);
      throw error;
    }
  }

  /**
   * Removes the stream's audio or video track (it keeps running: stop it to free the device).
   * A published stream stops publishing it: the others get `stream-updated`. A published
   * stream keeps at least one track: unpublish() it instead.
   */
  async removeTrack(track: MediaStreamTrack): Promise<void> {
    if (!isTrack(track)) throw RtcError.invalidParameter('removeTrack() needs a MediaStreamTrack');
    const kind = track.kind as TrackKind;
    if (this.trackOf(kind) !== track) {
      throw RtcError.invalidParameter(
        `removeTrack(): the track is not this stream's current ${kind} track`,
      );
    }
    if (this.publisher && this.getPublishTracks().length === 1) {
      throw RtcError.invalidOperation(
        'a published stream must keep at least one track; unpublish() it instead',
      );
    }
    this.setTrack(kind, null);
    try {
      await this.publisher?.removeTrack(kind);
    } catch (error) {
      if (this.trackOf(kind) === null) this.setTrack(kind, track);
      throw error;
    }
  }

  /**
   * Swaps the stream's track of the same kind for `track` (e.g. a processed camera); a
   * published stream sends it at once, without renegotiation. The previous track keeps
   * running (it is the app's to stop).
   */
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    if (!isTrack(track)) throw RtcError.invalidParameter('replaceTrack() needs a MediaStreamTrack');
    const kind = track.kind as TrackKind;
    const current = this.trackOf(kind);
    if (!current) {
      throw RtcError.invalidOperation(
        `the stream has no ${kind} track to replace; use addTrack() to add one`,
      );
    }
    if (current === track) return;
    this.setTrack(kind, track);
    await this.publisher?.replaceTrack(kind, this.getSendTrack(kind) ?? track);
  }

  /** Stops playback and the capture (the camera light goes off). */
  override close(): void {
    // A capture still in flight sees this and releases what it gets.
    this.closeCount++;
    super.close();
    for (const track of [this.audioTrack, this.videoTrack]) track?.stop();
    this.setTrack('audio', null);
    this.setTrack('video', null);
    this.gain?.close();
    this.gain = null;
    this.captureVolume = 100;
    this.initialized = false;
  }

  /** @internal The Client publishing this stream (null when unpublished). */
  setPublisher(publisher: LocalStreamPublisher | null): void {
    this.publisher = publisher;
  }

  /** @internal */
  isPublished(): boolean {
    return this.publisher !== null;
  }

  /** @internal The tracks to publish, audio first (the order of the transceivers). */
  getPublishTracks(): MediaStreamTrack[] {
    return [this.audioTrack, this.videoTrack].filter((t): t is MediaStreamTrack => t !== null);
  }

  /**
   * @internal The track the publisher sends for `kind`: the audio through the capture gain
   * once a capture volume was set, otherwise the stream's own track.
   */
  getSendTrack(kind: TrackKind): MediaStreamTrack | null {
    if (kind === 'video') return this.videoTrack;
    return this.audioTrack && this.gain ? this.gain.output : this.audioTrack;
  }

  /**
   * @internal The publishing connection changed state (the Client's Publications report it):
   * `connection-state-changed` with v4's prevState/state.
   */
  setConnectionState(state: ConnectionState): void {
    const prevState = this.connectionState;
    if (prevState === state) return;
    this.connectionState = state;
    this.emit('connection-state-changed', { prevState, state });
  }

  /** @internal The publishing connection's state (DISCONNECTED while unpublished). */
  getConnectionState(): ConnectionState {
    return this.connectionState;
  }

  protected override isLocal(): boolean {
    return true;
  }

  protected override defaultMirror(): boolean {
    // A camera preview is mirrored like a mirror; a screen or an app-given track is shown as it is.
    return this.config.mirror ?? (this.config.videoSource === undefined && !this.isScreen());
  }

  protected override onMuteChanged(kind: TrackKind, muted: boolean): void {
    this.publisher?.onLocalMuteChanged(kind, muted);
  }

  /**
   * Also feeds the capture gain, watches a camera or microphone for its end (to recapture
   * it), applies the content hint and, for a screen, watches the capture's end.
   */
  protected override setTrack(kind: TrackKind, track: MediaStreamTrack | null): void {
    super.setTrack(kind, track);
    if (kind === 'audio') this.gain?.setSource(track);
    this.deviceWatch[kind].dispose();
    if (track && this.deviceTracks.has(track)) {
      this.deviceWatch[kind].listen(track, 'ended', () => void this.recover(kind, track));
    }
    if (kind !== 'video') return;
    this.screenWatch.dispose();
    if (!track) return;
    if (this.contentHint) applyContentHint(track, this.contentHint);
    if (this.isScreen()) {
      // The browser ends the capture when the user clicks its "Stop sharing" button.
      this.screenWatch.listen(track, 'ended', () => {
        if (this.videoTrack === track) this.emit('screen-sharing-stopped', undefined);
      });
    }
  }

  private trackOf(kind: TrackKind): MediaStreamTrack | null {
    return kind === 'audio' ? this.audioTrack : this.videoTrack;
  }

  /** Bumped by close(), so a capture that finishes after it knows to let go. */
  private closeCount = 0;

  private async capture(): Promise<void> {
    const closesAtStart = this.closeCount;
    const config = this.config;
    const { audioSource, videoSource } = config;
    if (audioSource !== undefined && !isTrack(audioSource, 'audio')) {
      throw RtcError.invalidParameter('audioSource must be an audio MediaStreamTrack');
    }
    if (videoSource !== undefined && !isTrack(videoSource, 'video')) {
      throw RtcError.invalidParameter('videoSource must be a video MediaStreamTrack');
    }
    const screen = this.isScreen();
    const wantScreen = screen && !videoSource;
    const wantScreenAudio = screen && config.screenAudio === true && !audioSource;
    const wantMic = config.audio === true && !audioSource && !wantScreenAudio;
    const wantCamera = !screen && config.video === true && !videoSource;
    if (!wantScreen && !wantMic && !wantCamera && !audioSource && !videoSource) {
      throw RtcError.invalidParameter(
        'createStream() needs audio: true, video: true, screen: true, audioSource or videoSource',
      );
    }
    const screenCapture = wantScreen
      ? await captureScreen(this.screenProfile, wantScreenAudio)
      : null;
    let devices: MediaStream | null = null;
    if (wantMic || wantCamera) {
      try {
        devices = await captureDevices({
          audio: wantMic
            ? audioConstraints(this.audioProfile, { deviceId: config.microphoneId })
            : false,
          video: wantCamera
            ? videoConstraints(this.videoProfile, {
                deviceId: config.cameraId,
                facingMode: config.facingMode,
              })
            : false,
        });
      } catch (error) {
        for (const track of screenCapture?.getTracks() ?? []) track.stop();
        throw error;
      }
    }
    if (this.closeCount !== closesAtStart) {
      // close() ran while the browser was capturing: the camera light must go off.
      for (const track of [
        ...(screenCapture?.getTracks() ?? []),
        ...(devices?.getTracks() ?? []),
      ]) {
        track.stop();
      }
      throw RtcError.invalidOperation('the stream was closed while initialize() was capturing');
    }
    for (const track of devices?.getTracks() ?? []) this.deviceTracks.add(track);
    this.setTrack(
      'audio',
      audioSource ?? screenCapture?.getAudioTracks()[0] ?? devices?.getAudioTracks()[0] ?? null,
    );
    this.setTrack(
      'video',
      videoSource ?? screenCapture?.getVideoTracks()[0] ?? devices?.getVideoTracks()[0] ?? null,
    );
    this.initialized = true;
  }

  /**
   * The volume the microphone is sent at: 100 as captured (the default), 0 silent, above 100
   * louder. The sent audio goes through a Web Audio gain; the stream's own track (and the
   * local level) stay as captured, as in v4. False without an audio track, for a negative
   * volume or without Web Audio; INVALID_PARAMETER for a non-number.
   */
  // eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- v4's signature
  setAudioCaptureVolume(volume: number | Number = 100): boolean {
    const value =
      typeof volume === 'object' && volume instanceof Number ? volume.valueOf() : volume;
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw RtcError.invalidParameter(
        `setAudioCaptureVolume() volume must be a number (100 = as captured), got ${String(volume)}`,
      );
    }
    if (!this.audioTrack || value < 0 || !Number.isFinite(value)) return false;
    if (value === this.captureVolume) return true;
    if (!this.gain) {
      const gain = CaptureGain.create();
      if (!gain) {
        log.warn('setAudioCaptureVolume(): this browser has no Web Audio to apply it');
        return false;
      }
      this.gain = gain;
      gain.setSource(this.audioTrack);
      gain.setVolume(value);
      this.captureVolume = value;
      // From now on the gained track is sent (the sender swaps it without renegotiation).
      this.publisher
        ?.replaceTrack('audio', gain.output)
        .catch((error: unknown) => log.warn('sending the gained audio failed', error));
      return true;
    }
    this.captureVolume = value;
    this.gain.setVolume(value);
    return true;
  }

  /** Reopens a camera or microphone the browser ended, and sends it in its place. */
  private async recover(kind: TrackKind, ended: MediaStreamTrack): Promise<void> {
    if (this.trackOf(kind) !== ended) return;
    const configured = kind === 'audio' ? this.config.microphoneId : this.config.cameraId;
    log.warn(`the ${kind === 'audio' ? 'microphone' : 'camera'} stopped; capturing it again`);
    let track: MediaStreamTrack | null;
    try {
      track = await recaptureDevice({
        kind,
        deviceId: deviceIdOf(ended, configured),
        constraints: (device) =>
          kind === 'audio'
            ? audioConstraints(this.audioProfile, device)
            : videoConstraints(this.videoProfile, device),
        cancelled: () => this.trackOf(kind) !== ended,
      });
    } catch (error) {
      if (this.trackOf(kind) !== ended) return;
      this.emit(
        'error',
        new RtcError({
          code: ErrorCode.DEVICE_AUTO_RECOVER_FAILED,
          ...(error instanceof Error && error.name !== 'Error' ? { name: error.name } : {}),
          message: `the ${kind === 'audio' ? 'microphone' : 'camera'} stopped and could not be captured again: ${describe(error)}`,
          cause: error,
        }),
      );
      return;
    }
    if (!track) return;
    this.deviceTracks.add(track);
    this.setTrack(kind, track);
    try {
      await this.publisher?.replaceTrack(kind, this.getSendTrack(kind) ?? track);
    } catch (error) {
      log.warn(`sending the recaptured ${kind} failed`, error);
    }
    this.emit('device-auto-recovered', {
      isCamera: kind === 'video',
      isMicrophone: kind === 'audio',
      cameraId: this.videoTrack ? (deviceIdOf(this.videoTrack) ?? '') : '',
      microphoneId: this.audioTrack ? (deviceIdOf(this.audioTrack) ?? '') : '',
    });
  }
}

function applyContentHint(track: MediaStreamTrack, hint: VideoContentHint): void {
  if ('contentHint' in track) track.contentHint = hint;
  else log.warn('this browser ignores video content hints');
}
