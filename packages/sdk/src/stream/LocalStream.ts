/**
 * A stream captured here (camera/microphone, or app-given tracks) to publish. Created by
 * `TRTC.createStream()`, captured by `initialize()`.
 */
import type { TrackKind } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import { RtcError, describe } from '../errors/RtcError.js';
import {
  DEFAULT_AUDIO_PROFILE,
  DEFAULT_VIDEO_PROFILE,
  AUDIO_PROFILES,
  VIDEO_PROFILES,
  resolveAudioProfile,
  resolveVideoProfile,
  type AudioProfile,
  type VideoProfile,
} from '../profiles.js';
import { createLogger } from '../util/Logger.js';
import { Stream } from './Stream.js';
import type { StreamConfig } from './types.js';

const log = createLogger('local-stream');

/** What a LocalStream tells the Client that published it. */
export interface LocalStreamPublisher {
  onLocalMuteChanged(kind: TrackKind, muted: boolean): void;
  onVideoProfileChanged(profile: VideoProfile): void;
}

export class LocalStream extends Stream {
  private readonly config: StreamConfig;
  private videoProfile: VideoProfile = { ...VIDEO_PROFILES[DEFAULT_VIDEO_PROFILE] };
  private audioProfile: AudioProfile = { ...AUDIO_PROFILES[DEFAULT_AUDIO_PROFILE] };
  private initialized = false;
  private initializing: Promise<void> | null = null;
  private publisher: LocalStreamPublisher | null = null;

  constructor(config: StreamConfig) {
    super(typeof config?.userId === 'string' ? config.userId : '');
    this.config = { ...config };
  }

  /**
   * Captures the requested devices in one getUserMedia call (one permission prompt),
   * constrained by the video/audio profiles. Rejects with an RtcError whose `name` is the
   * browser's (NotAllowedError, NotFoundError, NotReadableError, OverconstrainedError) as
   * v4 apps expect; code DEVICE_NOT_FOUND or INITIALIZE_FAILED.
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

  hasAudio(): boolean {
    return this.audioTrack !== null;
  }

  hasVideo(): boolean {
    return this.videoTrack !== null;
  }

  /** A preset name ('480p', ...) or `{width, height, frameRate, bitrate}` (kbps). */
  async setVideoProfile(profile: string | VideoProfile): Promise<void> {
    const resolved = resolveVideoProfile(profile);
    if (!resolved) {
      throw RtcError.invalidParameter(
        `unknown video profile ${JSON.stringify(profile)}; use one of ${Object.keys(VIDEO_PROFILES).join(', ')} or {width, height, frameRate, bitrate}`,
      );
    }
    this.videoProfile = resolved;
    const track = this.videoTrack;
    if (track && !this.config.videoSource) {
      await track
        .applyConstraints(videoConstraints(resolved, this.config))
        .catch((error: unknown) => log.warn('could not apply the new video profile', error));
    }
    this.publisher?.onVideoProfileChanged(resolved);
  }

  /** A preset name ('standard', 'high', ...); takes effect at the next initialize(). */
  setAudioProfile(profile: string | AudioProfile): void {
    const resolved = resolveAudioProfile(profile);
    if (!resolved) {
      throw RtcError.invalidParameter(
        `unknown audio profile ${JSON.stringify(profile)}; use one of ${Object.keys(AUDIO_PROFILES).join(', ')}`,
      );
    }
    this.audioProfile = resolved;
  }

  getVideoProfile(): VideoProfile {
    return { ...this.videoProfile };
  }

  getAudioProfile(): AudioProfile {
    return { ...this.audioProfile };
  }

  /** Stops playback and the capture (the camera light goes off). */
  override close(): void {
    super.close();
    for (const track of [this.audioTrack, this.videoTrack]) track?.stop();
    this.setTrack('audio', null);
    this.setTrack('video', null);
    this.initialized = false;
  }

  /** @internal The Client that published this stream (null when unpublished). */
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

  protected override isLocal(): boolean {
    return true;
  }

