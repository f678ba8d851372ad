/**
 * The server API's media out: StartPublishCdnStream / UpdatePublishCdnStream /
 * StopPublishCdnStream (a user's stream relayed, or a mix, pushed to up to 10 RTMP URLs;
 * a TaskId) and StartMCUMixTranscode[ByStrRoomId] / StopMCUMixTranscode[ByStrRoomId] (one mix
 * per room, pushed to its PublishCdnUrls or the application's URL template), with Tencent's
 * parameter names. Parley always transcodes (RTMP carries H.264 + AAC; rooms carry VP8 + Opus).
 */
import { defaultStreamId, type RoomRef, type StreamType } from '@parley/protocol';
import type { OutputVideo } from '../mediaOut/pipeline.js';
import {
  customJobLayout,
  fitOf,
  defaultRelayLayout,
  floatJobLayout,
  gridJobLayout,
  type PlacedUser,
  type TaskOutput,
} from '../mediaOut/mixLayout.js';
import { TaskError, type LayoutOf, type MediaOutTasks } from '../mediaOut/MediaOutTasks.js';
import { ApiError } from './envelope.js';
import { optionalInt, requiredInt, roomParam, type Params } from './params.js';
import type { ActionHandler, ApiCaller } from './TencentApi.js';

export interface MediaOutActionDeps {
  tasks: MediaOutTasks;
  /** The application's RTMP URL template (`{streamId}`), if any. */
  urlTemplate(sdkAppId: number): string | null;
  /** Null when the application may push to `url`; otherwise why not (allowed CDN hosts). */
  checkUrl(sdkAppId: number, url: string): Promise<string | null>;
}

const RTMP_URL = /^rtmps?:\/\/[^\s"'\\!/]+\/[^\s"'\\!]+$/;

function object(params: Params, name: string, required = false): Params | undefined {
  const value = params[name];
  if (value === undefined || value === null) {
    if (required)
      throw new ApiError(`MissingParameter.${name}`, `the parameter ${name} is missing`);
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(`InvalidParameter.${name}`, `${name} must be an object`);
  }
  return value as Params;
}

function array(params: Params, name: string): Params[] {
  const value = params[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null)) {
    throw new ApiError(`InvalidParameter.${name}`, `${name} must be a list of objects`);
  }
  return value as Params[];
}

function int(
  params: Params | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (!params) return fallback;
  return optionalInt(params, name, min, max) ?? fallback;
}

function userIdOf(params: Params, where: string): string {
  const value = params.UserId;
  if (typeof value !== 'string' || value.length === 0 || value.length > 32) {
    throw new ApiError(`InvalidParameter.UserId`, `${where}.UserId must be a user id`);
  }
  return value;
}

function sdkAppIdOf(params: Params, caller: ApiCaller): number {
  const sdkAppId = requiredInt(params, 'SdkAppId', 1, 0xffffffff);
  if (sdkAppId !== caller.sdkAppId) {
    throw new ApiError(
      'UnauthorizedOperation.SdkAppId',
      `the credential ${caller.secretId} belongs to SdkAppId ${caller.sdkAppId}, not ${sdkAppId}`,
    );
  }
  return sdkAppId;
}

/** A task failure as Tencent's error codes. */
function apiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof TaskError) {
    if (error.code === 'RoomNotExist')
      return new ApiError('FailedOperation.RoomNotExist', error.message);
    if (error.code === 'TaskNotExist')
      return new ApiError('InvalidParameter.TaskId', error.message);
    return new ApiError('FailedOperation', error.message);
  }
  return new ApiError('InternalError', (error as Error).message);
}

/** StartPublishCdnStream's RoomId + RoomIdType (0 = integer room, 1 = string room). */
export function cdnRoom(params: Params): RoomRef {
  const type = optionalInt(params, 'RoomIdType', 0, 1) ?? 0;
  return roomParam(
    {
      ...params,
      RoomId:
        type === 0 && typeof params.RoomId === 'string' && /^\d+$/.test(params.RoomId)
          ? Number(params.RoomId)
          : params.RoomId,
    },
    type === 0 ? 'number' : 'string',
  );
}

