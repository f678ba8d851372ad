/**
 * v5's Watermark options (`{ imageUrl, x, y, size }`): their checks, with v5's codes, and
 * where the image goes on a frame, as trtc-sdk-v5 5.17.1's plugin places it: at (x, y) in
 * the camera's pixels; `size` 'cover' (the default) scales the image to cover the whole
 * frame, 'contain' to fit inside it, a number in (0, 1] scales the image's own size, and
 * `{ width, height }` sets it; what passes the frame's edge is cut off.
 */
import { ERROR_CODE, EXTRA_CODE, RtcError } from '../errors.js';

export type WatermarkSize = 'cover' | 'contain' | number | { width: number; height: number };

export interface WatermarkSettings {
  imageUrl: string;
  x: number;
  y: number;
  size: WatermarkSize;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function bad(message: string, fnName: string, extraCode?: number): RtcError {
  return new RtcError({
    code: ERROR_CODE.INVALID_PARAMETER,
    ...(extraCode === undefined ? {} : { extraCode }),
    message,
    fnName,
  });
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Checks `options` as v5 does for start and update; the message names the field. */
export function checkWatermarkOptions(options: unknown, fnName: string): WatermarkSettings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw bad(
      `'WatermarkOptions' is a required param when calling ${fnName}(), received: ${String(options)}`,
      fnName,
      EXTRA_CODE.INVALID_PARAMETER_REQUIRED,
    );
  }
  const o = options as Record<string, unknown>;
  if (typeof o.imageUrl !== 'string' || o.imageUrl === '') {
    throw bad(
      `'imageUrl' is a required string when calling ${fnName}('Watermark'), received: ${JSON.stringify(o.imageUrl)}`,
      fnName,
      o.imageUrl === undefined
        ? EXTRA_CODE.INVALID_PARAMETER_REQUIRED
        : EXTRA_CODE.INVALID_PARAMETER_TYPE,
    );
  }
  for (const key of ['x', 'y'] as const) {
    if (o[key] !== undefined && !isNumber(o[key])) {
      throw bad(
        `'${key}' must be type of number when calling ${fnName}('Watermark'), received: ${JSON.stringify(o[key])}`,
        fnName,
        EXTRA_CODE.INVALID_PARAMETER_TYPE,
      );
    }
  }
  return {
    imageUrl: o.imageUrl,
    x: (o.x as number | undefined) ?? 0,
    y: (o.y as number | undefined) ?? 0,
    size: checkSize(o.size, fnName),
  };
}

function checkSize(size: unknown, fnName: string): WatermarkSize {
  if (size === undefined) return 'cover';
  if (typeof size === 'string') {
    if (size === 'cover' || size === 'contain') return size;
    throw bad(
      `The size parameter must be 'contain' or 'cover', got ${JSON.stringify(size)}`,
      fnName,
      EXTRA_CODE.INVALID_PARAMETER_TYPE,
    );
  }
  if (typeof size === 'number') {
    if (!(size > 0 && size <= 1)) {
      throw bad(
        `The size parameter, a scale of the image, must be in (0, 1], got ${size}`,
        fnName,
        EXTRA_CODE.INVALID_PARAMETER_RANGE,
      );
    }
    return size;
  }
  if (typeof size === 'object' && size !== null) {
    const { width, height } = size as { width?: unknown; height?: unknown };
    if (!isNumber(width) || !isNumber(height) || width === 0 || height === 0) {
      throw bad(
        'The size parameter must be an object with width and height properties',
        fnName,
        EXTRA_CODE.INVALID_PARAMETER_TYPE,
      );
    }
    if (width < 0 || height < 0) {
      throw bad(
        `The size parameter's width and height must be greater than 0, got ${width}×${height}`,
        fnName,
        EXTRA_CODE.INVALID_PARAMETER_RANGE,
      );
    }
    return { width, height };
  }
  throw bad(
    `The size parameter must be 'contain', 'cover', a number or { width, height }, got ${JSON.stringify(size)}`,
    fnName,
    EXTRA_CODE.INVALID_PARAMETER_TYPE,
  );
}

/** Where the image (`imageWidth`×`imageHeight`) is drawn on a `frameWidth`×`frameHeight` frame. */
export function watermarkBox(
  settings: Pick<WatermarkSettings, 'x' | 'y' | 'size'>,
  frameWidth: number,
  frameHeight: number,
  imageWidth: number,
  imageHeight: number,
): Box {
  const { size } = settings;
  let width = imageWidth;
  let height = imageHeight;
  if (typeof size === 'number') {
    width = imageWidth * size;
    height = imageHeight * size;
  } else if (typeof size === 'object') {
    width = size.width;
    height = size.height;
  } else {
    const aspect = imageWidth / imageHeight;
    const wider = aspect > frameWidth / frameHeight;
    // cover: the image covers the frame; contain: it fits inside it (aspect kept both ways).
    const fitHeight = size === 'cover' ? wider : !wider;
    if (fitHeight) {
      height = frameHeight;
      width = frameHeight * aspect;
    } else {
      width = frameWidth;
      height = frameWidth / aspect;
    }
  }
  return { x: settings.x, y: settings.y, width, height };
}
