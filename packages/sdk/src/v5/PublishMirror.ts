/**
 * v5's `mirror: 'publish' | 'both'`: the camera picture that is sent is flipped left to right
 * (the preview's own mirroring is the view's business). Each frame is drawn flipped on a canvas
 * between a MediaStreamTrackProcessor and a MediaStreamTrackGenerator (Chromium-based browsers;
 * elsewhere the camera is sent as it is, with a warning).
 */
import { createLogger } from '../util/Logger.js';
import type { VideoFilter } from './LocalMedia.js';

const log = createLogger('v5-mirror');

interface TrackGenerator extends MediaStreamTrack {
  writable: WritableStream<VideoFrame>;
}
interface InsertableStreams {
  MediaStreamTrackProcessor?: new (init: { track: MediaStreamTrack }) => {
    readable: ReadableStream<VideoFrame>;
  };
  MediaStreamTrackGenerator?: new (init: { kind: 'video' }) => TrackGenerator;
}

function supported(): boolean {
  const g = globalThis as unknown as InsertableStreams;
  return (
    typeof g.MediaStreamTrackProcessor === 'function' &&
    typeof g.MediaStreamTrackGenerator === 'function' &&
    typeof OffscreenCanvas === 'function' &&
    typeof VideoFrame === 'function'
  );
}

/** One camera track's frames, flipped. */
class MirrorPipeline {
  readonly output: TrackGenerator;
  private readonly abort = new AbortController();
  private canvas: OffscreenCanvas | null = null;
  private context: OffscreenCanvasRenderingContext2D | null = null;

  constructor(readonly source: MediaStreamTrack) {
    const g = globalThis as unknown as Required<InsertableStreams>;
    const processor = new g.MediaStreamTrackProcessor({ track: source });
    this.output = new g.MediaStreamTrackGenerator({ kind: 'video' });
    const transform = new TransformStream<VideoFrame, VideoFrame>({
      transform: (frame, controller) => {
        try {
          const flipped = this.flip(frame);
          frame.close();
          controller.enqueue(flipped);
        } catch (error) {
          log.warn(`a frame was sent unflipped: ${String(error)}`);
          controller.enqueue(frame);
        }
      },
    });
    processor.readable
      .pipeThrough(transform, { signal: this.abort.signal })
      .pipeTo(this.output.writable, { signal: this.abort.signal })
      .catch(() => undefined);
  }

  private flip(frame: VideoFrame): VideoFrame {
    const width = frame.displayWidth;
    const height = frame.displayHeight;
    if (!this.canvas || this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas = new OffscreenCanvas(width, height);
      this.context = this.canvas.getContext('2d');
    }
    const g = this.context;
    if (!g) throw new Error('no 2d context');
    g.setTransform(-1, 0, 0, 1, width, 0);
    g.drawImage(frame, 0, 0, width, height);
    return new VideoFrame(this.canvas, {
      timestamp: frame.timestamp,
      ...(frame.duration === null ? {} : { duration: frame.duration }),
    });
  }

  stop(): void {
    this.abort.abort();
    this.output.stop();
  }
}

export class PublishMirror implements VideoFilter {
  private pipeline: MirrorPipeline | null = null;
  private warned = false;

  /** The flipped track for this camera track (the same one while the camera stays). */
  apply(camera: MediaStreamTrack): MediaStreamTrack {
    if (!supported()) {
      if (!this.warned) log.warn("mirror 'publish': this browser cannot flip the sent video");
      this.warned = true;
      return camera;
    }
    if (this.pipeline?.source === camera) return this.pipeline.output;
    this.pipeline?.stop();
    this.pipeline = new MirrorPipeline(camera);
    return this.pipeline.output;
  }

  release(): void {
    this.pipeline?.stop();
    this.pipeline = null;
  }
}
