/** `stream.getVideoFrame()`: the picture a video element currently shows, as a PNG data URL. */

/** Null while the element has no decoded frame yet (no size) or the canvas is unavailable. */
export function captureVideoFrame(video: HTMLVideoElement): string | null {
  const { videoWidth: width, videoHeight: height } = video;
  if (width === 0 || height === 0) return null;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return null;
  // The source pixels, unmirrored and at their own size, whatever the element's CSS.
  context.drawImage(video, 0, 0, width, height);
  return canvas.toDataURL('image/png');
}
