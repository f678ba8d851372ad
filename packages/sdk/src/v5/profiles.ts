/** v5's camera profiles (trtc-sdk-v5 5.17.1): v4's presets, 4K included; unset is '480p_2'. */
import type { VideoProfile } from '../profiles.js';
import { DEFAULT_VIDEO_PROFILE, videoProfileMap } from './constants.js';

export const V5_VIDEO_PROFILES: Readonly<Record<string, VideoProfile>> = videoProfileMap;

export const DEFAULT_V5_VIDEO_PROFILE: VideoProfile = videoProfileMap[DEFAULT_VIDEO_PROFILE];
