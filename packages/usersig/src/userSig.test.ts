import { deflateSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stdBase64Decode, tlsBase64Decode, tlsBase64Encode } from './base64url.js';
import { genUserSig, userSigIdentifier, verifyUserSig } from './index.js';
import { computeTlsSig } from './userSig.js';
import { VECTOR, decodeJson, encodeJson, encodeRaw, hmacOf, tencentApi } from './testSupport.js';

const { sdkAppId, key, userId, time, expire } = VECTOR;
const base = { sdkAppId, key, userId };
const vectorSig = () => genUserSig({ ...base, now: time, expire });

/** A hand-built signature with a correct HMAC over the given fields. */
function forge(doc: Record<string, unknown>, signWith = key): string {
  const sig = hmacOf(signWith, {
    userId: String(doc['TLS.identifier']),
    sdkAppId: doc['TLS.sdkappid'] as number,
    time: doc['TLS.time'] as number,
    expire: doc['TLS.expire'] as number,
    userbuf: doc['TLS.userbuf'] as string | undefined,
  });
  return encodeJson(JSON.stringify({ ...doc, 'TLS.sig': sig }));
}

const vectorDoc = {
  'TLS.ver': '2.0',
  'TLS.identifier': userId,
  'TLS.sdkappid': sdkAppId,
  'TLS.time': time,
  'TLS.expire': expire,
};

afterEach(() => {
  vi.useRealTimers();
});

describe('published test vector', () => {
  it('computes TLS.sig', () => {
    expect(computeTlsSig(key, { userId, sdkAppId, time, expire })).toBe(VECTOR.sig);
    expect(hmacOf(key, { userId, sdkAppId, time, expire })).toBe(VECTOR.sig);
  });

  it('genUserSig emits the JSON of the official Node library, key for key', () => {
    expect(decodeJson(vectorSig())).toBe(JSON.stringify({ ...vectorDoc, 'TLS.sig': VECTOR.sig }));
  });

  it('defaults the lifetime to 180 days', () => {
    const doc = JSON.parse(decodeJson(genUserSig({ ...base, now: time }))) as Record<
      string,
      unknown
    >;
    expect(doc['TLS.expire']).toBe(86400 * 180);
    expect(doc['TLS.sig']).toBe(VECTOR.sig);
  });

  it('round trips', () => {
    expect(verifyUserSig({ ...base, userSig: vectorSig(), now: time })).toStrictEqual({
      ok: true,
      time,
      expire,
      expiresAt: time + expire,
    });
  });

  it('is still valid at the last second and expired one second later', () => {
    const userSig = vectorSig();
    expect(verifyUserSig({ ...base, userSig, now: time + expire }).ok).toBe(true);
    expect(verifyUserSig({ ...base, userSig, now: time + expire + 1 })).toStrictEqual({
      ok: false,
      reason: 'expired',
      extraCode: 70001,
      message:
        'userSig expired at 2024-05-12T22:13:20Z (signed at 2023-11-14T22:13:20Z, ' +
        'lifetime 15552000 s); generate a new one',
    });
  });

  it('round trips a userbuf', () => {
    const userbuf = new Uint8Array([0, 1, 2, 250, 255]);
    const userSig = genUserSig({ ...base, now: time, expire: 60, userbuf });
    const doc = JSON.parse(decodeJson(userSig)) as Record<string, unknown>;
    expect(doc['TLS.userbuf']).toBe('AAEC+v8=');
    expect(doc['TLS.sig']).toBe(
      hmacOf(key, { userId, sdkAppId, time, expire: 60, userbuf: 'AAEC+v8=' }),
    );
    expect(verifyUserSig({ ...base, userSig, now: time })).toStrictEqual({
      ok: true,
      time,
      expire: 60,
      expiresAt: time + 60,
      userbuf,
    });
  });
});

