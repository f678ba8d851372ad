/**
 * Media leaving the room: v4's `startMixTranscode()` configuration (its defaults and its
 * checks, shared by the SDK, which rejects bad input before sending, and the server, which
 * never trusts it) and `startPublishCDNStream()`'s options, as sent over signaling.
 */
import { z } from 'zod';

/** v4's placeholders of a `preset-layout` mix: filled from the room as streams come and go. */
export const PLACE_HOLDER_REMOTE = '$PLACE_HOLDER_REMOTE$';
export const PLACE_HOLDER_LOCAL_MAIN = '$PLACE_HOLDER_LOCAL_MAIN$';
export const PLACE_HOLDER_LOCAL_SUB = '$PLACE_HOLDER_LOCAL_SUB$';

/** Largest canvas Parley mixes (v4 passes sizes through to the cloud, which caps at 1920). */
export const MAX_MIX_SIZE = 1920;
/** Users in one mix (v4: 16). */
export const MAX_MIX_USERS = 16;

const streamId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only (it names the RTMP stream)');

const num = z.number().finite();

/** One `mixUsers` entry as the SDK sends it (checked further by checkMixConfig). */
export const MixUserSchema = z.object({
  userId: z.string().min(1).max(64),
  roomId: z.union([z.number().int(), z.string().max(64)]).optional(),
  pureAudio: z.boolean().optional(),
  /** Its video only, no sound (v5's CDNStreaming: a layout user not in `audioMixUserList`). */
  pureVideo: z.boolean().optional(),
  width: num.optional(),
  height: num.optional(),
  locationX: num.optional(),
  locationY: num.optional(),
  zOrder: num.optional(),
  streamType: z.enum(['main', 'auxiliary']).optional(),
  // v4 accepts 0, 1, 2 and 4 (its validation list; 4 is not described anywhere).
  renderMode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(4)]).optional(),
});
export type MixUserInput = z.infer<typeof MixUserSchema>;

export const MixConfigSchema = z.object({
  mode: z.enum(['manual', 'preset-layout']).optional(),
  streamId: streamId.optional(),
  videoWidth: num.optional(),
  videoHeight: num.optional(),
  videoBitrate: num.optional(),
  videoFramerate: num.optional(),
  videoGOP: num.optional(),
  audioSampleRate: num.optional(),
  audioBitrate: num.optional(),
  audioChannels: num.optional(),
  backgroundColor: num.optional(),
  // TRTC: the id of an image uploaded in the console; Parley: an image the operator put in
  // the server's mix-images directory (the server resolves it).
  backgroundImage: z.string().max(64).optional(),
  mixUsers: z.array(MixUserSchema).max(MAX_MIX_USERS),
});
export type MixConfigInput = z.infer<typeof MixConfigSchema>;

/** A mix user once defaults are applied. */
export interface MixUser {
  userId: string;
  roomId?: number | string;
  pureAudio: boolean;
  /** Its video only, without its sound (v5); v4 mixes every user's sound. */
  pureVideo?: boolean;
  streamType: 'main' | 'auxiliary';
  width: number;
  height: number;
  locationX: number;
  locationY: number;
  zOrder: number;
  /**
   * Tencent's MCU modes: 0 crop to fill the box; 1 fit inside it, the background showing
   * around the picture; 2 fit inside it on black. 4 (v4 accepts it, documents nothing) is 0.
   */
  renderMode: 0 | 1 | 2 | 4;
}

/** A mix configuration once defaults are applied and checked. */
export interface MixConfig {
  mode: 'manual' | 'preset-layout';
  /** Empty: the default, `${sdkAppId}_${roomId}_${userId}_main` (the server fills it). */
  streamId: string;
  videoWidth: number;
  videoHeight: number;
  /** kbit/s */
  videoBitrate: number;
  videoFramerate: number;
  /** seconds between keyframes */
  videoGOP: number;
  audioSampleRate: number;
  /** kbit/s */
  audioBitrate: number;
  audioChannels: 1 | 2;
  /** 0xRRGGBB */
  backgroundColor: number;
  backgroundImage: string;
  mixUsers: MixUser[];
}

