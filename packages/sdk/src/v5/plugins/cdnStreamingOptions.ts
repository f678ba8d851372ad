/**
 * v5's CDNStreaming options (`{ target, encoding, mix }`): checked as trtc-sdk-v5 5.17.1's
 * plugin checks them (INVALID_PARAMETER, the message naming the field, v5's extraCode where
 * it gives one) and turned into Parley's media-out requests: a relay of the user's main or
 * sub stream, or a mix (v4's mix configuration, which the server checks again).
 */
import type { MixConfigInput, MixUserInput } from '@parley/protocol';
import { ERROR_CODE, EXTRA_CODE, RtcError } from '../errors.js';

export type CdnMode = 'main' | 'sub' | 'mix' | 'mix-to-room';

/** v5's publishMode values: the runtime's, and the names its d.ts enum declares. */
const MODES: Record<string, CdnMode> = {
  'publish-main-stream-to-cdn': 'main',
  'publish-sub-stream-to-cdn': 'sub',
  'publish-mix-stream-to-cdn': 'mix',
  'publish-mix-stream-to-room': 'mix-to-room',
  PublishMainStreamToCDN: 'main',
  PublishSubStreamToCDN: 'sub',
  PublishMixStreamToCDN: 'mix',
  PublishMixStreamToRoom: 'mix-to-room',
};

export interface CdnTarget {
  mode: CdnMode;
  /** '' or absent: the default id. */
  streamId?: string;
  url?: string;
}

export interface CdnRequest {
  target: CdnTarget;
  /** For the mix mode: the mix as v4's startMixTranscode takes it. */
  mix?: MixConfigInput;
}

