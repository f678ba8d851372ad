/**
 * Entry of the v5 build: dist/trtc-v5.esm.js (this module), dist/trtc-v5.js (the classic
 * script, global `TRTC`) and dist/trtc-v5.d.ts (its declarations), served at /sdk/.
 */
export { default } from './v5/index.js';
export * from './v5/index.js';
