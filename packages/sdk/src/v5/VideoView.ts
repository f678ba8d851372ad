/**
 * v5's view contract (seen with trtc-sdk-v5 5.17.1): the SDK's `<video>` is a direct child of
 * each view element, appended after what the page already put there, and stopping removes
 * only that element; the page's overlays are left alone. The element is always muted (sound
 * plays through RemoteAudio), so it may autoplay.
 */
import { createLogger } from '../util/Logger.js';

const log = createLogger('v5-view');

/** A view as v5 takes it: an element id, an element, several elements, or null (none). */
export type ViewTarget = string | HTMLElement | HTMLElement[] | null | undefined;

export type FillMode = 'contain' | 'cover' | 'fill';

export interface VideoViewOptions {
  fillMode: FillMode;
  mirror: boolean;
}

export type PlayState = 'PLAYING' | 'PAUSED' | 'STOPPED';

/**
 * What the view tells its owner (v5's VIDEO_PLAY_STATE_CHANGED, FIRST_VIDEO_FRAME and
 * VIDEO_SIZE_CHANGED).
 */
export interface VideoViewReports {
  state?(state: PlayState, reason: 'playing' | 'pause' | 'ended'): void;
  firstFrame?(width: number, height: number): void;
  /** The picture's size changed (its first frame too, from 0×0), as v5's player reports. */
  sizeChanged?(width: number, height: number): void;
  /** The video entered or left picture-in-picture (its window while in it). */
  pictureInPicture?(on: boolean, pipWindow?: PictureInPictureWindow): void;
  /** The video (or its view) entered or left full screen. */
  fullScreen?(on: boolean): void;
}

export class VideoView {
  private readonly videos: HTMLVideoElement[] = [];
  private track: MediaStreamTrack | null = null;
  private options: VideoViewOptions;

  private firstFrameSeen = false;
  private lastState: PlayState | null = null;
  /** The size last reported by sizeChanged (kept across moveTo: the picture is the same). */
  private size = { width: 0, height: 0 };
  /** Removes the document's fullscreenchange listener. */
  private fullScreenWatch: (() => void) | null = null;

  constructor(
    views: HTMLElement[],
    options: VideoViewOptions,
    private readonly reports: VideoViewReports = {},
  ) {
    this.options = options;
    for (const view of views) this.videos.push(this.append(view));
  }

  private setState(state: PlayState, reason: 'playing' | 'pause' | 'ended'): void {
    if (state === this.lastState) return;
    this.lastState = state;
    this.reports.state?.(state, reason);
  }

  /** The views it renders into (for updates that keep them). */
  get elements(): HTMLVideoElement[] {
    return this.videos;
  }

  /** Shows `track` (null: nothing). */
  setTrack(track: MediaStreamTrack | null): void {
    if (track === this.track) return;
    this.track = track;
    for (const video of this.videos) {
      video.srcObject = track ? new MediaStream([track]) : null;
      if (track) {
        video.play().catch((error: unknown) => log.debug('video play() did not start', error));
      }
    }
  }

  update(options: Partial<VideoViewOptions>): void {
    this.options = { ...this.options, ...options };
    for (const video of this.videos) this.style(video);
  }

  /** Moves the rendering to other views (v5's update*({view})); same track. */
  moveTo(views: HTMLElement[]): void {
    this.removeElements();
    for (const view of views) this.videos.push(this.append(view));
    const track = this.track;
    this.track = null;
    this.setTrack(track);
  }

  /** The current frame as a PNG data URL, '' when nothing is showing. */
  snapshot(): string {
    const video = this.videos[0];
    if (!video || video.videoWidth === 0) return '';
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d')?.drawImage(video, 0, 0);
    return canvas.toDataURL('image/png');
  }

  /** Puts the first video in (or out of) picture-in-picture (v5 requestPictureInPicture). */
  async pictureInPicture(enable: boolean): Promise<void> {
    const video = this.videos[0];
    if (!video) throw new Error('the view has no video');
    if (enable) {
      if (document.pictureInPictureElement !== video) await video.requestPictureInPicture();
    } else if (document.pictureInPictureElement === video) await document.exitPictureInPicture();
  }

  /** Puts the first video in (or out of) full screen (v5 requestFullScreen). */
  async fullScreen(enable: boolean): Promise<void> {
    const video = this.videos[0];
    if (!video) throw new Error('the view has no video');
    if (enable) {
      if (document.fullscreenElement !== video) await video.requestFullscreen();
    } else if (document.fullscreenElement === video) await document.exitFullscreen();
  }

  stop(): void {
    this.fullScreenWatch?.();
    this.fullScreenWatch = null;
    if (this.lastState !== null) this.setState('STOPPED', 'ended');
    this.removeElements();
    this.track = null;
  }

  private removeElements(): void {
    for (const video of this.videos) {
      video.pause();
      video.srcObject = null;
      video.remove();
    }
    this.videos.length = 0;
  }

  private append(view: HTMLElement): HTMLVideoElement {
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;
    video.setAttribute('muted', '');
    video.setAttribute('playsinline', '');
    this.style(video);
    // The first element speaks for the view (the others show the same track).
    if (this.videos.length === 0) {
      video.addEventListener('playing', () => this.setState('PLAYING', 'playing'));
      video.addEventListener('pause', () => {
        if (video.isConnected) this.setState('PAUSED', 'pause');
      });
      const firstFrame = (): void => {
        if (this.firstFrameSeen || video.videoWidth === 0) return;
        this.firstFrameSeen = true;
        this.reports.firstFrame?.(video.videoWidth, video.videoHeight);
      };
      video.addEventListener('loadeddata', firstFrame);
      video.addEventListener('resize', firstFrame);
      video.addEventListener('enterpictureinpicture', (event) =>
        this.reports.pictureInPicture?.(
          true,
          (event as PictureInPictureEvent).pictureInPictureWindow,
        ),
      );
      video.addEventListener('leavepictureinpicture', () => this.reports.pictureInPicture?.(false));
      // Full screen is the document's: the video (or an ancestor, its view) entering or leaving.
      let inFullScreen = false;
      const onFullScreen = (): void => {
        const element = document.fullscreenElement;
        const now = element !== null && (element === video || element.contains(video));
        if (now === inFullScreen) return;
        inFullScreen = now;
        this.reports.fullScreen?.(now);
      };
      document.addEventListener('fullscreenchange', onFullScreen);
      this.fullScreenWatch = () => document.removeEventListener('fullscreenchange', onFullScreen);
      video.addEventListener('resize', () => {
        const { videoWidth: width, videoHeight: height } = video;
        if (width === 0 || (width === this.size.width && height === this.size.height)) return;
        this.size = { width, height };
        this.reports.sizeChanged?.(width, height);
      });
    }
    view.appendChild(video);
    return video;
  }

  private style(video: HTMLVideoElement): void {
    Object.assign(video.style, {
      width: '100%',
      height: '100%',
      objectFit: this.options.fillMode,
      backgroundColor: 'black',
      transform: this.options.mirror ? 'rotateY(180deg)' : '',
    });
  }
}
