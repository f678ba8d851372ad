import { describe, expect, it } from 'vitest';
import {
  ProtocolError,
  validateClientRequest,
  validateClientRequestResult,
  validateServerNotification,
} from './codec.js';
import { LogUploadSchema, MAX_LOG_LINES_PER_UPLOAD } from './logs.js';
import { MAX_SEI_BYTES } from './messages.js';

const req = (method: string, data: unknown) => ({ type: 'req' as const, id: 1, method, data });
const b64 = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');
const refused = (fn: () => unknown): boolean => {
  try {
    fn();
    return false;
  } catch (error) {
    if (error instanceof ProtocolError) return true;
    throw error;
  }
};

describe('switch-role', () => {
  it('takes anchor or audience only', () => {
    expect(validateClientRequest(req('switch-role', { role: 'audience' })).data).toEqual({
      role: 'audience',
    });
    expect(refused(() => validateClientRequest(req('switch-role', { role: 'host' })))).toBe(true);
  });
});

describe('remote-video-type', () => {
  it('takes big or small for a user and stream type', () => {
    const data = { userId: 'u1', streamType: 'main', type: 'small' };
    expect(validateClientRequest(req('remote-video-type', data)).data).toEqual(data);
    for (const bad of [
      { ...data, type: 'medium' },
      { ...data, userId: '' },
      { ...data, streamType: 'screen' },
      { userId: 'u1', streamType: 'main' },
    ]) {
      expect(refused(() => validateClientRequest(req('remote-video-type', bad)))).toBe(true);
    }
  });
});

describe('sei', () => {
  it(`carries 1 to ${MAX_SEI_BYTES} bytes of canonical base64 with payload type 5 or 243`, () => {
    for (const bytes of [1, 2, 3, 999, MAX_SEI_BYTES]) {
      expect(
        validateClientRequest(req('sei', { payloadType: 243, data: b64(bytes) })).data,
      ).toEqual({
        payloadType: 243,
        data: b64(bytes),
      });
    }
    for (const data of [
      b64(MAX_SEI_BYTES + 1),
      b64(MAX_SEI_BYTES + 2),
      '',
      'AQI',
      'AQ==AQ==',
      'A?==',
    ]) {
      expect(
        refused(() => validateClientRequest(req('sei', { payloadType: 243, data }))),
        data,
      ).toBe(true);
    }
    expect(refused(() => validateClientRequest(req('sei', { payloadType: 6, data: 'AQID' })))).toBe(
      true,
    );
  });

  it('is relayed as sei-message with the sender', () => {
    const ntf = {
      type: 'ntf' as const,
      method: 'sei-message',
      data: { userId: 'a', payloadType: 5, data: 'AQID' },
    };
    expect(validateServerNotification(ntf).data).toEqual(ntf.data);
  });
});

describe('join result', () => {
  const result = {
    participants: [],
    sessionId: 's',
    resumeToken: 'r',
    heartbeatMs: 2000,
    sessionTimeoutMs: 9000,
  };
  it('may carry a log token (servers without log upload omit it)', () => {
    expect(validateClientRequestResult('join', result)).toEqual(result);
    expect(validateClientRequestResult('join', { ...result, logToken: 't' })).toMatchObject({
      logToken: 't',
    });
  });
});

describe('log upload', () => {
  const line = { time: 1, level: 'info', tag: 'client', message: 'hi' };
  it(`takes 1 to ${MAX_LOG_LINES_PER_UPLOAD} lines with known levels`, () => {
    expect(LogUploadSchema.safeParse({ token: 't', lines: [line] }).success).toBe(true);
    expect(LogUploadSchema.safeParse({ lines: [] }).success).toBe(false);
    expect(
      LogUploadSchema.safeParse({ lines: Array(MAX_LOG_LINES_PER_UPLOAD + 1).fill(line) }).success,
    ).toBe(false);
    expect(LogUploadSchema.safeParse({ lines: [{ ...line, level: 'loud' }] }).success).toBe(false);
  });
});
