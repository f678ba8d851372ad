import { describe, expect, it } from 'vitest';
import { RtcError } from './errors.js';
import {
  checkAudioVolumeEvaluation,
  checkCustomMessage,
  checkEnterRoomConfig,
  checkMuteRemoteAudio,
  checkRemoteAudioVolume,
  checkRemoteVideoTarget,
  checkRole,
  checkSEIMessage,
  checkStopRemoteVideoConfig,
  checkSwitchRoomConfig,
  needPublished,
  notJoined,
  resolveView,
  seiNotEnabled,
} from './validate.js';

/** The RtcError `fn` throws, as [code, extraCode]; fails when it does not throw one. */
function codes(fn: () => unknown): [number, number | undefined, string] {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof RtcError)) throw error;
    return [error.code, error.extraCode, error.message];
  }
  throw new Error('did not throw');
}

const good = { sdkAppId: 1400000001, userId: 'alice', userSig: 'sig', roomId: 8 };

describe('enterRoom config', () => {
  it('fills in v5 defaults: rtc, anchor, audio received, video not', () => {
    expect(checkEnterRoomConfig(good)).toEqual({
      sdkAppId: 1400000001,
      userId: 'alice',
      userSig: 'sig',
      room: { kind: 'number', id: 8 },
      scene: 'rtc',
      role: 'anchor',
      autoReceiveAudio: true,
      autoReceiveVideo: false,
      enableAutoPlayDialog: undefined,
      privateMapKey: undefined,
      proxy: undefined,
      userDefineRecordId: undefined,
    });
  });

  it('roomId: integers 1..4294967294 (5013), a string is 5016, neither given is 5015', () => {
    expect(checkEnterRoomConfig({ ...good, roomId: 4294967294 }).room).toEqual({
      kind: 'number',
      id: 4294967294,
    });
    for (const roomId of [4294967295, 1.5, -3, Number.NaN]) {
      expect(codes(() => checkEnterRoomConfig({ ...good, roomId }))[1], String(roomId)).toBe(5013);
    }
    const [code, extra, message] = codes(() => checkEnterRoomConfig({ ...good, roomId: '8' }));
    expect([code, extra]).toEqual([5000, 5016]);
    expect(message).toContain('strRoomId');
    expect(codes(() => checkEnterRoomConfig({ ...good, roomId: undefined }))[1]).toBe(5015);
    expect(codes(() => checkEnterRoomConfig({ ...good, roomId: 0 }))[1]).toBe(5015);
  });

  it('strRoomId: 1-64 allowed characters (5012), a separate namespace from roomId', () => {
    const { roomId: _drop, ...noRoom } = good;
    expect(checkEnterRoomConfig({ ...noRoom, strRoomId: '8' }).room).toEqual({
      kind: 'string',
      id: '8',
    });
    expect(codes(() => checkEnterRoomConfig({ ...noRoom, strRoomId: 'x'.repeat(65) }))[1]).toBe(
      5012,
    );
    expect(codes(() => checkEnterRoomConfig({ ...noRoom, strRoomId: 'a/b' }))[1]).toBe(5012);
    // A truthy roomId wins over strRoomId, as in v5.
    expect(checkEnterRoomConfig({ ...good, strRoomId: 'x' }).room.kind).toBe('number');
  });

  it('sdkAppId, userId and userSig: required (5001), typed (5002), not empty (5003)', () => {
    const { userSig: _sig, ...noSig } = good;
    expect(codes(() => checkEnterRoomConfig(noSig)).slice(0, 2)).toEqual([5000, 5001]);
    expect(codes(() => checkEnterRoomConfig({ ...good, userSig: '' })).slice(0, 2)).toEqual([
      5000, 5003,
    ]);
    expect(codes(() => checkEnterRoomConfig({ ...good, sdkAppId: '1400000001' }))[1]).toBe(5002);
    expect(codes(() => checkEnterRoomConfig({ ...good, sdkAppId: 0 }))[1]).toBe(5003);
    expect(codes(() => checkEnterRoomConfig({ ...good, userId: 7 }))[1]).toBe(5002);
    // TRTC's userId rule (the server's): no extraCode in v5, the message says the rule.
    const [code, extra, message] = codes(() => checkEnterRoomConfig({ ...good, userId: 'a b' }));
    expect([code, extra]).toEqual([5000, undefined]);
    expect(message).toMatch(/1-32 characters/);
    expect(codes(() => checkEnterRoomConfig(undefined))[1]).toBe(5001);
    expect(codes(() => checkEnterRoomConfig('x'))[1]).toBe(5002);
  });

  it("scene and role: one of the values (5005); role is 'anchor' in an rtc room", () => {
    expect(codes(() => checkEnterRoomConfig({ ...good, scene: 'videoCall' }))[1]).toBe(5005);
    expect(codes(() => checkEnterRoomConfig({ ...good, role: 'host' }))[1]).toBe(5005);
    expect(checkEnterRoomConfig({ ...good, scene: 'live', role: 'audience' }).role).toBe(
      'audience',
    );
    expect(checkEnterRoomConfig({ ...good, scene: 'rtc', role: 'audience' }).role).toBe('anchor');
  });

  it('proxy: a string is the websocketProxy; TURN servers need a url', () => {
    expect(checkEnterRoomConfig({ ...good, proxy: 'wss://p/' }).proxy).toEqual({
      websocketProxy: 'wss://p/',
    });
    const proxy = { turnServer: [{ url: 'turn:1.2.3.4' }], iceTransportPolicy: 'relay' };
    expect(checkEnterRoomConfig({ ...good, proxy }).proxy).toBe(proxy);
    expect(codes(() => checkEnterRoomConfig({ ...good, proxy: { turnServer: {} } }))[1]).toBe(5001);
    expect(
      codes(() => checkEnterRoomConfig({ ...good, proxy: { iceTransportPolicy: 'udp' } }))[1],
    ).toBe(5005);
  });
});