describe('compatibility with tls-sig-api-v2 (Tencent, Node)', () => {
  it('produces byte-identical signatures at the same time', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(time * 1000);
    for (const [id, life] of [
      [userId, expire],
      ['user_01-A', 86400],
      ['张三', 1],
    ] as const) {
      const theirs = tencentApi(sdkAppId, key).genUserSig(id, life);
      expect(genUserSig({ ...base, userId: id, expire: life, now: time })).toBe(theirs);
    }
    const userbuf = Buffer.from('hello userbuf');
    expect(tencentApi(sdkAppId, key).genSig(userId, 300, userbuf)).toBe(
      genUserSig({ ...base, expire: 300, now: time, userbuf }),
    );
  });

  it('verifies their userSigs at the current time', () => {
    const api = tencentApi(1400123456, 'another-secret-key');
    const userSig = api.genUserSig('alice', 86400);
    const now = Math.floor(Date.now() / 1000);
    const result = verifyUserSig({
      sdkAppId: 1400123456,
      key: 'another-secret-key',
      userId: 'alice',
      userSig,
    });
    expect(result).toMatchObject({ ok: true, expire: 86400 });
    if (!result.ok) throw new Error('unreachable');
    expect(Math.abs(result.time - now)).toBeLessThanOrEqual(1);
    expect(result.expiresAt).toBe(result.time + 86400);
  });

  it('verifies their userSigs with a userbuf', () => {
    const userSig = tencentApi(sdkAppId, key).genSig(userId, 600, Buffer.from([9, 8, 7]));
    const result = verifyUserSig({ ...base, userSig });
    expect(result).toMatchObject({ ok: true, expire: 600, userbuf: new Uint8Array([9, 8, 7]) });
  });

  it('rejects their userSigs under the wrong key, user and SDKAppID', () => {
    const userSig = tencentApi(sdkAppId, key).genUserSig(userId, 600);
    expect(verifyUserSig({ ...base, key: 'x', userSig }).ok && 'ok').toBe(false);
    expect(verifyUserSig({ ...base, userId: 'bob', userSig })).toMatchObject({
      reason: 'wrong-user',
    });
    expect(verifyUserSig({ ...base, sdkAppId: 1, userSig })).toMatchObject({
      reason: 'wrong-sdk-app-id',
    });
  });

  it('accepts any JSON key order and extra fields (Go sorts its keys)', () => {
    const sig = hmacOf(key, { userId, sdkAppId, time, expire });
    const json = `{"TLS.expire":${expire},"TLS.identifier":"${userId}","TLS.sdkappid":${sdkAppId},"TLS.sig":"${sig}","TLS.time":${time},"TLS.ver":"2.0","x":1}`;
    expect(verifyUserSig({ ...base, userSig: encodeJson(json), now: time })).toStrictEqual({
      ok: true,
      time,
      expire,
      expiresAt: time + expire,
    });
  });

  it('accepts maximum compression and standard base64 characters', () => {
    const json = decodeJson(vectorSig());
    const raw = deflateSync(Buffer.from(json), { level: 9 });
    expect(verifyUserSig({ ...base, userSig: raw.toString('base64'), now: time }).ok).toBe(true);
  });
});

