import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallbackEvent } from '../callbacks/events.js';
import { AV_TRACKS, fakeGst, publishAV, until } from '../test/mediaOutTestKit.js';
import { publishOffer } from '../test/offers.js';
import { roomKit, type RoomKit } from '../test/roomTestKit.js';
import { startS3TestServer } from '../test/s3TestServer.js';
import { CloudRecordings, RecordingError } from './CloudRecordings.js';
import { S3Uploader } from './S3Uploader.js';
import { loadRecordingStorage } from './storageConfig.js';
import { readRecordingSpec, type RecordingSpec } from './recordingParams.js';

function setup(
  kit: RoomKit,
  available = true,
  broken: boolean | number = false,
  uploader?: S3Uploader,
) {
  const gst = fakeGst({ writesFile: true, broken });
  const events: CallbackEvent[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'parley-recordings-'));
  const recordings = new CloudRecordings({
    rooms: { get: (sdkAppId, ref) => (ref.id === kit.room.ref.id ? kit.room : undefined) },
    dir,
    log: pino({ level: 'silent' }),
    unavailable: () => (available ? null : 'install gstreamer1.0-plugins-ugly (x264enc)'),
    emit: (event) => events.push(event),
    command: gst.command,
    portRange: [37000, 37999],
    recheckMs: 100,
    ...(uploader ? { uploader } : {}),
  });
  return { recordings, events, gst, dir };
}

const spec = (mode: 1 | 2, extra: Record<string, unknown> = {}): RecordingSpec =>
  readRecordingSpec({
    RecordParams: { RecordMode: mode, ...extra },
    StorageParams: { CloudVod: {} },
  });

const types = (events: CallbackEvent[]) => events.map((e) => e.body.EventType);