function bad(message: string, fnName: string, extraCode?: number): RtcError {
  return new RtcError({
    code: ERROR_CODE.INVALID_PARAMETER,
    ...(extraCode === undefined ? {} : { extraCode }),
    message,
    fnName,
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The options' target (all that stop needs). */
export function checkTarget(options: unknown, fnName: string): CdnTarget {
  if (!isObject(options)) {
    throw bad(
      `'CDNStreamingOptions' is a required param when calling ${fnName}(), received: ${String(options)}`,
      fnName,
      EXTRA_CODE.INVALID_PARAMETER_REQUIRED,
    );
  }
  const target = options.target;
  if (!isObject(target)) {
    throw bad(
      `'target' is a required param when calling ${fnName}('CDNStreaming'), received: ${String(target)}`,
      fnName,
      EXTRA_CODE.INVALID_PARAMETER_REQUIRED,
    );
  }
  const mode = typeof target.publishMode === 'string' ? MODES[target.publishMode] : undefined;
  if (!mode || !Object.prototype.hasOwnProperty.call(MODES, target.publishMode as string)) {
    throw bad(
      `'target.publishMode' must be one of PublishMainStreamToCDN, PublishSubStreamToCDN, PublishMixStreamToCDN, PublishMixStreamToRoom (CDNStreaming.TYPE.PublishMode) when calling ${fnName}('CDNStreaming'), received: ${JSON.stringify(target.publishMode)}`,
      fnName,
    );
  }
  const out: CdnTarget = { mode };
  const { streamId, url } = target;
  if (streamId !== undefined) {
    if (typeof streamId !== 'string' || !/^[A-Za-z\d_-]{0,64}$/.test(streamId)) {
      throw bad(
        `'target.streamId' must be up to 64 letters, digits, _ or - (it names the RTMP stream), received: ${JSON.stringify(streamId)}`,
        fnName,
        EXTRA_CODE.INVALID_STREAM_ID,
      );
    }
    if (streamId !== '') out.streamId = streamId;
  }
  for (const key of ['appId', 'bizId'] as const) {
    if (target[key] !== undefined && !isNumber(target[key])) {
      throw bad(
        `'target.${key}' must be type of number, received: ${JSON.stringify(target[key])}`,
        fnName,
        EXTRA_CODE.INVALID_PARAMETER_TYPE,
      );
    }
  }
  if (url !== undefined) {
    if (typeof url !== 'string' || !/^rtmps?:\/\/[^\s/]+\/\S+$/.test(url) || url.length > 2048) {
      throw bad(
        `'target.url' must be an rtmp:// or rtmps:// URL with a path, received: ${JSON.stringify(url)}`,
        fnName,
      );
    }
    out.url = url;
  }
  return out;
}

/** Checks start/update options; `self` is the caller's userId (a mix must show it). */
export function checkCdnOptions(
  options: unknown,
  fnName: string,
  self: string,
  requireMix: boolean,
): CdnRequest {
  const target = checkTarget(options, fnName);
  const o = options as Record<string, unknown>;
  if (target.mode === 'mix-to-room') {
    if (!isObject((o.target as Record<string, unknown>).robotUser)) {
      throw bad(
        'Invalid parameter target, the value of publishMode is PublishMixStreamToRoom, robotUser is required.',
        fnName,
      );
    }
    return { target };
  }
  if (target.mode !== 'mix') return { target };
  const encoding = o.encoding;
  const mix = o.mix;
  if (requireMix && encoding === undefined) {
    throw bad(
      `'encoding' is a required param when calling ${fnName}('CDNStreaming') with PublishMixStreamToCDN`,
      fnName,
      EXTRA_CODE.INVALID_PARAMETER_REQUIRED,
    );
  }
  if (requireMix && mix === undefined) {
    throw bad(
      `'mix' is a required param when calling ${fnName}('CDNStreaming') with PublishMixStreamToCDN`,
      fnName,
      EXTRA_CODE.INVALID_PARAMETER_REQUIRED,
    );
  }
  return { target, mix: toMixConfig(target, encoding ?? {}, mix ?? {}, fnName, self) };
}

function toMixConfig(
  target: CdnTarget,
  encoding: unknown,
  mix: unknown,
  fnName: string,
  self: string,
): MixConfigInput {
  if (!isObject(encoding)) {
    throw bad(`'encoding' must be type of object, received: ${String(encoding)}`, fnName);
  }
  if (!isObject(mix)) throw bad(`'mix' must be type of object, received: ${String(mix)}`, fnName);
  const e = encoding;
  const num = (key: string, value: unknown, check: (n: number) => boolean, range: string) => {
    if (value === undefined) return;
    if (!isNumber(value)) {
      throw bad(
        `'${key}' must be type of number, received: ${JSON.stringify(value)}`,
        fnName,
        EXTRA_CODE.INVALID_PARAMETER_TYPE,
      );
    }
    if (!check(value)) {
      throw bad(`Invalid parameter ${key}, the value must be ${range}, received: ${value}`, fnName);
    }
  };
  const nonNegative = (n: number) => n >= 0;
  num('encoding.videoWidth', e.videoWidth, nonNegative, 'not less than 0');
  num('encoding.videoHeight', e.videoHeight, nonNegative, 'not less than 0');
  num('encoding.videoBitrate', e.videoBitrate, nonNegative, 'not less than 0');
  num('encoding.videoFramerate', e.videoFramerate, (n) => n > 0 && n <= 30, 'between (0, 30]');
  num('encoding.videoGOP', e.videoGOP, (n) => n >= 1 && n <= 8, 'between [1, 8]');
  num('encoding.audioSampleRate', e.audioSampleRate, nonNegative, 'not less than 0');
  num('encoding.audioBitrate', e.audioBitrate, (n) => n >= 32 && n <= 192, 'between [32, 192]');
  num('encoding.audioChannels', e.audioChannels, (n) => n === 1 || n === 2, '1 or 2');
  num('mix.backgroundColor', mix.backgroundColor, (n) => n >= 0 && n <= 0xffffff, '0xRRGGBB');
  if (mix.backgroundImage !== undefined && typeof mix.backgroundImage !== 'string') {
    throw bad(
      `'mix.backgroundImage' must be type of string`,
      fnName,
      EXTRA_CODE.INVALID_PARAMETER_TYPE,
    );
  }
  const layouts = mix.videoLayoutList;
  if (!Array.isArray(layouts)) {
    throw bad(
      `'mix.videoLayoutList' is a required array when calling ${fnName}('CDNStreaming') with PublishMixStreamToCDN, received: ${String(layouts)}`,
      fnName,
      layouts === undefined
        ? EXTRA_CODE.INVALID_PARAMETER_REQUIRED
        : EXTRA_CODE.INVALID_PARAMETER_TYPE,
    );
  }
  const audioList = mix.audioMixUserList ?? [];
  if (!Array.isArray(audioList)) {
    throw bad(
      `'mix.audioMixUserList' must be type of array`,
      fnName,
      EXTRA_CODE.INVALID_PARAMETER_TYPE,
    );
  }
  const audioUsers = audioList.map((u, i) => checkUser(u, `mix.audioMixUserList[${i}]`, fnName));
  const sounds = new Set(audioUsers.map((u) => userKey(u)));
  const users: MixUserInput[] = [];
  let right = 0;
  let bottom = 0;
  for (const [i, item] of layouts.entries()) {
    const at = `mix.videoLayoutList[${i}]`;
    if (!isObject(item)) throw bad(`'${at}' must be type of object`, fnName);
    const user = checkUser(item.fixedVideoUser, `${at}.fixedVideoUser`, fnName);
    const streamType = item.fixedVideoStreamType;
    if (streamType !== 'main' && streamType !== 'sub') {
      throw bad(
        `'${at}.fixedVideoStreamType' is required, 'main' or 'sub', received: ${JSON.stringify(streamType)}`,
        fnName,
        streamType === undefined ? EXTRA_CODE.INVALID_PARAMETER_REQUIRED : undefined,
      );
    }
    if (item.fillMode !== undefined && ![0, 1, 2, 4].includes(item.fillMode as number)) {
      throw bad(
        `'${at}.fillMode' must be 0, 1, 2 or 4, received: ${JSON.stringify(item.fillMode)}`,
        fnName,
      );
    }
    if (item.zOrder === undefined) {
      throw bad(
        `'${at}.zOrder' is a required param`,
        fnName,
        EXTRA_CODE.INVALID_PARAMETER_REQUIRED,
      );
    }
    num(`${at}.zOrder`, item.zOrder, (n) => n >= 1 && n <= 15, 'between [1, 15]');
    for (const key of ['width', 'height', 'locationX', 'locationY'] as const) {
      num(`${at}.${key}`, item[key], nonNegative, 'not less than 0');
    }
    const box = {
      width: (item.width as number | undefined) ?? 0,
      height: (item.height as number | undefined) ?? 0,
      locationX: (item.locationX as number | undefined) ?? 0,
      locationY: (item.locationY as number | undefined) ?? 0,
    };
    right = Math.max(right, box.width + box.locationX);
    bottom = Math.max(bottom, box.height + box.locationY);
    const fill = (item.fillMode as number | undefined) ?? 0;
    users.push({
      userId: user.userId,
      ...(user.roomId !== undefined ? { roomId: user.roomId } : {}),
      streamType: streamType === 'sub' ? 'auxiliary' : 'main',
      ...box,
      zOrder: item.zOrder as number,
      // 0 crop to fill the box, 1 fit inside it, 2 (and v5's 4) fit as well.
      renderMode: fill === 0 ? 0 : fill === 1 ? 1 : 2,
      // v5 mixes the sound only of the users in audioMixUserList.
      ...(sounds.has(userKey(user)) ? {} : { pureVideo: true }),
    });
  }
  if (!users.some((u) => u.userId === self)) {
    throw bad(
      `Invalid parameter mix -> videoLayoutList, the value must include the caller (${self}).`,
      fnName,
    );
  }
  const width = (e.videoWidth as number | undefined) ?? 640;
  const height = (e.videoHeight as number | undefined) ?? 480;
  if (width < right || height < bottom) {
    throw bad(
      `Invalid parameter encoding, the width and height of the mixed video (${width}×${height}) must encompass all the mixed-in video streams (${right}×${bottom}).`,
      fnName,
    );
  }
  const seen = new Set(users.map((u) => `${u.userId}\n${String(u.roomId ?? '')}`));
  for (const user of audioUsers) {
    if (seen.has(userKey(user))) continue;
    users.push({
      userId: user.userId,
      ...(user.roomId !== undefined ? { roomId: user.roomId } : {}),
      pureAudio: true,
    });
  }
  return {
    ...(target.streamId ? { streamId: target.streamId } : {}),
    videoWidth: width,
    videoHeight: height,
    ...(e.videoBitrate ? { videoBitrate: e.videoBitrate as number } : {}),
    videoFramerate: (e.videoFramerate as number | undefined) ?? 15,
    videoGOP: (e.videoGOP as number | undefined) ?? 2,
    audioSampleRate: (e.audioSampleRate as number | undefined) || 48000,
    audioBitrate: (e.audioBitrate as number | undefined) ?? 64,
    audioChannels: (e.audioChannels as number | undefined) ?? 1,
    backgroundColor: (mix.backgroundColor as number | undefined) ?? 0,
    ...(mix.backgroundImage ? { backgroundImage: mix.backgroundImage as string } : {}),
    mixUsers: users,
  };
}

interface User {
  userId: string;
  roomId?: number | string;
}

const userKey = (u: User): string => `${u.userId}\n${String(u.roomId ?? '')}`;

function checkUser(value: unknown, at: string, fnName: string): User {
  if (!isObject(value)) {
    throw bad(
      `'${at}' is a required object { userId, roomId?, strRoomId? }`,
      fnName,
      EXTRA_CODE.INVALID_PARAMETER_REQUIRED,
    );
  }
  if (typeof value.userId !== 'string' || value.userId === '') {
    throw bad(
      `'${at}.userId' is a required string, received: ${JSON.stringify(value.userId)}`,
      fnName,
      EXTRA_CODE.INVALID_PARAMETER_REQUIRED,
    );
  }
  const { roomId, strRoomId } = value;
  if (typeof roomId === 'string') {
    throw bad(
      `'${at}.roomId' must be a number (strRoomId for a string room)`,
      fnName,
      EXTRA_CODE.INVALID_ROOM_ID_INTEGER_STRING,
    );
  }
  if (
    roomId !== undefined &&
    !(Number.isInteger(roomId) && (roomId as number) >= 1 && (roomId as number) < 4294967295)
  ) {
    throw bad(
      `'${at}.roomId' must be an integer from 1 to 4294967294`,
      fnName,
      EXTRA_CODE.INVALID_ROOM_ID_INTEGER,
    );
  }
  if (
    strRoomId !== undefined &&
    (typeof strRoomId !== 'string' ||
      !/^[A-Za-z\d\s!#$%&()+\-:;<=.>?@[\]^_{}|~,]{1,64}$/.test(strRoomId))
  ) {
    throw bad(
      `'${at}.strRoomId' must be 1-64 characters of v5's room id alphabet`,
      fnName,
      EXTRA_CODE.INVALID_ROOM_ID_STRING,
    );
  }
  const room = (roomId as number | undefined) ?? (strRoomId as string | undefined);
  return { userId: value.userId, ...(room !== undefined ? { roomId: room } : {}) };
}