async function cdnUrls(
  params: Params,
  sdkAppId: number,
  streamId: string,
  deps: MediaOutActionDeps,
): Promise<string[]> {
  const list = array(params, 'PublishCdnParams');
  if (list.length > 10)
    throw new ApiError('InvalidParameter.PublishCdnParams', 'at most 10 PublishCdnParams');
  const urls = list.map((p, i) => {
    const url = p.PublishCdnUrl;
    if (typeof url !== 'string' || !RTMP_URL.test(url)) {
      throw new ApiError(
        'InvalidParameter.PublishCdnUrl',
        `PublishCdnParams[${i}].PublishCdnUrl must be an rtmp:// or rtmps:// URL`,
      );
    }
    return url;
  });
  for (const [i, url] of urls.entries()) {
    const refused = await deps.checkUrl(sdkAppId, url);
    if (refused) {
      throw new ApiError(
        'InvalidParameter.PublishCdnUrl',
        `PublishCdnParams[${i}].PublishCdnUrl refused: ${refused}`,
      );
    }
  }
  if (urls.length === 0) {
    const template = deps.urlTemplate(sdkAppId);
    if (!template) {
      throw new ApiError(
        'MissingParameter.PublishCdnParams',
        'no PublishCdnParams and the application has no cdnUrlTemplate (PARLEY_CDN_URL_TEMPLATE) to push to',
      );
    }
    urls.push(template.replaceAll('{streamId}', streamId));
  }
  return urls;
}

/** BackGroundColor: Tencent sends a string ("0xcc0000" or "#cc0000"); a number is taken too. */
function colorOf(value: unknown): number {
  if (value === undefined || value === null || value === '') return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffff) {
    return value;
  }
  const match = typeof value === 'string' ? /^(?:0x|#)?([0-9a-fA-F]{6})$/.exec(value) : null;
  if (!match) {
    throw new ApiError(
      'InvalidParameter.BackGroundColor',
      'BackGroundColor must be a colour such as 0xcc0000',
    );
  }
  return parseInt(match[1]!, 16);
}

/** AudioParams.AudioEncode + VideoParams.VideoEncode (+ BackGroundColor) of StartPublishCdnStream. */
function cdnOutput(params: Params): TaskOutput {
  const audio = object(object(params, 'AudioParams') ?? {}, 'AudioEncode');
  const videoParams = object(params, 'VideoParams');
  const video = object(videoParams ?? {}, 'VideoEncode');
  const width = int(video, 'Width', 16, 1920, 640);
  const height = int(video, 'Height', 16, 1920, 480);
  const fps = int(video, 'Fps', 1, 30, 15);
  const out: OutputVideo = {
    width,
    height,
    fps,
    bitrateKbps: int(video, 'BitRate', 64, 10_000, 800),
    gopSeconds: int(video, 'Gop', 1, 8, 2),
    background: colorOf(videoParams?.BackGroundColor),
  };
  const sampleRate = int(audio, 'SampleRate', 8000, 48000, 48000);
  const channels = int(audio, 'Channel', 1, 2, 2) as 1 | 2;
  return {
    video: out,
    audio: { sampleRate, channels, bitrateKbps: int(audio, 'BitRate', 32, 192, 64) },
  };
}

/** One entry of MixLayoutList / PresetLayoutConfig as a placed user. */
function placed(entry: Params, where: string, names: { user: 'stream' | 'flat' }): PlacedUser {
  let userId = '';
  let streamType: StreamType = 'main';
  if (names.user === 'stream') {
    const stream = object(entry, 'UserMediaStream');
    const info = stream ? object(stream, 'UserInfo') : undefined;
    if (info && info.UserId !== undefined && info.UserId !== '')
      userId = userIdOf(info, `${where}.UserMediaStream.UserInfo`);
    if (stream && optionalInt(stream, 'StreamType', 0, 1) === 1) streamType = 'auxiliary';
  } else {
    if (entry.UserId !== undefined && entry.UserId !== '') userId = userIdOf(entry, where);
    if (optionalInt(entry, 'StreamType', 0, 1) === 1) streamType = 'auxiliary';
  }
  const width = int(entry, 'ImageWidth', 0, 1920, 0);
  const height = int(entry, 'ImageHeight', 0, 1920, 0);
  // PresetLayoutConfig called it ImageLayer before ZOrder.
  const zOrder = int(entry, 'ZOrder', 1, 15, int(entry, 'ImageLayer', 1, 15, 1));
  return {
    userId,
    streamType,
    box:
      width > 0 && height > 0
        ? {
            x: int(entry, 'LocationX', 0, 1920, 0),
            y: int(entry, 'LocationY', 0, 1920, 0),
            width,
            height,
            zOrder,
            // 0 crop, 1 fit showing the background, 2 fit on black (Tencent's McuLayout).
            fit: fitOf(int(entry, 'RenderMode', 0, 2, 0)),
          }
        : null,
  };
}

