/**
 * The server API's cloud recording: CreateCloudRecording, DescribeCloudRecording,
 * ModifyCloudRecording, DeleteCloudRecording, with Tencent's parameters and error codes.
 * Files are always written locally (see docs/media-out.md, Recording).
 */
import type { RoomRef } from '@parley/protocol';
import { CloudRecordings, RecordingError } from '../recording/CloudRecordings.js';
import {
  readLayout,
  readRecordingSpec,
  readSubscription,
  type MixLayout,
  type Subscription,
} from '../recording/recordingParams.js';
import { ApiError } from './envelope.js';
import { requiredInt, roomParam, type Params } from './params.js';
import type { ActionHandler, ApiCaller } from './TencentApi.js';

function sdkAppIdOf(params: Params, caller: ApiCaller): number {
  const sdkAppId = requiredInt(params, 'SdkAppId', 1, 0xffffffff);
  if (sdkAppId !== caller.sdkAppId) {
    throw new ApiError(
      'InvalidParameter.SdkAppId',
      `the credential ${caller.secretId} belongs to SdkAppId ${caller.sdkAppId}, not ${sdkAppId}`,
    );
  }
  return sdkAppId;
}

function taskIdOf(params: Params): string {
  const id = params.TaskId;
  if (typeof id !== 'string' || id.length === 0) {
    throw new ApiError('MissingParameter.TaskId', 'the parameter TaskId is missing');
  }
  if (id.length > 128) throw new ApiError('InvalidParameter.OutOfRange', 'TaskId is too long');
  return id;
}

/** CreateCloudRecording's RoomIdType: 0 string room, 1 integer room (the default). */
export function recordingRoom(params: Params): RoomRef {
  const type = params.RoomIdType;
  const kind =
    type === undefined || type === null || type === 1 || type === '1'
      ? 'number'
      : type === 0 || type === '0'
        ? 'string'
        : null;
  if (!kind) throw new ApiError('InvalidParameter.OutOfRange', 'RoomIdType must be 0 or 1');
  return roomParam(
    {
      ...params,
      RoomId:
        kind === 'number' && typeof params.RoomId === 'string' && /^\d+$/.test(params.RoomId)
          ? Number(params.RoomId)
          : params.RoomId,
    },
    kind,
  );
}

function apiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof RecordingError) {
    if (error.code === 'TaskNotExist') return new ApiError('ResourceNotFound', error.message);
    if (error.code === 'TaskExists')
      return new ApiError('FailedOperation.RestrictedConcurrency', error.message);
    if (error.code === 'RoomNotExist')
      return new ApiError('FailedOperation.RoomNotExist', error.message);
    return new ApiError('FailedOperation.CRUnsupportMethod', error.message);
  }
  return new ApiError('InternalError.CRInternalError', (error as Error).message);
}

export function createRecordingActions(recordings: CloudRecordings): Record<string, ActionHandler> {
  const create: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdOf(params, caller);
    const room = recordingRoom(params);
    for (const name of ['UserId', 'UserSig'] as const) {
      if (typeof params[name] !== 'string' || params[name] === '') {
        throw new ApiError(`MissingParameter.${name}`, `the parameter ${name} is missing`);
      }
    }
    const spec = readRecordingSpec(params);
    try {
      const taskId = recordings.create(sdkAppId, room, params.UserId as string, spec);
      caller.log.info({ room, taskId, mode: spec.mode }, 'cloud recording started by api');
      return { TaskId: taskId };
    } catch (error) {
      throw apiError(error);
    }
  };

  const describe: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdOf(params, caller);
    const taskId = taskIdOf(params);
    try {
      const task = recordings.get(sdkAppId, taskId);
      return {
        TaskId: taskId,
        Status: task.status,
        StorageFileList: task.files().map((f) => ({
          FileName: f.fileName,
          UserId: f.userId,
          TrackType: f.trackType,
          BeginTimeStamp: f.beginMs,
        })),
      };
    } catch (error) {
      throw apiError(error);
    }
  };

  const modify: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdOf(params, caller);
    const taskId = taskIdOf(params);
    const change: { subscription?: Subscription; layout?: MixLayout } = {};
    if (params.SubscribeStreamUserIds !== undefined && params.SubscribeStreamUserIds !== null) {
      change.subscription = readSubscription(params.SubscribeStreamUserIds);
    }
    if (params.MixLayoutParams !== undefined && params.MixLayoutParams !== null) {
      change.layout = readLayout(params.MixLayoutParams);
    }
    try {
      await recordings.modify(sdkAppId, taskId, change);
    } catch (error) {
      throw apiError(error);
    }
    return { TaskId: taskId };
  };

  const remove: ActionHandler = async (params, caller) => {
    const sdkAppId = sdkAppIdOf(params, caller);
    const taskId = taskIdOf(params);
    try {
      await recordings.delete(sdkAppId, taskId);
    } catch (error) {
      throw apiError(error);
    }
    caller.log.info({ taskId }, 'cloud recording stopped by api');
    return { TaskId: taskId };
  };

  return {
    CreateCloudRecording: create,
    DescribeCloudRecording: describe,
    ModifyCloudRecording: modify,
    DeleteCloudRecording: remove,
  };
}
