/**
 * v5's local camera and microphone (the user's `main` stream): captured by startLocalAudio /
 * startLocalVideo, published while in a room as an anchor (each kind unless `publish: false`),
 * muted by `mute`, released by stop*. The published part is one engine LocalStream holding
 * exactly the tracks to publish; `sync()` makes it match (add, remove, publish, unpublish),
 * one change at a time.
 */
import type { TrackKind } from '@parley/protocol';
import type { RoomEngine } from '../engine/RoomEngine.js';
import {
  AUDIO_PROFILES,
  resolveAudioProfile,
  resolveVideoProfile,
  type AudioProfile,
  type VideoProfile,
} from '../profiles.js';
import { audioConstraints, captureDevices, videoConstraints } from '../stream/capture.js';
import { LocalStream } from '../stream/LocalStream.js';
import { deviceIdOf, recaptureDevice } from '../stream/recapture.js';
import { Disposer } from '../util/Disposer.js';
import { createLogger } from '../util/Logger.js';
import { invalidParameter } from './engineErrors.js';
import { V5_VIDEO_PROFILES, DEFAULT_V5_VIDEO_PROFILE } from './profiles.js';
import { PublishMirror } from './PublishMirror.js';
import { VideoView, type FillMode } from './VideoView.js';

const log = createLogger('v5-local');

export type PublishState = 'starting' | 'started' | 'stopped';
export type PublishStateReport = (
  kind: TrackKind,
  state: PublishState,
  prevState: PublishState,
  reason?: 'error' | 'api-call',
  error?: unknown,
) => void;

/**
 * Makes the microphone track that is sent from the captured one (the AudioMixer plugin mixes
 * music into it). The same microphone gives the same output track, so a running publication
 * swaps tracks (replaceTrack) only when a processor comes or goes.
 */
export interface AudioProcessor {
  process(mic: MediaStreamTrack): MediaStreamTrack;
  /** The microphone was stopped: let go of it (the output track stays). */
  release(): void;
}

/** What LocalMedia tells the instance besides publish states (v5 events). */
export interface LocalMediaReports {
  /** DEVICE_CHANGED `active`: the camera or microphone in use is now `device`. */
  deviceActive?(kind: TrackKind, device: MediaDeviceInfo): void;
  /** A camera or microphone the browser ended could not be captured again. */
  recoverFailed?(kind: TrackKind, error: unknown): void;
  /** VIDEO_SIZE_CHANGED of the local preview. */
  videoSizeChanged?(width: number, height: number): void;
}

/** A stage between the camera and what is sent (v5's Watermark plugin). */
export interface VideoFilter {
  /** The track to send in place of `camera` (the same one for the same camera track). */
  apply(camera: MediaStreamTrack): MediaStreamTrack;
}

interface Captured {
  track: MediaStreamTrack;
  /** Opened by the SDK (stopped on stop*), not an app-given track. */
  own: boolean;
  publish: boolean;
  mute: boolean;
}

export class LocalMedia {
  private readonly captured: Partial<Record<TrackKind, Captured>> = {};
  private stream: LocalStream | null = null;
  private view: VideoView | null = null;
  private videoProfile: VideoProfile = { ...DEFAULT_V5_VIDEO_PROFILE };
  private audioProfile: AudioProfile = { ...AUDIO_PROFILES.standard };
  private queue: Promise<void> = Promise.resolve();
  private audioProcessor: AudioProcessor | null = null;
  /** v5's `captureVolume` (100: as captured), applied to the sent audio. */
  private captureVolume = 100;
  private qosPreference: 'smooth' | 'clear' = 'smooth';
  /** The device each kind was last captured from (DEVICE_CHANGED `active` when it changes). */
  private readonly deviceInUse: Partial<Record<TrackKind, string>> = {};
  /** 'ended' listeners of the SDK's own camera and microphone tracks (recapture). */
  private readonly watches: Record<TrackKind, Disposer> = {
    audio: new Disposer(),
    video: new Disposer(),
  };
  private videoFilter: VideoFilter | null = null;
  /** v5 mirror 'publish' / 'both': the sent camera is flipped (before any filter). */
  private publishMirror = false;
  private readonly mirrorFilter = new PublishMirror();

