import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../configError.js';
import { iceServersFor, loadIceTcp, loadTurnConfig } from './turnConfig.js';

describe('loadTurnConfig', () => {
  it('is undefined without PARLEY_TURN_URLS', () => {
    expect(loadTurnConfig({})).toBeUndefined();
  });

  it('reads URLs with REST credentials and a TTL', () => {
    expect(
      loadTurnConfig({
        PARLEY_TURN_URLS: 'turn:turn.example.com:3478?transport=udp, turns:turn.example.com:443',
        PARLEY_TURN_SECRET: 's3cret',
        PARLEY_TURN_TTL: '600',
      }),
    ).toEqual({
      urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:443'],
      secret: 's3cret',
      ttlSeconds: 600,
    });
  });

  it.each([
    [{ PARLEY_TURN_URLS: 'http://x' }, /turn:, turns:/],
    [{ PARLEY_TURN_URLS: 'turn:x' }, /need credentials/],
    [{ PARLEY_TURN_SECRET: 's' }, /need PARLEY_TURN_URLS/],
    [{ PARLEY_TURN_URLS: 'turn:x', PARLEY_TURN_USERNAME: 'u' }, /both/],
    [
      {
        PARLEY_TURN_URLS: 'turn:x',
        PARLEY_TURN_SECRET: 's',
        PARLEY_TURN_USERNAME: 'u',
        PARLEY_TURN_CREDENTIAL: 'c',
      },
      /not both/,
    ],
    [
      { PARLEY_TURN_URLS: 'turn:x', PARLEY_TURN_SECRET: 's', PARLEY_TURN_TTL: '5' },
      /PARLEY_TURN_TTL/,
    ],
  ])('refuses %j', (env, message) => {
    expect(() => loadTurnConfig(env)).toThrow(ConfigError);
    expect(() => loadTurnConfig(env)).toThrow(message);
  });

  it('accepts STUN alone without credentials', () => {
    expect(loadTurnConfig({ PARLEY_TURN_URLS: 'stun:stun.example.com' })?.urls).toEqual([
      'stun:stun.example.com',
    ]);
  });
});

describe('iceServersFor', () => {
  it('makes coturn REST credentials: expiry:user and its HMAC-SHA1 under the secret', () => {
    const config = loadTurnConfig({
      PARLEY_TURN_URLS: 'turn:t:3478',
      PARLEY_TURN_SECRET: 'abc',
      PARLEY_TURN_TTL: '3600',
    })!;
    const [server] = iceServersFor(config, 'alice', 1_000_000_000_000);
    expect(server!.username).toBe('1000003600:alice');
    expect(server!.credential).toBe(
      createHmac('sha1', 'abc').update('1000003600:alice').digest('base64'),
    );
    expect(server!.urls).toEqual(['turn:t:3478']);
  });

  it('hands out static credentials as they are', () => {
    const config = loadTurnConfig({
      PARLEY_TURN_URLS: 'turn:t',
      PARLEY_TURN_USERNAME: 'u',
      PARLEY_TURN_CREDENTIAL: 'c',
    })!;
    expect(iceServersFor(config, 'bob')).toEqual([
      { urls: ['turn:t'], username: 'u', credential: 'c' },
    ]);
  });
});

describe('loadIceTcp', () => {
  it('is on by default and reads on/off', () => {
    expect(loadIceTcp({})).toBe(true);
    expect(loadIceTcp({ PARLEY_ICE_TCP: 'off' })).toBe(false);
    expect(loadIceTcp({ PARLEY_ICE_TCP: '1' })).toBe(true);
    expect(() => loadIceTcp({ PARLEY_ICE_TCP: 'maybe' })).toThrow(ConfigError);
  });
});