/** The layout of a StartPublishCdnStream / UpdatePublishCdnStream call. */
function cdnLayout(params: Params, output: TaskOutput): LayoutOf {
  const transcoding = optionalInt(params, 'WithTranscoding', 0, 1) ?? 0;
  const single = object(params, 'SingleSubscribeParams');
  if (transcoding === 0 || single) {
    const stream = single ? object(single, 'UserMediaStream', true)! : undefined;
    const info = stream ? object(stream, 'UserInfo', true)! : undefined;
    if (!info) {
      throw new ApiError(
        'MissingParameter.SingleSubscribeParams',
        'WithTranscoding 0 relays one user: SingleSubscribeParams.UserMediaStream.UserInfo.UserId is needed',
      );
    }
    const userId = userIdOf(info, 'SingleSubscribeParams.UserMediaStream.UserInfo');
    const streamType: StreamType =
      optionalInt(stream!, 'StreamType', 0, 1) === 1 ? 'auxiliary' : 'main';
    return () => defaultRelayLayout(output, userId, streamType);
  }
  const layout = object(object(params, 'VideoParams') ?? {}, 'LayoutParams');
  const mode = int(layout, 'MixLayoutMode', 1, 4, 3);
  if (mode === 4) {
    const list = array(layout ?? {}, 'MixLayoutList').map((e, i) =>
      placed(e, `MixLayoutList[${i}]`, { user: 'stream' }),
    );
    if (list.length === 0)
      throw new ApiError(
        'MissingParameter.MixLayoutList',
        'MixLayoutMode 4 (custom) needs MixLayoutList',
      );
    return (publishers) => customJobLayout(output, list, publishers);
  }
  if (mode === 3) return (publishers) => gridJobLayout(output, publishers);
  return (publishers) => floatJobLayout(output, publishers);
}

/** The MCU mix of a room: its task id is fixed by the room (one mix per room). */
export const mcuTaskId = (sdkAppId: number, room: RoomRef): string =>
  `mcu-${sdkAppId}-${room.kind === 'number' ? 'n' : 's'}-${String(room.id)}`;

/** StartMCUMixTranscode[ByStrRoomId]'s and StopMCUMixTranscode[ByStrRoomId]'s room. */
export const mcuRoom = (params: Params, kind: 'number' | 'string'): RoomRef =>
  roomParam(
    kind === 'string' ? { ...params, RoomId: params.StrRoomId ?? params.RoomId } : params,
    kind,
  );

