import { describe, expect, it } from 'vitest';
import { captureVideoFrame } from './videoFrame.js';

describe('captureVideoFrame', () => {
  it('gives null while the element knows its size but holds no frame yet (no blank picture)', () => {
    // No document here: a capture attempt would throw, so null proves it stopped first.
    expect(captureVideoFrame({ videoWidth: 640, videoHeight: 480, readyState: 1 })).toBeNull();
    expect(captureVideoFrame({ videoWidth: 0, videoHeight: 0, readyState: 4 })).toBeNull();
  });

  it('captures once the element holds a frame', () => {
    expect(() => captureVideoFrame({ videoWidth: 640, videoHeight: 480, readyState: 2 })).toThrow(
      /document/,
    );
  });
});
