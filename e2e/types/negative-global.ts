/**
 * Negative control (types.test.ts), global `TRTC` variant: must fail against
 * @types/trtc-js-sdk and against ours with exactly the errors marked below.
 */
const negativeClient = TRTC.createClient({
  mode: 'rtc',
  sdkAppId: 1400000001,
  userId: 'u',
  userSig: 's',
});
// The native (TRTCCloud) API's name, not v4's.
// expect-error TS2339
negativeClient.enterRoom({ roomId: 1 });
