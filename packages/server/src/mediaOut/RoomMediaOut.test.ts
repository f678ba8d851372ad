import { ErrorCode } from '@parley/protocol';
import { Privilege } from '@parley/usersig';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { FakePlainConsumer } from '../media/fake/FakeEngine.js';
import { AV_TRACKS, fakeGst, publishAV } from '../test/mediaOutTestKit.js';
import { publishOffer } from '../test/offers.js';
import { roomKit, settle, type RoomKit } from '../test/roomTestKit.js';
import { ServerError } from '../ServerError.js';
import { MediaOutService } from './MediaOutService.js';
import { relayJobLayout } from './mixLayout.js';

function service(
  kit: RoomKit,
  options: {
    template?: string;
    available?: boolean;
    maxJobs?: number;
    maxJobsPerRoom?: number;
    crashAfterMs?: number;
    /** Null: the default (the template's host). */
    allowedHosts?: string[] | null;
  } = {},
) {
  const allowed = options.allowedHosts === undefined ? ['127.0.0.1'] : options.allowedHosts;
  // No DNS in unit tests: names under example.com are public, *.internal is a private address.
  const resolve = (host: string) =>
    Promise.resolve(host.endsWith('.internal') ? ['10.1.2.3'] : ['93.184.216.34']);
  const gst = fakeGst({ crashAfterMs: options.crashAfterMs });
  const out = new MediaOutService({
    log: pino({ level: 'silent' }),
    urlTemplate: () => options.template ?? null,
    command: gst.command,
    availability:
      options.available === false
        ? {
            available: false,
            missing: [{ pkg: 'gstreamer1.0-plugins-ugly', elements: ['x264enc'] }],
          }
        : { available: true, missing: [] },
    portRange: [36000, 36999],
    supervisor: { backoff: { initialMs: 20, maxMs: 100, maxRestarts: 2 }, healthyAfterMs: 60_000 },
    ...(options.maxJobs !== undefined ? { maxJobs: options.maxJobs } : {}),
    ...(options.maxJobsPerRoom !== undefined ? { maxJobsPerRoom: options.maxJobsPerRoom } : {}),
    allowedHosts: () => allowed,
    resolve,
  });
  return { out, gst, media: out.forRoom(kit.room) };
}

function plainConsumers(kit: RoomKit): FakePlainConsumer[] {
  return [...kit.engine.routers].flatMap((r) =>
    [...r.transports].flatMap((t) => [...t.producers].flatMap((p) => [...p.plainConsumers])),
  );
}

const codeOf = (error: unknown) => (error as ServerError).payload.code;

