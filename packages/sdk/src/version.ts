/**
 * The SDK version. Major 4 because apps compare `TRTC.VERSION` against the v4 API they were
 * written for; the suffix names the Parley release.
 */
export const VERSION = '4.15.22-parley.0.1.0';
