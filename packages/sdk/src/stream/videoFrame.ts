/** `stream.getVideoFrame()`: the picture a video element currently shows, as a PNG data URL. */

/** HTMLMediaElement.HAVE_CURRENT_DATA: the element holds a frame it can show. */
const HAVE_CURRENT_DATA = 2;

/**
 * Null while the element has no decoded frame yet or the canvas is unavailable. The size
 * alone is not enough: it is known from the metadata before the first frame is, and drawing
 * then gives a blank picture.
 */
export function captureVideoFrame(
  video: Pick<HTMLVideoElement, 'videoWidth' | 'videoHeight' | 'readyState'>,
): string | null {
  const { videoWidth: width, videoHeight: height } = video;
  if (width === 0 || height === 0 || video.readyState < HAVE_CURRENT_DATA) return null;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return null;
  // The source pixels, unmirrored and at their own size, whatever the element's CSS.
  context.drawImage(video as HTMLVideoElement, 0, 0, width, height);
  return canvas.toDataURL('image/png');
}
