import { describe, expect, it } from 'vitest';
import type { StreamInfo } from '@parley/protocol';
import { RoomState } from './RoomState.js';

function info(userId: string, overrides: Partial<StreamInfo> = {}): StreamInfo {
  return {
    userId,
    streamType: 'main',
    hasAudio: true,
    hasVideo: true,
    audioMuted: false,
    videoMuted: false,
    hasSmall: false,
    ...overrides,
  };
}

describe('RoomState', () => {
  it('reports a join snapshot as peer-join then stream-added, without self', () => {
    const room = new RoomState('me');
    const changes = room.applySnapshot({
      participants: [
        { userId: 'me', role: 'anchor', streams: [info('me')] },
        { userId: 'bob', role: 'anchor', streams: [info('bob')] },
        { userId: 'carol', role: 'audience', streams: [] },
      ],
    });
    expect(changes.map((c) => `${c.type}:${'userId' in c ? c.userId : c.stream.userId}`)).toEqual([
      'peer-join:bob',
      'stream-added:bob',
      'peer-join:carol',
    ]);
  });

  it('reconciles a resume snapshot: vanished first, then new, then changed', () => {
    const room = new RoomState('me');
    room.applySnapshot({
      participants: [
        { userId: 'bob', role: 'anchor', streams: [info('bob')] },
        { userId: 'carol', role: 'anchor', streams: [info('carol')] },
        { userId: 'dave', role: 'anchor', streams: [info('dave')] },
      ],
    });
    const changes = room.applySnapshot({
      participants: [
        // bob gone; carol unpublished; dave muted audio; erin new
        { userId: 'carol', role: 'anchor', streams: [] },
        { userId: 'dave', role: 'anchor', streams: [info('dave', { audioMuted: true })] },
        { userId: 'erin', role: 'anchor', streams: [info('erin')] },
      ],
    });
    expect(changes.map((c) => `${c.type}:${'userId' in c ? c.userId : c.stream.userId}`)).toEqual([
      'stream-removed:bob',
      'peer-leave:bob',
      'stream-removed:carol',
      'stream-updated:dave',
      'peer-join:erin',
      'stream-added:erin',
    ]);
    expect(room.userIds().sort()).toEqual(['carol', 'dave', 'erin']);
    expect(room.getStream('dave', 'main')?.audioMuted).toBe(true);
  });

  it('an unchanged snapshot changes nothing', () => {
    const room = new RoomState('me');
    const snapshot = {
      participants: [{ userId: 'bob', role: 'anchor' as const, streams: [info('bob')] }],
    };
    room.applySnapshot(snapshot);
    expect(room.applySnapshot(snapshot)).toEqual([]);
  });

  it('peer-leave removes the remaining streams first', () => {
    const room = new RoomState('me');
    room.handleStreamAdded(info('bob'));
    room.handleStreamAdded(info('bob', { streamType: 'auxiliary' }));
    expect(room.handlePeerLeave('bob').map((c) => c.type)).toEqual([
      'stream-removed',
      'stream-removed',
      'peer-leave',
    ]);
    expect(room.handlePeerLeave('bob')).toEqual([]);
  });

  it('stream-added for an unknown user joins them first; a repeat is an update', () => {
    const room = new RoomState('me');
    expect(room.handleStreamAdded(info('bob')).map((c) => c.type)).toEqual([
      'peer-join',
      'stream-added',
    ]);
    expect(room.handleStreamAdded(info('bob'))).toEqual([]);
    const [update] = room.handleStreamAdded(info('bob', { videoMuted: true }));
    expect(update).toMatchObject({ type: 'stream-updated', previous: { videoMuted: false } });
  });

  it('ignores duplicates and unknowns', () => {
    const room = new RoomState('me');
    expect(room.handlePeerJoin('bob', 'anchor')).toHaveLength(1);
    expect(room.handlePeerJoin('bob', 'anchor')).toEqual([]);
    expect(room.handlePeerJoin('me', 'anchor')).toEqual([]);
    expect(room.handleStreamRemoved('bob', 'main')).toEqual([]);
    expect(room.handleStreamAdded(info('me'))).toEqual([]);
  });
});
