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

/** A publisher of the room as a layout sees it, in join order. */
export interface RoomPublisher {
  userId: string;
  streams: StreamType[];
}

/** The layout of a mix now: placeholders take the room's streams that no entry names. */
export function mixJobLayout(
  config: MixConfig,
  callerUserId: string,
  publishers: readonly RoomPublisher[],
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
    users.push({
      userId,
      streamType,
      audio: true,
      box:
        u.pureAudio || u.width <= 0 || u.height <= 0
          ? null
          : {
              x: u.locationX,
              y: u.locationY,
              width: u.width,
              height: u.height,
              zOrder: u.zOrder,
              fit: u.renderMode === 0 ? 'crop' : 'fit',
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
