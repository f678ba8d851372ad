/**
 * What a v5 instance receives: per remote stream, audio while `autoReceiveAudio` and not
 * `muteRemoteAudio`, video only while `startRemoteVideo` asks for it. Each change is one
 * per-track `subscribe` (or `unsubscribe` when nothing is wanted) to the server, so muted
 * audio really stops arriving. Changes of one stream run one at a time.
 *
 * Remote audio plays through one `<audio>` element per stream, outside the page's views.
 */
import type { StreamType } from '@parley/protocol';
import type { RoomEngine } from '../engine/RoomEngine.js';
import type { RemoteStream } from '../stream/RemoteStream.js';
import { CaptureGain } from '../stream/CaptureGain.js';
import { createLogger } from '../util/Logger.js';
import { getCurrentSpeakerId } from './system.js';
import { VideoView, type FillMode, type PlayState } from './VideoView.js';

const log = createLogger('v5-remote');

export type V5StreamType = 'main' | 'sub';

export function toEngineType(streamType: V5StreamType): StreamType {
  return streamType === 'sub' ? 'auxiliary' : 'main';
}

export function toV5Type(streamType: StreamType): V5StreamType {
  return streamType === 'auxiliary' ? 'sub' : 'main';
}

/** What RemoteMedia tells the instance (v5 events). */
export interface RemoteMediaReports {
  autoplayFailed(userId: string, resume: () => Promise<void>): void;
  videoState(
    userId: string,
    streamType: V5StreamType,
    state: PlayState,
    reason: 'playing' | 'pause' | 'ended',
  ): void;
  audioState(userId: string, state: PlayState, reason: 'playing' | 'pause' | 'ended'): void;
  firstVideoFrame(userId: string, streamType: V5StreamType, width: number, height: number): void;
  videoSizeChanged(userId: string, streamType: V5StreamType, width: number, height: number): void;
  pictureInPicture?(
    userId: string,
    streamType: V5StreamType,
    on: boolean,
    pipWindow?: PictureInPictureWindow,
  ): void;
  fullScreen?(userId: string, streamType: V5StreamType, on: boolean): void;
}

interface Received {
  audio: boolean;
  video: boolean;
}

export class RemoteMedia {
  /** What is currently asked of the server, by stream key. */
  private readonly received = new Map<string, Received>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly views = new Map<string, VideoView>();
  private readonly audios = new Map<string, HTMLAudioElement>();
  /** muteRemoteAudio: muted users, and whether '*' muted everyone (also later arrivals). */
  private readonly mutedAudio = new Set<string>();
  private allAudioMuted = false;
  private readonly volumes = new Map<string, number>();
  /** The received audio track each element plays, by stream key. */
  private readonly audioTracks = new Map<string, MediaStreamTrack>();
  /** Volumes above 100 (v5 amplifies): the track through a Web Audio gain, by stream key. */
  private readonly amplifiers = new Map<
    string,
    { gain: CaptureGain; keepAlive: HTMLAudioElement; track: MediaStreamTrack }
  >();
  private defaultVolume = 100;
  autoReceiveAudio = true;

  constructor(
    private readonly engine: RoomEngine,
    private readonly reports: RemoteMediaReports,
  ) {}

  // ---- subscriptions --------------------------------------------------------------------------

  /** A stream appeared or changed: receive what is wanted of it now. */
  streamChanged(stream: RemoteStream): void {
    this.sync(stream).catch((error: unknown) =>
      log.warn(`could not update what is received of ${key(stream)}`, error),
    );
  }

  /** The stream is gone: forget it (the engine dropped its tracks). */
  streamRemoved(stream: RemoteStream): void {
    const k = key(stream);
    this.received.delete(k);
    this.views.get(k)?.stop();
    this.views.delete(k);
    this.dropAudio(k);
  }

  hasView(userId: string, streamType: V5StreamType): boolean {
    return this.views.has(`${userId}|${toEngineType(streamType)}`);
  }

