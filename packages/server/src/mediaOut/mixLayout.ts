/**
 * v4 mix configurations and single-stream relays as media-out job layouts: which user's
 * stream goes in which box at which zOrder, placeholders of a `preset-layout` filled from the
 * room's publishers (in the order they joined), output video and audio settings.
 */
import {
  PLACE_HOLDER_LOCAL_MAIN,
  PLACE_HOLDER_LOCAL_SUB,
  PLACE_HOLDER_REMOTE,
  type MixConfig,
  type StreamType,
} from '@parley/protocol';
import type { JobLayout, JobUser } from './MediaOutJob.js';
import type { VideoBox } from './pipeline.js';

/** A publisher of the room as a layout sees it, in join order. */
export interface RoomPublisher {
  userId: string;
  streams: StreamType[];
}

/**
 * How a box is drawn for Tencent's MCU render modes (v4's `renderMode`, the server API's
 * `RenderMode`): 0 crop to fill; 1 fit, what is beneath showing around the picture ("scale
 * and show the background"); 2 fit on black ("scale and show a black base"). v4 also accepts
 * 4, described nowhere: drawn as the default, 0.
 */
export function fitOf(renderMode: number): VideoBox['fit'] {
  return renderMode === 1 ? 'fit-transparent' : renderMode === 2 ? 'fit' : 'crop';
}

/** What the server resolved of a mix's configuration. */
export interface MixResolved {
  /** The file of `backgroundImage`, when it names one. */
  backgroundImage?: string;
  /** The caller's room id (as a string): a `mixUsers[].roomId` equal to it is this room. */
  roomId?: string;
}

/** The layout of a mix now: placeholders take the room's streams that no entry names. */
export function mixJobLayout(
  config: MixConfig,
  callerUserId: string,
  publishers: readonly RoomPublisher[],
  resolved: MixResolved = {},
): JobLayout {
  const named = new Set(
    config.mixUsers
      .filter((u) => !u.userId.startsWith('$PLACE_HOLDER_'))
      .map((u) => `${u.userId}/${u.streamType}`),
  );
  // Remote streams free for $PLACE_HOLDER_REMOTE$: main streams of the others, join order.
  const free = publishers
    .filter((p) => p.userId !== callerUserId && p.streams.includes('main'))
    .map((p) => p.userId)
    .filter((userId) => !named.has(`${userId}/main`));
  const users: JobUser[] = [];
  for (const u of config.mixUsers) {
    let userId = u.userId;
    let streamType = u.streamType;
    if (config.mode === 'preset-layout') {
      if (userId === PLACE_HOLDER_REMOTE) {
        const next = free.shift();
        if (!next) continue;
        userId = next;
        streamType = 'main';
      } else if (userId === PLACE_HOLDER_LOCAL_MAIN) {
        userId = callerUserId;
        streamType = 'main';
      } else if (userId === PLACE_HOLDER_LOCAL_SUB) {
        userId = callerUserId;
        streamType = 'auxiliary';
      }
    }
    const otherRoom =
      u.roomId !== undefined && String(u.roomId) !== resolved.roomId && userId === u.userId
        ? String(u.roomId)
        : undefined;
    users.push({
      userId,
      ...(otherRoom !== undefined ? { roomId: otherRoom } : {}),
      streamType,
      audio: u.pureVideo !== true,
      box:
        u.pureAudio || u.width <= 0 || u.height <= 0
          ? null
          : {
              x: u.locationX,
              y: u.locationY,
              width: u.width,
              height: u.height,
              zOrder: u.zOrder,
              fit: fitOf(u.renderMode),
            },
    });
  }
  return {
    video: {
      width: config.videoWidth,
      height: config.videoHeight,
      fps: config.videoFramerate,
      bitrateKbps: config.videoBitrate,
      gopSeconds: config.videoGOP,
      background: config.backgroundColor,
      ...(resolved.backgroundImage !== undefined
        ? { backgroundImage: resolved.backgroundImage }
        : {}),
    },
    audio: {
      sampleRate: config.audioSampleRate,
      channels: config.audioChannels,
      bitrateKbps: config.audioBitrate,
    },
    users,
  };
}

/** Output settings of a single stream's relay (v4 names none: Parley's defaults). */
export interface RelaySettings {
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  gopSeconds: number;
}

