/**
 * Reading API parameters the way Tencent does: numbers may come as strings (the older
 * Describe* actions sent SdkAppId/PageNumber/PageSize as strings), a missing parameter is
 * `MissingParameter.<Name>`, a bad one `InvalidParameter.<Name>`.
 */
import { roomIdProblem, userIdProblem, type RoomRef } from '@parley/protocol';
import { ApiError } from './envelope.js';

export type Params = Record<string, unknown>;

const present = (v: unknown) => v !== undefined && v !== null && v !== '';

export function optionalInt(
  params: Params,
  name: string,
  min: number,
  max: number,
  code = `InvalidParameter.${name}`,
): number | undefined {
  const raw = params[name];
  if (!present(raw)) return undefined;
  const value = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ApiError(code, `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function requiredInt(
  params: Params,
  name: string,
  min: number,
  max: number,
  missingCode = `MissingParameter.${name}`,
  invalidCode = `InvalidParameter.${name}`,
): number {
  const value = optionalInt(params, name, min, max, invalidCode);
  if (value === undefined) throw new ApiError(missingCode, `the parameter ${name} is missing`);
  return value;
}

export function optionalString(params: Params, name: string, max = 1024): string | undefined {
  const raw = params[name];
  if (!present(raw)) return undefined;
  if (typeof raw !== 'string' || raw.length > max) {
    throw new ApiError(`InvalidParameter.${name}`, `${name} must be a string of at most ${max}`);
  }
  return raw;
}

/** A numeric room (`RoomId` int) or a string room (`ByStrRoomId`, `RoomId` string). */
export function roomParam(params: Params, kind: 'number' | 'string' | 'either'): RoomRef {
  const raw = params.RoomId;
  if (!present(raw))
    throw new ApiError('MissingParameter.RoomId', 'the parameter RoomId is missing');
  let room: RoomRef;
  if (kind === 'number' || (kind === 'either' && typeof raw === 'number')) {
    const id = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      throw new ApiError('InvalidParameter.RoomId', 'RoomId must be an integer room id');
    }
    room = { kind: 'number', id };
  } else {
    if (typeof raw !== 'string') {
      throw new ApiError('InvalidParameter.RoomId', 'RoomId must be a string room id');
    }
    room = { kind: 'string', id: raw };
  }
  const problem = roomIdProblem(room);
  if (problem) throw new ApiError('InvalidParameterValue.RoomId', problem);
  return room;
}

export function userIdsParam(params: Params, max: number, required: boolean): string[] | undefined {
  const raw = params.UserIds;
  if (!present(raw)) {
    if (required)
      throw new ApiError('MissingParameter.UserIds', 'the parameter UserIds is missing');
    return undefined;
  }
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > max) {
    throw new ApiError(
      'InvalidParameter.UserIds',
      `UserIds must be an array of 1 to ${max} user ids`,
    );
  }
  for (const id of raw) {
    const problem = typeof id === 'string' ? userIdProblem(id) : 'user ids are strings';
    if (problem) throw new ApiError('InvalidParameter.UserIds', `UserIds: ${problem}`);
  }
  return raw as string[];
}

/**
 * GET form queries flatten arrays and objects (`UserIds.0=a&UserIds.1=b`); this rebuilds
 * them into what a JSON body would have carried.
 */
export function unflatten(query: URLSearchParams): Params {
  const result: Params = {};
  for (const [key, value] of query) {
    const parts = key.split('.');
    let target: Record<string, unknown> = result;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        target[part] = value;
        return;
      }
      const next = parts[i + 1]!;
      target[part] ??= /^\d+$/.test(next) ? [] : {};
      target = target[part] as Record<string, unknown>;
    });
  }
  return result;
}