export type MixCheck = { ok: true; config: MixConfig } | { ok: false; message: string };

const AUDIO_SAMPLE_RATES = [48000, 44100, 32000, 24000, 16000, 12000, 8000];

/** The video bitrate v4 leaves to the cloud when unset: about 1.2 bit per pixel per second at 15 fps. */
export function defaultVideoBitrate(width: number, height: number): number {
  return Math.max(200, Math.round((width * height) / 384));
}

/**
 * v4's defaults and checks (trtc-js-sdk 4.15): 640×480, 15 fps, GOP 2 s, 48 kHz, 64 kbit/s,
 * one channel, black; the caller must be in `mixUsers` (manual mode), a video user needs a
 * zOrder in 1–15, the canvas must hold each user's box, fps in (0, 30], GOP in [1, 8],
 * audio bitrate in [32, 192]. The message names the field.
 */
export function checkMixConfig(input: unknown, callerUserId: string): MixCheck {
  const parsed = MixConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `config.${issue.path.join('.')}: ${issue.message}` };
  }
  const c = parsed.data;
  const fail = (message: string): MixCheck => ({ ok: false, message });
  const mode = c.mode ?? 'manual';
  const videoWidth = c.videoWidth ?? 640;
  const videoHeight = c.videoHeight ?? 480;
  const videoFramerate = c.videoFramerate ?? 15;
  const videoGOP = c.videoGOP ?? 2;
  const audioSampleRate = c.audioSampleRate ?? 48000;
  const audioBitrate = c.audioBitrate ?? 64;
  const audioChannels = c.audioChannels ?? 1;
  const backgroundColor = c.backgroundColor ?? 0;
  for (const [name, value] of [
    ['videoWidth', videoWidth],
    ['videoHeight', videoHeight],
  ] as const) {
    if (!Number.isInteger(value) || value < 16 || value > MAX_MIX_SIZE) {
      return fail(`config.${name} must be an integer from 16 to ${MAX_MIX_SIZE}, got ${value}`);
    }
  }
  if (!(videoFramerate > 0 && videoFramerate <= 30) || !Number.isInteger(videoFramerate)) {
    return fail(`config.videoFramerate must be an integer in (0, 30], got ${videoFramerate}`);
  }
  if (!Number.isInteger(videoGOP) || videoGOP < 1 || videoGOP > 8) {
    return fail(`config.videoGOP must be an integer from 1 to 8 (seconds), got ${videoGOP}`);
  }
  if (!Number.isInteger(audioBitrate) || audioBitrate < 32 || audioBitrate > 192) {
    return fail(
      `config.audioBitrate must be an integer from 32 to 192 (kbit/s), got ${audioBitrate}`,
    );
  }
  if (!AUDIO_SAMPLE_RATES.includes(audioSampleRate)) {
    return fail(
      `config.audioSampleRate must be one of ${AUDIO_SAMPLE_RATES.join(', ')}, got ${audioSampleRate}`,
    );
  }
  if (audioChannels !== 1 && audioChannels !== 2) {
    return fail(`config.audioChannels must be 1 or 2, got ${audioChannels}`);
  }
  const videoBitrate = c.videoBitrate ?? 0;
  if (!Number.isInteger(videoBitrate) || videoBitrate < 0 || videoBitrate > 10_000) {
    return fail(
      `config.videoBitrate must be an integer from 0 to 10000 (kbit/s), got ${videoBitrate}`,
    );
  }
  if (!Number.isInteger(backgroundColor) || backgroundColor < 0 || backgroundColor > 0xffffff) {
    return fail(`config.backgroundColor must be a 0xRRGGBB number, got ${backgroundColor}`);
  }
  if (c.mixUsers.length === 0) return fail('config.mixUsers must list at least one user');
  const mixUsers: MixUser[] = [];
  for (const [i, u] of c.mixUsers.entries()) {
    const at = `config.mixUsers[${i}]`;
    const pureAudio = u.pureAudio ?? false;
    const user: MixUser = {
      userId: u.userId,
      ...(u.roomId !== undefined ? { roomId: u.roomId } : {}),
      pureAudio,
      ...(u.pureVideo === true && !pureAudio ? { pureVideo: true } : {}),
      streamType: u.streamType ?? 'main',
      width: u.width ?? 0,
      height: u.height ?? 0,
      locationX: u.locationX ?? 0,
      locationY: u.locationY ?? 0,
      zOrder: u.zOrder ?? 0,
      renderMode: u.renderMode ?? 0,
    };
    if (!pureAudio) {
      if (u.zOrder === undefined || !Number.isInteger(u.zOrder) || u.zOrder < 1 || u.zOrder > 15) {
        return fail(
          `${at}.zOrder must be an integer from 1 to 15 for a video user, got ${u.zOrder}`,
        );
      }
      for (const name of ['width', 'height', 'locationX', 'locationY'] as const) {
        const value = user[name];
        if (!Number.isInteger(value) || value < 0) {
          return fail(`${at}.${name} must be a non-negative integer, got ${value}`);
        }
      }
      // v4: the canvas must hold each box where it is put (location + size).
      const right = user.locationX + user.width;
      const bottom = user.locationY + user.height;
      if (right > videoWidth || bottom > videoHeight) {
        return fail(
          `${at}: its box (${user.width}×${user.height} at ${user.locationX},${user.locationY}, reaching ${right}×${bottom}) does not fit the canvas (config.videoWidth × config.videoHeight = ${videoWidth}×${videoHeight})`,
        );
      }
    }
    mixUsers.push(user);
  }
  if (mode === 'manual' && !mixUsers.some((u) => u.userId === callerUserId)) {
    return fail(`config.mixUsers must include the caller (${callerUserId})`);
  }
  return {
    ok: true,
    config: {
      mode,
      streamId: c.streamId ?? '',
      videoWidth,
      videoHeight,
      videoBitrate: videoBitrate || defaultVideoBitrate(videoWidth, videoHeight),
      videoFramerate,
      videoGOP,
      audioSampleRate,
      audioBitrate,
      audioChannels,
      backgroundColor,
      backgroundImage: c.backgroundImage ?? '',
      mixUsers,
    },
  };
}