describe('rejections', () => {
  const now = time;
  const check = (userSig: string, opts: Partial<typeof base> = {}) =>
    verifyUserSig({ ...base, ...opts, userSig, now });

  it('empty', () => {
    expect(check('')).toStrictEqual({
      ok: false,
      reason: 'empty',
      extraCode: 70002,
      message: 'userSig is empty; the client must pass the userSig generated for it',
    });
    expect(check(undefined as unknown as string)).toMatchObject({
      reason: 'empty',
      extraCode: 70002,
    });
  });

  it.each([
    ['garbage characters', 'not a sig!', 'not TLS base64 (unexpected character " " at position 3)'],
    ['impossible base64 length', 'abcde', 'not TLS base64 (not base64: wrong length 5)'],
    ['valid base64 of garbage', encodeRaw(Buffer.from('hello world')), 'not zlib-compressed data'],
    ['deflated non-JSON', encodeRaw(deflateSync('TLS.ver: 2.0')), 'not JSON'],
    [
      'deflated JSON array',
      encodeJson('[1,2]'),
      'the decompressed JSON is an array, not an object',
    ],
    ['deflated JSON null', encodeJson('null'), 'the decompressed JSON is null, not an object'],
    ['no TLS.ver', forge({ ...vectorDoc, 'TLS.ver': undefined }), 'it has no TLS.ver field'],
    [
      'wrong TLS.ver',
      forge({ ...vectorDoc, 'TLS.ver': '1.0' }),
      'TLS.ver is "1.0", only "2.0" (TLSSigAPIv2) signatures are accepted',
    ],
    ['numeric TLS.ver', forge({ ...vectorDoc, 'TLS.ver': 2 }), 'TLS.ver is 2, only'],
    [
      'no TLS.identifier',
      forge({ ...vectorDoc, 'TLS.identifier': undefined }),
      'no TLS.identifier',
    ],
    [
      'string TLS.sdkappid',
      forge({ ...vectorDoc, 'TLS.sdkappid': String(sdkAppId) }),
      'TLS.sdkappid must be an integer, got the string "1400000000"',
    ],
    [
      'fractional TLS.time',
      forge({ ...vectorDoc, 'TLS.time': time + 0.5 }),
      'TLS.time must be an integer, got a number',
    ],
    ['no TLS.expire', forge({ ...vectorDoc, 'TLS.expire': undefined }), 'no TLS.expire field'],
    [
      'no TLS.sig',
      encodeJson(JSON.stringify(vectorDoc)),
      'userSig is malformed: it has no TLS.sig field',
    ],
    [
      'short TLS.sig',
      encodeJson(JSON.stringify({ ...vectorDoc, 'TLS.sig': 'AAAA' })),
      'TLS.sig is 3 bytes, not a 32-byte HMAC-SHA256',
    ],
    [
      'non-base64 TLS.userbuf',
      forge({ ...vectorDoc, 'TLS.userbuf': 'a b' }),
      'TLS.userbuf is not base64',
    ],
    ['too long', 'A'.repeat(9000), 'it is 9000 characters long, more than the 8192 allowed'],
    [
      'zip bomb',
      encodeRaw(deflateSync(Buffer.alloc(4 * 1024 * 1024, 32), { level: 9 })),
      'it decompresses to more than 65536 bytes',
    ],
  ])('malformed: %s', (_name, userSig, text) => {
    const result = check(userSig);
    expect(result).toMatchObject({ ok: false, reason: 'malformed', extraCode: 70003 });
    if (result.ok) throw new Error('unreachable');
    expect(result.message.startsWith('userSig is malformed: ')).toBe(true);
    expect(result.message).toContain(text);
  });

  it('the zip bomb fits within the input cap', () => {
    expect(
      encodeRaw(deflateSync(Buffer.alloc(4 * 1024 * 1024, 32), { level: 9 })).length,
    ).toBeLessThan(8192);
  });

  it('another SDKAppID', () => {
    expect(check(vectorSig(), { sdkAppId: 1400000001 })).toStrictEqual({
      ok: false,
      reason: 'wrong-sdk-app-id',
      extraCode: 70014,
      message: 'userSig was signed for SDKAppID 1400000000, not 1400000001',
    });
  });

  it('another userId', () => {
    expect(check(vectorSig(), { userId: 'alice' })).toStrictEqual({
      ok: false,
      reason: 'wrong-user',
      extraCode: 70013,
      message: "userSig was signed for userId 'xiaojun', not 'alice'",
    });
  });

  it('another key', () => {
    expect(check(vectorSig(), { key: key.replace(/^5/, '6') })).toStrictEqual({
      ok: false,
      reason: 'wrong-key',
      extraCode: 70009,
      message:
        'userSig signature does not match: it was signed with a different secret key than the ' +
        'one configured for SDKAppID 1400000000, or it was altered',
    });
  });

  it('altered fields (lifetime stretched without re-signing)', () => {
    const doc = JSON.parse(decodeJson(vectorSig())) as Record<string, unknown>;
    const stretched = encodeJson(JSON.stringify({ ...doc, 'TLS.expire': expire * 10 }));
    expect(check(stretched)).toMatchObject({ reason: 'wrong-key', extraCode: 70009 });
    const withBuf = encodeJson(JSON.stringify({ ...doc, 'TLS.userbuf': 'AAAA' }));
    expect(check(withBuf)).toMatchObject({ reason: 'wrong-key', extraCode: 70009 });
  });

  it('checks in order: SDKAppID, userId, key, expiry', () => {
    const userSig = vectorSig();
    const late = time + expire + 1;
    const all = { sdkAppId: 1, userId: 'bob', key: 'k' };
    expect(verifyUserSig({ ...all, userSig, now: late })).toMatchObject({
      reason: 'wrong-sdk-app-id',
    });
    expect(verifyUserSig({ ...all, sdkAppId, userSig, now: late })).toMatchObject({
      reason: 'wrong-user',
    });
    expect(verifyUserSig({ ...all, sdkAppId, userId, userSig, now: late })).toMatchObject({
      reason: 'wrong-key',
    });
    expect(verifyUserSig({ ...base, userSig, now: late })).toMatchObject({ reason: 'expired' });
  });

  it('an out-of-range time still yields a readable expiry message', () => {
    const userSig = forge({ ...vectorDoc, 'TLS.time': -9e15, 'TLS.expire': 0 });
    expect(check(userSig)).toMatchObject({
      reason: 'expired',
      message: expect.stringContaining('expired at unix time -9000000000000000') as unknown,
    });
  });
});