  constructor(
    private readonly engine: RoomEngine,
    /** Whether the tracks may be published now (in a room, as an anchor). */
    private readonly mayPublish: () => boolean,
    /** v5's PUBLISH_STATE_CHANGED for the camera and microphone. */
    private readonly onPublishState: PublishStateReport = () => undefined,
    private readonly reports: LocalMediaReports = {},
  ) {}

  has(kind: TrackKind): boolean {
    return this.captured[kind] !== undefined;
  }

  track(kind: TrackKind): MediaStreamTrack | null {
    return this.captured[kind]?.track ?? null;
  }

  /** The engine stream, while published (the audio meter reads the local level from it). */
  published(): LocalStream | null {
    return this.stream;
  }

  isPublishing(kind: TrackKind): boolean {
    const c = this.captured[kind];
    return c !== undefined && c.publish && this.stream !== null && this.stream.isPublished();
  }

  /**
   * Sends the camera through `filter` (null: the camera itself again). The published track is
   * swapped in place (replaceTrack): no renegotiation, the preview keeps the camera.
   */
  async setVideoFilter(filter: VideoFilter | null): Promise<void> {
    this.videoFilter = filter;
    await this.sync();
  }

  /** Flips the sent camera picture (v5 mirror 'publish' or 'both') or stops flipping it. */
  async setPublishMirror(on: boolean): Promise<void> {
    if (on === this.publishMirror) return;
    this.publishMirror = on;
    await this.sync();
    if (!on) this.mirrorFilter.release();
  }

  /** The track sent for `kind` while `c` is captured (the camera's through the filter). */

  isMuted(kind: TrackKind): boolean {
    return this.captured[kind]?.mute ?? false;
  }

  /**
   * Sends the microphone through `processor` (null: as captured again). Mute applies to the
   * sent track, so it silences what the processor adds too.
   */
  setAudioProcessor(processor: AudioProcessor | null): Promise<void> {
    if (processor === this.audioProcessor) return Promise.resolve();
    this.audioProcessor = processor;
    return this.sync();
  }

  /** Captures the microphone (or takes `audioTrack`). */
  async startAudio(options: {
    microphoneId?: string;
    profile?: unknown;
    audioTrack?: MediaStreamTrack;
    captureVolume?: number;
    publish: boolean;
    mute: boolean;
  }): Promise<void> {
    if (options.captureVolume !== undefined) this.captureVolume = options.captureVolume;
    if (options.profile !== undefined) {
      const profile = resolveAudioProfile(options.profile);
      if (!profile) {
        throw invalidParameter(
          `option.profile: unknown audio profile ${JSON.stringify(options.profile)}; use standard, standard-stereo, high or high-stereo`,
          'startLocalAudio',
        );
      }
      this.audioProfile = profile;
    }
    const track =
      options.audioTrack ??
      (
        await captureDevices({
          audio: audioConstraints(this.audioProfile, { deviceId: options.microphoneId }),
        })
      ).getAudioTracks()[0];
    if (!track) throw new Error('getUserMedia returned no audio track');
    this.captured.audio = {
      track,
      own: options.audioTrack === undefined,
      publish: options.publish,
      mute: options.mute,
    };
    track.enabled = !options.mute;
    this.adopt('audio');
    await this.sync();
  }

