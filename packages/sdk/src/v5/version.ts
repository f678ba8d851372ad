import { VERSION as V4_VERSION } from '../version.js';

/**
 * `TRTC.VERSION` of the v5 build: the trtc-sdk-v5 release whose API it implements (apps
 * compare the major), then the Parley release, the same as the v4 build's.
 */
export const VERSION = `5.17.1-parley.${V4_VERSION.slice(V4_VERSION.indexOf('-parley.') + '-parley.'.length)}`;
