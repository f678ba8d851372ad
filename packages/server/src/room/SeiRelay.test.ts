import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import type { MediaEngine } from '../media/MediaEngine.js';
import { createLogger } from '../logger.js';
import type { MessageSink } from './MessageSink.js';
import { Participant } from './Participant.js';
import { Room } from './Room.js';
import { SEI_MESSAGES_PER_SECOND, SeiRelay } from './SeiRelay.js';

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

const withVideo = (p: Participant) =>
  p.streams.set('main', {
    type: 'main',
    // No producer: the message goes out at once (the frame timing is the engine's, tested
    // end to end in e2e/compat).
    tracks: new Map([
      ['video', { mid: '1', muted: false, producer: null, layers: 1, withheld: false }],
    ]),
  });

/** Each participant is told of the room as it would be at join (what SEI follows). */
const announceAll = (room: Room) => {
  for (const p of room.participants.values()) room.snapshotFor(p);
};

describe('SeiRelay', () => {
  it('sends the message to everyone else in the room, audience included', () => {
    const { room, inbox, add } = setup();
    const sender = add('sender');
    add('other');
    add('viewer', 'audience');
    withVideo(sender);
    announceAll(room);
    new SeiRelay().relay(room, sender, { payloadType: 243, data: 'AQID' });
    const expected = {
      method: 'sei-message',
      data: { userId: 'sender', payloadType: 243, data: 'AQID' },
    };
    expect(inbox.get('other')).toEqual([expected]);
    expect(inbox.get('viewer')).toEqual([expected]);
    expect(inbox.get('sender')).toEqual([]);
  });

  it('does not send it to a viewer whose privateMapKey withholds the video it rides with', () => {
    const { room, inbox, add } = setup();
    const sender = add('sender');
    const blind = add('blind');
    blind.privilege = 255 & ~32; // no "receive video"
    add('other');
    withVideo(sender);
    announceAll(room);
    new SeiRelay().relay(room, sender, { payloadType: 243, data: 'AQID' });
    expect(inbox.get('blind')).toEqual([]);
    expect(inbox.get('other')).toHaveLength(1);
  });

  it('refuses a sender without published video, and beyond the rate', () => {
    const { room, add } = setup();
    const sender = add('sender');
    const relay = new SeiRelay(() => 0);
    expect(() => relay.relay(room, sender, { payloadType: 5, data: 'AQID' })).toThrow(
      /published video/,
    );
    withVideo(sender);
    for (let i = 0; i < SEI_MESSAGES_PER_SECOND; i++) {
      relay.relay(room, sender, { payloadType: 5, data: 'AQID' });
    }
    try {
      relay.relay(room, sender, { payloadType: 5, data: 'AQID' });
      expect.unreachable();
    } catch (error) {
      expect((error as { payload: { code: number; message: string } }).payload).toMatchObject({
        code: ErrorCode.INVALID_OPERATION,
        message: expect.stringMatching(/30 per second/),
      });
    }
  });
});
