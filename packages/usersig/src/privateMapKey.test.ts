import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Privilege,
  genPrivateMapKey,
  genUserSig,
  parsePrivateMapKeyUserbuf,
  verifyPrivateMapKey,
} from './index.js';
import { encodePrivateMapKeyUserbuf } from './privateMapKey.js';
import { VECTOR, decodeJson, tencentApi } from './testSupport.js';

const { sdkAppId, key, userId, time, expire } = VECTOR;
const base = { sdkAppId, key, userId };

afterEach(() => {
  vi.useRealTimers();
});

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));

// userId "ab", SDKAppID 1400000000, expire-at 1700000000, privilege 255, account type 0
const V0 = hex('00 0002 6162 53724e00 000004d2 6553f100 000000ff 00000000');
const V1 = hex('01 0002 6162 53724e00 00000000 6553f100 0000002a 00000000 0003 726f6f');

describe('userbuf layout', () => {
  it('encodes version 0 (numeric room) byte for byte', () => {
    const info = {
      version: 0,
      userId: 'ab',
      sdkAppId,
      roomId: 1234,
      expireAt: time,
      privilege: 255,
    } as const;
    expect(encodePrivateMapKeyUserbuf(info)).toStrictEqual(V0);
    expect(parsePrivateMapKeyUserbuf(V0)).toStrictEqual(info);
  });

  it('encodes version 1 (string room) byte for byte', () => {
    const info = {
      version: 1,
      userId: 'ab',
      sdkAppId,
      roomId: 'roo',
      expireAt: time,
      privilege: 42,
    } as const;
    expect(encodePrivateMapKeyUserbuf(info)).toStrictEqual(V1);
    expect(parsePrivateMapKeyUserbuf(V1)).toStrictEqual(info);
  });

  it('handles the whole u32 range', () => {
    const info = {
      version: 0,
      userId: 'u',
      sdkAppId: 0xfffffffe,
      roomId: 4294967294,
      expireAt: 0xffffffff,
      privilege: 0xffffffff,
    } as const;
    expect(parsePrivateMapKeyUserbuf(encodePrivateMapKeyUserbuf(info))).toStrictEqual(info);
  });

  it.each([
    ['empty', hex(''), 'truncated: 0 bytes, the version needs 1'],
    ['unknown version', hex('02 0002 6162'), 'has version 2; only 0 and 1 exist'],
    ['truncated', V0.subarray(0, V0.length - 1), 'truncated: 24 bytes, accountType needs 25'],
    [
      'string room truncated',
      V1.subarray(0, V1.length - 1),
      'truncated: 29 bytes, roomId needs 30',
    ],
    ['trailing bytes', new Uint8Array([...V0, 0]), 'has 1 unexpected trailing bytes'],
    ['bad UTF-8', hex('00 0001 ff 53724e00 000004d2 6553f100 000000ff 00000000'), 'not UTF-8'],
  ])('throws on %s', (_name, buf, message) => {
    expect(() => parsePrivateMapKeyUserbuf(buf)).toThrow(message);
  });
});

