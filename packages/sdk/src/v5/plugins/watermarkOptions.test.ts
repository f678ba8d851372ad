import { describe, expect, it } from 'vitest';
import { checkWatermarkOptions, watermarkBox } from './watermarkOptions.js';

function errorOf(run: () => unknown): { code?: number; extraCode?: number; message: string } {
  try {
    run();
  } catch (error) {
    return error as { code: number; extraCode?: number; message: string };
  }
  throw new Error('did not throw');
}

describe('Watermark options', () => {
  it("v5's checks: imageUrl required, size a keyword, a scale in (0, 1] or a box", () => {
    expect(errorOf(() => checkWatermarkOptions({}, 'startPlugin'))).toMatchObject({
      code: 5000,
      extraCode: 5001,
    });
    expect(
      errorOf(() => checkWatermarkOptions({ imageUrl: 'a.png', size: 'big' }, 'f')),
    ).toMatchObject({
      code: 5000,
      extraCode: 5002,
    });
    expect(
      errorOf(() => checkWatermarkOptions({ imageUrl: 'a.png', size: 1.5 }, 'f')),
    ).toMatchObject({
      code: 5000,
      extraCode: 5005,
    });
    expect(
      errorOf(() => checkWatermarkOptions({ imageUrl: 'a.png', size: { width: 10 } }, 'f')),
    ).toMatchObject({ code: 5000, extraCode: 5002 });
    expect(checkWatermarkOptions({ imageUrl: 'a.png' }, 'f')).toEqual({
      imageUrl: 'a.png',
      x: 0,
      y: 0,
      size: 'cover',
    });
  });

  it('places the image as v5 does: cover, contain, a scale, a box', () => {
    // A 100×50 image on a 640×480 frame.
    expect(watermarkBox({ x: 0, y: 0, size: 'cover' }, 640, 480, 100, 50)).toEqual({
      x: 0,
      y: 0,
      width: 960,
      height: 480,
    });
    expect(watermarkBox({ x: 0, y: 0, size: 'contain' }, 640, 480, 100, 50)).toEqual({
      x: 0,
      y: 0,
      width: 640,
      height: 320,
    });
    expect(watermarkBox({ x: 10, y: 20, size: 0.5 }, 640, 480, 100, 50)).toEqual({
      x: 10,
      y: 20,
      width: 50,
      height: 25,
    });
    expect(
      watermarkBox({ x: 5, y: 5, size: { width: 64, height: 48 } }, 640, 480, 100, 50),
    ).toEqual({
      x: 5,
      y: 5,
      width: 64,
      height: 48,
    });
  });
});
