import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { fakeGst, isAlive, publishAV } from '../test/mediaOutTestKit.js';
import { roomKit, type RoomKit } from '../test/roomTestKit.js';
import { MediaOutService } from './MediaOutService.js';
import { MediaOutTasks, TaskError, type LayoutOf } from './MediaOutTasks.js';
import { relayJobLayout } from './mixLayout.js';

const APP = 1400000000;
const URL = 'rtmp://127.0.0.1:1935/live/task';

async function setup() {
  const kit: RoomKit = roomKit();
  await publishAV(kit, 'alice');
  const gst = fakeGst();
  const service = new MediaOutService({
    log: pino({ level: 'silent' }),
    urlTemplate: () => null,
    command: gst.command,
    availability: { available: true, missing: [] },
    portRange: [37000, 37999],
  });
  const tasks = new MediaOutTasks(service, { get: () => kit.room });
  const media = service.forRoom(kit.room);
  return { kit, gst, tasks, media };
}

const relay: LayoutOf = () => relayJobLayout('alice', 'main');
const ref = { kind: 'number', id: 1 } as const;

describe('MediaOutTasks', () => {
  it('a second start of a task while its first is under way updates it: one pipeline, and stop ends it', async () => {
    const { kit, gst, tasks, media } = await setup();
    // As StartMCUMixTranscode does: a task id the node knows is updated, else started.
    const startOrUpdate = async () => {
      if (tasks.has(APP, 'mcu')) await tasks.update(APP, 'mcu', relay);
      else await tasks.start(APP, ref, relay, [URL], 'mcu');
    };
    await Promise.all([startOrUpdate(), startOrUpdate()]);
    expect(media.jobs()).toHaveLength(1);
    // The start, then the update's restart of the same job.
    expect(gst.runs()).toHaveLength(2);
    await tasks.stop(APP, 'mcu');
    expect(media.jobs()).toEqual([]);
    expect(tasks.has(APP, 'mcu')).toBe(false);
    // Every pipeline that ran has ended: none was left pushing out of the task's reach.
    const alive = gst.pids().filter(isAlive);
    expect(alive).toEqual([]);
    await kit.room.leave(kit.room.participants.get('alice')!, 'leave');
  });

  it('the same task id started twice is refused, not run twice', async () => {
    const { tasks, media, gst } = await setup();
    const first = tasks.start(APP, ref, relay, [URL], 'mcu');
    const second = await tasks.start(APP, ref, relay, [URL], 'mcu').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(TaskError);
    expect((second as TaskError).message).toBe('task mcu is already running');
    await first;
    expect(media.jobs()).toHaveLength(1);
    expect(gst.runs()).toHaveLength(1);
    await tasks.stop(APP, 'mcu');
  });

  it('a stop made while the task starts runs after the start: nothing is left pushing', async () => {
    const { tasks, media, gst } = await setup();
    const started = tasks.start(APP, ref, relay, [URL], 'mcu');
    expect(tasks.has(APP, 'mcu')).toBe(true);
    await tasks.stop(APP, 'mcu');
    await started;
    expect(gst.runs()).toHaveLength(1);
    expect(media.jobs()).toEqual([]);
    expect(tasks.has(APP, 'mcu')).toBe(false);
    await expect(tasks.stop(APP, 'mcu')).rejects.toMatchObject({ code: 'TaskNotExist' });
  });

  it('a task of another SdkAppId is neither seen nor forgotten by its id', async () => {
    const { tasks } = await setup();
    await tasks.start(APP, ref, relay, [URL], 'mcu');
    await expect(tasks.stop(APP + 1, 'mcu')).rejects.toMatchObject({ code: 'TaskNotExist' });
    expect(tasks.has(APP, 'mcu')).toBe(true);
    await tasks.stop(APP, 'mcu');
  });

  it('tasks that end leave no listener on the room', async () => {
    const { kit, tasks } = await setup();
    const baseline = kit.room.listenerCount('closed');
    for (let i = 0; i < 3; i++) {
      await tasks.start(APP, ref, relay, [URL], `t${i}`);
      await tasks.stop(APP, `t${i}`);
    }
    const failed = await tasks.start(APP, ref, relay, ['rtmp://bad url'], 'bad').catch((e) => e);
    expect(failed).toBeInstanceOf(TaskError);
    expect(kit.room.listenerCount('closed')).toBe(baseline);
  });
});
