/**
 * SEI messages (`client.sendSEIMessage`) relayed over signaling: checked (the sender
 * publishes video, at most SEI_MESSAGES_PER_SECOND) and sent to everyone else in the room
 * in the order received, each released right after the sender's next video frame has been
 * forwarded, so it travels with that frame rather than ahead of it. It is not embedded in the
 * bitstream: signaling and media take separate paths (see the protocol header).
 */
import { ErrorCode, type ClientRequestData } from '@parley/protocol';
import { ServerError } from '../ServerError.js';
import { RateLimiter } from '../util/RateLimiter.js';
import type { Participant } from './Participant.js';
import type { Room } from './Room.js';

/** v4 apps send SEI at most once per video frame; 30 fps is the common ceiling. */
export const SEI_MESSAGES_PER_SECOND = 30;

export class SeiRelay {
  readonly #limiter: RateLimiter;

  constructor(now: () => number = Date.now) {
    this.#limiter = new RateLimiter(SEI_MESSAGES_PER_SECOND, SEI_MESSAGES_PER_SECOND, now);
  }

  relay(room: Room, sender: Participant, data: ClientRequestData<'sei'>): Record<string, never> {
    const publishesVideo = [...sender.streams.values()].some((s) => s.tracks.has('video'));
    if (!publishesVideo || !sender.visible) {
      throw ServerError.wrongState('SEI messages need a published video stream');
    }
    if (!this.#limiter.take()) {
      throw new ServerError(
        ErrorCode.INVALID_OPERATION,
        `SEI message dropped: more than ${SEI_MESSAGES_PER_SECOND} per second`,
      );
    }
    const message = { userId: sender.userId, payloadType: data.payloadType, data: data.data };
    // Only to those that may see the sender's video: SEI rides with it.
    const send = () => room.sendSei(sender, message);
    const video = room.videoProducerOf(sender);
    if (video) video.afterNextFrame(send);
    else send();
    return {};
  }
}
