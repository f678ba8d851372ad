/**
 * CreateCloudRecording / ModifyCloudRecording parameters read as Tencent documents them
 * (RecordParams, StorageParams, MixTranscodeParams, MixLayoutParams), with Tencent's error
 * codes: a missing field is `MissingParameter.<Name>`, a value out of range
 * `InvalidParameter.OutOfRange`. Pure: turns a request into a RecordingSpec or throws.
 */
import type { StreamType } from '@parley/protocol';
import { ApiError } from '../api/envelope.js';
import type { Params } from '../api/params.js';
import type { PlacedUser, TaskOutput } from '../mediaOut/mixLayout.js';
import type { CloudStorageTarget } from './S3Uploader.js';

export type RecordMode = 'single' | 'mixed';
/** StreamType 0 audio and video, 1 audio only, 2 video only. */
export type RecordTracks = 'both' | 'audio' | 'video';

/** Who is recorded: null allow list = everybody (but the deny list). */
export interface Subscription {
  audioAllow: string[] | null;
  audioDeny: string[];
  videoAllow: string[] | null;
  videoDeny: string[];
}

export type MixLayout =
  | { mode: 'float'; mainUserId?: string }
  | { mode: 'grid' }
  | { mode: 'custom'; placed: PlacedUser[] };

export interface RecordingSpec {
  mode: RecordMode;
  tracks: RecordTracks;
  /** Seconds with nobody recorded before the task ends by itself. */
  maxIdleSeconds: number;
  subscription: Subscription;
  output: TaskOutput;
  layout: MixLayout;
  /** Third-party storage the finished files are uploaded to (null: CloudVod, files stay local). */
  cloudStorage: CloudStorageTarget | null;
}

const outOfRange = (message: string) => new ApiError('InvalidParameter.OutOfRange', message);

function object(params: Params, name: string): Params | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(`InvalidParameter.${name}`, `${name} must be an object`);
  }
  return value as Params;
}

function int(
  params: Params | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number;
function int(
  params: Params | undefined,
  name: string,
  min: number,
  max: number,
  fallback: undefined,
): number | undefined;
function int(
  params: Params | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number | undefined,
): number | undefined {
  const raw = params?.[name];
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function userIds(params: Params | undefined, name: string): string[] | undefined {
  const raw = params?.[name];
  if (raw === undefined || raw === null) return undefined;
  if (
    !Array.isArray(raw) ||
    raw.length > 32 ||
    raw.some((u) => typeof u !== 'string' || u.length === 0 || u.length > 32)
  ) {
    throw outOfRange(`${name} must be a list of at most 32 user ids`);
  }
  return raw as string[];
}

/** RecordParams.SubscribeStreamUserIds (ModifyCloudRecording sends it at the top level). */
export function readSubscription(value: unknown): Subscription {
  if (value === undefined || value === null) {
    return { audioAllow: null, audioDeny: [], videoAllow: null, videoDeny: [] };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(
      'InvalidParameter.SubscribeStreamUserIds',
      'SubscribeStreamUserIds must be an object',
    );
  }
  const p = value as Params;
  return {
    audioAllow: userIds(p, 'SubscribeAudioUserIds') ?? null,
    audioDeny: userIds(p, 'UnSubscribeAudioUserIds') ?? [],
    videoAllow: userIds(p, 'SubscribeVideoUserIds') ?? null,
    videoDeny: userIds(p, 'UnSubscribeVideoUserIds') ?? [],
  };
}

/** Whether a user's audio / video is recorded under a subscription and the StreamType. */
export function recorded(
  spec: Pick<RecordingSpec, 'subscription' | 'tracks'>,
  userId: string,
): { audio: boolean; video: boolean } {
  const s = spec.subscription;
  const audio =
    spec.tracks !== 'video' &&
    (s.audioAllow === null || s.audioAllow.includes(userId)) &&
    !s.audioDeny.includes(userId);
  const video =
    spec.tracks !== 'audio' &&
    (s.videoAllow === null || s.videoAllow.includes(userId)) &&
    !s.videoDeny.includes(userId);
  return { audio, video };
}

/** MixTranscodeParams: Tencent's defaults are 360×640 15 fps; Parley's are 640×480 15 fps. */
export function readOutput(params: Params): TaskOutput {
  const mix = object(params, 'MixTranscodeParams');
  const video = mix ? object(mix, 'VideoParams') : undefined;
  const audio = mix ? object(mix, 'AudioParams') : undefined;
  const layout = object(params, 'MixLayoutParams');
  const width = int(video, 'Width', 16, 1920, 640);
  const height = int(video, 'Height', 16, 1920, 480);
  // AudioParams.SampleRate: 1 = 48 kHz, 2 = 44.1 kHz, 3 = 16 kHz.
  const rates = [48000, 48000, 44100, 16000];
  return {
    video: {
      width: width - (width % 2),
      height: height - (height % 2),
      fps: int(video, 'Fps', 1, 60, 15),
      bitrateKbps: int(video, 'BitRate', 64, 10_000, 550),
      gopSeconds: int(video, 'Gop', 1, 10, 2),
      background: colorOf(layout?.BackGroundColor),
    },
    audio: {
      sampleRate: rates[int(audio, 'SampleRate', 1, 3, 1)]!,
      channels: int(audio, 'Channel', 1, 2, 2) as 1 | 2,
      bitrateKbps: int(audio, 'BitRate', 32, 192, 64),
    },
  };
}

function colorOf(value: unknown): number {
  if (value === undefined || value === null || value === '') return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffff) {
    return value;
  }
  const match = typeof value === 'string' ? /^(?:0x|#)?([0-9a-fA-F]{6})$/.exec(value) : null;
  if (!match) throw outOfRange('BackGroundColor must be a colour such as 0xcc0000');
  return parseInt(match[1]!, 16);
}

/** MixLayoutParams: MixLayoutMode 1 floating, 2 screen sharing, 3 grid (default), 4 custom. */
export function readLayout(value: unknown): MixLayout {
  if (value === undefined || value === null) return { mode: 'grid' };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError('InvalidParameter.MixLayoutParams', 'MixLayoutParams must be an object');
  }
  const p = value as Params;
  const mode = int(p, 'MixLayoutMode', 1, 4, 3);
  if (mode === 3) return { mode: 'grid' };
  if (mode !== 4) {
    const main = typeof p.MaxResolutionUserId === 'string' ? p.MaxResolutionUserId : undefined;
    return main ? { mode: 'float', mainUserId: main } : { mode: 'float' };
  }
  const list = p.MixLayoutList;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ApiError(
      'MissingParameter.MixLayoutList',
      'MixLayoutMode 4 (custom) needs MixLayoutList',
    );
  }
  if (list.length > 25) throw outOfRange('MixLayoutList holds at most 25 entries');
  const placed = list.map((entry: unknown, i): PlacedUser => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ApiError('InvalidParameter.MixLayoutList', `MixLayoutList[${i}] must be an object`);
    }
    const e = entry as Params;
    const userId = typeof e.UserId === 'string' ? e.UserId : '';
    const width = int(e, 'Width', 0, 1920, 0);
    const height = int(e, 'Height', 0, 1920, 0);
    const streamType: StreamType = e.MediaId === 1 ? 'auxiliary' : 'main';
    return {
      userId,
      streamType,
      box:
        width > 0 && height > 0
          ? {
              x: int(e, 'Left', 0, 1920, 0),
              y: int(e, 'Top', 0, 1920, 0),
              width: width - (width % 2),
              height: height - (height % 2),
              zOrder: int(e, 'ImageLayer', 1, 15, 1),
              // Recording's RenderMode: 1 crop (default), 2 black bars, 3 crop at most 20 %.
              fit: int(e, 'RenderMode', 0, 3, 1) === 2 ? 'fit' : 'crop',
            }
          : null,
    };
  });
  return { mode: 'custom', placed };
}

