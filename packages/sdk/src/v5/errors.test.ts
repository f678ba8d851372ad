import { ErrorCode } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { RtcError as V4Error } from '../errors/RtcError.js';
import { ERROR_CODE, errorCodeName, fromV4Error, RtcError } from './errors.js';

describe('v5 RtcError', () => {
  it('has the code table of trtc-v5-api.md §4', () => {
    expect(ERROR_CODE).toEqual({
      INVALID_PARAMETER: 5000,
      INVALID_OPERATION: 5100,
      ENV_NOT_SUPPORTED: 5200,
      DEVICE_ERROR: 5300,
      SERVER_ERROR: 5400,
      OPERATION_FAILED: 5500,
      OPERATION_ABORT: 5998,
      UNKNOWN_ERROR: 5999,
    });
  });

  it("name is the code's key; functionName from fnName; a message is made when none is given", () => {
    const error = new RtcError({ code: 5400, extraCode: 70003, fnName: 'enterRoom' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SERVER_ERROR');
    expect(error.code).toBe(5400);
    expect(error.extraCode).toBe(70003);
    expect(error.functionName).toBe('enterRoom');
    expect(error.message).toBe('enterRoom() failed with SERVER_ERROR (extraCode 70003)');
    expect(error.handler).toBeUndefined();
    expect(errorCodeName(1234)).toBe('UNKNOWN_ERROR');
  });

  it('convertFrom passes a v5 error through and makes anything else UNKNOWN_ERROR', () => {
    const v5 = new RtcError({ code: 5100, extraCode: 5101, fnName: 'x', message: 'm' });
    expect(RtcError.convertFrom(v5)).toBe(v5);
    const odd = RtcError.convertFrom(new TypeError('boom'), 'startLocalVideo');
    expect([odd.code, odd.name, odd.functionName]).toEqual([
      5999,
      'UNKNOWN_ERROR',
      'startLocalVideo',
    ]);
    expect(odd.message).toContain('TypeError: boom');
  });
});

describe('fromV4Error: the engine’s v4 errors as v5 reports them', () => {
  const v4 = (code: number, message: string, extraCode?: number, name?: string): V4Error =>
    new V4Error({
      code,
      message,
      ...(extraCode === undefined ? {} : { extraCode }),
      ...(name === undefined ? {} : { name }),
    });

  it.each([
    [70003, 'malformed userSig'],
    [70009, 'userSig signed with another key'],
    [70001, 'userSig expired'],
    [-8, 'unknown sdkAppId'],
  ])(
    'a userSig refusal (SIGNAL_CHANNEL_SETUP_FAILED %i) is SERVER_ERROR 5400 with it as extraCode',
    (extra, why) => {
      const error = fromV4Error(v4(ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED, why, extra), 'enterRoom');
      expect(error).not.toBeNull();
      expect([error?.code, error?.extraCode, error?.name, error?.functionName]).toEqual([
        5400,
        extra,
        'SERVER_ERROR',
        'enterRoom',
      ]);
      expect(error?.message).toContain(why);
      expect(error?.originError).toBeInstanceOf(V4Error);
    },
  );

  it('a server that cannot be reached (no extraCode) is OPERATION_FAILED, not a server refusal', () => {
    const error = fromV4Error(
      v4(ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED, 'cannot open wss://x/signal'),
      'enterRoom',
    );
    expect([error?.code, error?.extraCode]).toEqual([5500, undefined]);
  });

  it('room refusals and timeouts are SERVER_ERROR (extraCode kept, none for a timeout)', () => {
    const refused = fromV4Error(v4(ErrorCode.JOIN_ROOM_FAILED, 'no privilege', -100006));
    expect([refused?.code, refused?.extraCode]).toEqual([5400, -100006]);
    const timeout = fromV4Error(v4(ErrorCode.SERVER_TIMEOUT, 'join timed out'));
    expect([timeout?.code, timeout?.extraCode]).toEqual([5400, undefined]);
  });

  it('parameter/state errors keep the message; device errors get the DOMException extraCode', () => {
    const bad = fromV4Error(v4(ErrorCode.INVALID_PARAMETER, 'roomId must be ...'));
    expect([bad?.code, bad?.message]).toEqual([5000, 'roomId must be ...']);
    expect(fromV4Error(v4(ErrorCode.INVALID_OPERATION, 'not joined'))?.code).toBe(5100);
    const denied = fromV4Error(
      v4(ErrorCode.INITIALIZE_FAILED, 'denied', undefined, 'NotAllowedError'),
    );
    expect([denied?.code, denied?.extraCode, denied?.name]).toEqual([5300, 5302, 'DEVICE_ERROR']);
    const missing = fromV4Error(
      v4(ErrorCode.DEVICE_NOT_FOUND, 'no camera', undefined, 'NotFoundError'),
    );
    expect([missing?.code, missing?.extraCode]).toEqual([5300, 5301]);
    const busy = fromV4Error(
      v4(ErrorCode.INITIALIZE_FAILED, 'busy', undefined, 'NotReadableError'),
    );
    expect(busy?.extraCode).toBe(5303);
  });

  it('ICE failure 5501, failed reconnection 5502, H.264 missing 5203/5204, the rest OPERATION_FAILED', () => {
    expect(fromV4Error(v4(ErrorCode.ICE_TRANSPORT_ERROR, 'ice failed'))?.extraCode).toBe(5501);
    const rejoin = fromV4Error(v4(ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED, 'gave up'));
    expect([rejoin?.code, rejoin?.extraCode]).toEqual([5500, 5502]);
    expect(fromV4Error(v4(ErrorCode.NOT_SUPPORTED_H264, 'no H.264 encoder'))?.extraCode).toBe(5203);
    expect(fromV4Error(v4(ErrorCode.NOT_SUPPORTED_H264, 'no H.264 decoder'))?.extraCode).toBe(5204);
    expect(fromV4Error(v4(ErrorCode.PLAY_NOT_ALLOWED, 'autoplay'))?.code).toBe(5500);
    expect(fromV4Error(v4(ErrorCode.UNKNOWN, '?'))?.code).toBe(5999);
  });

  it('is null for what is not a v4 error (convertFrom then says UNKNOWN_ERROR)', () => {
    expect(fromV4Error(new Error('x'))).toBeNull();
    expect(fromV4Error('x')).toBeNull();
    expect(fromV4Error(new RtcError({ code: 5000 }))).toBeNull();
  });
});
