import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolErrorCode } from '@parley/protocol';
import type { MediaEngine } from '../media/MediaEngine.js';
import { createLogger } from '../logger.js';
import {
  CUSTOM_MESSAGE_BYTES_PER_SECOND,
  CUSTOM_MESSAGES_PER_SECOND,
  CustomMessageRelay,
} from './CustomMessageRelay.js';
import type { MessageSink } from './MessageSink.js';
import { Participant } from './Participant.js';
import { Room } from './Room.js';

function setup() {
  const room = new Room(1, { kind: 'number', id: 1 }, {} as MediaEngine, createLogger('silent'));
  const inbox = new Map<string, unknown[]>();
  const add = (userId: string, role: 'anchor' | 'audience' = 'anchor') => {
    const p = new Participant(userId, role, userId, userId, false, 'live');
    inbox.set(userId, []);
    p.sink = {
      notify: (method: string, data: unknown) => inbox.get(userId)!.push({ method, data }),
    } as unknown as MessageSink;
    room.participants.set(userId, p);
    return p;
  };
  return { room, inbox, add };
}

/** base64 of `n` zero bytes (n a multiple of 3). */
const zeros = (n: number) => Buffer.alloc(n).toString('base64');

describe('CustomMessageRelay', () => {
  it('sends cmdId, seq and data to everyone else in the room (audience included), in order', () => {
    const { room, inbox, add } = setup();
    const sender = add('sender');
    add('other');
    add('viewer', 'audience');
    const relay = new CustomMessageRelay();
    relay.relay(room, sender, { cmdId: 1, seq: 1, data: 'AQID' });
    relay.relay(room, sender, { cmdId: 10, seq: 2, data: '' });
    const expected = [
      { method: 'custom-message', data: { userId: 'sender', cmdId: 1, seq: 1, data: 'AQID' } },
      { method: 'custom-message', data: { userId: 'sender', cmdId: 10, seq: 2, data: '' } },
    ];
    expect(inbox.get('other')).toEqual(expected);
    expect(inbox.get('viewer')).toEqual(expected);
    expect(inbox.get('sender')).toEqual([]);
  });

  it('refuses a live audience member (wrong state) and sends nothing', () => {
    const { room, inbox, add } = setup();
    const viewer = add('viewer', 'audience');
    add('other');
    expect(() =>
      new CustomMessageRelay().relay(room, viewer, { cmdId: 1, seq: 1, data: 'AQID' }),
    ).toThrow(
      expect.objectContaining({
        payload: expect.objectContaining({
          code: ErrorCode.INVALID_OPERATION,
          extraCode: ProtocolErrorCode.WRONG_STATE,
        }),
      }),
    );
    expect(inbox.get('other')).toEqual([]);
  });

  it(`caps a sender at ${CUSTOM_MESSAGES_PER_SECOND} messages and ${CUSTOM_MESSAGE_BYTES_PER_SECOND} bytes per second`, () => {
    const { room, inbox, add } = setup();
    const sender = add('sender');
    add('other');
    let now = 0;
    const relay = new CustomMessageRelay(() => now);
    for (let i = 0; i < CUSTOM_MESSAGES_PER_SECOND; i++) {
      relay.relay(room, sender, { cmdId: 1, seq: i, data: 'AQID' });
    }
    expect(() => relay.relay(room, sender, { cmdId: 1, seq: 99, data: 'AQID' })).toThrow(
      /per second/,
    );
    expect(inbox.get('other')).toHaveLength(CUSTOM_MESSAGES_PER_SECOND);
    // A second later: bytes are the limit (8 messages of 999 bytes fit in 8 KB, the 9th not).
    now += 1000;
    for (let i = 0; i < 8; i++) relay.relay(room, sender, { cmdId: 2, seq: i, data: zeros(999) });
    expect(() => relay.relay(room, sender, { cmdId: 2, seq: 9, data: zeros(999) })).toThrow(
      /bytes per second/,
    );
  });
});
