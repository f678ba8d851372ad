import { describe, expect, it } from 'vitest';
import { isH264KeyframeStart, isVp8KeyframeStart, keyframeDetectorFor } from './keyframe.js';

describe('isVp8KeyframeStart', () => {
  it('detects a keyframe start without extensions', () => {
    // S=1, PID=0; payload header byte with P=0 (keyframe).
    expect(isVp8KeyframeStart(Uint8Array.from([0x10, 0x00, 0x9d, 0x01, 0x2a]))).toBe(true);
  });
  it('rejects an interframe', () => {
    expect(isVp8KeyframeStart(Uint8Array.from([0x10, 0x01, 0x00]))).toBe(false);
  });
  it('rejects a continuation packet of a keyframe', () => {
    expect(isVp8KeyframeStart(Uint8Array.from([0x00, 0x00, 0x00]))).toBe(false);
  });
  it('skips a two-byte picture id, TL0PICIDX and TID before the payload header', () => {
    // X=1,S=1 | I=1,L=1,T=1 | M=1 picture id (2 bytes) | tl0 | tid | payload header P=0
    const keyframe = Uint8Array.from([0x90, 0xe0, 0x80 | 0x12, 0x34, 0x05, 0x20, 0x00]);
    expect(isVp8KeyframeStart(keyframe)).toBe(true);
    const delta = Uint8Array.from([0x90, 0xe0, 0x80 | 0x12, 0x34, 0x05, 0x20, 0x01]);
    expect(isVp8KeyframeStart(delta)).toBe(false);
  });
  it('handles truncated packets', () => {
    expect(isVp8KeyframeStart(Uint8Array.from([0x90]))).toBe(false);
    expect(isVp8KeyframeStart(new Uint8Array())).toBe(false);
  });
});

describe('isH264KeyframeStart', () => {
  it('detects IDR and SPS NAL units', () => {
    expect(isH264KeyframeStart(Uint8Array.from([0x65, 0x88]))).toBe(true);
    expect(isH264KeyframeStart(Uint8Array.from([0x67, 0x42]))).toBe(true);
    expect(isH264KeyframeStart(Uint8Array.from([0x41, 0x9a]))).toBe(false);
  });
  it('looks inside STAP-A', () => {
    expect(
      isH264KeyframeStart(Uint8Array.from([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x01, 0x68])),
    ).toBe(true);
    expect(isH264KeyframeStart(Uint8Array.from([0x78, 0x00, 0x02, 0x41, 0x42]))).toBe(false);
  });
  it('uses the FU-A start bit', () => {
    expect(isH264KeyframeStart(Uint8Array.from([0x7c, 0x85]))).toBe(true);
    expect(isH264KeyframeStart(Uint8Array.from([0x7c, 0x05]))).toBe(false);
  });
});

describe('keyframeDetectorFor', () => {
  it('knows video codecs and treats audio as independent packets', () => {
    expect(keyframeDetectorFor('video/VP8')).toBe(isVp8KeyframeStart);
    expect(keyframeDetectorFor('video/H264')).toBe(isH264KeyframeStart);
    expect(keyframeDetectorFor('audio/opus')).toBeNull();
  });
});
