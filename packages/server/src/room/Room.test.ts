/**
 * The room layer in-process, on the fake engine (no socket, no worker): today's races, the
 * teardown paths, recovery after a lost worker or a failed connection, and room limits. Each
 * test checks what the clients are told and that the engine is left with nothing after the
 * last leave (the load a worker would count).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  ProtocolErrorCode,
  ROOM_LIMIT_REACHED,
  type ClientRequestData,
} from '@parley/protocol';
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

describe('Room races', () => {
  it('two joins of one userId at the same moment: exactly one survives, the other is kicked', async () => {
    const { room, engine, member } = roomKit();
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

  it('a leave racing another user’s unpublish leaves no participant, subscription or media behind', async () => {
    const { room, engine, join } = roomKit();
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
    await Promise.all([
      room.unpublish(pub.participant, 'main'),
      room.leave(sub.participant, 'leave'),
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

  it('a join that finds the room closed by its last leave is told so (the manager opens a new room)', async () => {
    const { room, join, member } = roomKit();
    const only = await join('only');
    const late = member('late');
    await Promise.all([
      room.leave(only.participant, 'leave'),
      expect(room.join(late.participant, '')).rejects.toBeInstanceOf(RoomClosedError),
    ]);
  });
});

describe('Room publishing and subscriptions', () => {
  it('an autoSubscribe viewer gets the stream announced and a consumer, resumed once it answered', async () => {
    const { room, join } = roomKit();
    const pub = await join('pub');
    const viewer = await join('viewer');
    await room.publish(pub.participant, { sdp: avSdp, tracks: AV });
    await settle();
    expect(viewer.client.told('stream-added')).toEqual([
      {
        stream: {
          userId: 'pub',
          streamType: 'main',
          hasAudio: true,
          hasVideo: true,
          audioMuted: false,
          videoMuted: false,
          hasSmall: false,
        },
      },
    ]);
    expect(viewer.client.lastOffer?.tracks.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
    const consumers = [...viewer.participant.subscriptions.get('pub/main')!.consumers.values()];
    expect(consumers).toHaveLength(2);
    expect(consumers.every((c) => !c.paused)).toBe(true);
  });

  it('mute pauses the producer and tells the viewers; unsubscribe drops the consumers', async () => {
    const { room, engine, join } = roomKit();
    const pub = await join('pub');
    const viewer = await join('viewer');
    await room.publish(pub.participant, { sdp: avSdp, tracks: AV });
    await settle();
    await room.mute(pub.participant, { streamType: 'main', kind: 'video', muted: true });
    const video = pub.participant.streams.get('main')!.tracks.get('video')!;
    expect(video.producer?.paused).toBe(true);
    expect(viewer.client.told('stream-updated').at(-1)?.stream.videoMuted).toBe(true);
    const before = engine.load;
    await room.unsubscribe(viewer.participant, { userId: 'pub', streamType: 'main' });
    expect(viewer.participant.subscriptions.size).toBe(0);
    expect(engine.load).toBe(before - 2);
  });

  it('refuses what the room cannot take: audience publishing, bad SDP, its own stream', async () => {
    const { room, join } = roomKit();
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
    const { room, engine, join } = roomKit();
    const stay = await join('stay');
    const kicked = await join('kicked');
    const timedOut = await join('late');
    await room.publish(kicked.participant, { sdp: audioSdp, tracks: AUDIO });
    await room.publish(timedOut.participant, { sdp: audioSdp, tracks: AUDIO });
    await room.remove(kicked.participant, 'banned', 'banned by the operator');
    await room.leave(timedOut.participant, 'timeout');
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
    // What is left: the remaining viewer's subscriber transport, no consumer on it.
    expect(engine.load).toBe(1);
    await room.leave(stay.participant, 'leave');
    expect(engine.load).toBe(0);
    expect(room.closed).toBe(true);
  });
});

describe('Room recovery', () => {
  async function call() {
    const kit = roomKit();
    const pub = await kit.join('pub');
    const viewer = await kit.join('viewer');
    await kit.room.publish(pub.participant, { sdp: avSdp, tracks: AV });
    await settle();
    return { ...kit, pub, viewer };
  }

  it('a lost worker: the publisher is reset, the viewer gets a new connection, nobody leaves', async () => {
    const { room, engine, pub, viewer } = await call();
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
    const consumers = [...viewer.participant.subscriptions.get('pub/main')!.consumers.values()];
    expect(consumers.map((c) => c.closed)).toEqual([false, false]);
    expect(viewer.client.lastOffer?.tracks).toHaveLength(2);
    expect(room.participants.size).toBe(2);
  });

  it('a failed subscriber connection is replaced; a failed publisher connection is reset', async () => {
    const { pub, viewer } = await call();
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
  });

  it('restart-ice gives the subscriber connection new credentials and offers them', async () => {
    const { room, viewer } = await call();
    const consumer = [
      ...viewer.participant.subscriptions.get('pub/main')!.consumers.values(),
    ][0] as FakeConsumer;
    const ufrag = viewer.participant.subscriber!.transport.iceParameters.usernameFragment;
    const offers = viewer.client.offers.length;
    await room.restartSubscriberIce(viewer.participant);
    await settle();
    expect(viewer.client.offers.length).toBe(offers + 1);
    expect(viewer.client.lastOffer?.sdp).not.toContain(`a=ice-ufrag:${ufrag}`);
    expect(consumer.closed).toBe(false);
  });
});
