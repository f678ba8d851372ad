/**
 * Negative control (v5types.test.ts): code that is NOT valid TRTC v5 code must fail to
 * compile, against their types and against ours, with exactly the errors marked below.
 */
import TRTC from 'trtc-sdk-v5';

const trtc = TRTC.create();

// TRTC v4's API, not v5's: no such method.
// expect-error TS2339
void trtc.join({ roomId: 8 });

// No such event.
// expect-error TS2345
trtc.on('stream-added', () => undefined);

// A numeric roomId must be a number (a string room is strRoomId).
// expect-error TS2322
void trtc.enterRoom({ sdkAppId: 1400000001, userId: 'u', userSig: 's', roomId: '8' });

// startRemoteVideo needs the stream type.
// expect-error TS2345
void trtc.startRemoteVideo({ userId: 'bob', view: 'v' });

// An event's payload has no such field.
// expect-error TS2339
trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, (event) => console.log(event.stream));
