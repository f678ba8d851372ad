/**
 * v5's Watermark plugin: an image drawn over the camera picture that is sent (the local
 * preview keeps the plain camera, as v5's does). Each camera frame is read
 * (MediaStreamTrackProcessor), drawn with the image on a canvas and written to a generated
 * track (MediaStreamTrackGenerator), which LocalMedia sends in place of the camera with
 * replaceTrack: no renegotiation. `stopPlugin` puts the camera track back.
 */
import { createLogger } from '../../util/Logger.js';
import { ERROR_CODE, EXTRA_CODE, RtcError } from '../errors.js';
import type { VideoFilter } from '../LocalMedia.js';
import type { PluginHost, V5Plugin } from './registry.js';
import { checkWatermarkOptions, watermarkBox, type WatermarkSettings } from './watermarkOptions.js';

const log = createLogger('v5-watermark');

/** How long loading the image may take. */
const IMAGE_TIMEOUT_MS = 10_000;

// Chromium's insertable streams for the main thread (not in TypeScript's DOM library).
interface TrackProcessor {
  readable: ReadableStream<VideoFrame>;
}
interface TrackGenerator extends MediaStreamTrack {
  writable: WritableStream<VideoFrame>;
}
interface InsertableStreams {
  MediaStreamTrackProcessor?: new (init: { track: MediaStreamTrack }) => TrackProcessor;
  MediaStreamTrackGenerator?: new (init: { kind: 'video' }) => TrackGenerator;
}

/** Whether this browser can process the camera's frames on the page. */
export function watermarkSupported(): boolean {
  const g = globalThis as unknown as InsertableStreams;
  return (
    typeof g.MediaStreamTrackProcessor === 'function' &&
    typeof g.MediaStreamTrackGenerator === 'function' &&
    typeof OffscreenCanvas === 'function' &&
    typeof VideoFrame === 'function'
  );
}

/** One camera track's frames with the image on them. */
class WatermarkPipeline {
  readonly output: TrackGenerator;
  private readonly abort = new AbortController();
  private canvas: OffscreenCanvas | null = null;
  private context: OffscreenCanvasRenderingContext2D | null = null;

  constructor(
    readonly source: MediaStreamTrack,
    private settings: WatermarkSettings,
    private image: ImageBitmap,
  ) {
    const g = globalThis as unknown as Required<InsertableStreams>;
    const processor = new g.MediaStreamTrackProcessor({ track: source });
    this.output = new g.MediaStreamTrackGenerator({ kind: 'video' });
    const transform = new TransformStream<VideoFrame, VideoFrame>({
      transform: (frame, controller) => {
        let out: VideoFrame | null = null;
        try {
          out = this.draw(frame);
        } catch (error) {
          log.warn(`watermark: a frame was sent without the image: ${String(error)}`);
        }
        if (out) {
          frame.close();
          controller.enqueue(out);
        } else controller.enqueue(frame);
      },
    });
    processor.readable
      .pipeThrough(transform, { signal: this.abort.signal })
      .pipeTo(this.output.writable, { signal: this.abort.signal })
      .catch(() => undefined);
  }

  update(settings: WatermarkSettings, image: ImageBitmap): void {
    this.settings = settings;
    this.image = image;
  }

  private draw(frame: VideoFrame): VideoFrame {
    const width = frame.displayWidth;
    const height = frame.displayHeight;
    if (!this.canvas || this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas = new OffscreenCanvas(width, height);
      this.context = this.canvas.getContext('2d');
    }
    const g = this.context;
    if (!g) throw new Error('no 2d context');
    g.drawImage(frame, 0, 0, width, height);
    const box = watermarkBox(this.settings, width, height, this.image.width, this.image.height);
    g.drawImage(this.image, box.x, box.y, box.width, box.height);
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

export class WatermarkPlugin implements V5Plugin {
  private settings: WatermarkSettings | null = null;
  private image: ImageBitmap | null = null;
  private pipeline: WatermarkPipeline | null = null;
  private readonly filter: VideoFilter = {
    apply: (camera) => this.outputFor(camera),
  };

  constructor(private readonly host: PluginHost) {}

  async start(options: unknown): Promise<void> {
    await this.apply(options, 'startPlugin');
  }

  async update(options: unknown): Promise<void> {
    await this.apply(options, 'updatePlugin');
  }

  async stop(): Promise<void> {
    if (!this.settings) return;
    this.settings = null;
    await this.host.local.setVideoFilter(null);
    this.release();
  }

  destroy(): void {
    this.settings = null;
    this.release();
  }

  private async apply(options: unknown, fnName: string): Promise<void> {
    const settings = checkWatermarkOptions(options, fnName);
    if (!this.host.local.has('video')) {
      throw new RtcError({
        code: ERROR_CODE.INVALID_OPERATION,
        extraCode: EXTRA_CODE.INVALID_OPERATION_NEED_VIDEO,
        message: `${fnName}('Watermark') draws on the camera: call startLocalVideo() first`,
        fnName,
      });
    }
    if (!watermarkSupported()) {
      throw new RtcError({
        code: ERROR_CODE.ENV_NOT_SUPPORTED,
        extraCode: EXTRA_CODE.NOT_SUPPORTED_PLUGIN,
        message:
          'Watermark needs MediaStreamTrackProcessor and MediaStreamTrackGenerator (Chromium-based browsers)',
        fnName,
      });
    }
    const image = await loadImage(settings.imageUrl, fnName);
    const previous = this.image;
    this.settings = settings;
    this.image = image;
    this.pipeline?.update(settings, image);
    previous?.close();
    await this.host.local.setVideoFilter(this.filter);
  }

  /** The generated track for this camera track (a new camera: a new pipeline). */
  private outputFor(camera: MediaStreamTrack): MediaStreamTrack {
    if (!this.settings || !this.image) return camera;
    if (this.pipeline?.source === camera) return this.pipeline.output;
    this.pipeline?.stop();
    this.pipeline = new WatermarkPipeline(camera, this.settings, this.image);
    return this.pipeline.output;
  }

  private release(): void {
    this.pipeline?.stop();
    this.pipeline = null;
    this.image?.close();
    this.image = null;
  }
}

/** The image, decoded (v5: a failure is INVALID_PARAMETER naming the URL). */
async function loadImage(url: string, fnName: string): Promise<ImageBitmap> {
  const failed = (why: string): RtcError =>
    new RtcError({
      code: ERROR_CODE.INVALID_PARAMETER,
      message: `load image failed, url: ${url} (${why})`,
      fnName,
    });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), IMAGE_TIMEOUT_MS);
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok) throw failed(`HTTP ${response.status}`);
    return await createImageBitmap(await response.blob());
  } catch (error) {
    if (error instanceof RtcError) throw error;
    throw failed(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}
