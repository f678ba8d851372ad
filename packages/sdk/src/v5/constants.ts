/**
 * TRTC v5's constant tables: `TRTC.EVENT`, `TRTC.TYPE` and the audio, camera and screen
 * profile presets, with the values `trtc-sdk-v5` 5.17.1 has at run time (trtc-v5-api.md §1).
 */
import { Scene, TRTCStreamType, UserRole, type TRTCStreamType as StreamTypeEnum } from './enums.js';
import { AUDIO_PROFILES, SCREEN_PROFILES, VIDEO_PROFILES } from '../profiles.js';

/**
 * Event names: `trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ...)`, the same table as
 * trtc-sdk-v5 5.17.1's at run time (e2e/v5/statics.e2e.test.ts compares them in Chromium).
 */
export const TRTCEvent = {
  ERROR: 'error',
  AUTOPLAY_FAILED: 'autoplay-failed',
  KICKED_OUT: 'kicked-out',
  REMOTE_USER_ENTER: 'remote-user-enter',
  REMOTE_USER_EXIT: 'remote-user-exit',
  REMOTE_AUDIO_AVAILABLE: 'remote-audio-available',
  REMOTE_AUDIO_UNAVAILABLE: 'remote-audio-unavailable',
  REMOTE_VIDEO_AVAILABLE: 'remote-video-available',
  REMOTE_VIDEO_UNAVAILABLE: 'remote-video-unavailable',
  AUDIO_VOLUME: 'audio-volume',
  AUDIO_FRAME: 'audio-frame',
  NETWORK_QUALITY: 'network-quality',
  CONNECTION_STATE_CHANGED: 'connection-state-changed',
  AUDIO_PLAY_STATE_CHANGED: 'audio-play-state-changed',
  VIDEO_PLAY_STATE_CHANGED: 'video-play-state-changed',
  SCREEN_SHARE_STOPPED: 'screen-share-stopped',
  DEVICE_CHANGED: 'device-changed',
  PUBLISH_STATE_CHANGED: 'publish-state-changed',
  TRACK: 'track',
  STATISTICS: 'statistics',
  SEI_MESSAGE: 'sei-message',
  CUSTOM_MESSAGE: 'custom-message',
  // These two are in trtc-sdk-v5's run-time table but not its d.ts.
  VIDEO_DECODE_DOWNGRADE_STATE_CHANGED: 'video-decode-downgrade-state-changed',
  LAYER_DATA: 'layerData',
  FIRST_VIDEO_FRAME: 'first-video-frame',
  PERMISSION_STATE_CHANGE: 'permission-state-change',
  VIDEO_SIZE_CHANGED: 'video-size-changed',
  REALTIME_TRANSCRIBER_MESSAGE: 'realtime-transcriber-message',
  REALTIME_TRANSCRIBER_STATE_CHANGED: 'realtime-transcriber-state-changed',
  PICTURE_IN_PICTURE_STATE_CHANGED: 'picture-in-picture-state-changed',
  FULL_SCREEN_STATE_CHANGED: 'full-screen-state-changed',
} as const;

/** An event name (`'remote-video-available'`, ...). */
export type TRTCEventName = (typeof TRTCEvent)[keyof typeof TRTCEvent];

/**
 * `TRTC.TYPE`. The scene, role and stream type members carry the enum types (as theirs do),
 * so that they fit `EnterRoomConfig.scene`, `switchRole()` and `streamType` either way.
 */
