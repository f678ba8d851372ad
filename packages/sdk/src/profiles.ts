/**
 * TRTC v4's capture/encoding presets (trtc-v4-api.md "Video presets"), applied as
 * getUserMedia constraints and as the RTCRtpSender's maxBitrate.
 */

export interface VideoProfile {
  width: number;
  height: number;
  frameRate: number;
  /** kbps, as v4 states it. */
  bitrate: number;
}

export interface AudioProfile {
  sampleRate: number;
  channelCount: number;
  /** kbps. */
  bitrate: number;
}

export const VIDEO_PROFILES = {
  '120p': { width: 160, height: 120, frameRate: 15, bitrate: 200 },
  '120p_2': { width: 160, height: 120, frameRate: 15, bitrate: 100 },
  '180p': { width: 320, height: 180, frameRate: 15, bitrate: 350 },
  '180p_2': { width: 320, height: 180, frameRate: 15, bitrate: 150 },
  '240p': { width: 320, height: 240, frameRate: 15, bitrate: 400 },
  '240p_2': { width: 320, height: 240, frameRate: 15, bitrate: 200 },
  '360p': { width: 640, height: 360, frameRate: 15, bitrate: 800 },
  '360p_2': { width: 640, height: 360, frameRate: 15, bitrate: 400 },
  '480p': { width: 640, height: 480, frameRate: 15, bitrate: 900 },
  '480p_2': { width: 640, height: 480, frameRate: 15, bitrate: 500 },
  '720p': { width: 1280, height: 720, frameRate: 15, bitrate: 1500 },
  '1080p': { width: 1920, height: 1080, frameRate: 15, bitrate: 2000 },
  '1440p': { width: 2560, height: 1440, frameRate: 30, bitrate: 4860 },
  '4K': { width: 3840, height: 2160, frameRate: 30, bitrate: 9000 },
} as const satisfies Record<string, VideoProfile>;

export type VideoProfilePreset = keyof typeof VIDEO_PROFILES;
export const DEFAULT_VIDEO_PROFILE: VideoProfilePreset = '480p';

export const AUDIO_PROFILES = {
  standard: { sampleRate: 48000, channelCount: 1, bitrate: 40 },
  high: { sampleRate: 48000, channelCount: 1, bitrate: 128 },
  'standard-stereo': { sampleRate: 48000, channelCount: 2, bitrate: 64 },
  'high-stereo': { sampleRate: 48000, channelCount: 2, bitrate: 192 },
} as const satisfies Record<string, AudioProfile>;

export type AudioProfilePreset = keyof typeof AUDIO_PROFILES;
export const DEFAULT_AUDIO_PROFILE: AudioProfilePreset = 'standard';

export const SCREEN_PROFILES = {
  '480p': { width: 640, height: 480, frameRate: 5, bitrate: 900 },
  '480p_2': { width: 640, height: 480, frameRate: 30, bitrate: 1000 },
  '720p': { width: 1280, height: 720, frameRate: 5, bitrate: 1200 },
  '720p_2': { width: 1280, height: 720, frameRate: 30, bitrate: 3000 },
  '1080p': { width: 1920, height: 1080, frameRate: 5, bitrate: 1600 },
  '1080p_2': { width: 1920, height: 1080, frameRate: 30, bitrate: 4000 },
} as const satisfies Record<string, VideoProfile>;

export type ScreenProfilePreset = keyof typeof SCREEN_PROFILES;
export const DEFAULT_SCREEN_PROFILE: ScreenProfilePreset = '1080p';

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * A preset name, or a custom `{width, height, frameRate, bitrate}` whose missing fields come
 * from `base` (v4's type makes them all optional); null when unusable.
 */
export function resolveVideoProfile(
  profile: unknown,
  table: Record<string, VideoProfile> = VIDEO_PROFILES,
  base?: VideoProfile,
): VideoProfile | null {
  if (typeof profile === 'string') {
    return Object.hasOwn(table, profile) ? { ...(table[profile] as VideoProfile) } : null;
  }
  if (typeof profile === 'object' && profile !== null) {
    const p = profile as Partial<Record<keyof VideoProfile, unknown>>;
    const pick = (key: keyof VideoProfile): number | null => {
      const value = p[key] ?? base?.[key];
      return isPositive(value) ? value : null;
    };
    const width = pick('width');
    const height = pick('height');
    const frameRate = pick('frameRate');
    const bitrate = pick('bitrate');
    if (width !== null && height !== null && frameRate !== null && bitrate !== null) {
      return { width, height, frameRate, bitrate };
    }
  }
  return null;
}

/** A preset name or a custom `{sampleRate, channelCount, bitrate}`; null when unusable. */
export function resolveAudioProfile(profile: unknown): AudioProfile | null {
  if (typeof profile === 'string') {
    return Object.hasOwn(AUDIO_PROFILES, profile)
      ? { ...AUDIO_PROFILES[profile as AudioProfilePreset] }
      : null;
  }
  if (typeof profile === 'object' && profile !== null) {
    const p = profile as Partial<Record<keyof AudioProfile, unknown>>;
    if (isPositive(p.sampleRate) && isPositive(p.channelCount) && isPositive(p.bitrate)) {
      return { sampleRate: p.sampleRate, channelCount: p.channelCount, bitrate: p.bitrate };
    }
  }
  return null;
}
