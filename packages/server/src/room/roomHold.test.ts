/**
 * A room opened on a node without a local member (RoomManager.open, Room.hold): what a mix of
 * another room's users uses in a cluster. It stays open while held and its members elsewhere
 * are there; it closes when let go, or when its last member elsewhere leaves.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { FakeEngine } from '../media/fake/FakeEngine.js';
import type { MemberState } from './RemoteMembers.js';
import { RoomManager } from './RoomManager.js';

const SDK_APP_ID = 1400000000;
const ref = { kind: 'number' as const, id: 77 };

const remote = (userId: string): MemberState => ({
  userId,
  node: 'node-2',
  epoch: 3,
  role: 'anchor',
  mode: 'rtc',
  privilege: 0xffff,
  autoSubscribe: false,
  sessionId: `s-${userId}`,
  streams: [],
  subscriptions: [],
  videoTypes: [],
});

/** Rooms whose preparation reads `elsewhere` as the members of other nodes (as Cluster does). */
function manager(elsewhere: string[]): RoomManager {
  const rooms = new RoomManager(new FakeEngine(), createLogger('silent'));
  rooms.prepare = async (room) => {
    for (const userId of elsewhere) await room.applyRemote(remote(userId));
  };
  return rooms;
}

describe('a room held open without a local member', () => {
  it('opens with its members elsewhere and closes when let go', async () => {
    const rooms = manager(['bob']);
    const room = await rooms.open(SDK_APP_ID, ref, 'mix-a');
    expect(room?.closed).toBe(false);
    expect([...room!.participants.keys()]).toEqual(['bob']);
    // A second holder: the first letting go does not close it.
    expect(room!.hold('mix-b')).toBe(true);
    room!.unhold('mix-a');
    await room!.ensureMedia();
    expect(room!.closed).toBe(false);
    room!.unhold('mix-b');
    // Waits for the room's queued operations (this one would not close it: bob is in it).
    await room!.closeIfEmpty();
    expect(room!.closed).toBe(true);
    expect(rooms.get(SDK_APP_ID, ref)).toBeUndefined();
  });

  it('closes when its last member elsewhere leaves', async () => {
    const rooms = manager(['bob']);
    const room = (await rooms.open(SDK_APP_ID, ref, 'mix-a'))!;
    await room.removeRemote('bob', 3, 'leave');
    expect(room.closed).toBe(true);
  });

  it('a room with nobody anywhere is not opened', async () => {
    const rooms = manager([]);
    expect(await rooms.open(SDK_APP_ID, ref, 'mix-a')).toBeUndefined();
    expect(rooms.get(SDK_APP_ID, ref)).toBeUndefined();
  });
});