export const TRTCType: {
  readonly SCENE_LIVE: Scene.LIVE;
  readonly SCENE_RTC: Scene.RTC;
  readonly ROLE_ANCHOR: UserRole.ANCHOR;
  readonly ROLE_AUDIENCE: UserRole.AUDIENCE;
  readonly STREAM_TYPE_MAIN: StreamTypeEnum.Main;
  readonly STREAM_TYPE_SUB: StreamTypeEnum.Sub;
  readonly AUDIO_PROFILE_STANDARD: 'standard';
  readonly AUDIO_PROFILE_STANDARD_STEREO: 'standard-stereo';
  readonly AUDIO_PROFILE_HIGH: 'high';
  readonly AUDIO_PROFILE_HIGH_STEREO: 'high-stereo';
  /** Weak network: keep the frame rate (the camera's default). */
  readonly QOS_PREFERENCE_SMOOTH: 'smooth';
  /** Weak network: keep the resolution (the screen share's default). */
  readonly QOS_PREFERENCE_CLEAR: 'clear';
  /** Android audio output route names (accepted, meaningless on desktop browsers). */
  readonly SPEAKER: 'Speakerphone';
  readonly HEADSET: 'Headset earpiece';
} = {
  SCENE_LIVE: Scene.LIVE,
  SCENE_RTC: Scene.RTC,
  ROLE_ANCHOR: UserRole.ANCHOR,
  ROLE_AUDIENCE: UserRole.AUDIENCE,
  STREAM_TYPE_MAIN: TRTCStreamType.Main,
  STREAM_TYPE_SUB: TRTCStreamType.Sub,
  AUDIO_PROFILE_STANDARD: 'standard',
  AUDIO_PROFILE_STANDARD_STEREO: 'standard-stereo',
  AUDIO_PROFILE_HIGH: 'high',
  AUDIO_PROFILE_HIGH_STEREO: 'high-stereo',
  QOS_PREFERENCE_SMOOTH: 'smooth',
  QOS_PREFERENCE_CLEAR: 'clear',
  SPEAKER: 'Speakerphone',
  HEADSET: 'Headset earpiece',
};

/** `'smooth' | 'clear'`. */
export type QosPreference =
  typeof TRTCType.QOS_PREFERENCE_SMOOTH | typeof TRTCType.QOS_PREFERENCE_CLEAR;

/**
 * Audio presets (v4's): 48 kHz, bitrate in kbps. `high` is 128 kbps at run time in trtc-sdk-v5
 * (its d.ts says 192; the run time is what a peer measures, so 128 here).
 */
export const audioProfileMap = AUDIO_PROFILES;

/**
 * Camera presets (width × height, fps, kbps): v4's, which trtc-sdk-v5's run time has too (its
 * d.ts lists the first of each pair; the `_2` ones, lower bitrate, are accepted too).
 */
export const videoProfileMap = VIDEO_PROFILES;

/**
 * Screen presets; the `_2` ones trade bitrate for 30 fps. 1440p and 4K exist at run time in
 * trtc-sdk-v5 (not in its d.ts).
 */
export const screenProfileMap = {
  ...SCREEN_PROFILES,
  '1440p': { width: 2560, height: 1440, frameRate: 5, bitrate: 2000 },
  '1440p_2': { width: 2560, height: 1440, frameRate: 30, bitrate: 4860 },
  '4K': { width: 3840, height: 2160, frameRate: 5, bitrate: 4000 },
  '4K_2': { width: 3840, height: 2160, frameRate: 30, bitrate: 9000 },
} as const;

export type AudioProfileName = keyof typeof audioProfileMap;
export type VideoProfileName = keyof typeof videoProfileMap;
export type ScreenProfileName = keyof typeof screenProfileMap;

/** The camera's profile when `option.profile` is not given ('480p_2': 640×480, 15 fps, 500 kbps). */
export const DEFAULT_VIDEO_PROFILE: VideoProfileName = '480p_2';
/** The small stream when `option.small` is `true` ('120p_2': 160×120, 15 fps, 100 kbps). */
export const DEFAULT_SMALL_VIDEO_PROFILE: VideoProfileName = '120p_2';
export const DEFAULT_AUDIO_PROFILE: AudioProfileName = 'standard';
export const DEFAULT_SCREEN_PROFILE: ScreenProfileName = '1080p';