  protected override defaultMirror(): boolean {
    // A camera preview is mirrored like a mirror; an app-given track is shown as it is.
    return this.config.mirror ?? this.config.videoSource === undefined;
  }

  protected override onMuteChanged(kind: TrackKind, muted: boolean): void {
    this.publisher?.onLocalMuteChanged(kind, muted);
  }

  private async capture(): Promise<void> {
    const config = this.config;
    if (config.screen) {
      throw RtcError.notSupported('screen sharing (screen: true) is not implemented yet');
    }
    const { audioSource, videoSource } = config;
    if (audioSource !== undefined && !isTrack(audioSource, 'audio')) {
      throw RtcError.invalidParameter('audioSource must be an audio MediaStreamTrack');
    }
    if (videoSource !== undefined && !isTrack(videoSource, 'video')) {
      throw RtcError.invalidParameter('videoSource must be a video MediaStreamTrack');
    }
    const wantAudio = config.audio === true && !audioSource;
    const wantVideo = config.video === true && !videoSource;
    if (!wantAudio && !wantVideo && !audioSource && !videoSource) {
      throw RtcError.invalidParameter(
        'createStream() needs audio: true, video: true, audioSource or videoSource',
      );
    }
    let captured: MediaStream | null = null;
    if (wantAudio || wantVideo) {
      const mediaDevices = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
      if (!mediaDevices?.getUserMedia) {
        throw RtcError.notSupported(
          'navigator.mediaDevices.getUserMedia is unavailable (the page must be served over https or from localhost)',
        );
      }
      const constraints: MediaStreamConstraints = {
        audio: wantAudio ? audioConstraints(this.audioProfile, config) : false,
        video: wantVideo ? videoConstraints(this.videoProfile, config) : false,
      };
      try {
        captured = await mediaDevices.getUserMedia(constraints);
      } catch (error) {
        throw captureError(error);
      }
    }
    this.setTrack('audio', audioSource ?? captured?.getAudioTracks()[0] ?? null);
    this.setTrack('video', videoSource ?? captured?.getVideoTracks()[0] ?? null);
    this.initialized = true;
  }
}

function isTrack(value: unknown, kind: TrackKind): value is MediaStreamTrack {
  return (
    typeof MediaStreamTrack !== 'undefined' &&
    value instanceof MediaStreamTrack &&
    value.kind === kind
  );
}

function videoConstraints(profile: VideoProfile, config: StreamConfig): MediaTrackConstraints {
  return {
    width: { ideal: profile.width },
    height: { ideal: profile.height },
    frameRate: { ideal: profile.frameRate },
    ...(config.cameraId ? { deviceId: { exact: config.cameraId } } : {}),
    ...(config.facingMode && !config.cameraId ? { facingMode: config.facingMode } : {}),
  };
}

function audioConstraints(profile: AudioProfile, config: StreamConfig): MediaTrackConstraints {
  return {
    sampleRate: profile.sampleRate,
    channelCount: profile.channelCount,
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
    ...(config.microphoneId ? { deviceId: { exact: config.microphoneId } } : {}),
  };
}

/** getUserMedia's DOMException as v4 reports it: the browser's name, a code, a reason. */
function captureError(error: unknown): RtcError {
  const name = error instanceof Error ? error.name : 'Error';
  const hints: Record<string, string> = {
    NotAllowedError: 'the user or the browser denied camera/microphone access',
    NotFoundError: 'no camera or microphone matching the request was found',
    NotReadableError: 'the device is in use by another application or could not be started',
    OverconstrainedError: 'no device satisfies the constraints (check cameraId/microphoneId)',
    AbortError: 'capture was aborted',
    SecurityError: 'capture is disabled for this page',
  };
  const notFound = name === 'NotFoundError' || name === 'OverconstrainedError';
  return new RtcError({
    code: notFound ? ErrorCode.DEVICE_NOT_FOUND : ErrorCode.INITIALIZE_FAILED,
    name,
    message: `getUserMedia failed: ${hints[name] ?? describe(error)}`,
    cause: error,
  });
}
