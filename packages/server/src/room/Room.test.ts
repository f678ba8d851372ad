/**
 * The room layer in-process, on the fake engine (no socket, no worker). Races: operations
 * started together, with engine calls that take time so they interleave, end as if run one
 * after the other (the room's queue). Each operation's room events (RoomEvents, in order) and
 * what the clients are told; consumers held paused until the client answered; teardown
 * (kick, timeout, leave, a failed publish) and recovery (a lost worker or satellite, a failed
 * connection) leaving no subscription or engine object behind (the load a worker would
 * count); live-mode roles, privilege updates and room limits.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  ProtocolErrorCode,
  ROOM_LIMIT_REACHED,
  type ClientRequestData,
  type StreamInfo,
} from '@parley/protocol';
import { Privilege } from '@parley/usersig';
import { ServerError } from '../ServerError.js';
import type { FakeConsumer, FakeTransport } from '../media/fake/FakeEngine.js';
import { publishOffer } from '../test/offers.js';
import { roomKit, settle, type Member } from '../test/roomTestKit.js';
import { RoomClosedError } from './Room.js';

type Tracks = ClientRequestData<'publish'>['tracks'];

const AUDIO: Tracks = [{ mid: '0', kind: 'audio', streamType: 'main', muted: false }];
const AV: Tracks = [
  { mid: '0', kind: 'audio', streamType: 'main', muted: false },
  { mid: '1', kind: 'video', streamType: 'main', muted: false },
];

let audioSdp: string;
let avSdp: string;
beforeAll(async () => {
  [audioSdp, avSdp] = await Promise.all([
    publishOffer(['audio']),
    publishOffer(['audio', 'video']),
  ]);
});

/** The refusal a room operation ended with (its payload), or null when it succeeded. */
async function refusal(operation: Promise<unknown>) {
  try {
    await operation;
    return null;
  } catch (error) {
    if (error instanceof ServerError) return error.payload;
    throw error;
  }
}

const methods = (m: Member) => m.client.notifications.map((n) => n.method);

/** `userId`'s main stream, audio and video unmuted unless `changes` say otherwise. */
const mainOf = (userId: string, changes: Partial<StreamInfo> = {}): StreamInfo => ({
  userId,
  streamType: 'main',
  hasAudio: true,
  hasVideo: true,
  audioMuted: false,
  videoMuted: false,
  hasSmall: false,
  ...changes,
});
const audioOf = (userId: string): StreamInfo => mainOf(userId, { hasVideo: false });

const consumersOf = (m: Member, key: string) => [
  ...(m.participant.subscriptions.get(key)?.consumers.values() ?? []),
];

