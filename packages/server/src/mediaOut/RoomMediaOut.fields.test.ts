import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@parley/protocol';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { fakeGst, publishAV } from '../test/mediaOutTestKit.js';
import { roomKit } from '../test/roomTestKit.js';
import type { ServerError } from '../ServerError.js';
import { MediaOutService } from './MediaOutService.js';

const codeOf = (error: unknown) => (error as ServerError).payload.code;

async function until(what: string, check: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const box = (x: number, y: number) => ({
  pureAudio: false,
  width: 320,
  height: 240,
  locationX: x,
  locationY: y,
  zOrder: 1,
});

describe('RoomMediaOut: backgroundImage and users of another room', () => {
  it('resolves backgroundImage in the mix-images directory, refusing an unknown id', async () => {
    const images = mkdtempSync(join(tmpdir(), 'parley-mix-images-'));
    writeFileSync(join(images, 'stage.png'), 'not read by the fake pipeline');
    writeFileSync(join(images, 'logo.jpg'), 'not read by the fake pipeline');
    const kit = roomKit();
    const gst = fakeGst();
    const out = new MediaOutService({
      log: pino({ level: 'silent' }),
      urlTemplate: () => 'rtmp://127.0.0.1/live/{streamId}',
      command: gst.command,
      availability: { available: true, missing: [] },
      portRange: [36100, 36199],
      mixImagesDir: images,
    });
    const media = out.forRoom(kit.room);
    const alice = await publishAV(kit, 'alice');
    const mix = (backgroundImage: string) => ({
      streamId: 'bg',
      backgroundImage,
      mixUsers: [{ userId: 'alice', ...box(0, 0) }],
    });
    for (const id of ['nope', '../stage', 'stage.png', '/etc/passwd']) {
      const refused = await media.startMix(alice.participant, mix(id)).catch((e: unknown) => e);
      expect(codeOf(refused), id).toBe(ErrorCode.INVALID_PARAMETER);
      expect((refused as Error).message).toMatch(/^config\.backgroundImage/);
    }
    expect(gst.runs()).toEqual([]);
    await media.startMix(alice.participant, mix('stage'));
    expect(gst.runs()[0]).toContain(`filesrc location=${join(images, 'stage.png')} ! pngdec`);
    // The same streamId again: the new image (a JPEG) is in the next run.
    await media.startMix(alice.participant, mix('logo'));
    expect(gst.runs()[1]).toContain(`filesrc location=${join(images, 'logo.jpg')} ! jpegdec`);
    // No image: the colour again.
    await media.startMix(alice.participant, mix(''));
    expect(gst.runs()[2]).toContain('videotestsrc name=bg is-live=true pattern=solid-color');
    await out.close();
  });

  it('refuses users of another room where the application enforces room permission', async () => {
    const roomA = roomKit({ roomId: 1 });
    const roomB = roomKit({ roomId: 2 });
    const gst = fakeGst();
    const out = new MediaOutService({
      log: pino({ level: 'silent' }),
      urlTemplate: () => 'rtmp://127.0.0.1/live/{streamId}',
      command: gst.command,
      availability: { available: true, missing: [] },
      portRange: [36300, 36399],
      room: (_sdkAppId, ref) => (ref.kind === 'number' && ref.id === 2 ? roomB.room : undefined),
      crossRoomRefusal: () => 'room permission is enforced',
    });
    const alice = await publishAV(roomA, 'alice');
    await publishAV(roomB, 'bob');
    const refused = await out
      .forRoom(roomA.room)
      .startMix(alice.participant, {
        streamId: 'rooms',
        mixUsers: [
          { userId: 'alice', ...box(0, 0) },
          { userId: 'bob', roomId: 2, ...box(320, 240) },
        ],
      })
      .catch((e: unknown) => e);
    expect(codeOf(refused)).toBe(ErrorCode.START_MIX_TRANSCODE_FAILED);
    expect((refused as Error).message).toBe(
      'mixUsers[1] is in room 2: room permission is enforced',
    );
    // Nothing ran and nothing of room 2 was consumed.
    expect(gst.runs()).toEqual([]);
    const consumers = [...roomB.engine.routers].flatMap((r) =>
      [...r.transports].flatMap((t) => [...t.producers].flatMap((p) => [...p.plainConsumers])),
    );
    expect(consumers).toEqual([]);
    await out.close();
  });

  it("feeds another room's user into the mix; refuses a user not there and a room id of the other kind", async () => {
    const roomA = roomKit({ roomId: 1 });
    const roomB = roomKit({ roomId: 2 });
    const gst = fakeGst();
    const out = new MediaOutService({
      log: pino({ level: 'silent' }),
      urlTemplate: () => 'rtmp://127.0.0.1/live/{streamId}',
      command: gst.command,
      availability: { available: true, missing: [] },
      portRange: [36200, 36299],
      room: (_sdkAppId, ref) =>
        ref.kind === 'number' && ref.id === 2
          ? roomB.room
          : ref.kind === 'number' && ref.id === 1
            ? roomA.room
            : undefined,
    });
    const media = out.forRoom(roomA.room);
    const alice = await publishAV(roomA, 'alice');
    const bob = await publishAV(roomB, 'bob');
    const mix = (other: { userId: string; roomId: number | string }) => ({
      streamId: 'rooms',
      mixUsers: [
        { userId: 'alice', ...box(0, 0) },
        { ...other, ...box(320, 240) },
      ],
    });
    const absent = await media
      .startMix(alice.participant, mix({ userId: 'nobody', roomId: 2 }))
      .catch((e: unknown) => e);
    expect(codeOf(absent)).toBe(ErrorCode.START_MIX_TRANSCODE_FAILED);
    expect((absent as Error).message).toBe('mixUsers[1] nobody is not in room 2');
    const noRoom = await media
      .startMix(alice.participant, mix({ userId: 'bob', roomId: 3 }))
      .catch((e: unknown) => e);
    expect(codeOf(noRoom)).toBe(ErrorCode.START_MIX_TRANSCODE_FAILED);
    expect((noRoom as Error).message).toMatch(/bob is not in room 3 \(nobody is in that room/);
    const kind = await media
      .startMix(alice.participant, mix({ userId: 'bob', roomId: '2' }))
      .catch((e: unknown) => e);
    expect(codeOf(kind)).toBe(ErrorCode.INVALID_PARAMETER);
    expect((kind as Error).message).toMatch(/^config\.mixUsers\[1\]\.roomId must be a numeric/);
    expect(gst.runs()).toEqual([]);

    await media.startMix(alice.participant, mix({ userId: 'bob', roomId: 2 }));
    // Four inputs: alice's two tracks and bob's two, fed in from room 2.
    const job = media.jobs()[0]!;
    const inputs = (gst.runs()[0]!.match(/caps="application\/x-rtp,/g) ?? []).length;
    expect(inputs).toBe(4);
    const bobsTracks = [...bob.participant.streams.get('main')!.tracks.values()].map(
      (t) => t.producer!.id,
    );
    const roomAConsumers = [...roomA.engine.routers].flatMap((r) =>
      [...r.transports].flatMap((t) => [...t.producers].flatMap((p) => [...p.plainConsumers])),
    );
    expect(roomAConsumers.map((c) => c.producerId).sort()).toEqual(
      expect.arrayContaining(bobsTracks.sort()),
    );

    // Bob leaves room 2: the tracks fed from there end, and so do the mix's consumers of them.
    const fedToMix = roomAConsumers.filter((c) => bobsTracks.includes(c.producerId));
    expect(fedToMix).toHaveLength(2);
    expect(fedToMix.every((c) => !c.closed)).toBe(true);
    await roomB.room.leave(bob.participant, 'leave');
    await until("the mix's consumers of bob's tracks closed", () =>
      fedToMix.every((c) => c.closed),
    );
    expect(job.stopped).toBe(false);
    await out.close();
  });
});