  /** Captures the camera (or takes `videoTrack`) and shows it in `views`. */
  async startVideo(options: {
    cameraId?: string;
    useFrontCamera?: boolean;
    profile?: unknown;
    videoTrack?: MediaStreamTrack;
    publish: boolean;
    mute: boolean;
    views: HTMLElement[];
    fillMode: FillMode;
    mirror: boolean;
    /** v5 mirror 'publish' / 'both': the sent picture is flipped. */
    publishMirror?: boolean;
    /** v5's 'smooth' (camera default) keeps the frame rate, 'clear' the resolution. */
    qosPreference?: 'smooth' | 'clear';
  }): Promise<void> {
    if (options.profile !== undefined) this.videoProfile = this.resolveVideo(options.profile);
    this.qosPreference = options.qosPreference ?? 'smooth';
    this.publishMirror = options.publishMirror === true;
    const track =
      options.videoTrack ??
      (
        await captureDevices({
          video: videoConstraints(this.videoProfile, {
            deviceId: options.cameraId,
            ...(options.useFrontCamera === undefined
              ? {}
              : { facingMode: options.useFrontCamera ? 'user' : 'environment' }),
          }),
        })
      ).getVideoTracks()[0];
    if (!track) throw new Error('getUserMedia returned no video track');
    this.captured.video = {
      track,
      own: options.videoTrack === undefined,
      publish: options.publish,
      mute: options.mute,
    };
    track.enabled = !options.mute;
    this.view = new VideoView(
      options.views,
      { fillMode: options.fillMode, mirror: options.mirror },
      { sizeChanged: (width, height) => this.reports.videoSizeChanged?.(width, height) },
    );
    this.view.setTrack(track);
    this.adopt('video');
    await this.sync();
  }

  /** updateLocalAudio/Video: publish, mute, profile, device, capture volume. */
  async update(
    kind: TrackKind,
    changes: {
      publish?: boolean;
      mute?: boolean;
      profile?: unknown;
      deviceId?: string;
      captureVolume?: number;
    },
  ): Promise<void> {
    const c = this.captured[kind];
    if (!c) return;
    if (changes.captureVolume !== undefined && kind === 'audio') {
      this.captureVolume = changes.captureVolume;
      this.applyCaptureVolume();
    }
    if (changes.mute !== undefined && changes.mute !== c.mute) {
      c.mute = changes.mute;
      const sent = this.sent(kind);
      if (this.stream?.getAudioTrack() === sent || this.stream?.getVideoTrack() === sent) {
        if (kind === 'audio') {
          if (c.mute) this.stream.muteAudio();
          else this.stream.unmuteAudio();
        } else if (c.mute) this.stream.muteVideo();
        else this.stream.unmuteVideo();
      } else c.track.enabled = !c.mute;
    }
    if (changes.profile !== undefined) {
      if (kind === 'video') {
        this.videoProfile = this.resolveVideo(changes.profile);
        if (c.own) await c.track.applyConstraints(videoConstraints(this.videoProfile));
        await this.stream?.setVideoProfile(this.videoProfile);
      } else {
        const profile = resolveAudioProfile(changes.profile);
        if (!profile) {
          throw invalidParameter(
            `option.profile: unknown audio profile ${JSON.stringify(changes.profile)}`,
            'updateLocalAudio',
          );
        }
        this.audioProfile = profile;
      }
    }
    if (changes.deviceId !== undefined && c.own) {
      const fresh =
        kind === 'audio'
          ? (
              await captureDevices({
                audio: audioConstraints(this.audioProfile, { deviceId: changes.deviceId }),
              })
            ).getAudioTracks()[0]
          : (
              await captureDevices({
                video: videoConstraints(this.videoProfile, { deviceId: changes.deviceId }),
              })
            ).getVideoTracks()[0];
      if (fresh) await this.swap(kind, c, fresh);
    }
    if (changes.publish !== undefined) c.publish = changes.publish;
    await this.sync();
  }

  /** Moves or restyles the local preview. */
  updateView(
    views: HTMLElement[] | undefined,
    style: { fillMode?: FillMode; mirror?: boolean },
  ): void {
    if (!this.view) return;
    if (views) this.view.moveTo(views);
    this.view.update(style);
  }

  snapshot(): string {
    return this.view?.snapshot() ?? '';
  }

  async stop(kind: TrackKind): Promise<void> {
    const c = this.captured[kind];
    if (!c) return;
    delete this.captured[kind];
    this.watches[kind].dispose();
    if (kind === 'video') {
      this.view?.stop();
      this.view = null;
    }
    await this.sync();
    if (kind === 'audio') this.audioProcessor?.release();
    else this.mirrorFilter.release();
    if (c.own) c.track.stop();
  }