export function createMediaOutActions(deps: MediaOutActionDeps): Record<string, ActionHandler> {
  const { tasks } = deps;
  /**
   * MCU starts under way (their URLs are checked before the task exists): a stop or a second
   * start for the same room waits for the first, so it sees the task.
   */
  const mcuStarts = new Map<string, Promise<unknown>>();

  const startPublishCdnStream: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdOf(params, caller);
    const room = cdnRoom(params);
    const output = cdnOutput(params);
    const layoutOf = cdnLayout(params, output);
    const streamId = `${defaultStreamId(sdkAppId, room.id, 'cdn')}_${Date.now().toString(36)}`;
    const urls = await cdnUrls(params, sdkAppId, streamId, deps);
    try {
      const taskId = await tasks.start(sdkAppId, room, layoutOf, urls);
      caller.log.info({ room, taskId, urls: urls.length }, 'CDN publishing started by api');
      return { TaskId: taskId };
    } catch (error) {
      throw apiError(error);
    }
  };

  const taskIdOf = (params: Params): string => {
    const id = params.TaskId;
    if (typeof id !== 'string' || id.length === 0 || id.length > 128) {
      throw new ApiError('MissingParameter.TaskId', 'the parameter TaskId is missing');
    }
    return id;
  };

  const updatePublishCdnStream: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdOf(params, caller);
    const taskId = taskIdOf(params);
    const output = cdnOutput(params);
    try {
      await tasks.update(sdkAppId, taskId, cdnLayout({ WithTranscoding: 1, ...params }, output));
    } catch (error) {
      throw apiError(error);
    }
    return { TaskId: taskId };
  };

  const stopPublishCdnStream: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdOf(params, caller);
    const taskId = taskIdOf(params);
    try {
      await tasks.stop(sdkAppId, taskId);
    } catch (error) {
      throw apiError(error);
    }
    return { TaskId: taskId };
  };

  const startMcu =
    (kind: 'number' | 'string'): ActionHandler =>
    async (params, caller) => {
      const sdkAppId = sdkAppIdOf(params, caller);
      const room = roomParam(
        kind === 'string' ? { ...params, RoomId: params.StrRoomId ?? params.RoomId } : params,
        kind,
      );
      const encode = object(params, 'EncodeParams', true)!;
      const output: TaskOutput = {
        video: {
          width: int(encode, 'VideoWidth', 16, 1920, 640),
          height: int(encode, 'VideoHeight', 16, 1920, 480),
          fps: int(encode, 'VideoFramerate', 1, 30, 15),
          bitrateKbps: int(encode, 'VideoBitrate', 64, 10_000, 800),
          gopSeconds: int(encode, 'VideoGop', 1, 8, 2),
          background: int(encode, 'BackgroundColor', 0, 0xffffff, 0),
        },
        audio: {
          sampleRate: requiredInt(
            encode,
            'AudioSampleRate',
            8000,
            48000,
            'MissingParameter.AudioSampleRate',
            'InvalidParameter.AudioSampleRate',
          ),
          channels: requiredInt(
            encode,
            'AudioChannels',
            1,
            2,
            'MissingParameter.AudioChannels',
            'InvalidParameter.AudioChannels',
          ) as 1 | 2,
          bitrateKbps: requiredInt(
            encode,
            'AudioBitrate',
            32,
            192,
            'MissingParameter.AudioBitrate',
            'InvalidParameter.AudioBitrate',
          ),
        },
      };
      const layout = object(params, 'LayoutParams') ?? {};
      const template = int(layout, 'Template', 0, 4, 0);
      let layoutOf: LayoutOf;
      if (template === 4) {
        const list = array(layout, 'PresetLayoutConfig').map((e, i) =>
          placed(e, `PresetLayoutConfig[${i}]`, { user: 'flat' }),
        );
        if (list.length === 0)
          throw new ApiError(
            'MissingParameter.PresetLayoutConfig',
            'Template 4 (custom) needs PresetLayoutConfig',
          );
        layoutOf = (publishers) => customJobLayout(output, list, publishers);
      } else if (template === 1) {
        layoutOf = (publishers) => gridJobLayout(output, publishers);
      } else {
        const main =
          typeof layout.MainVideoUserId === 'string' ? layout.MainVideoUserId : undefined;
        layoutOf = (publishers) => floatJobLayout(output, publishers, main);
      }
      const out = object(params, 'OutputParams', true)!;
      const streamId = out.StreamId;
      if (typeof streamId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(streamId)) {
        throw new ApiError(
          'InvalidParameter.OutputParams',
          'OutputParams.StreamId must be 1-64 letters, digits, _ or -',
        );
      }
      const startOrUpdate = async (): Promise<void> => {
        const cdn = object(params, 'PublishCdnParams');
        const urls = cdn
          ? await cdnUrls(
              {
                PublishCdnParams: (Array.isArray(cdn.PublishCdnUrls) ? cdn.PublishCdnUrls : []).map(
                  (u) => ({ PublishCdnUrl: u }),
                ),
              },
              sdkAppId,
              streamId,
              deps,
            )
          : await cdnUrls({}, sdkAppId, streamId, deps);
        try {
          if (tasks.has(sdkAppId, id)) {
            // Again for the same room: the layout changes in place (Tencent's "update").
            await tasks.update(sdkAppId, id, layoutOf);
          } else {
            await tasks.start(sdkAppId, room, layoutOf, urls, id);
          }
        } catch (error) {
          throw apiError(error);
        }
      };
      const id = mcuTaskId(sdkAppId, room);
      const earlier = mcuStarts.get(id);
      const run = (async () => {
        await earlier?.catch(() => undefined);
        await startOrUpdate();
      })();
      mcuStarts.set(id, run);
      try {
        await run;
      } finally {
        if (mcuStarts.get(id) === run) mcuStarts.delete(id);
      }
      caller.log.info({ room, streamId }, 'MCU mix started by api');
      return {};
    };

  const stopMcu =
    (kind: 'number' | 'string'): ActionHandler =>
    async (params, caller) => {
      const sdkAppId = sdkAppIdOf(params, caller);
      const room = roomParam(
        kind === 'string' ? { ...params, RoomId: params.StrRoomId ?? params.RoomId } : params,
        kind,
      );
      const id = mcuTaskId(sdkAppId, room);
      await mcuStarts.get(id)?.catch(() => undefined);
      if (!tasks.has(sdkAppId, id)) {
        throw new ApiError(
          'FailedOperation.MixSessionNotExist',
          `room ${String(room.id)} has no mix`,
        );
      }
      try {
        await tasks.stop(sdkAppId, id);
      } catch (error) {
        throw apiError(error);
      }
      return {};
    };

  return {
    StartPublishCdnStream: startPublishCdnStream,
    UpdatePublishCdnStream: updatePublishCdnStream,
    StopPublishCdnStream: stopPublishCdnStream,
    StartMCUMixTranscode: startMcu('number'),
    StartMCUMixTranscodeByStrRoomId: startMcu('string'),
    StopMCUMixTranscode: stopMcu('number'),
    StopMCUMixTranscodeByStrRoomId: stopMcu('string'),
  };
}
