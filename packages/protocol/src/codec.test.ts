import { describe, expect, it } from 'vitest';
import {
  ProtocolError,
  decodeFrame,
  encodeRequest,
  utf8Length,
  validateClientRequest,
  validateServerNotification,
} from './codec.js';
import { ErrorCode, ProtocolErrorCode } from './errorCodes.js';
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './messages.js';

function refusal(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}

const join = {
  protocolVersion: PROTOCOL_VERSION,
  sdkVersion: '4.15.22-parley',
  sdkAppId: 1400000000,
  userId: 'alice',
  userSig: 'sig',
  room: { kind: 'number', id: 123 },
  mode: 'rtc',
  role: 'anchor',
  autoSubscribe: true,
};

describe('decodeFrame', () => {
  it('accepts the three envelope kinds', () => {
    expect(decodeFrame(encodeRequest(1, 'join', join))).toMatchObject({
      type: 'req',
      id: 1,
      method: 'join',
    });
    expect(decodeFrame('{"type":"res","id":1,"ok":true,"data":{}}')).toMatchObject({ ok: true });
    expect(
      decodeFrame('{"type":"res","id":1,"ok":false,"error":{"code":4097,"message":"no"}}'),
    ).toMatchObject({ ok: false });
    expect(decodeFrame('{"type":"ntf","method":"peer-join","data":{}}')).toMatchObject({
      type: 'ntf',
    });
  });

  it('refuses junk, keeping the request id when it can be read', () => {
    expect(refusal(() => decodeFrame('nope')).payload.extraCode).toBe(
      ProtocolErrorCode.MALFORMED_MESSAGE,
    );
    const bad = refusal(() => decodeFrame('{"type":"req","id":9,"method":5}'));
    expect(bad.requestId).toBe(9);
    expect(bad.payload.code).toBe(ErrorCode.INVALID_PARAMETER);
  });

  it('refuses frames over the size limit without parsing them', () => {
    const big = `{"type":"req","id":42,"method":"ping","data":{"x":"${'a'.repeat(MAX_MESSAGE_BYTES)}"}}`;
    const error = refusal(() => decodeFrame(big));
    expect(error.payload.extraCode).toBe(ProtocolErrorCode.MESSAGE_TOO_LARGE);
    expect(error.requestId).toBe(42);
  });

  it('counts UTF-8 bytes, not UTF-16 units', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
  });
});

describe('method validation', () => {
  it('validates request data by method and says which field is wrong', () => {
    const ok = validateClientRequest({ type: 'req', id: 1, method: 'join', data: join });
    expect(ok.method).toBe('join');
    const error = refusal(() =>
      validateClientRequest({
        type: 'req',
        id: 2,
        method: 'join',
        data: { ...join, room: { kind: 'number', id: 'x' } },
      }),
    );
    expect(error.payload.message).toMatch(/room/);
    expect(error.requestId).toBe(2);
  });

  it('refuses unknown methods and prototype keys', () => {
    expect(
      refusal(() => validateClientRequest({ type: 'req', id: 1, method: 'nuke', data: {} })).payload
        .message,
    ).toMatch(/unknown method/);
    expect(() =>
      validateClientRequest({ type: 'req', id: 1, method: 'toString', data: {} }),
    ).toThrow(ProtocolError);
  });

  it('validates server notifications for the SDK', () => {
    const ntf = validateServerNotification({
      type: 'ntf',
      method: 'peer-leave',
      data: { userId: 'bob', reason: 'timeout' },
    });
    expect(ntf.data).toEqual({ userId: 'bob', reason: 'timeout' });
    expect(() =>
      validateServerNotification({
        type: 'ntf',
        method: 'peer-leave',
        data: { userId: 'bob', reason: 'x' },
      }),
    ).toThrow(ProtocolError);
  });

  it('carries refusals without a request to answer as an `error` notification', () => {
    const data = {
      code: ErrorCode.INVALID_OPERATION,
      extraCode: ProtocolErrorCode.RATE_LIMITED,
      message: 'too many messages',
    };
    expect(validateServerNotification({ type: 'ntf', method: 'error', data }).data).toEqual(data);
    expect(() =>
      validateServerNotification({ type: 'ntf', method: 'error', data: { code: 'x' } }),
    ).toThrow(ProtocolError);
  });
});
