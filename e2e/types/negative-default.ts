/**
 * Negative control (types.test.ts): code that is NOT valid TRTC v4 code must fail to compile,
 * against their types and against ours, with exactly the errors marked below. It proves the
 * checks can fail.
 */
import TRTC from 'trtc-js-sdk';

const client = TRTC.createClient({ mode: 'rtc', sdkAppId: 1400000001, userId: 'u', userSig: 's' });
// TRTC v5's API, not v4's: no such method.
// expect-error TS2339
client.startLocalVideo({ view: 'local' });

// No such event.
// expect-error TS2345
client.on('room-entered', () => console.log('in'));