  /** Makes the published stream hold exactly the tracks to publish now. */
  sync(): Promise<void> {
    const run = this.queue.then(() => this.syncReporting());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The room is gone (exitRoom, kicked): the engine already dropped the publication. */
  forgetPublication(): void {
    const before = this.publishedKinds();
    this.stream?.setPublisher(null);
    this.stream = null;
    for (const kind of before) this.onPublishState(kind, 'stopped', 'started', 'api-call');
  }

  /** The kinds the published stream carries now. */
  private publishedKinds(): TrackKind[] {
    const stream = this.stream;
    if (!stream?.isPublished()) return [];
    return (['audio', 'video'] as const).filter((kind) =>
      kind === 'audio' ? stream.hasAudio() : stream.hasVideo(),
    );
  }

  /** syncNow with PUBLISH_STATE_CHANGED: starting → started (or stopped with the error). */
  private async syncReporting(): Promise<void> {
    const before = this.publishedKinds();
    const starting = (['audio', 'video'] as const).filter((kind) => {
      const c = this.captured[kind];
      return c !== undefined && c.publish && this.mayPublish() && !before.includes(kind);
    });
    for (const kind of starting) this.onPublishState(kind, 'starting', 'stopped');
    try {
      await this.syncNow();
    } catch (error) {
      const now = this.publishedKinds();
      for (const kind of starting.filter((k) => !now.includes(k))) {
        this.onPublishState(kind, 'stopped', 'starting', 'error', error);
      }
      throw error;
    }
    const after = this.publishedKinds();
    for (const kind of after.filter((k) => !before.includes(k))) {
      this.onPublishState(kind, 'started', 'starting');
    }
    for (const kind of starting.filter((k) => !after.includes(k))) {
      this.onPublishState(kind, 'stopped', 'starting', 'api-call');
    }
    for (const kind of before.filter((k) => !after.includes(k))) {
      this.onPublishState(kind, 'stopped', 'started', 'api-call');
    }
  }

  private async syncNow(): Promise<void> {
    const wanted = (kind: TrackKind): MediaStreamTrack | null => {
      const c = this.captured[kind];
      return c && c.publish && this.mayPublish() ? this.sent(kind) : null;
    };
    const audio = wanted('audio');
    const video = wanted('video');
    let stream = this.stream;
    if (stream && !stream.isPublished()) {
      // Unpublished under us (switched to audience, left): start over.
      this.stream = stream = null;
    }
    if (!stream) {
      if (!audio && !video) return;
      stream = new LocalStream({
        ...(audio ? { audioSource: audio } : {}),
        ...(video ? { videoSource: video } : {}),
      });
      stream.setAudioProfile(this.audioProfile);
      await stream.setVideoProfile(this.videoProfile);
      // v5 qosPreference: the encoder's hint and what its sender gives up first.
      const clear = this.qosPreference === 'clear';
      stream.setVideoContentHint(clear ? 'detail' : 'motion');
      stream.setDegradationPreference(clear ? 'maintain-resolution' : 'maintain-framerate');
      await stream.initialize();
      if (audio && this.captureVolume !== 100) stream.setAudioCaptureVolume(this.captureVolume);
      if (this.captured.audio?.mute && audio) stream.muteAudio();
      if (this.captured.video?.mute && video) stream.muteVideo();
      await this.engine.publish(stream, 'main', 'startLocal');
      this.stream = stream;
      log.info(
        `publishing ${audio ? 'audio' : ''}${audio && video ? '+' : ''}${video ? 'video' : ''}`,
      );
      return;
    }
    if (!audio && !video) {
      this.stream = null;
      await this.engine.unpublish(stream, 'stopLocal');
      return;
    }
    for (const [kind, track] of [
      ['audio', audio],
      ['video', video],
    ] as const) {
      const current = kind === 'audio' ? stream.getAudioTrack() : stream.getVideoTrack();
      if (current === track) continue;
      if (current && track) await stream.replaceTrack(track);
      else if (track) {
        await stream.addTrack(track);
        if (kind === 'audio') this.applyCaptureVolume();
        if (this.captured[kind]?.mute) {
          if (kind === 'audio') stream.muteAudio();
          else stream.muteVideo();
        }
      } else if (current) await stream.removeTrack(current);
    }
  }

  /** The track sent for `kind`: the captured one, the processed microphone or filtered camera. */
  private sent(kind: TrackKind): MediaStreamTrack | null {
    const c = this.captured[kind];
    if (!c) return null;
    if (kind === 'audio')
      return this.audioProcessor ? this.audioProcessor.process(c.track) : c.track;
    const camera = this.publishMirror ? this.mirrorFilter.apply(c.track) : c.track;
    return this.videoFilter ? this.videoFilter.apply(camera) : camera;
  }

  /** The published stream sends the audio at `captureVolume`. */
  private applyCaptureVolume(): void {
    const stream = this.stream;
    if (stream?.hasAudio()) stream.setAudioCaptureVolume(this.captureVolume);
  }

  /** Puts `fresh` in place of the kind's track: sent, shown, the old one stopped. */
  private async swap(kind: TrackKind, c: Captured, fresh: MediaStreamTrack): Promise<void> {
    fresh.enabled = !c.mute;
    const old = c.track;
    const oldSent = this.sent(kind);
    c.track = fresh;
    this.adopt(kind);
    // Through the AudioMixer the sent track stays (the mix takes the new microphone).
    const sent = this.sent(kind);
    if (
      this.stream &&
      sent &&
      sent !== oldSent &&
      (this.stream.getAudioTrack() === oldSent || this.stream.getVideoTrack() === oldSent)
    ) {
      await this.stream.replaceTrack(sent);
    }
    if (kind === 'video') this.view?.setTrack(fresh);
    old.stop();
  }

  /**
   * A track of the kind was just captured: watch it for the browser ending it (recapture)
   * and, when the device differs from before, say so (v5's DEVICE_CHANGED `active`).
   */
  private adopt(kind: TrackKind): void {
    const c = this.captured[kind];
    this.watches[kind].dispose();
    if (!c?.own) return;
    const track = c.track;
    this.watches[kind].listen(track, 'ended', () => void this.recover(kind, track));
    const deviceId = deviceIdOf(track);
    if (!deviceId || deviceId === this.deviceInUse[kind]) return;
    this.deviceInUse[kind] = deviceId;
    const wanted: MediaDeviceKind = kind === 'audio' ? 'audioinput' : 'videoinput';
    void navigator.mediaDevices
      .enumerateDevices()
      .then((devices) => {
        const device = devices.find((d) => d.kind === wanted && d.deviceId === deviceId);
        if (device && this.deviceInUse[kind] === deviceId)
          this.reports.deviceActive?.(kind, device);
      })
      .catch((error: unknown) => log.debug('could not list the devices', error));
  }

  /** v5's recapture of a camera or microphone the browser ended (unplugged, taken away). */
  private async recover(kind: TrackKind, ended: MediaStreamTrack): Promise<void> {
    const c = this.captured[kind];
    if (!c || c.track !== ended) return;
    log.warn(`the ${kind === 'audio' ? 'microphone' : 'camera'} stopped; capturing it again`);
    const current = (): boolean => this.captured[kind] === c && c.track === ended;
    let fresh: MediaStreamTrack | null;
    try {
      fresh = await recaptureDevice({
        kind,
        deviceId: deviceIdOf(ended),
        constraints: (device) =>
          kind === 'audio'
            ? audioConstraints(this.audioProfile, device)
            : videoConstraints(this.videoProfile, device),
        cancelled: () => !current(),
      });
    } catch (error) {
      if (current()) this.reports.recoverFailed?.(kind, error);
      return;
    }
    if (!fresh) return;
    try {
      await this.swap(kind, c, fresh);
    } catch (error) {
      log.warn(`sending the recaptured ${kind} failed`, error);
    }
  }

  private resolveVideo(profile: unknown): VideoProfile {
    const resolved = resolveVideoProfile(profile, V5_VIDEO_PROFILES, this.videoProfile);
    if (!resolved) {
      throw invalidParameter(
        `option.profile: unknown video profile ${JSON.stringify(profile)}; use one of ${Object.keys(V5_VIDEO_PROFILES).join(', ')} or {width, height, frameRate, bitrate}`,
        'startLocalVideo',
      );
    }
    return resolved;
  }
}
