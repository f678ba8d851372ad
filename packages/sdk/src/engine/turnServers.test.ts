import { ErrorCode } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { RtcError } from '../errors/RtcError.js';
import { Client } from '../client/Client.js';
import { toIceServers } from './turnServers.js';

function problem(config: unknown): RtcError {
  try {
    toIceServers(config);
  } catch (error) {
    if (error instanceof RtcError) return error;
    throw error;
  }
  throw new Error('expected toIceServers to throw');
}

describe('setTurnServer() descriptions', () => {
  it('maps v4 {url, username, credential} (one or a list) to RTCIceServers', () => {
    expect(
      toIceServers({ url: 'turn:turn.example.com:3478', username: 'u', credential: 'p' }),
    ).toEqual([{ urls: 'turn:turn.example.com:3478', username: 'u', credential: 'p' }]);
    expect(
      toIceServers([
        {
          url: 'turns:turn.example.com:443?transport=tcp',
          username: 'u',
          credential: 'p',
          credentialType: 'password',
        },
        { url: 'stun:stun.example.com:3478' },
      ]),
    ).toEqual([
      { urls: 'turns:turn.example.com:443?transport=tcp', username: 'u', credential: 'p' },
      { urls: 'stun:stun.example.com:3478' },
    ]);
    expect(toIceServers([])).toEqual([]);
  });

  it('rejects unusable descriptions with INVALID_PARAMETER saying what is wrong', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /needs \{url, username, credential\}, got null/],
      ['turn:x', /got string/],
      [{ urls: 'turn:x', username: 'u', credential: 'p' }, /url must be a turn:.*got undefined/],
      [{ url: 'http://x', username: 'u', credential: 'p' }, /url must be .*"http:\/\/x"/],
      [{ url: 'turn:x' }, /a TURN server needs username and credential/],
      [{ url: 'turn:x', username: 1, credential: 'p' }, /username must be a string/],
      [
        { url: 'turn:x', username: 'u', credential: 'p', credentialType: 'oauth' },
        /credentialType must be 'password'/,
      ],
      [[{ url: 'stun:x' }, { url: 'ftp:x' }], /entry 1: url must be/],
    ];
    for (const [config, message] of cases) {
      const error = problem(config);
      expect(error.getCode()).toBe(ErrorCode.INVALID_PARAMETER);
      expect(error.message).toMatch(message);
    }
  });

  it('is a Client method that throws synchronously on a bad description', () => {
    const client = new Client({ mode: 'rtc', sdkAppId: 1, userId: 'a', userSig: 's' });
    expect(() =>
      client.setTurnServer({ url: 'turn:turn.example.com', username: 'u', credential: 'p' }),
    ).not.toThrow();
    expect(() => client.setTurnServer({ url: 'nope' })).toThrow(RtcError);
  });
});