  /** startRemoteVideo: receive the video and show it in `views`; resolves once it arrives. */
  async startVideo(
    stream: RemoteStream,
    views: HTMLElement[],
    style: { fillMode: FillMode; mirror: boolean },
  ): Promise<void> {
    const k = key(stream);
    this.views.get(k)?.stop();
    const userId = stream.getUserId();
    const streamType = toV5Type(stream.getType());
    const view = new VideoView(views, style, {
      state: (state, reason) => this.reports.videoState(userId, streamType, state, reason),
      firstFrame: (width, height) =>
        this.reports.firstVideoFrame(userId, streamType, width, height),
      sizeChanged: (width, height) =>
        this.reports.videoSizeChanged(userId, streamType, width, height),
      pictureInPicture: (on, pipWindow) =>
        this.reports.pictureInPicture?.(userId, streamType, on, pipWindow),
      fullScreen: (on) => this.reports.fullScreen?.(userId, streamType, on),
    });
    this.views.set(k, view);
    view.setTrack(stream.getVideoTrack());
    try {
      await this.sync(stream);
    } catch (error) {
      view.stop();
      if (this.views.get(k) === view) this.views.delete(k);
      throw error;
    }
    view.setTrack(stream.getVideoTrack());
  }

  updateVideo(
    stream: RemoteStream,
    views: HTMLElement[] | undefined,
    style: { fillMode?: FillMode; mirror?: boolean },
  ): void {
    const view = this.views.get(key(stream));
    if (!view) return;
    if (views) view.moveTo(views);
    view.update(style);
  }

  async stopVideo(stream: RemoteStream): Promise<void> {
    const k = key(stream);
    const view = this.views.get(k);
    if (!view) return;
    view.stop();
    this.views.delete(k);
    await this.sync(stream);
  }

  /** Every remote view (exitRoom, stopRemoteVideo '*'). */
  stopAllViews(): void {
    for (const view of this.views.values()) view.stop();
    this.views.clear();
  }

  snapshot(stream: RemoteStream): string {
    return this.views.get(key(stream))?.snapshot() ?? '';
  }

  /** muteRemoteAudio(userId | '*', mute). */
  setAudioMuted(userId: string, mute: boolean, streams: RemoteStream[]): Promise<void[]> {
    if (userId === '*') {
      this.allAudioMuted = mute;
      this.mutedAudio.clear();
    } else if (mute) this.mutedAudio.add(userId);
    else this.mutedAudio.delete(userId);
    return Promise.all(
      streams.filter((s) => userId === '*' || s.getUserId() === userId).map((s) => this.sync(s)),
    );
  }

  /** setRemoteAudioVolume(userId | '*', 0..100). */
  setVolume(userId: string, volume: number): void {
    if (userId === '*') {
      this.defaultVolume = volume;
      this.volumes.clear();
    } else this.volumes.set(userId, volume);
    for (const [k, audio] of this.audios) {
      const track = this.audioTracks.get(k);
      if (track && (userId === '*' || k.startsWith(`${userId}|`)))
        this.route(k, audio, track, volume);
    }
  }

  /**
   * The view of the first remote video that is playing (v5's requestPictureInPicture and
   * requestFullScreen act on it), if any.
   */
  firstPlayingView(): VideoView | null {
    for (const view of this.views.values()) {
      if (view.elements[0] && view.elements[0].videoWidth > 0) return view;
    }
    return null;
  }

  /** The track a user's audio is played from after its volume (the gain's output above 100). */
  processedAudio(stream: RemoteStream): MediaStreamTrack | null {
    const k = key(stream);
    return this.amplifiers.get(k)?.gain.output ?? this.audioTracks.get(k) ?? null;
  }

  /**
   * Plays `track` on `audio` at `volume`: up to 100 the element's own volume; above, through a
   * GainNode (an element cannot play louder than its source).
   */
  private route(k: string, audio: HTMLAudioElement, track: MediaStreamTrack, volume: number): void {
    let amplifier = this.amplifiers.get(k);
    if (amplifier && (volume <= 100 || amplifier.track !== track)) {
      this.dropAmplifier(k);
      amplifier = undefined;
    }
    if (volume > 100 && !amplifier) {
      const gain = CaptureGain.create();
      if (gain) {
        gain.setSource(track);
        // Chromium feeds a received track to Web Audio only while a media element plays it.
        const keepAlive = document.createElement('audio');
        keepAlive.muted = true;
        keepAlive.srcObject = new MediaStream([track]);
        keepAlive.play().catch(() => undefined);
        amplifier = { gain, keepAlive, track };
        this.amplifiers.set(k, amplifier);
      } else log.warn('no Web Audio here: a volume above 100 plays at 100');
    }
    const source = amplifier ? amplifier.gain.output : track;
    const playing =
      audio.srcObject instanceof MediaStream ? audio.srcObject.getAudioTracks()[0] : null;
    if (playing !== source) audio.srcObject = new MediaStream([source]);
    amplifier?.gain.setVolume(volume);
    audio.volume = amplifier ? 1 : elementVolume(volume);
  }