describe('switchRoom and switchRole', () => {
  const numeric = { kind: 'number', id: 8 } as const;
  it('same room 5020, other kind of id 5019, then the id and userSig', () => {
    expect(codes(() => checkSwitchRoomConfig({ roomId: 8, userSig: 's' }, numeric))[1]).toBe(5020);
    expect(codes(() => checkSwitchRoomConfig({ strRoomId: 'a', userSig: 's' }, numeric))[1]).toBe(
      5019,
    );
    expect(
      codes(() =>
        checkSwitchRoomConfig({ roomId: 9, userSig: 's' }, { kind: 'string', id: 'x' }),
      )[1],
    ).toBe(5019);
    expect(codes(() => checkSwitchRoomConfig({ roomId: 9 }, numeric))[1]).toBe(5001);
    expect(checkSwitchRoomConfig({ roomId: 9, userSig: 's' }, numeric).room).toEqual({
      kind: 'number',
      id: 9,
    });
  });

  it('roles are anchor | audience', () => {
    expect(checkRole('audience')).toBe('audience');
    expect(codes(() => checkRole('guest'))[1]).toBe(5005);
    expect(codes(() => checkRole(undefined))[1]).toBe(5001);
  });
});

describe('remote media arguments', () => {
  it('startRemoteVideo needs userId and streamType main | sub', () => {
    expect(checkRemoteVideoTarget({ userId: 'b', streamType: 'sub' }, 'startRemoteVideo')).toEqual({
      userId: 'b',
      streamType: 'sub',
    });
    expect(codes(() => checkRemoteVideoTarget({ userId: 'b' }, 'startRemoteVideo'))[1]).toBe(5001);
    expect(codes(() => checkRemoteVideoTarget({ userId: 'b', streamType: 'aux' }, 'x'))[1]).toBe(
      5005,
    );
  });

  it("stopRemoteVideo: '*' needs no streamType; a user does (5014)", () => {
    expect(checkStopRemoteVideoConfig({ userId: '*' })).toEqual({ userId: '*' });
    expect(codes(() => checkStopRemoteVideoConfig({ userId: 'b' }))[1]).toBe(5014);
  });

  it('muteRemoteAudio and setRemoteAudioVolume', () => {
    expect(checkMuteRemoteAudio('*', true)).toEqual({ userId: '*', mute: true });
    expect(codes(() => checkMuteRemoteAudio('b', 'yes'))[1]).toBe(5002);
    expect(codes(() => checkRemoteAudioVolume('b', -1))[1]).toBe(5007);
    expect(checkRemoteAudioVolume('b', 150).volume).toBe(150);
  });

  it('enableAudioVolumeEvaluation defaults to 2000 ms, not in background', () => {
    expect(checkAudioVolumeEvaluation(undefined, undefined)).toEqual({
      intervalMs: 2000,
      inBackground: false,
    });
    expect(codes(() => checkAudioVolumeEvaluation('500', false))[1]).toBe(5002);
  });
});