describe('CloudRecordings', () => {
  it('single-stream: a job and a file per publisher under <dir>/<sdkAppId>/<roomId>/<taskId>; Delete ends it with 310s then 302', async () => {
    const kit = roomKit();
    const { recordings, events, gst, dir } = setup(kit);
    await publishAV(kit, 'alice');
    await publishAV(kit, 'bob');
    const id = recordings.create(kit.room.sdkAppId, kit.room.ref, 'bot', spec(1));
    const task = recordings.get(kit.room.sdkAppId, id);
    expect(types(events)).toEqual([301]);
    expect(events[0]!.body).toMatchObject({
      EventGroupId: 3,
      EventInfo: { RoomId: 1, UserId: 'bot', TaskId: id, Payload: { Status: 0 } },
    });
    await until('two pipelines', () => task.jobs().filter((j) => j.pid !== null).length === 2);
    expect(task.status).toBe('InProgress');
    const files = task.files();
    expect(files.map((f) => f.userId).sort()).toEqual(['alice', 'bob']);
    for (const f of files) {
      expect(f.path).toBe(join(dir, String(kit.room.sdkAppId), '1', id, f.fileName));
      expect(f.fileName).toMatch(new RegExp(`^${f.userId}_main_001_\\d+\\.mp4$`));
      expect(f.endMs).toBeNull();
    }
    // A run notes its file as it starts, a moment after its process exists: wait for both.
    await until('both runs noted their files', () => gst.files().length === 2);
    expect(gst.files().sort()).toEqual(files.map((f) => f.path).sort());
    await recordings.delete(kit.room.sdkAppId, id);
    expect(task.status).toBe('Exited');
    expect(task.jobs()).toEqual([]);
    expect(types(events)).toEqual([301, 310, 310, 302]);
    expect(events.at(-1)!.body.EventInfo).toMatchObject({ Payload: { LeaveCode: 0 } });
    const done = events
      .filter((e) => e.body.EventType === 310)
      .flatMap(
        (e) =>
          (e.body.EventInfo.Payload as { FileMessage: Array<{ FileName: string }> }).FileMessage,
      );
    expect(done.map((f) => f.FileName).sort()).toEqual(files.map((f) => f.fileName).sort());
    // Ended: Describe still sees it; Modify and Delete do not.
    expect(recordings.get(kit.room.sdkAppId, id).status).toBe('Exited');
    await expect(recordings.delete(kit.room.sdkAppId, id)).rejects.toMatchObject({
      code: 'TaskNotExist',
    });
    await expect(recordings.modify(kit.room.sdkAppId, id, {})).rejects.toMatchObject({
      code: 'TaskNotExist',
    });
  });

  it('refuses a second recording of the room, another application, unknown tasks, a room not here, media out missing', async () => {
    const kit = roomKit();
    const { recordings } = setup(kit);
    await publishAV(kit, 'alice');
    const id = recordings.create(kit.room.sdkAppId, kit.room.ref, 'bot', spec(1));
    expect(() => recordings.create(kit.room.sdkAppId, kit.room.ref, 'bot2', spec(2))).toThrow(
      expect.objectContaining({ code: 'TaskExists', message: expect.stringContaining(id) }),
    );
    expect(() => recordings.get(kit.room.sdkAppId + 1, id)).toThrow(RecordingError);
    expect(() => recordings.get(kit.room.sdkAppId, 'nope')).toThrow(
      expect.objectContaining({ code: 'TaskNotExist' }),
    );
    expect(() =>
      recordings.create(kit.room.sdkAppId, { kind: 'number', id: 2 }, 'bot', spec(1)),
    ).toThrow(expect.objectContaining({ code: 'RoomNotExist' }));
    await recordings.close();
    const off = setup(roomKit(), false).recordings;
    expect(() => off.create(kit.room.sdkAppId, kit.room.ref, 'bot', spec(1))).toThrow(
      expect.objectContaining({ code: 'Unavailable', message: expect.stringContaining('x264enc') }),
    );
  });

  it("follows the room: a later publisher is recorded, a deny list (Modify) ends that user's file, a leave ends it too", async () => {
    const kit = roomKit();
    const { recordings, events } = setup(kit);
    await publishAV(kit, 'alice');
    const id = recordings.create(kit.room.sdkAppId, kit.room.ref, 'bot', spec(1));
    const task = recordings.get(kit.room.sdkAppId, id);
    await until('alice recorded', () => task.jobs().length === 1);
    const bob = await publishAV(kit, 'bob');
    await until('bob recorded', () => task.files().some((f) => f.userId === 'bob'));
    await recordings.modify(kit.room.sdkAppId, id, {
      subscription: {
        audioAllow: null,
        audioDeny: ['alice'],
        videoAllow: null,
        videoDeny: ['alice'],
      },
    });
    expect(task.jobs()).toHaveLength(1);
    const alice = task.files().find((f) => f.userId === 'alice')!;
    expect(alice.endMs).not.toBeNull();
    await kit.room.leave(bob.participant, 'leave');
    await until(
      'bob finalised',
      () => task.files().find((f) => f.userId === 'bob')!.endMs !== null,
    );
    expect(types(events).filter((t) => t === 310)).toHaveLength(2);
    await recordings.close();
  });

  it('a republish keeps the same pipeline and file: the new producer is sent to the same port (no restart)', async () => {
    const kit = roomKit();
    const { recordings, gst } = setup(kit);
    const alice = await publishAV(kit, 'alice');
    const id = recordings.create(kit.room.sdkAppId, kit.room.ref, 'bot', spec(1));
    const task = recordings.get(kit.room.sdkAppId, id);
    await until('alice recorded', () => task.jobs()[0]?.pid);
    const pid = task.jobs()[0]!.pid;
    const ports = () =>
      [...kit.engine.routers].flatMap((r) =>
        [...r.transports].flatMap((t) =>
          [...t.producers].flatMap((p) =>
            [...p.plainConsumers]
              .filter((c) => !c.closed)
              .map((c) => `${p.kind}:${c.options.port}`),
          ),
        ),
      );
    const before = ports().sort();
    expect(before).toHaveLength(2);
    await kit.room.unpublish(alice.participant, 'main');
    await kit.room.publish(alice.participant, {
      sdp: await publishOffer(['audio', 'video']),
      tracks: [...AV_TRACKS],
    });
    await until('the new producers sent to the old ports', () => ports().length === 2 && ports());
    await new Promise((r) => setTimeout(r, 300));
    expect(ports().sort()).toEqual(before);
    expect(task.jobs()[0]!.pid).toBe(pid);
    expect(task.files()).toHaveLength(1);
    expect(gst.files()).toHaveLength(1);
    await recordings.close();
  });

  it('mixed: one job laid out from the room; the layout changes when a publisher comes (a new segment)', async () => {
    const kit = roomKit();
    const { recordings } = setup(kit);
    await publishAV(kit, 'alice');
    const id = recordings.create(kit.room.sdkAppId, kit.room.ref, 'bot', spec(2));
    const task = recordings.get(kit.room.sdkAppId, id);
    await until('the mix', () => task.jobs()[0]?.pid);
    expect(task.jobs()[0]!.layout.users.map((u) => u.userId)).toEqual(['alice']);
    await publishAV(kit, 'bob');
    await until(
      'bob in the mix',
      () => task.jobs()[0]?.layout.users.length === 2 && task.files().length === 2,
    );
    const [first, second] = task.files();
    expect(first).toMatchObject({ userId: '', mediaId: 'mix' });
    expect(first!.endMs).not.toBeNull();
    expect(second!.fileName).toMatch(/^mix_002_/);
    await recordings.close();
    expect(task.status).toBe('Exited');
  });

  it('a run that wrote no media leaves no segment: no file, no 310', async () => {
    const kit = roomKit();
    const { recordings, events, gst } = setup(kit, true, true);
    await publishAV(kit, 'alice');
    const id = recordings.create(kit.room.sdkAppId, kit.room.ref, 'bot', spec(1));
    const task = recordings.get(kit.room.sdkAppId, id);
    await until('a run tried', () => gst.files().length >= 1);
    await recordings.delete(kit.room.sdkAppId, id);
    expect(task.files()).toEqual([]);
    expect(types(events)).toEqual([301, 302]);
    expect(existsSync(gst.files()[0]!)).toBe(false);
  });

  it('a restart whose new run fails at once (mp4mux refusing a buffer) is made again: the recording goes on', async () => {
    const kit = roomKit();
    const { recordings, gst } = setup(kit, true, 2);
    await publishAV(kit, 'alice');
    const id = recordings.create(kit.room.sdkAppId, kit.room.ref, 'bot', spec(2));
    const task = recordings.get(kit.room.sdkAppId, id);
    await until('the mix', () => task.jobs()[0]?.pid);
    await recordings.modify(kit.room.sdkAppId, id, { layout: { mode: 'float' } });
    await until('a third run', () => gst.files().length === 3 && task.jobs()[0]?.pid);
    // The failed second run left no segment; the first and the third are listed.
    expect(task.files().map((f) => f.fileName.slice(0, 7))).toEqual(['mix_001', 'mix_003']);
    expect(task.status).toBe('InProgress');
    await recordings.close();
  });

  it('ends by itself after MaxIdleTime with nobody to record (302 LeaveCode 99), and when the room closes', async () => {
    const kit = roomKit();
    const { recordings, events } = setup(kit);
    await kit.join('watcher');
    const id = recordings.create(kit.room.sdkAppId, kit.room.ref, 'bot', {
      ...spec(1),
      maxIdleSeconds: 0.3,
    });
    const task = recordings.get(kit.room.sdkAppId, id);
    expect(task.status).toBe('Idle');
    await until('idle end', () => task.status === 'Exited');
    expect(events.at(-1)!.body).toMatchObject({
      EventType: 302,
      EventInfo: { Payload: { LeaveCode: 99 } },
    });

    const other = roomKit();
    const second = setup(other);
    const alice = await publishAV(other, 'alice');
    const id2 = second.recordings.create(other.room.sdkAppId, other.room.ref, 'bot', spec(1));
    const task2 = second.recordings.get(other.room.sdkAppId, id2);
    await until('alice recorded', () => task2.jobs()[0]?.pid);
    await other.room.leave(alice.participant, 'leave');
    await until('ended with the room', () => task2.status === 'Exited');
    expect(task2.files()[0]!.endMs).not.toBeNull();
    expect(types(second.events)).toEqual([301, 310, 302]);
  });

  it('CloudStorage: each finished file is uploaded (303, then 310 Status 0 per file, 302, 305) and deleted locally', async () => {
    const owner = { accessKey: 'AKIDowner', secretKey: 'owner-secret', region: 'ap-test-1' };
    const s3 = await startS3TestServer({ ...owner, buckets: ['records-1'] });
    try {
      const kit = roomKit();
      const uploader = new S3Uploader(
        loadRecordingStorage({ PARLEY_S3_ENDPOINT: s3.endpoint }),
        pino({ level: 'silent' }),
      );
      const { recordings, events } = setup(kit, true, false, uploader);
      await publishAV(kit, 'alice');
      const id = recordings.create(
        kit.room.sdkAppId,
        kit.room.ref,
        'bot',
        readRecordingSpec({
          RecordParams: { RecordMode: 1 },
          StorageParams: {
            CloudStorage: {
              Vendor: 1,
              Region: owner.region,
              Bucket: 'records-1',
              AccessKey: owner.accessKey,
              SecretKey: owner.secretKey,
              FileNamePrefix: ['p'],
            },
          },
        }),
      );
      const task = recordings.get(kit.room.sdkAppId, id);
      expect(types(events)).toEqual([301, 303]);
      await until('a pipeline', () => task.jobs().some((j) => j.pid !== null));
      const [file] = task.files();
      await recordings.delete(kit.room.sdkAppId, id);
      await task.uploadsSettled();
      expect(types(events)).toEqual([301, 303, 302, 310, 305]);
      expect(events[3]!.body.EventInfo.Payload).toMatchObject({
        Status: 0,
        FileList: [file!.fileName],
      });
      expect(events[4]!.body.EventInfo.Payload).toEqual({
        Status: 0,
        FileList: [file!.fileName],
      });
      // The fake pipeline's 8000 bytes, under <prefix>/<TaskId>/<file>; the local copy is gone.
      expect(s3.objects.get(`records-1/p/${id}/${file!.fileName}`)?.length).toBe(8000);
      expect(task.files()[0]!.uploadedAs).toBe(`p/${id}/${file!.fileName}`);
      expect(existsSync(file!.path)).toBe(false);
    } finally {
      await s3.close();
    }
  });
});