describe('RoomMediaOut', () => {
  it('refuses with the cause: nothing published, no URL anywhere, media-out unavailable', async () => {
    const kit = roomKit();
    const { media } = service(kit);
    const alice = await kit.join('alice');
    const nothing = await media
      .startRelay(alice.participant, { streamType: 'main' })
      .catch((e: unknown) => e);
    expect(codeOf(nothing)).toBe(ErrorCode.INVALID_OPERATION);
    expect((nothing as Error).message).toMatch(/no main stream is published/);
    await kit.room.publish(alice.participant, {
      sdp: await publishOffer(['audio', 'video']),
      tracks: [...AV_TRACKS],
    });
    const nowhere = await media
      .startRelay(alice.participant, { streamType: 'main' })
      .catch((e: unknown) => e);
    expect(codeOf(nowhere)).toBe(ErrorCode.START_PUBLISH_CDN_FAILED);
    expect((nowhere as Error).message).toMatch(
      /pass url .* or configure the application's cdnUrlTemplate/,
    );
    await expect(media.stopRelay(alice.participant)).rejects.toMatchObject({
      payload: { code: ErrorCode.INVALID_OPERATION },
    });
    await expect(media.stopMix(alice.participant)).rejects.toMatchObject({
      payload: { code: ErrorCode.INVALID_OPERATION },
    });
    expect(plainConsumers(kit)).toEqual([]);

    const other = roomKit();
    const off = service(other, { available: false, allowedHosts: ['h'] }).media;
    const bob = await publishAV(other, 'bob');
    const refused = await off
      .startRelay(bob.participant, { streamType: 'main', url: 'rtmp://h/live/x' })
      .catch((e: unknown) => e);
    expect(codeOf(refused)).toBe(ErrorCode.START_PUBLISH_CDN_FAILED);
    expect((refused as Error).message).toContain('gstreamer1.0-plugins-ugly (x264enc)');
  });

  it("relays a user's stream: plain consumers resumed and keyframes asked once the pipeline plays; stop releases them", async () => {
    const kit = roomKit();
    const { media, gst } = service(kit);
    const alice = await publishAV(kit, 'alice');
    await media.startRelay(alice.participant, {
      streamType: 'main',
      url: 'rtmp://127.0.0.1:1935/live/a',
    });
    const consumers = plainConsumers(kit);
    expect(consumers.map((c) => c.kind).sort()).toEqual(['audio', 'video']);
    expect(gst.runs()).toHaveLength(1);
    expect(gst.runs()[0]).toContain('rtmp2sink location=rtmp://127.0.0.1:1935/live/a');
    for (const c of consumers) expect(gst.runs()[0]).toContain(`udpsrc port=${c.options.port} `);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(consumers.every((c) => !c.paused)).toBe(true);
    expect(consumers.find((c) => c.kind === 'video')!.keyframeRequests).toBeGreaterThanOrEqual(2);
    await media.stopRelay(alice.participant);
    expect(plainConsumers(kit)).toEqual([]);
    expect(media.jobs()).toEqual([]);
  });

  it('a preset layout takes streams as they come and go; the owner leaving ends the mix', async () => {
    const kit = roomKit();
    const { media, gst } = service(kit, { template: 'rtmp://cdn.example.com/live/{streamId}' });
    const alice = await publishAV(kit, 'alice');
    const box = (x: number) => ({
      pureAudio: false,
      width: 320,
      height: 240,
      locationX: x,
      locationY: 0,
      zOrder: 1,
    });
    const { streamId } = await media.startMix(alice.participant, {
      mode: 'preset-layout',
      mixUsers: [
        { userId: '$PLACE_HOLDER_LOCAL_MAIN$', ...box(0) },
        { userId: '$PLACE_HOLDER_REMOTE$', ...box(320) },
      ],
    });
    // No relay asked: the mix goes where the application's template says.
    expect(streamId).toBe('1400000000_1_alice_main');
    expect(gst.runs()[0]).toContain(
      'rtmp2sink location=rtmp://cdn.example.com/live/1400000000_1_alice_main',
    );
    expect(plainConsumers(kit)).toHaveLength(2);

    await publishAV(kit, 'bob');
    await waitUntil(() => gst.runs().length === 2 && plainConsumers(kit).length === 4);
    expect(gst.runs()[1]).toContain('sink_2::xpos=320');

    const bob = kit.room.participants.get('bob')!;
    await kit.room.unpublish(bob, 'main');
    await waitUntil(() => gst.runs().length === 3 && plainConsumers(kit).length === 2);
    expect(gst.runs()[2]).not.toContain('sink_2::');

    await kit.room.leave(alice.participant, 'leave');
    await waitUntil(() => media.jobs().length === 0 && plainConsumers(kit).length === 0);
  });

  it("manual mode refuses a user who is not in the room, and another room's user", async () => {
    const kit = roomKit();
    const { media } = service(kit, { template: 'rtmp://cdn.example.com/live/{streamId}' });
    const alice = await publishAV(kit, 'alice');
    const user = (userId: string, extra = {}) => ({
      userId,
      pureAudio: false,
      width: 100,
      height: 100,
      zOrder: 1,
      ...extra,
    });
    await expect(
      media.startMix(alice.participant, { mixUsers: [user('alice'), user('zoe')] }),
    ).rejects.toMatchObject({
      payload: {
        code: ErrorCode.START_MIX_TRANSCODE_FAILED,
        message: 'mixUsers zoe is not in room 1',
      },
    });
    await expect(
      media.startMix(alice.participant, { mixUsers: [user('alice', { roomId: 2 })] }),
    ).rejects.toMatchObject({
      payload: { code: ErrorCode.START_MIX_TRANSCODE_FAILED },
    });
    await expect(
      media.startMix(alice.participant, { videoGOP: 9, mixUsers: [user('alice')] }),
    ).rejects.toMatchObject({
      payload: { code: ErrorCode.INVALID_PARAMETER },
    });
    expect(media.jobs()).toEqual([]);
    await settle();
  });

  it('two calls at once run one after the other (one relay, not two); the job limit refuses with its cause', async () => {
    const kit = roomKit();
    const { media, gst } = service(kit, { maxJobs: 1 });
    const alice = await publishAV(kit, 'alice');
    const bob = await publishAV(kit, 'bob');
    await Promise.all([
      media.startRelay(alice.participant, {
        streamType: 'main',
        url: 'rtmp://127.0.0.1:1935/live/a1',
      }),
      media.startRelay(alice.participant, {
        streamType: 'main',
        url: 'rtmp://127.0.0.1:1935/live/a2',
      }),
    ]);
    expect(media.jobs()).toHaveLength(1);
    expect(gst.runs()).toHaveLength(2);
    expect(plainConsumers(kit)).toHaveLength(2);
    const refused = await media
      .startRelay(bob.participant, { streamType: 'main', url: 'rtmp://127.0.0.1:1935/live/b' })
      .catch((e: unknown) => e);
    expect(codeOf(refused)).toBe(ErrorCode.START_PUBLISH_CDN_FAILED);
    expect((refused as Error).message).toContain(
      'maximum of 1 media-out jobs (PARLEY_MEDIA_OUT_MAX_JOBS)',
    );
    await media.close();
    expect(media.jobs()).toEqual([]);
    expect(plainConsumers(kit)).toEqual([]);
    await expect(media.stopRelay(alice.participant)).rejects.toMatchObject({
      payload: { code: ErrorCode.INVALID_OPERATION },
    });
  });

  it("a relay whose pipeline keeps dying gives up and tells its owner (v4's error event)", async () => {
    const kit = roomKit();
    const { media, gst } = service(kit, { crashAfterMs: 800 });
    const alice = await publishAV(kit, 'alice');
    await media.startRelay(alice.participant, {
      streamType: 'main',
      url: 'rtmp://127.0.0.1:1935/live/a',
    });
    await waitUntil(() => alice.client.notifications.some((n) => n.method === 'error'), 10_000);
    expect(gst.runs()).toHaveLength(3);
    expect(alice.client.notifications.find((n) => n.method === 'error')!.data).toEqual({
      code: ErrorCode.START_PUBLISH_CDN_FAILED,
      message:
        'the relay 1400000000_1_alice_main stopped: gave up after 2 restarts: Could not write to resource.',
    });
    await waitUntil(() => plainConsumers(kit).length === 0);
  });

  it('the same streamId again restarts the pipeline with the new boxes and keeps the same consumers', async () => {
    const kit = roomKit();
    const { media, gst } = service(kit, { template: 'rtmp://cdn.example.com/live/{streamId}' });
    const alice = await publishAV(kit, 'alice');
    const at = (x: number) => ({
      streamId: 'm1',
      mixUsers: [
        {
          userId: 'alice',
          pureAudio: false,
          width: 320,
          height: 240,
          locationX: x,
          locationY: 0,
          zOrder: 1,
        },
      ],
    });
    await media.startMix(alice.participant, at(0));
    const before = plainConsumers(kit);
    expect(gst.runs()[0]).toContain('sink_1::xpos=0 ');
    await media.startMix(alice.participant, at(200));
    expect(gst.runs()).toHaveLength(2);
    expect(gst.runs()[1]).toContain('sink_1::xpos=200 ');
    expect(plainConsumers(kit)).toEqual(before);
    expect(before.every((c) => !c.closed)).toBe(true);
    // Another streamId replaces the mix: its pipeline and consumers go.
    await media.startMix(alice.participant, { ...at(0), streamId: 'm2' });
    expect(gst.runs()[2]).toContain('live/m2');
    expect(before.every((c) => c.closed)).toBe(true);
    await media.stopMix(alice.participant);
    expect(media.jobs()).toEqual([]);
  });

  it("v5's outputs run side by side by slot: main relay and mix relay; a layout user may be video only", async () => {
    const kit = roomKit();
    const { media, gst } = service(kit);
    const alice = await publishAV(kit, 'alice');
    await publishAV(kit, 'bob');
    await media.startRelay(alice.participant, {
      slot: 'main',
      streamType: 'main',
      url: 'rtmp://127.0.0.1:1935/live/own',
    });
    const box = { width: 320, height: 240, locationY: 0, zOrder: 1 };
    const { streamId } = await media.startMix(alice.participant, {
      streamId: 'mixed',
      mixUsers: [
        { userId: 'alice', ...box, locationX: 0 },
        { userId: 'bob', ...box, locationX: 320, pureVideo: true },
      ],
    });
    await media.startRelay(alice.participant, {
      slot: 'mix',
      streamType: 'main',
      streamId,
      url: 'rtmp://127.0.0.1:1935/live/mixed',
    });
    // The mix relay did not replace the main one: two pipelines, each to its own URL.
    expect(media.jobs()).toHaveLength(2);
    const mixRun = gst.runs().find((r) => r.includes('live/mixed'))!;
    expect(mixRun).toBeDefined();
    // Alice's sound and both pictures; Bob's sound is left out (video only).
    expect(
      plainConsumers(kit)
        .map((c) => c.kind)
        .sort(),
    ).toEqual(['audio', 'audio', 'video', 'video', 'video']);
    // The same mix relay again: nothing restarts.
    const runs = gst.runs().length;
    await media.startRelay(alice.participant, {
      slot: 'mix',
      streamType: 'main',
      streamId,
      url: 'rtmp://127.0.0.1:1935/live/mixed',
    });
    expect(gst.runs()).toHaveLength(runs);
    // Stopping the main slot leaves the mix; v4's slot (none) has nothing to stop.
    await media.stopRelay(alice.participant, 'main');
    expect(media.jobs()).toHaveLength(1);
    await expect(media.stopRelay(alice.participant)).rejects.toMatchObject({
      payload: { code: ErrorCode.INVALID_OPERATION },
    });
    await media.stopMix(alice.participant);
    expect(media.jobs()).toEqual([]);
    await expect(media.stopRelay(alice.participant, 'mix')).rejects.toMatchObject({
      payload: { code: ErrorCode.INVALID_OPERATION },
    });
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RoomMediaOut limits and rights', () => {
  it('PARLEY_MEDIA_OUT_MAX_JOBS holds for a task with several URLs: no pipeline past the limit, nothing left running', async () => {
    const kit = roomKit();
    const { media, gst } = service(kit, { maxJobs: 1 });
    await publishAV(kit, 'alice');
    const urls = ['a', 'b', 'c'].map((k) => `rtmp://127.0.0.1:1935/live/${k}`);
    const refused = await media
      .startTask('t1', () => relayJobLayout('alice', 'main'), urls)
      .catch((e: unknown) => e);
    expect((refused as Error).message).toContain(
      'maximum of 1 media-out jobs (PARLEY_MEDIA_OUT_MAX_JOBS)',
    );
    expect(gst.runs()).toHaveLength(1);
    expect(media.jobs()).toEqual([]);
    expect(media.hasTask('t1')).toBe(false);
    await waitUntil(() => plainConsumers(kit).length === 0);
    // The slot came back: a one-URL task now runs.
    await media.startTask('t2', () => relayJobLayout('alice', 'main'), urls.slice(0, 1));
    expect(media.jobs()).toHaveLength(1);
    await media.close();
  });

  it('starts at the same moment in two rooms do not both pass PARLEY_MEDIA_OUT_MAX_JOBS', async () => {
    const one = roomKit();
    const two = roomKit({ roomId: 2 });
    const { out, gst } = service(one, { maxJobs: 1 });
    const media = [out.forRoom(one.room), out.forRoom(two.room)];
    const alice = await publishAV(one, 'alice');
    const bob = await publishAV(two, 'bob');
    const outcomes = await Promise.allSettled([
      media[0]!.startRelay(alice.participant, { streamType: 'main', url: 'rtmp://127.0.0.1/l/a' }),
      media[1]!.startRelay(bob.participant, { streamType: 'main', url: 'rtmp://127.0.0.1/l/b' }),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected')!;
    expect(String(refused.reason)).toContain('maximum of 1 media-out jobs');
    expect(gst.runs()).toHaveLength(1);
    expect(media[0]!.jobs().length + media[1]!.jobs().length).toBe(1);
    await out.close();
  });

  it('a room runs at most PARLEY_MEDIA_OUT_MAX_JOBS_PER_ROOM jobs, said in the refusal', async () => {
    const kit = roomKit();
    const { media, gst } = service(kit, { maxJobsPerRoom: 1 });
    const alice = await publishAV(kit, 'alice');
    const bob = await publishAV(kit, 'bob');
    await media.startRelay(alice.participant, { streamType: 'main', url: 'rtmp://127.0.0.1/l/a' });
    const refused = await media
      .startRelay(bob.participant, { streamType: 'main', url: 'rtmp://127.0.0.1/l/b' })
      .catch((e: unknown) => e);
    expect(codeOf(refused)).toBe(ErrorCode.START_PUBLISH_CDN_FAILED);
    expect((refused as Error).message).toBe(
      'this room already runs its maximum of 1 media-out jobs (PARLEY_MEDIA_OUT_MAX_JOBS_PER_ROOM)',
    );
    expect(gst.runs()).toHaveLength(1);
    await media.close();
  });

  it('a client URL must name an allowed host: by default only the template host; private, loopback and link-local addresses only when listed', async () => {
    const refusal = async (allowedHosts: string[] | null, url: string) => {
      const kit = roomKit();
      const { media, gst } = service(kit, {
        template: 'rtmp://cdn.example.com/live/{streamId}',
        allowedHosts,
      });
      const alice = await publishAV(kit, 'alice');
      const result = await media
        .startRelay(alice.participant, { streamType: 'main', url })
        .then(() => null)
        .catch((e: unknown) => e as ServerError);
      const runs = gst.runs().length;
      await media.close();
      if (result === null) return { runs, message: null };
      expect(codeOf(result)).toBe(ErrorCode.START_PUBLISH_CDN_FAILED);
      expect(runs).toBe(0);
      return { runs, message: result.message };
    };
    expect((await refusal(null, 'rtmp://169.254.169.254:80/x')).message).toMatch(
      /url refused: host 169\.254\.169\.254:80 is not an allowed CDN host \(PARLEY_CDN_ALLOWED_HOSTS.*allowed: cdn\.example\.com\)/,
    );
    expect(await refusal(null, 'rtmp://cdn.example.com/live/mine')).toEqual({
      runs: 1,
      message: null,
    });
    expect((await refusal(['*'], 'rtmp://10.0.0.5:6379/x')).message).toMatch(
      /host 10\.0\.0\.5:6379 is a loopback, private or link-local address \(10\.0\.0\.5\): list it by name in PARLEY_CDN_ALLOWED_HOSTS/,
    );
    expect((await refusal(['*'], 'rtmp://[::ffff:127.0.0.1]/x')).message).toMatch(
      /loopback, private or link-local address \(::ffff:7f00:1\)/,
    );
    expect((await refusal(['*'], 'rtmp://redis.internal/x')).message).toMatch(
      /redis\.internal:1935 is a loopback, private or link-local address \(10\.1\.2\.3\)/,
    );
    expect((await refusal(['*'], 'rtmp://other.example.com/live/x')).message).toBeNull();
    expect(
      (await refusal(['*', 'redis.internal:1935'], 'rtmp://redis.internal/x')).message,
    ).toBeNull();
  });

  it("a mix takes another user's stream only when the owner's privateMapKey lets it receive it", async () => {
    const kit = roomKit();
    const { media } = service(kit, { template: 'rtmp://cdn.example.com/live/{streamId}' });
    await publishAV(kit, 'alice');
    const deafBits = Privilege.ALL & ~(Privilege.RECV_AUDIO | Privilege.RECV_VIDEO);
    const bob = await kit.join('bob', { privilege: deafBits });
    await kit.room.publish(bob.participant, {
      sdp: await publishOffer(['audio', 'video']),
      tracks: [...AV_TRACKS],
    });
    const user = (userId: string, x: number) => ({
      userId,
      pureAudio: false,
      width: 320,
      height: 240,
      locationX: x,
      locationY: 0,
      zOrder: 1,
    });
    await expect(
      media.startMix(bob.participant, { mixUsers: [user('bob', 0), user('alice', 320)] }),
    ).rejects.toMatchObject({
      payload: {
        code: ErrorCode.START_MIX_TRANSCODE_FAILED,
        message:
          "mixUsers alice: this user's privateMapKey does not allow receiving main audio and video, so it cannot mix it",
      },
    });
    expect(media.jobs()).toEqual([]);
    // A preset layout fills the remote box only with streams the owner may receive.
    await media.startMix(bob.participant, {
      mode: 'preset-layout',
      mixUsers: [
        { ...user('$PLACE_HOLDER_LOCAL_MAIN$', 0) },
        { ...user('$PLACE_HOLDER_REMOTE$', 320) },
      ],
    });
    const consumers = plainConsumers(kit);
    expect(consumers).toHaveLength(2);
    const bobProducers = [...bob.participant.streams.get('main')!.tracks.values()].map(
      (t) => t.producer!.id,
    );
    expect(consumers.map((c) => c.producerId).sort()).toEqual(bobProducers.sort());
    await media.close();
  });

  it('a live audience member may not mix or relay (anchors only)', async () => {
    const kit = roomKit();
    const { media, gst } = service(kit, { template: 'rtmp://cdn.example.com/live/{streamId}' });
    await publishAV(kit, 'alice');
    const carol = await kit.join('carol', { role: 'audience', mode: 'live' });
    const mix = await media
      .startMix(carol.participant, {
        mixUsers: [{ userId: 'alice', pureAudio: false, width: 320, height: 240, zOrder: 1 }],
      })
      .catch((e: unknown) => e);
    expect(codeOf(mix)).toBe(ErrorCode.INVALID_OPERATION);
    expect((mix as Error).message).toMatch(/^startMixTranscode\(\) is for anchors/);
    const relay = await media
      .startRelay(carol.participant, { streamType: 'main', url: 'rtmp://127.0.0.1/l/c' })
      .catch((e: unknown) => e);
    expect(codeOf(relay)).toBe(ErrorCode.INVALID_OPERATION);
    expect((relay as Error).message).toMatch(/^startPublishCDNStream\(\) is for anchors/);
    expect(gst.runs()).toEqual([]);
    await media.close();
  });
});