describe('messages: SEI and custom', () => {
  it('SEI: 1..1000 bytes (5017/5018), an ArrayBuffer (5004), payload type 243 | 5', () => {
    expect(checkSEIMessage(new ArrayBuffer(1000), undefined)).toMatchObject({
      seiPayloadType: 243,
      toSubStream: false,
    });
    expect(codes(() => checkSEIMessage(new ArrayBuffer(1001), undefined))[1]).toBe(5018);
    expect(codes(() => checkSEIMessage(new ArrayBuffer(0), undefined))[1]).toBe(5017);
    const [, extra, message] = codes(() => checkSEIMessage(new Uint8Array(4), undefined));
    expect(extra).toBe(5004);
    expect(message).toContain('.buffer');
    expect(codes(() => checkSEIMessage(new ArrayBuffer(4), { seiPayloadType: 6 }))[1]).toBe(5005);
    expect(
      checkSEIMessage(new ArrayBuffer(4), { seiPayloadType: 5, toSubStream: true }),
    ).toMatchObject({
      seiPayloadType: 5,
      toSubStream: true,
    });
  });

  it('custom messages: cmdId 1..10 (5007/5008), data 1..1000 bytes', () => {
    expect(checkCustomMessage({ cmdId: 10, data: new ArrayBuffer(1000) }).cmdId).toBe(10);
    expect(codes(() => checkCustomMessage({ cmdId: 0, data: new ArrayBuffer(1) }))[1]).toBe(5007);
    expect(codes(() => checkCustomMessage({ cmdId: 11, data: new ArrayBuffer(1) }))[1]).toBe(5008);
    expect(codes(() => checkCustomMessage({ cmdId: 1.5, data: new ArrayBuffer(1) }))[1]).toBe(5002);
    expect(codes(() => checkCustomMessage({ cmdId: 1, data: new ArrayBuffer(1001) }))[1]).toBe(
      5018,
    );
    expect(codes(() => checkCustomMessage({ cmdId: 1 }))[1]).toBe(5001);
  });

  it('state errors carry v5 codes and name the fix', () => {
    expect([seiNotEnabled().code, seiNotEnabled().extraCode]).toEqual([5100, 5108]);
    expect(seiNotEnabled().message).toContain('enableSEI: true');
    expect(needPublished('sendSEIMessage', 'sub').extraCode).toBe(5109);
    const error = notJoined('startRemoteVideo');
    expect([error.code, error.extraCode, error.name, error.functionName]).toEqual([
      5100,
      5101,
      'INVALID_OPERATION',
      'startRemoteVideo',
    ]);
  });
});

describe('views', () => {
  it('null/undefined render nowhere; an unknown id is 5009; a non-element 5002', () => {
    expect(resolveView(null, 'startLocalVideo')).toEqual([]);
    expect(resolveView(undefined, 'startLocalVideo')).toEqual([]);
    const doc = { getElementById: (): HTMLElement | null => null };
    expect(codes(() => resolveView('local', 'startLocalVideo', doc))[1]).toBe(5009);
    expect(codes(() => resolveView(42, 'startLocalVideo', doc))[1]).toBe(5002);
  });
});