describe('genUserSig input checks', () => {
  it.each([
    [{ sdkAppId: 0 }, 'sdkAppId must be an integer >= 1, got 0'],
    [{ sdkAppId: 1.5 }, 'sdkAppId must be an integer >= 1, got 1.5'],
    [{ key: '' }, 'key must be a non-empty string'],
    [{ userId: '' }, 'userId must be a non-empty string'],
    [{ expire: -1 }, 'expire must be an integer >= 0, got -1'],
    [{ expire: 1.5 }, 'expire must be an integer >= 0, got 1.5'],
  ])('%o', (bad, message) => {
    expect(() => genUserSig({ ...base, ...bad })).toThrow(message);
  });
});

describe('TLS base64', () => {
  it('maps + / = to * - _ and back', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xbf, 0x01]);
    expect(Buffer.from(bytes).toString('base64')).toBe('+/+/AQ==');
    expect(tlsBase64Encode(bytes)).toBe('*-*-AQ__');
    expect(tlsBase64Decode('*-*-AQ__')).toStrictEqual(bytes);
    expect(tlsBase64Decode('*-*-AQ')).toStrictEqual(bytes);
    expect(tlsBase64Decode('+/+/AQ==')).toStrictEqual(bytes);
  });

  it('rejects what Node would silently skip', () => {
    expect(() => tlsBase64Decode('AA.A')).toThrow('unexpected character "." at position 2');
    expect(() => stdBase64Decode('AQ=')).toThrow('wrong length 3');
    expect(() => stdBase64Decode('A=AA')).toThrow('unexpected character "=" at position 1');
  });
});

describe('userSigIdentifier', () => {
  it('reads the userId a UserSig was signed for, without verifying it; null for what is none', () => {
    const sig = genUserSig({
      sdkAppId: 1400000001,
      key: 'k'.repeat(64),
      userId: 'viewer_1',
      expire: 60,
    });
    expect(userSigIdentifier(sig)).toBe('viewer_1');
    expect(userSigIdentifier('not-a-usersig')).toBeNull();
    expect(userSigIdentifier('')).toBeNull();
  });
});