/**
 * Which of a client's relays a call is about. v4 has one relay per client (none given: a new
 * one replaces it); v5's CDNStreaming runs its main, sub and mix outputs side by side, one each.
 */
export const RelaySlotSchema = z.enum(['main', 'sub', 'mix']);
export type RelaySlot = z.infer<typeof RelaySlotSchema>;

/** `startPublishCDNStream()` as sent: v4 sends `url` only with `appId` and `bizId`. */
export const PublishCdnSchema = z.object({
  slot: RelaySlotSchema.optional(),
  streamId: streamId.optional(),
  streamType: z.enum(['main', 'auxiliary']),
  appId: z.number().int().nonnegative().optional(),
  bizId: z.number().int().nonnegative().optional(),
  url: z
    .string()
    .max(2048)
    .regex(/^rtmps?:\/\/[^\s/]+\/\S+$/, 'an rtmp:// or rtmps:// URL with a path')
    .optional(),
});
export type PublishCdnOptions = z.infer<typeof PublishCdnSchema>;

/** The default stream id of a user's stream and of a mix: v4's `${sdkAppId}_${roomId}_${userId}_main`. */
export function defaultStreamId(
  sdkAppId: number,
  roomId: number | string,
  userId: string,
  streamType: 'main' | 'auxiliary' = 'main',
): string {
  const id = `${sdkAppId}_${roomId}_${userId}_${streamType === 'main' ? 'main' : 'aux'}`;
  // A string room id or user id may hold characters an RTMP stream name must not.
  return id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}