describe('compatibility with tls-sig-api-v2 (Tencent, Node)', () => {
  it('produces byte-identical numeric-room keys at the same time', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(time * 1000);
    const theirs = tencentApi(sdkAppId, key).genPrivateMapKey(userId, expire, 10000, 255);
    expect(genPrivateMapKey({ ...base, roomId: 10000, privilege: 255, expire, now: time })).toBe(
      theirs,
    );
    expect(
      verifyPrivateMapKey({ ...base, privateMapKey: theirs, roomId: 10000, now: time }),
    ).toStrictEqual({
      ok: true,
      version: 0,
      userId,
      sdkAppId,
      roomId: 10000,
      expireAt: time + expire,
      privilege: 255,
    });
  });

  it('produces byte-identical string-room keys at the same time', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(time * 1000);
    const theirs = tencentApi(sdkAppId, key).genPrivateMapKeyWithStringRoomID(
      userId,
      expire,
      '1000000040',
      255,
    );
    expect(
      genPrivateMapKey({ ...base, roomId: '1000000040', privilege: 255, expire, now: time }),
    ).toBe(theirs);
    expect(
      verifyPrivateMapKey({ ...base, privateMapKey: theirs, roomId: '1000000040', now: time }),
    ).toStrictEqual({
      ok: true,
      version: 1,
      userId,
      sdkAppId,
      roomId: '1000000040',
      expireAt: time + expire,
      privilege: 255,
    });
  });

  it('verifies their keys at the current time', () => {
    const api = tencentApi(1400123456, 'secret');
    const opts = { sdkAppId: 1400123456, key: 'secret', userId: 'alice' };
    const numeric = api.genPrivateMapKey('alice', 300, 4294967294, 42);
    expect(
      verifyPrivateMapKey({ ...opts, privateMapKey: numeric, roomId: 4294967294 }),
    ).toMatchObject({ ok: true, version: 0, roomId: 4294967294, privilege: 42 });
    const named = api.genPrivateMapKeyWithStringRoomID('alice', 300, 'room-A_1', 2 | 8);
    expect(
      verifyPrivateMapKey({ ...opts, privateMapKey: named, roomId: 'room-A_1' }),
    ).toMatchObject({ ok: true, version: 1, roomId: 'room-A_1', privilege: 10 });
  });
});

describe('genPrivateMapKey', () => {
  it('puts the userbuf in the envelope with expire-at = now + expire', () => {
    const key1 = genPrivateMapKey({ ...base, roomId: 1234, privilege: 3, expire: 60, now: time });
    const doc = JSON.parse(decodeJson(key1)) as Record<string, unknown>;
    expect(doc['TLS.time']).toBe(time);
    expect(doc['TLS.expire']).toBe(60);
    const userbuf = new Uint8Array(Buffer.from(doc['TLS.userbuf'] as string, 'base64'));
    expect(parsePrivateMapKeyUserbuf(userbuf)).toStrictEqual({
      version: 0,
      userId,
      sdkAppId,
      roomId: 1234,
      expireAt: time + 60,
      privilege: 3,
    });
  });

  it.each([
    [{ roomId: 0 }, 'roomId must be an integer >= 1, got 0'],
    [{ roomId: 2 ** 32 }, 'roomId must be an integer from 0 to 4294967295, got 4294967296'],
    [{ roomId: '' }, 'roomId must be a non-empty string'],
    [{ privilege: -1 }, 'privilege must be an integer from 0 to 4294967295, got -1'],
    [{ expire: -5 }, 'expire must be an integer >= 0, got -5'],
    [{ userId: '' }, 'userId must be a non-empty string'],
  ])('rejects %o', (bad, message) => {
    expect(() =>
      genPrivateMapKey({ ...base, roomId: 1, privilege: 255, now: time, ...bad }),
    ).toThrow(message);
  });

  it('has the documented privilege bits', () => {
    expect(Privilege).toStrictEqual({
      CREATE_ROOM: 1,
      ENTER_ROOM: 2,
      SEND_AUDIO: 4,
      RECV_AUDIO: 8,
      SEND_VIDEO: 16,
      RECV_VIDEO: 32,
      SEND_SCREEN: 64,
      RECV_SCREEN: 128,
      ALL: 255,
    });
  });
});