// Each race runs with engine calls answering at once, a turn later and a few ms later: with a
// latency the raced operations really wait on the engine halfway, as they do on a worker.
describe.each([
  { engine: 'at once', latencyMs: undefined },
  { engine: 'a turn later', latencyMs: 0 },
  { engine: 'after 3 ms', latencyMs: 3 },
])('Room races (engine answering $engine)', ({ latencyMs }) => {
  const kit = () => roomKit({ engine: { latencyMs } });

  it('two joins of one userId at the same moment: exactly one survives, the other is kicked', async () => {
    const { room, engine, member } = kit();
    const a = member('twin');
    const b = member('twin');
    const kick = 'user twin joined room 1 from another connection';
    // Each publishes as soon as its own join is answered, as the SDK does.
    const attempts = [a, b].map((m) => {
      const joined = room.join(m.participant, kick);
      const published = joined.then(() =>
        refusal(room.publish(m.participant, { sdp: audioSdp, tracks: AUDIO })),
      );
      return { joined, published };
    });
    await Promise.all(attempts.map((x) => x.joined));
    const published = await Promise.all(attempts.map((x) => x.published));
    const kicked = [a, b].filter((m) => m.client.told('banned').length > 0);
    expect(kicked).toHaveLength(1);
    const loser = kicked[0]!;
    const survivor = loser === a ? b : a;
    expect(loser.client.told('banned')).toEqual([{ reason: 'kick', message: kick }]);
    expect(loser.client.closedWith).toBe(4040);
    expect(loser.participant.left).toBe(true);
    // The survivor's publish went through; the kicked one's was refused, never applied.
    expect(published[loser === a ? 1 : 0]).toBeNull();
    expect(published[loser === a ? 0 : 1]).toMatchObject({
      code: ErrorCode.INVALID_OPERATION,
      extraCode: ProtocolErrorCode.WRONG_STATE,
    });
    expect([...room.participants.values()]).toEqual([survivor.participant]);
    // One publisher transport and one producer: the survivor's only.
    expect(engine.load).toBe(2);
    await room.leave(survivor.participant, 'leave');
    expect(engine.load).toBe(0);
    expect(room.closed).toBe(true);
    expect(engine.routers.size).toBe(0);
  });

  it('two publishes of one member at once make one publisher transport and one producer', async () => {
    const { room, engine, join, takeEvents } = kit();
    const pub = await join('pub');
    const viewer = await join('viewer', { autoSubscribe: false });
    takeEvents();
    const publish = () => room.publish(pub.participant, { sdp: audioSdp, tracks: AUDIO });
    const answers = await Promise.all([publish(), publish()]);
    // The second found the first's connection and track: nothing new, a newer answer.
    expect(answers.map((a) => /^o=\S+ \S+ (\d+)/m.exec(a.sdp)?.[1])).toEqual(['1', '2']);
    expect(engine.load).toBe(2);
    expect(takeEvents()).toEqual([['stream-published', audioOf('pub')]]);
    expect(viewer.client.told('stream-added')).toEqual([{ stream: audioOf('pub') }]);
    await room.leave(pub.participant, 'leave');
    expect(engine.load).toBe(0);
  });

  it('a publish racing the same member’s unpublish: published, then unpublished, nothing left', async () => {
    const { room, engine, join, takeEvents } = kit();
    const pub = await join('pub');
    const viewer = await join('viewer');
    takeEvents();
    const [published, unpublished] = await Promise.all([
      refusal(room.publish(pub.participant, { sdp: avSdp, tracks: AV })),
      refusal(room.unpublish(pub.participant, 'main')),
    ]);
    expect([published, unpublished]).toEqual([null, null]);
    expect(takeEvents()).toEqual([
      ['stream-published', mainOf('pub')],
      ['stream-unpublished', 'pub', 'main'],
    ]);
    expect(viewer.client.told('stream-added')).toHaveLength(1);
    expect(viewer.client.told('stream-removed')).toEqual([{ userId: 'pub', streamType: 'main' }]);
    expect(pub.participant.publisher).toBeNull();
    await settle();
    expect(viewer.participant.subscriptions.size).toBe(0);
    // The viewer's subscriber transport (made for the stream) is all that is left.
    expect(engine.load).toBe(viewer.participant.subscriber ? 1 : 0);
    expect(pub.participant.streams.size).toBe(0);
  });

  it('a subscribe racing the publisher’s leave: subscribed first, then dropped with the stream', async () => {
    const { room, engine, join } = kit();
    const pub = await join('pub');
    const viewer = await join('viewer', { autoSubscribe: false });
    await room.publish(pub.participant, { sdp: avSdp, tracks: AV });
    const [subscribed] = await Promise.all([
      refusal(
        room.subscribe(viewer.participant, {
          userId: 'pub',
          streamType: 'main',
          audio: true,
          video: true,
        }),
      ),
      room.leave(pub.participant, 'leave'),
    ]);
    expect(subscribed).toBeNull();
    expect(viewer.participant.subscriptions.size).toBe(0);
    expect(viewer.client.told('stream-removed')).toEqual([{ userId: 'pub', streamType: 'main' }]);
    await settle();
    // The viewer's subscriber transport, empty.
    expect(engine.load).toBe(1);
  });

  it('a leave racing another user’s unpublish leaves no participant, subscription or media behind', async () => {
    const { room, engine, join, takeEvents } = kit();
    const pub = await join('pub');
    const sub = await join('sub', { autoSubscribe: false });
    // The offer stays unanswered: the consumer is there, paused, when the race starts.
    sub.client.answerOffers = false;
    await room.publish(pub.participant, { sdp: audioSdp, tracks: AUDIO });
    expect(sub.client.told('stream-added')).toHaveLength(1);
    await room.subscribe(sub.participant, {
      userId: 'pub',
      streamType: 'main',
      audio: true,
      video: true,
    });
    // pub: transport + producer; sub: transport + consumer.
    expect(engine.load).toBe(4);
    takeEvents();
    await Promise.all([
      room.unpublish(pub.participant, 'main'),
      room.leave(sub.participant, 'leave'),
    ]);
    expect(takeEvents()).toEqual([
      ['stream-unpublished', 'pub', 'main'],
      ['participant-left', 'sub', 'leave'],
    ]);
    expect(sub.participant.subscriptions.size).toBe(0);
    expect(sub.participant.subscriber).toBeNull();
    expect(pub.participant.publisher).toBeNull();
    expect(engine.load).toBe(0);
    expect(pub.client.told('peer-leave')).toEqual([{ userId: 'sub', reason: 'leave' }]);
    await room.leave(pub.participant, 'leave');
    expect(room.participants.size).toBe(0);
    expect(room.closed).toBe(true);
    expect(engine.routers.size).toBe(0);
  });

  it('asks for its media router after it closed: refused, and no router is left behind', async () => {
    const { room, engine, join } = kit();
    const only = await join('only');
    await room.ensureMedia();
    expect(engine.routers.size).toBe(1);
    await room.leave(only.participant, 'leave');
    expect(room.closed).toBe(true);
    await settle();
    expect(engine.routers.size).toBe(0);
    // A media-out job rebinding after its consumers closed with the room asks again.
    await expect(room.ensureMedia()).rejects.toBeInstanceOf(RoomClosedError);
    await settle();
    expect(engine.routers.size).toBe(0);
  });

  it('a join that finds the room closed by its last leave is told so (the manager opens a new room)', async () => {
    const { room, join, member, takeEvents } = kit();
    const only = await join('only');
    const late = member('late');
    await Promise.all([
      room.leave(only.participant, 'leave'),
      expect(room.join(late.participant, '')).rejects.toBeInstanceOf(RoomClosedError),
    ]);
    expect(takeEvents()).toEqual([
      ['participant-joined', 'only'],
      ['participant-left', 'only', 'leave'],
      ['closed'],
    ]);
  });
});

