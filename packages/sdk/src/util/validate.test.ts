import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@parley/protocol';
import { buildJoinData, checkSubscribeOptions } from './validate.js';
import { resolveAudioProfile, resolveVideoProfile } from '../profiles.js';

const config = { mode: 'videoCall', sdkAppId: 1400000000, userId: 'alice', userSig: 'sig' };

describe('buildJoinData', () => {
  it('maps v4 modes and defaults to the join request', () => {
    expect(buildJoinData(config, { roomId: 8 }, '4.x')).toEqual({
      protocolVersion: PROTOCOL_VERSION,
      sdkVersion: '4.x',
      sdkAppId: 1400000000,
      userId: 'alice',
      userSig: 'sig',
      room: { kind: 'number', id: 8 },
      mode: 'rtc',
      role: 'anchor',
      autoSubscribe: true,
    });
    expect(buildJoinData({ ...config, mode: 'audioCall' }, { roomId: 8 }, 'v').mode).toBe('rtc');
  });

  it('keeps the role in live mode only', () => {
    expect(buildJoinData(config, { roomId: 1, role: 'audience' }, 'v').role).toBe('anchor');
    expect(
      buildJoinData({ ...config, mode: 'live' }, { roomId: 1, role: 'audience' }, 'v').role,
    ).toBe('audience');
  });

  it('leaves an empty or missing userSig for the server to refuse with its account code', () => {
    expect(buildJoinData({ ...config, userSig: undefined }, { roomId: 1 }, 'v').userSig).toBe('');
  });

  it('accepts the largest numeric room id and 64-character string ids', () => {
    expect(buildJoinData(config, { roomId: 4294967294 }, 'v').room).toEqual({
      kind: 'number',
      id: 4294967294,
    });
    const id = 'a'.repeat(64);
    expect(buildJoinData({ ...config, useStringRoomId: true }, { roomId: id }, 'v').room).toEqual({
      kind: 'string',
      id,
    });
  });

  it('rejects a non-object config or options', () => {
    expect(() => buildJoinData(null, { roomId: 1 }, 'v')).toThrowError(/client config/);
    expect(() => buildJoinData(config, undefined, 'v')).toThrowError(/join options/);
  });
});

describe('subscribe options and profiles', () => {
  it('defaults subscribe options to audio and video', () => {
    expect(checkSubscribeOptions(undefined)).toEqual({ audio: true, video: true });
    expect(checkSubscribeOptions({ video: false })).toEqual({ audio: true, video: false });
    expect(() => checkSubscribeOptions({ audio: 'no' })).toThrowError(/audio/);
  });

  it('resolves presets and custom profiles', () => {
    expect(resolveVideoProfile('480p')).toEqual({
      width: 640,
      height: 480,
      frameRate: 15,
      bitrate: 900,
    });
    expect(resolveVideoProfile('4K')?.bitrate).toBe(9000);
    expect(
      resolveVideoProfile({ width: 800, height: 600, frameRate: 24, bitrate: 1000 })?.width,
    ).toBe(800);
    expect(resolveVideoProfile('999p')).toBeNull();
    expect(resolveVideoProfile('toString')).toBeNull();
    expect(resolveAudioProfile('standard')).toEqual({
      sampleRate: 48000,
      channelCount: 1,
      bitrate: 40,
    });
    expect(resolveAudioProfile('high-stereo')?.channelCount).toBe(2);
    expect(resolveAudioProfile('loud')).toBeNull();
  });
});
