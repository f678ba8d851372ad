/** v5's camera profiles (trtc-sdk-v5 5.17.1): v4's presets plus 4K; unset is 640×480/15/500. */
import { VIDEO_PROFILES, type VideoProfile } from '../profiles.js';

export const V5_VIDEO_PROFILES: Record<string, VideoProfile> = {
  ...VIDEO_PROFILES,
  '4K': { width: 3840, height: 2160, frameRate: 30, bitrate: 9000 },
};

export const DEFAULT_V5_VIDEO_PROFILE: VideoProfile = {
  width: 640,
  height: 480,
  frameRate: 15,
  bitrate: 500,
};