export const DEFAULT_RELAY: RelaySettings = {
  width: 640,
  height: 480,
  fps: 15,
  bitrateKbps: 800,
  gopSeconds: 2,
};

/** One user's stream alone, the whole picture (fitted, black bars), with its sound. */
export function relayJobLayout(
  userId: string,
  streamType: StreamType,
  settings: RelaySettings = DEFAULT_RELAY,
): JobLayout {
  return {
    video: {
      width: settings.width,
      height: settings.height,
      fps: settings.fps,
      bitrateKbps: settings.bitrateKbps,
      gopSeconds: settings.gopSeconds,
      background: 0,
    },
    audio: { sampleRate: 48000, channels: 2, bitrateKbps: 128 },
    users: [
      {
        userId,
        streamType,
        audio: true,
        box: { x: 0, y: 0, width: settings.width, height: settings.height, zOrder: 1, fit: 'fit' },
      },
    ],
  };
}

/** Output settings of a server API task. */
export interface TaskOutput {
  video: JobLayout['video'];
  audio: JobLayout['audio'];
}

/** A user placed by a server API layout; an empty userId is a place for the next publisher. */
export interface PlacedUser {
  userId: string;
  streamType: StreamType;
  box: VideoBox | null;
}

/** Tencent's custom layout: named users where they are put, empty places filled in join order. */
export function customJobLayout(
  output: TaskOutput,
  placed: readonly PlacedUser[],
  publishers: readonly RoomPublisher[],
): JobLayout {
  const named = new Set(placed.filter((p) => p.userId).map((p) => p.userId));
  const free = publishers
    .filter((p) => p.streams.includes('main') && !named.has(p.userId))
    .map((p) => p.userId);
  const users: JobUser[] = [];
  for (const p of placed) {
    const userId = p.userId || free.shift();
    if (!userId) continue;
    users.push({ userId, streamType: p.userId ? p.streamType : 'main', audio: true, box: p.box });
  }
  return { ...output, users };
}

/** Tencent's grid (九宫格): every publisher's main stream in equal cells, join order. */
export function gridJobLayout(output: TaskOutput, publishers: readonly RoomPublisher[]): JobLayout {
  const list = publishers.filter((p) => p.streams.includes('main')).slice(0, 16);
  const n = Math.max(1, list.length);
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const w = Math.floor(output.video.width / cols / 2) * 2;
  const h = Math.floor(output.video.height / rows / 2) * 2;
  return {
    ...output,
    users: list.map((p, i) => ({
      userId: p.userId,
      streamType: 'main',
      audio: true,
      box: {
        x: (i % cols) * w,
        y: Math.floor(i / cols) * h,
        width: w,
        height: h,
        zOrder: 1,
        fit: 'fit',
      },
    })),
  };
}

/**
 * Tencent's floating layout (and, here, screen-share and picture-in-picture): the first
 * publisher (or `main`) fills the picture, the others in small boxes on top at the right.
 */
export function floatJobLayout(
  output: TaskOutput,
  publishers: readonly RoomPublisher[],
  main?: string,
): JobLayout {
  const list = publishers.filter((p) => p.streams.includes('main')).map((p) => p.userId);
  const first = main && list.includes(main) ? main : list[0];
  const { width, height } = output.video;
  const w = Math.floor(width / 4 / 2) * 2;
  const h = Math.floor(height / 4 / 2) * 2;
  const others = list.filter((u) => u !== first).slice(0, 7);
  return {
    ...output,
    users: [
      ...(first
        ? [
            {
              userId: first,
              streamType: 'main' as const,
              audio: true,
              box: { x: 0, y: 0, width, height, zOrder: 1, fit: 'crop' as const },
            },
          ]
        : []),
      ...others.map((userId, i) => ({
        userId,
        streamType: 'main' as const,
        audio: true,
        box: {
          x: width - w - 8,
          y: 8 + i * (h + 8),
          width: w,
          height: h,
          zOrder: 2,
          fit: 'crop' as const,
        },
      })),
    ],
  };
}

/** One user's stream alone with a server API task's output settings. */
export function defaultRelayLayout(
  output: TaskOutput,
  userId: string,
  streamType: StreamType,
): JobLayout {
  const { width, height } = output.video;
  return {
    ...output,
    users: [
      {
        userId,
        streamType,
        audio: true,
        box: { x: 0, y: 0, width, height, zOrder: 1, fit: 'fit' },
      },
    ],
  };
}