describe('Room publishing and subscriptions', () => {
  it('an autoSubscribe viewer gets the stream announced and consumers, held paused until it answered', async () => {
    const { room, join, takeEvents } = roomKit();
    const pub = await join('pub');
    const viewer = await join('viewer');
    expect(takeEvents()).toEqual([
      ['participant-joined', 'pub'],
      ['participant-joined', 'viewer'],
    ]);
    viewer.client.answerOffers = false;
    await room.publish(pub.participant, { sdp: avSdp, tracks: AV });
    await settle();
    expect(takeEvents()).toEqual([['stream-published', mainOf('pub')]]);
    expect(viewer.client.told('stream-added')).toEqual([{ stream: mainOf('pub') }]);
    expect(viewer.client.offers).toHaveLength(1);
    expect(viewer.client.lastOffer?.tracks.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
    const consumers = consumersOf(viewer, 'pub/main');
    expect(consumers).toHaveLength(2);
    // Offered, not answered: the browser would drop packets of SSRCs it does not know yet.
    expect(consumers.map((c) => c.paused)).toEqual([true, true]);
    viewer.client.answerPending();
    await settle();
    expect(consumers.map((c) => c.paused)).toEqual([false, false]);
    expect(consumers.map((c) => c.closed)).toEqual([false, false]);
  });

  it('mute pauses the producer and tells the viewers; a republish changing mute is an update; unsubscribe drops the consumers', async () => {
    const { room, engine, join, takeEvents } = roomKit();
    const pub = await join('pub');
    const viewer = await join('viewer');
    await room.publish(pub.participant, { sdp: avSdp, tracks: AV });
    await settle();
    takeEvents();
    await room.mute(pub.participant, { streamType: 'main', kind: 'video', muted: true });
    const video = pub.participant.streams.get('main')!.tracks.get('video')!;
    expect(video.producer?.paused).toBe(true);
    expect(viewer.client.told('stream-updated').at(-1)?.stream.videoMuted).toBe(true);
    // Muting what is muted already changes nothing and tells nobody.
    await room.mute(pub.participant, { streamType: 'main', kind: 'video', muted: true });
    expect(takeEvents()).toEqual([['stream-updated', mainOf('pub', { videoMuted: true })]]);
    // The SDK's track map says muted too: the publish that carries it mutes the audio.
    const mutedAudio = AV.map((t) => (t.kind === 'audio' ? { ...t, muted: true } : t));
    await room.publish(pub.participant, { sdp: avSdp, tracks: mutedAudio });
    expect(pub.participant.streams.get('main')!.tracks.get('audio')!.producer?.paused).toBe(true);
    expect(takeEvents()).toEqual([
      ['stream-updated', mainOf('pub', { audioMuted: true, videoMuted: false })],
    ]);
    // The map said video unmuted: it followed, with the one update above.
    expect(video.producer?.paused).toBe(false);
    const before = engine.load;
    await room.unsubscribe(viewer.participant, { userId: 'pub', streamType: 'main' });
    expect(viewer.participant.subscriptions.size).toBe(0);
    expect(engine.load).toBe(before - 2);
    expect(takeEvents()).toEqual([]);
  });

  it('refuses what the room cannot take: audience publishing, bad SDP, its own stream', async () => {
    const { room, join, takeEvents } = roomKit();
    const audience = await join('aud', { mode: 'live', role: 'audience' });
    expect(
      await refusal(room.publish(audience.participant, { sdp: audioSdp, tracks: AUDIO })),
    ).toMatchObject({ code: ErrorCode.INVALID_OPERATION });
    const anchor = await join('anchor');
    expect(
      await refusal(room.publish(anchor.participant, { sdp: 'hello', tracks: AUDIO })),
    ).toEqual({
      code: ErrorCode.INVALID_PARAMETER,
      extraCode: ProtocolErrorCode.MALFORMED_MESSAGE,
      message: 'publish sdp is not an SDP offer with audio or video sections',
    });
    await room.publish(anchor.participant, { sdp: audioSdp, tracks: AUDIO });
    expect(
      await refusal(
        room.subscribe(anchor.participant, {
          userId: 'anchor',
          streamType: 'main',
          audio: true,
          video: true,
        }),
      ),
    ).toMatchObject({ code: ErrorCode.INVALID_PARAMETER });
    expect(takeEvents()).toEqual([
      ['participant-joined', 'aud'],
      ['participant-joined', 'anchor'],
      ['stream-published', audioOf('anchor')],
    ]);
  });
});

describe('Room roles and privileges', () => {
  it('switchRole: an audience member becomes an anchor and publishes, then goes back to the audience', async () => {
    const { room, engine, join, takeEvents } = roomKit();
    const host = await join('host', { mode: 'live' });
    const guest = await join('guest', { mode: 'live', role: 'audience' });
    // Audience members are hidden: the host is not told of the guest.
    expect(host.client.told('peer-join')).toEqual([]);
    takeEvents();
    await room.switchRole(guest.participant, 'anchor');
    expect(host.client.told('peer-join')).toEqual([{ userId: 'guest', role: 'anchor' }]);
    await room.publish(guest.participant, { sdp: audioSdp, tracks: AUDIO });
    // Switching to the role it has already changes nothing.
    await room.switchRole(guest.participant, 'anchor');
    expect(takeEvents()).toEqual([
      ['role-changed', 'guest', 'audience'],
      ['stream-published', audioOf('guest')],
    ]);
    await settle();
    expect(consumersOf(host, 'guest/main')).toHaveLength(1);

    await room.switchRole(guest.participant, 'audience');
    // Its stream goes while the others still see it, then it leaves their view.
    expect(takeEvents()).toEqual([
      ['stream-unpublished', 'guest', 'main'],
      ['role-changed', 'guest', 'anchor'],
    ]);
    expect(methods(host).filter((m) => m !== 'stream-added' && m !== 'peer-join')).toEqual([
      'stream-removed',
      'peer-leave',
    ]);
    expect(host.participant.subscriptions.size).toBe(0);
    expect(guest.participant.publisher).toBeNull();
    // The host's subscriber transport, empty.
    expect(engine.load).toBe(1);
    expect(
      await refusal(room.publish(guest.participant, { sdp: audioSdp, tracks: AUDIO })),
    ).toMatchObject({ code: ErrorCode.INVALID_OPERATION });
  });

  it('switchRole is refused outside live mode', async () => {
    const { room, join, takeEvents } = roomKit();
    const member = await join('rtc');
    takeEvents();
    expect(await refusal(room.switchRole(member.participant, 'audience'))).toMatchObject({
      code: ErrorCode.INVALID_OPERATION,
      extraCode: ProtocolErrorCode.WRONG_STATE,
    });
    expect(member.participant.role).toBe('anchor');
    expect(takeEvents()).toEqual([]);
  });

  it('updatePrivilege: a withdrawn send bit withholds the track from the others, and a granted one brings it back', async () => {
    const { room, engine, join, takeEvents } = roomKit();
    const pub = await join('pub');
    const viewer = await join('viewer');
    await room.publish(pub.participant, { sdp: avSdp, tracks: AV });
    await settle();
    takeEvents();
    const full = engine.load;
    await room.updatePrivilege(pub.participant, Privilege.ALL & ~Privilege.SEND_VIDEO);
    await settle();
    expect(pub.client.told('error')).toMatchObject([{ code: ErrorCode.INVALID_OPERATION }]);
    expect(viewer.client.told('stream-updated').at(-1)).toEqual({
      stream: mainOf('pub', { hasVideo: false }),
    });
    expect(consumersOf(viewer, 'pub/main').map((c) => c.kind)).toEqual(['audio']);
    // The producer stays (the bit may come back); the viewer's video consumer went.
    expect(engine.load).toBe(full - 1);
    await room.updatePrivilege(pub.participant, Privilege.ALL);
    await settle();
    expect(viewer.client.told('stream-updated').at(-1)).toEqual({ stream: mainOf('pub') });
    expect(
      consumersOf(viewer, 'pub/main')
        .map((c) => c.kind)
        .sort(),
    ).toEqual(['audio', 'video']);
    expect(engine.load).toBe(full);
    // Room events report publishing; a withheld track is a privilege matter, not reported.
    expect(takeEvents()).toEqual([]);
  });

  it('updatePrivilege: withdrawn receive bits take the others’ streams from that member only', async () => {
    const { room, join, takeEvents } = roomKit();
    const pub = await join('pub');
    const viewer = await join('viewer');
    const other = await join('other');
    await room.publish(pub.participant, { sdp: avSdp, tracks: AV });
    await settle();
    takeEvents();
    const deaf = Privilege.ALL & ~(Privilege.RECV_AUDIO | Privilege.RECV_VIDEO);
    await room.updatePrivilege(viewer.participant, deaf);
    expect(viewer.client.told('stream-removed')).toEqual([{ userId: 'pub', streamType: 'main' }]);
    expect(viewer.participant.subscriptions.size).toBe(0);
    expect(consumersOf(other, 'pub/main')).toHaveLength(2);
    await room.updatePrivilege(viewer.participant, Privilege.ALL);
    await settle();
    expect(viewer.client.told('stream-added')).toHaveLength(2);
    expect(consumersOf(viewer, 'pub/main')).toHaveLength(2);
    expect(takeEvents()).toEqual([]);
  });
});

describe('Room limits', () => {
  it('a full room refuses a new member (a returning userId still gets in)', async () => {
    const { room, join, member } = roomKit({
      limits: { maxMembersPerRoom: 1, maxPublishersPerRoom: 1 },
    });
    await join('a');
    expect(await refusal(room.join(member('b').participant, ''))).toMatchObject({
      code: ErrorCode.JOIN_ROOM_FAILED,
      extraCode: ROOM_LIMIT_REACHED,
    });
    await room.join(member('a').participant, 'replaced');
    expect([...room.participants.keys()]).toEqual(['a']);
  });

  it('a room with its fill of publishers refuses another member’s first publish', async () => {
    const { room, join } = roomKit({
      limits: { maxMembersPerRoom: 10, maxPublishersPerRoom: 1 },
    });
    const a = await join('a');
    const b = await join('b');
    await room.publish(a.participant, { sdp: audioSdp, tracks: AUDIO });
    expect(
      await refusal(room.publish(b.participant, { sdp: audioSdp, tracks: AUDIO })),
    ).toMatchObject({ code: ErrorCode.INVALID_OPERATION, extraCode: ROOM_LIMIT_REACHED });
  });
});

describe('Room teardown', () => {
  it('a kick, a timeout and a leave each take the participant’s media and tell the others', async () => {
    const { room, engine, join, takeEvents } = roomKit();
    const stay = await join('stay');
    const kicked = await join('kicked');
    const timedOut = await join('late');
    await room.publish(kicked.participant, { sdp: audioSdp, tracks: AUDIO });
    await room.publish(timedOut.participant, { sdp: audioSdp, tracks: AUDIO });
    await settle();
    expect([...stay.participant.subscriptions.keys()]).toEqual(['kicked/main', 'late/main']);
    takeEvents();
    await room.remove(kicked.participant, 'banned', 'banned by the operator');
    await room.leave(timedOut.participant, 'timeout');
    expect(takeEvents()).toEqual([
      ['stream-unpublished', 'kicked', 'main'],
      ['participant-left', 'kicked', 'kick'],
      ['stream-unpublished', 'late', 'main'],
      ['participant-left', 'late', 'timeout'],
    ]);
    expect(kicked.client.told('banned')).toEqual([
      { reason: 'banned', message: 'banned by the operator' },
    ]);
    expect(kicked.client.closedWith).toBe(4040);
    expect(timedOut.client.closedWith).toBe(4041);
    expect(stay.client.told('stream-removed').map((s) => s.userId)).toEqual(['kicked', 'late']);
    expect(stay.client.told('peer-leave')).toEqual([
      { userId: 'kicked', reason: 'kick' },
      { userId: 'late', reason: 'timeout' },
    ]);
    // The publishers' streams went from the viewer's subscriptions with their consumers.
    expect(stay.participant.subscriptions.size).toBe(0);
    // What is left: the remaining viewer's subscriber transport, no consumer on it.
    expect(engine.load).toBe(1);
    await room.leave(stay.participant, 'leave');
    expect(takeEvents()).toEqual([['participant-left', 'stay', 'leave'], ['closed']]);
    expect(engine.load).toBe(0);
    expect(room.closed).toBe(true);
  });

  it('a publish whose produce() fails keeps its connection until the leave, which takes it', async () => {
    const { room, engine, join, takeEvents } = roomKit();
    const pub = await join('pub');
    // Someone stays: the room does not close (closing its router would hide a leak).
    const stay = await join('stay');
    takeEvents();
    engine.failNext('produce');
    await expect(room.publish(pub.participant, { sdp: audioSdp, tracks: AUDIO })).rejects.toThrow(
      'produce failed',
    );
    // The publisher transport was made and connected before the engine refused the track.
    expect(pub.participant.publisher).not.toBeNull();
    expect(pub.participant.streams.size).toBe(0);
    expect(engine.load).toBe(1);
    await room.leave(pub.participant, 'leave');
    expect(room.closed).toBe(false);
    expect(engine.load).toBe(0);
    expect(methods(stay)).toEqual(['peer-leave']);
    expect(takeEvents()).toEqual([['participant-left', 'pub', 'leave']]);
  });
});

describe('Room recovery', () => {
  async function call() {
    const kit = roomKit();
    const pub = await kit.join('pub');
    const viewer = await kit.join('viewer');
    await kit.room.publish(pub.participant, { sdp: avSdp, tracks: AV });
    await settle();
    kit.takeEvents();
    return { ...kit, pub, viewer };
  }

  it('a lost worker: the publisher is reset, the viewer gets a new connection, nobody leaves', async () => {
    const { room, engine, pub, viewer, takeEvents } = await call();
    const offersBefore = viewer.client.offers.length;
    await engine.killWorker();
    await settle();
    expect(pub.client.told('media-reset')).toEqual([
      { pc: 'publisher', reason: 'its media worker was lost' },
    ]);
    const subscriber = viewer.participant.subscriber;
    expect(subscriber?.closed).toBe(false);
    // Nothing to carry until the publisher is back: no offer yet.
    expect(viewer.client.offers.length).toBe(offersBefore);
    // The client publishes again on a new connection: the viewer is told of no change, and
    // its first offer replaces its connection.
    await room.publish(pub.participant, { sdp: avSdp, tracks: AV });
    await settle();
    expect(viewer.participant.subscriber).toBe(subscriber);
    expect(viewer.client.offers[offersBefore]?.restart).toBe(true);
    for (const m of [pub, viewer]) {
      expect(methods(m)).not.toContain('peer-leave');
      expect(methods(m)).not.toContain('stream-removed');
    }
    expect(viewer.client.told('stream-added')).toHaveLength(1);
    expect(viewer.client.told('stream-updated')).toHaveLength(0);
    const consumers = consumersOf(viewer, 'pub/main');
    expect(consumers.map((c) => c.closed)).toEqual([false, false]);
    expect(viewer.client.lastOffer?.tracks).toHaveLength(2);
    expect(room.participants.size).toBe(2);
    // Restored, not published again: nothing to report.
    expect(takeEvents()).toEqual([]);
  });

  it('a lost satellite worker: only the viewers whose connection it carried get a new one', async () => {
    const { room, engine, pub, viewer, join, takeEvents } = await call();
    const other = await join('other');
    await room.subscribeToAll(other.participant);
    await settle();
    const router = [...engine.routers][0]!;
    const publisher = pub.participant.publisher;
    const producers = consumersOf(viewer, 'pub/main').map((c) => c.producerId);
    const lost = viewer.participant.subscriber!;
    const kept = other.participant.subscriber!;
    const offers = { viewer: viewer.client.offers.length, other: other.client.offers.length };
    const dying = router.loseSatellite([lost.transport]);
    // Gone at once, before the room hears of it.
    expect(consumersOf(viewer, 'pub/main').every((c) => c.closed)).toBe(true);
    await dying;
    await settle();
    // The viewer: a new connection with the same subscriptions, offered as a replacement.
    expect(lost.closed).toBe(true);
    expect(viewer.participant.subscriber).not.toBe(lost);
    expect(viewer.client.offers[offers.viewer]).toMatchObject({ restart: true });
    expect(viewer.client.lastOffer?.tracks).toHaveLength(2);
    const consumers = consumersOf(viewer, 'pub/main');
    expect(consumers.map((c) => [c.closed, c.paused])).toEqual([
      [false, false],
      [false, false],
    ]);
    expect(consumers.map((c) => c.producerId)).toEqual(producers);
    // The publisher and the other viewer: untouched.
    expect(pub.participant.publisher).toBe(publisher);
    expect(methods(pub)).not.toContain('media-reset');
    expect(other.participant.subscriber).toBe(kept);
    expect(other.client.offers.length).toBe(offers.other);
    expect(methods(viewer)).not.toContain('stream-removed');
    expect(takeEvents()).toEqual([['participant-joined', 'other']]);
    // pub: transport + 2 producers; each viewer: transport + 2 consumers.
    expect(engine.load).toBe(9);
  });

  it('a failed subscriber connection is replaced; a failed publisher connection is reset', async () => {
    const { pub, viewer, takeEvents } = await call();
    const subscriber = viewer.participant.subscriber!;
    const offers = viewer.client.offers.length;
    (subscriber.transport as FakeTransport).fail();
    await settle();
    expect(subscriber.closed).toBe(true);
    expect(viewer.participant.subscriber).not.toBe(subscriber);
    // The same subscriptions on the new connection, offered as a replacement.
    expect(viewer.client.offers[offers]?.restart).toBe(true);
    expect(viewer.client.offers[offers]?.tracks).toHaveLength(2);

    (pub.participant.publisher as FakeTransport).fail();
    await settle();
    expect(pub.client.told('media-reset')).toEqual([
      { pc: 'publisher', reason: 'its connection failed' },
    ]);
    expect(pub.participant.publisher).toBeNull();
    // Its tracks wait for the republish; the viewer's consumers of them are gone meanwhile.
    expect(viewer.participant.subscriptions.get('pub/main')?.consumers.size).toBe(0);
    expect(methods(viewer)).not.toContain('stream-removed');
    expect(takeEvents()).toEqual([]);
  });

  it('a resume asks a keyframe of every video the member receives, and of its own for its viewers', async () => {
    const { room, pub, viewer } = await call();
    const [video, audio] = ['video', 'audio'].map(
      (kind) => consumersOf(viewer, 'pub/main').find((c) => c.kind === kind) as FakeConsumer,
    ) as [FakeConsumer, FakeConsumer];
    expect(video.keyframeRequests).toBe(0);
    // The viewer's socket was gone (its path with it): the picture it receives.
    room.resumed(viewer.participant);
    await settle();
    expect(video.keyframeRequests).toBe(1);
    // The publisher's: the picture its viewers receive from it.
    room.resumed(pub.participant);
    await settle();
    expect(video.keyframeRequests).toBe(2);
    expect(audio.keyframeRequests).toBe(0);
  });

  it('restart-ice gives the subscriber connection new credentials and offers them', async () => {
    const { room, viewer } = await call();
    const consumer = consumersOf(viewer, 'pub/main')[0]!;
    const ufrag = viewer.participant.subscriber!.transport.iceParameters.usernameFragment;
    const offers = viewer.client.offers.length;
    await room.restartSubscriberIce(viewer.participant);
    await settle();
    expect(viewer.client.offers.length).toBe(offers + 1);
    expect(viewer.client.lastOffer?.sdp).not.toContain(`a=ice-ufrag:${ufrag}`);
    expect(consumer.closed).toBe(false);
  });
});
