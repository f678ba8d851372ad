import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { checkSeiArgs, fromBase64, toBase64 } from './sei.js';

const code = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof RtcError ? error.code : undefined;
  }
  return undefined;
};

describe('checkSeiArgs', () => {
  it('takes an ArrayBuffer or a view (only the viewed bytes), default payload type 243', () => {
    expect(checkSeiArgs(new Uint8Array([1, 2]).buffer, undefined)).toEqual({
      bytes: new Uint8Array([1, 2]),
      payloadType: 243,
    });
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    expect(checkSeiArgs(view, { seiPayloadType: 5 })).toEqual({
      bytes: new Uint8Array([1, 2, 3]),
      payloadType: 5,
    });
  });

  it('refuses other input with INVALID_PARAMETER', () => {
    expect(code(() => checkSeiArgs('text', undefined))).toBe(ErrorCode.INVALID_PARAMETER);
    expect(code(() => checkSeiArgs(new ArrayBuffer(0), undefined))).toBe(
      ErrorCode.INVALID_PARAMETER,
    );
    expect(code(() => checkSeiArgs(new ArrayBuffer(1001), undefined))).toBe(
      ErrorCode.INVALID_PARAMETER,
    );
    expect(code(() => checkSeiArgs(new ArrayBuffer(1), { seiPayloadType: 6 }))).toBe(
      ErrorCode.INVALID_PARAMETER,
    );
    expect(code(() => checkSeiArgs(new ArrayBuffer(1000), null))).toBeUndefined();
  });
});

describe('base64', () => {
  it('round-trips every byte value', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = toBase64(bytes);
    expect(text).toBe(Buffer.from(bytes).toString('base64'));
    expect(new Uint8Array(fromBase64(text))).toEqual(bytes);
  });
});