/** CreateCloudRecording's RecordParams, StorageParams, MixTranscodeParams, MixLayoutParams. */
export function readRecordingSpec(params: Params): RecordingSpec {
  const record = object(params, 'RecordParams');
  if (!record) throw new ApiError('MissingParameter.RecordParams', 'RecordParams is missing');
  const modeNumber = int(record, 'RecordMode', 1, 2, undefined);
  if (modeNumber === undefined) {
    throw new ApiError('MissingParameter.RecordMode', 'RecordParams.RecordMode is missing');
  }
  const streamType = int(record, 'StreamType', 0, 2, 0);
  const storage = object(params, 'StorageParams');
  if (!storage) throw new ApiError('MissingParameter.StorageParams', 'StorageParams is missing');
  let cloudStorage: RecordingSpec['cloudStorage'] = null;
  const cloud = object(storage, 'CloudStorage');
  if (cloud) {
    for (const name of ['Bucket', 'Region', 'AccessKey', 'SecretKey'] as const) {
      if (typeof cloud[name] !== 'string' || cloud[name] === '') {
        throw new ApiError(
          `MissingParameter.${name}`,
          `StorageParams.CloudStorage.${name} is missing`,
        );
      }
    }
    // They make the storage's host name and the object key: nothing that could change either.
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(cloud.Region as string)) {
      throw outOfRange('CloudStorage.Region must be a region name such as ap-guangzhou');
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(cloud.Bucket as string)) {
      throw outOfRange('CloudStorage.Bucket must be a bucket name (a-z, 0-9, ".", "-")');
    }
    const prefix = cloud.FileNamePrefix ?? [];
    if (
      !Array.isArray(prefix) ||
      prefix.length > 10 ||
      prefix.some((p) => typeof p !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(p))
    ) {
      throw outOfRange(
        'CloudStorage.FileNamePrefix must be a list of folder names of letters, digits, "_" and "-"',
      );
    }
    cloudStorage = {
      vendor: int(cloud, 'Vendor', 0, 2, 0),
      bucket: cloud.Bucket as string,
      region: cloud.Region as string,
      accessKey: cloud.AccessKey as string,
      secretKey: cloud.SecretKey as string,
      prefix: prefix as string[],
    };
  } else if (!object(storage, 'CloudVod')) {
    throw new ApiError(
      'MissingParameter.CloudStorage',
      'StorageParams needs CloudStorage or CloudVod (with CloudVod Parley keeps the files locally)',
    );
  }
  return {
    mode: modeNumber === 1 ? 'single' : 'mixed',
    tracks: streamType === 1 ? 'audio' : streamType === 2 ? 'video' : 'both',
    maxIdleSeconds: int(record, 'MaxIdleTime', 5, 86_400, 30),
    subscription: readSubscription(record.SubscribeStreamUserIds),
    output: readOutput(params),
    layout: readLayout(params.MixLayoutParams),
    cloudStorage,
  };
}