describe('verifyPrivateMapKey rejections', () => {
  const numeric = () =>
    genPrivateMapKey({ ...base, roomId: 10000, privilege: 255, expire: 300, now: time });
  const verify = (
    privateMapKey: string,
    extra: Partial<{ roomId: number | string }> & Partial<typeof base> = {},
    now = time,
  ) => verifyPrivateMapKey({ ...base, privateMapKey, roomId: 10000, now, ...extra });
  /** An envelope valid for `base` whose userbuf says something else. */
  const withUserbuf = (info: Partial<Parameters<typeof encodePrivateMapKeyUserbuf>[0]>) =>
    genUserSig({
      ...base,
      now: time,
      expire: 300,
      userbuf: encodePrivateMapKeyUserbuf({
        version: 0,
        userId,
        sdkAppId,
        roomId: 10000,
        expireAt: time + 300,
        privilege: 255,
        ...info,
      }),
    });

  it('another numeric room', () => {
    expect(verify(numeric(), { roomId: 10001 })).toStrictEqual({
      ok: false,
      reason: 'wrong-room',
      extraCode: -100006,
      message: 'privateMapKey is for numeric room 10000, not numeric room 10001',
    });
  });

  it('a string room with the same digits', () => {
    expect(verify(numeric(), { roomId: '10000' })).toStrictEqual({
      ok: false,
      reason: 'wrong-room',
      extraCode: -100006,
      message: "privateMapKey is for numeric room 10000, not string room '10000'",
    });
  });

  it('empty', () => {
    expect(verify('')).toStrictEqual({
      ok: false,
      reason: 'empty',
      extraCode: 70002,
      message: 'privateMapKey is empty; the client must pass the privateMapKey generated for it',
    });
  });

  it('garbage', () => {
    expect(verify('###')).toMatchObject({
      reason: 'malformed',
      extraCode: 70003,
      message: expect.stringMatching(/^privateMapKey is malformed: not TLS base64/) as unknown,
    });
  });

  it('a plain userSig', () => {
    expect(verify(genUserSig({ ...base, now: time }))).toStrictEqual({
      ok: false,
      reason: 'malformed',
      extraCode: 70003,
      message:
        'privateMapKey has no TLS.userbuf, so it carries no room permission (is it a userSig?)',
    });
  });

  it('a userbuf that does not parse', () => {
    const bad = genUserSig({ ...base, now: time, userbuf: new Uint8Array([7]) });
    expect(verify(bad)).toStrictEqual({
      ok: false,
      reason: 'malformed',
      extraCode: 70003,
      message: 'privateMapKey userbuf has version 7; only 0 and 1 exist',
    });
  });

  it('another key, user, SDKAppID (envelope)', () => {
    expect(verify(numeric(), { key: 'other' })).toMatchObject({
      reason: 'wrong-key',
      extraCode: 70009,
    });
    expect(verify(numeric(), { userId: 'bob' })).toMatchObject({
      reason: 'wrong-user',
      extraCode: 70013,
      message: "privateMapKey was signed for userId 'xiaojun', not 'bob'",
    });
    expect(verify(numeric(), { sdkAppId: 1400000001 })).toMatchObject({
      reason: 'wrong-sdk-app-id',
      extraCode: 70014,
    });
  });

  it('a userbuf for another user or SDKAppID', () => {
    expect(verify(withUserbuf({ userId: 'bob' }))).toStrictEqual({
      ok: false,
      reason: 'wrong-user',
      extraCode: 70013,
      message: "privateMapKey userbuf grants userId 'bob', not 'xiaojun'",
    });
    expect(verify(withUserbuf({ sdkAppId: 1400000001 }))).toStrictEqual({
      ok: false,
      reason: 'wrong-sdk-app-id',
      extraCode: 70014,
      message: 'privateMapKey userbuf grants SDKAppID 1400000001, not 1400000000',
    });
  });

  it('expired envelope', () => {
    expect(verify(numeric(), {}, time + 301)).toStrictEqual({
      ok: false,
      reason: 'expired',
      extraCode: 70001,
      message:
        'privateMapKey expired at 2023-11-14T22:18:20Z (signed at 2023-11-14T22:13:20Z, ' +
        'lifetime 300 s); generate a new one',
    });
    expect(verify(numeric(), {}, time + 300).ok).toBe(true);
  });

  it('expired userbuf inside a valid envelope', () => {
    const early = withUserbuf({ expireAt: time + 100 });
    expect(verify(early, {}, time + 100).ok).toBe(true);
    expect(verify(early, {}, time + 101)).toStrictEqual({
      ok: false,
      reason: 'expired',
      extraCode: 70001,
      message: 'privateMapKey room permission expired at 2023-11-14T22:15:00Z; generate a new one',
    });
  });
});
