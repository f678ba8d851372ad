/**
 * Custom messages (TRTC v5 `sendCustomMessage`) relayed over signaling: checked (the sender is
 * an anchor, at most 30 messages and 8 KB per second as v5 limits them) and sent to everyone
 * else in the room in the order received, with the sender's cmdId and sequence number.
 */
import { ErrorCode, type ClientRequestData } from '@parley/protocol';
import { ServerError } from '../ServerError.js';
import { RateLimiter } from '../util/RateLimiter.js';
import type { Participant } from './Participant.js';
import type { Room } from './Room.js';

export const CUSTOM_MESSAGES_PER_SECOND = 30;
export const CUSTOM_MESSAGE_BYTES_PER_SECOND = 8 * 1024;

export class CustomMessageRelay {
  readonly #messages: RateLimiter;
  readonly #bytes: RateLimiter;

  constructor(now: () => number = Date.now) {
    this.#messages = new RateLimiter(CUSTOM_MESSAGES_PER_SECOND, CUSTOM_MESSAGES_PER_SECOND, now);
    this.#bytes = new RateLimiter(
      CUSTOM_MESSAGE_BYTES_PER_SECOND,
      CUSTOM_MESSAGE_BYTES_PER_SECOND,
      now,
    );
  }

  relay(
    room: Room,
    sender: Participant,
    data: ClientRequestData<'custom-message'>,
  ): Record<string, never> {
    if (!sender.visible) {
      throw ServerError.wrongState(
        'custom messages need the anchor role (live audience may not send)',
      );
    }
    const bytes = Math.floor((data.data.length * 3) / 4);
    if (!this.#messages.take() || !this.#bytes.take(bytes)) {
      throw new ServerError(
        ErrorCode.INVALID_OPERATION,
        `custom message dropped: more than ${CUSTOM_MESSAGES_PER_SECOND} messages or ${CUSTOM_MESSAGE_BYTES_PER_SECOND} bytes per second`,
      );
    }
    room.sendCustomMessage(sender, { userId: sender.userId, ...data });
    return {};
  }
}
