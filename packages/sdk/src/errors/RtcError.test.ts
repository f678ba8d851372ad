import { describe, expect, it } from 'vitest';
import { ErrorCode, RtcError, errorCodeName } from './RtcError.js';

describe('RtcError', () => {
  it('has the TRTC v4 codes', () => {
    expect(ErrorCode.INVALID_PARAMETER).toBe(0x1000);
    expect(ErrorCode.INVALID_OPERATION).toBe(0x1001);
    expect(ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED).toBe(0x4001);
    expect(ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED).toBe(0x4006);
    expect(ErrorCode.REMOTE_STREAM_NOT_EXIST).toBe(0x4010);
    expect(ErrorCode.CLIENT_BANNED).toBe(0x4040);
    expect(ErrorCode.SERVER_TIMEOUT).toBe(0x4041);
    expect(ErrorCode.SUBSCRIPTION_TIMEOUT).toBe(0x4042);
    expect(ErrorCode.PLAY_NOT_ALLOWED).toBe(0x4043);
    expect(ErrorCode.API_CALL_TIMEOUT).toBe(0x404b);
    expect(ErrorCode.UNKNOWN).toBe(0xffff);
  });

  it('exposes code, extraCode, message and name like v4', () => {
    const error = new RtcError({ code: 0x4001, extraCode: 70001, message: 'userSig expired' });
    expect(error).toBeInstanceOf(Error);
    expect(error.getCode()).toBe(0x4001);
    expect(error.getExtraCode()).toBe(70001);
    expect(error.message).toBe('userSig expired');
    expect(error.name).toBe('RtcError');
    expect(String(error)).toContain('SIGNAL_CHANNEL_SETUP_FAILED');
    expect(String(error)).toContain('70001');
  });

  it('keeps a browser error name when given (getUserMedia failures)', () => {
    const error = new RtcError({ code: 0x1004, message: 'denied', name: 'NotAllowedError' });
    expect(error.name).toBe('NotAllowedError');
    expect(error.getExtraCode()).toBeUndefined();
  });

  it('builds one from a server error payload verbatim', () => {
    const error = RtcError.fromPayload({
      code: 0x4004,
      extraCode: -100006,
      message: 'no privilege',
    });
    expect([error.getCode(), error.getExtraCode(), error.message]).toEqual([
      0x4004,
      -100006,
      'no privilege',
    ]);
  });

  it('wraps foreign errors and passes RtcErrors through', () => {
    const original = RtcError.invalidParameter('bad');
    expect(RtcError.wrap(original, 0xffff, 'ctx')).toBe(original);
    const wrapped = RtcError.wrap(new TypeError('boom'), 0x4005, 'creating the offer');
    expect(wrapped.getCode()).toBe(0x4005);
    expect(wrapped.message).toBe('creating the offer: TypeError: boom');
    expect(wrapped.cause).toBeInstanceOf(TypeError);
  });

  it('has a factory per common code', () => {
    expect(RtcError.invalidOperation('x').getCode()).toBe(0x1001);
    expect(RtcError.remoteStreamNotExist('x').getCode()).toBe(0x4010);
    expect(RtcError.playNotAllowed('x').getCode()).toBe(0x4043);
    expect(RtcError.reconnectionFailed('x', 5).getExtraCode()).toBe(5);
    expect(errorCodeName(0x4042)).toBe('SUBSCRIPTION_TIMEOUT');
    expect(errorCodeName(0x1234)).toBe('0x1234');
  });
});
