/**
 * Members of other cluster nodes in a room, in-process on the fake engine: their mirrors
 * follow the state their node writes, their tracks arrive by relay and reach the local
 * viewers, and the hand-overs between nodes (a newer session elsewhere, a session moving
 * here) tell the local clients exactly what they should see.
 */
import { describe, expect, it } from 'vitest';
import type { FakeRouter } from '../media/fake/FakeEngine.js';
import type { RtpParameters } from '../media/types.js';
import { roomKit, settle } from '../test/roomTestKit.js';
import { Participant } from './Participant.js';
import type { MemberState } from './RemoteMembers.js';

const VP8: RtpParameters = {
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }],
  headerExtensions: [],
  encodings: [{ ssrc: 1111 }],
  rtcp: {},
};

function state(over: Partial<MemberState> = {}, producerId: string | null = 'p1'): MemberState {
  return {
    userId: 'remy',
    node: 'node-2',
    epoch: 5,
    role: 'anchor',
    mode: 'rtc',
    privilege: 0xffff,
    autoSubscribe: true,
    sessionId: 'remote-session',
    streams: [
      {
        type: 'main',
        tracks: [{ kind: 'video', mid: '0', muted: false, withheld: false, layers: 1, producerId }],
      },
    ],
    subscriptions: [],
    videoTypes: [],
    ...over,
  };
}

/** What the relay does: a producer with the sender's id, fed from a pipe of the room. */
async function relay(router: FakeRouter, producerId: string) {
  const pipe = await router.createPipe();
  return pipe.receive({ producerId, kind: 'video', rtpParameters: VP8, paused: false });
}

describe('a member of another node', () => {
  it('is announced, relayed to the local viewers, updated and removed', async () => {
    const { room, join } = roomKit();
    const viewer = await join('vera');
    await room.applyRemote(state());
    expect(viewer.client.told('peer-join')).toEqual([{ userId: 'remy', role: 'anchor' }]);
    expect(viewer.client.told('stream-added')).toEqual([
      { stream: expect.objectContaining({ userId: 'remy', hasVideo: true }) },
    ]);
    // A member of another node is never a viewer here: no subscription, no connection.
    await room.applyRemote(state({ userId: 'rita', sessionId: 'r2' }, 'p7'));
    expect(room.participants.get('remy')?.subscriptions.size).toBe(0);
    expect(room.participants.get('remy')?.subscriber).toBeNull();
    await room.removeRemote('rita', 5, 'leave');
    // Its track is wanted here, once, from its node.
    expect(room.pendingRelays()).toEqual([
      { userId: 'remy', streamType: 'main', kind: 'video', producerId: 'p1', node: 'node-2' },
    ]);
    const router = (await room.ensureMedia()) as FakeRouter;
    const producer = await relay(router, 'p1');
    expect(await room.attachRelay('remy', 'main', 'video', producer)).toBe(true);
    expect(room.pendingRelays()).toEqual([]);
    await settle();
    expect(viewer.client.lastOffer?.tracks).toEqual([
      expect.objectContaining({ userId: 'remy', kind: 'video' }),
    ]);
    // A relay for a producer the member no longer has is refused (the caller closes it).
    const stale = await relay(router, 'old');
    expect(await room.attachRelay('remy', 'main', 'video', stale)).toBe(false);

    // Mute on its node: stream-updated here.
    const muted = state();
    muted.streams[0]!.tracks[0]!.muted = true;
    await room.applyRemote(muted);
    expect(viewer.client.told('stream-updated').at(-1)).toEqual({
      stream: expect.objectContaining({ userId: 'remy', videoMuted: true }),
    });
    // An older state (a stale node) changes nothing.
    await room.applyRemote(state({ epoch: 4, role: 'audience' }));
    expect(viewer.client.told('peer-leave').filter((l) => l.userId === 'remy')).toEqual([]);

    // Being restored on its node (no producer): the relay goes, the stream stays announced.
    await room.applyRemote(state({}, null));
    expect(producer.closed).toBe(true);
    expect(viewer.client.told('stream-removed').filter((r) => r.userId === 'remy')).toEqual([]);
    // Republished: a new relay is wanted.
    await room.applyRemote(state({}, 'p2'));
    expect(room.pendingRelays().map((n) => n.producerId)).toEqual(['p2']);

    // It leaves on its node.
    expect(await room.removeRemote('remy', 5, 'leave')).toBe(true);
    expect(viewer.client.told('stream-removed').filter((r) => r.userId === 'remy')).toEqual([
      { userId: 'remy', streamType: 'main' },
    ]);
    expect(viewer.client.told('peer-leave').filter((l) => l.userId === 'remy')).toEqual([
      { userId: 'remy', reason: 'leave' },
    ]);
    expect(room.participants.has('remy')).toBe(false);
  });

  it('a newer session of a local user elsewhere ends the local one; a moved one goes silently', async () => {
    const { room, join, takeEvents } = roomKit();
    const watcher = await join('walt');
    const local = await join('remy');
    local.participant.epoch = 3;
    takeEvents();
    // A second join of remy on node 2 (epoch 5): the local session is kicked as on one node.
    await room.applyRemote(state({}, null));
    expect(local.client.told('banned')).toEqual([
      { reason: 'kick', message: expect.stringContaining('another node') },
    ]);
    expect(local.client.closedWith).toBe(4040);
    expect(watcher.client.told('peer-leave')).toEqual([{ userId: 'remy', reason: 'kick' }]);
    expect(room.participants.get('remy')?.node).toBe('node-2');

    // A session of remy resumed here from node 2 (its node died): nobody is told anything.
    const before = watcher.client.notifications.length;
    const adopted = new Participant('remy', 'anchor', 'remote-session', 'tok', true, 'rtc');
    adopted.sink = local.client;
    adopted.epoch = 7;
    const snapshot = await room.adopt(adopted, state({ epoch: 7 }, null));
    expect(snapshot.participants).toEqual([{ userId: 'walt', role: 'anchor', streams: [] }]);
    expect(room.participants.get('remy')).toBe(adopted);
    expect(adopted.streams.get('main')?.tracks.get('video')?.producer).toBeNull();
    expect(watcher.client.notifications.length).toBe(before);

    // Node 2 took it back (its client resumed there again; this node, frozen meanwhile, still
    // holds the old socket): the same session, so gone from here without a word.
    expect(adopted.sink).not.toBeNull();
    takeEvents();
    await room.applyRemote(state({ epoch: 9 }, 'p9'));
    expect(room.participants.get('remy')?.local).toBe(false);
    expect(takeEvents().map(([name]) => name)).toEqual(['participant-moved']);
    expect(watcher.client.told('peer-leave')).toHaveLength(1);
  });

  it('the room closes here when its last local member leaves, mirrors or not', async () => {
    const { room, join } = roomKit();
    const only = await join('solo');
    await room.applyRemote(state());
    await room.leave(only.participant, 'leave');
    expect(room.closed).toBe(true);
    expect(room.participants.size).toBe(0);
  });
});