  private dropAmplifier(k: string): void {
    const amplifier = this.amplifiers.get(k);
    if (!amplifier) return;
    this.amplifiers.delete(k);
    amplifier.keepAlive.pause();
    amplifier.keepAlive.srcObject = null;
    amplifier.gain.close();
  }

  /** A received track was added to or taken from a stream. */
  trackChanged(stream: RemoteStream, kind: 'audio' | 'video'): void {
    const k = key(stream);
    if (kind === 'video') {
      this.views.get(k)?.setTrack(stream.getVideoTrack());
      return;
    }
    const track = stream.getAudioTrack();
    if (!track) return this.dropAudio(k);
    let audio = this.audios.get(k);
    if (!audio) {
      const element = document.createElement('audio');
      element.autoplay = true;
      const userId = stream.getUserId();
      element.addEventListener('playing', () =>
        this.reports.audioState(userId, 'PLAYING', 'playing'),
      );
      element.addEventListener('pause', () => {
        if (this.audios.get(k) === element) this.reports.audioState(userId, 'PAUSED', 'pause');
      });
      this.audios.set(k, element);
      audio = element;
    }
    this.audioTracks.set(k, track);
    // TRTC.setCurrentSpeaker(): the output chosen for every element the SDK plays on.
    const speaker = getCurrentSpeakerId();
    if (speaker !== undefined && audio.sinkId !== speaker) {
      audio
        .setSinkId(speaker)
        .catch((error: unknown) => log.warn(`could not play on speaker ${speaker}`, error));
    }
    this.route(k, audio, track, this.volumes.get(stream.getUserId()) ?? this.defaultVolume);
    const element = audio;
    element.play().catch((error: unknown) => {
      if (error instanceof Error && error.name === 'NotAllowedError') {
        this.reports.autoplayFailed(stream.getUserId(), () => element.play());
      } else log.debug('audio play() did not start', error);
    });
  }

  /** Everything received is forgotten (the session ended). */
  clear(): void {
    this.stopAllViews();
    for (const k of [...this.audios.keys()]) this.dropAudio(k);
    this.received.clear();
    this.queues.clear();
  }

  private wanted(stream: RemoteStream): Received {
    const userId = stream.getUserId();
    const audioMuted = this.allAudioMuted || this.mutedAudio.has(userId);
    return {
      audio: this.autoReceiveAudio && !audioMuted && stream.hasAudio(),
      video: this.views.has(key(stream)) && stream.hasVideo(),
    };
  }

  /** Asks the server for what is wanted of `stream`, if that changed. One at a time per stream. */
  private sync(stream: RemoteStream): Promise<void> {
    const k = key(stream);
    const run = (this.queues.get(k) ?? Promise.resolve()).then(async () => {
      if (!this.engine.isCurrent(stream)) return;
      const want = this.wanted(stream);
      const had = this.received.get(k) ?? { audio: false, video: false };
      if (want.audio === had.audio && want.video === had.video) return;
      if (!want.audio && !want.video) {
        this.received.delete(k);
        await this.engine.unsubscribe(stream, 'muteRemoteAudio');
        this.dropAudio(k);
        return;
      }
      this.received.set(k, want);
      try {
        await this.engine.subscribe(stream, want, 'startRemoteVideo');
      } catch (error) {
        this.received.set(k, had);
        throw error;
      }
      if (!want.audio) this.dropAudio(k);
    });
    this.queues.set(
      k,
      run.catch(() => undefined),
    );
    return run;
  }

  private dropAudio(k: string): void {
    const audio = this.audios.get(k);
    if (!audio) return;
    this.audios.delete(k);
    this.audioTracks.delete(k);
    this.dropAmplifier(k);
    audio.pause();
    audio.srcObject = null;
    this.reports.audioState(k.slice(0, k.indexOf('|')), 'STOPPED', 'ended');
  }
}

function key(stream: RemoteStream): string {
  return `${stream.getUserId()}|${stream.getType()}`;
}

/** v5 volumes are 0..100 (more amplifies, which an element cannot): the element's 0..1. */
function elementVolume(volume: number): number {
  return Math.min(1, Math.max(0, volume / 100));
}
