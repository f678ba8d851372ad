/**
 * The server API's media-out tasks (StartPublishCdnStream, StartMCUMixTranscode and their
 * Update/Stop): each has a TaskId, lives in one room's RoomMediaOut and ends with it.
 */
import { randomUUID } from 'node:crypto';
import { roomKey, type RoomRef } from '@parley/protocol';
import type { RoomManager } from '../room/RoomManager.js';
import type { JobLayout } from './MediaOutJob.js';
import type { MediaOutService } from './MediaOutService.js';
import type { RoomPublisher } from './mixLayout.js';

export type LayoutOf = (publishers: readonly RoomPublisher[]) => JobLayout;

export class TaskError extends Error {
  constructor(
    readonly code: 'RoomNotExist' | 'TaskNotExist' | 'Failed',
    message: string,
  ) {
    super(message);
    this.name = 'TaskError';
  }
}

interface TaskRecord {
  sdkAppId: number;
  room: RoomRef;
  /** Until the task pushes: an update or stop meanwhile runs after it (the room's queue). */
  starting: boolean;
  /** Drops the room-closed listener. */
  forget(): void;
}

export class MediaOutTasks {
  /** taskId → where it runs; set before the start's first await, so a second start sees it */
  readonly #tasks = new Map<string, TaskRecord>();

  constructor(
    private readonly service: MediaOutService,
    private readonly rooms: Pick<RoomManager, 'get'>,
  ) {}

  /** Starts a task in a live room of this node; resolves with its TaskId once it pushes. */
  async start(
    sdkAppId: number,
    ref: RoomRef,
    layoutOf: LayoutOf,
    urls: readonly string[],
    id: string = randomUUID(),
  ): Promise<string> {
    const room = this.rooms.get(sdkAppId, ref);
    if (!room || room.closed)
      throw new TaskError('RoomNotExist', `room ${String(ref.id)} has nobody in it on this server`);
    if (this.#tasks.has(id)) throw new TaskError('Failed', `task ${id} is already running`);
    const onClosed = () => {
      if (this.#tasks.get(id) === record) this.#tasks.delete(id);
    };
    const record: TaskRecord = {
      sdkAppId,
      room: ref,
      starting: true,
      forget: () => room.off('closed', onClosed),
    };
    this.#tasks.set(id, record);
    room.once('closed', onClosed);
    try {
      await this.service.forRoom(room).startTask(id, layoutOf, urls);
    } catch (error) {
      if (this.#tasks.get(id) === record) this.#tasks.delete(id);
      record.forget();
      throw new TaskError('Failed', (error as Error).message);
    }
    record.starting = false;
    return id;
  }

  async update(sdkAppId: number, id: string, layoutOf: LayoutOf): Promise<void> {
    const out = this.#find(sdkAppId, id);
    try {
      if (!(await out.updateTask(id, layoutOf)))
        throw new TaskError('TaskNotExist', `task ${id} has ended`);
    } catch (error) {
      if (error instanceof TaskError) throw error;
      throw new TaskError('Failed', (error as Error).message);
    }
  }

  async stop(sdkAppId: number, id: string): Promise<void> {
    const out = this.#find(sdkAppId, id);
    this.#tasks.get(id)?.forget();
    this.#tasks.delete(id);
    await out.stopTask(id);
  }

  has(sdkAppId: number, id: string): boolean {
    return this.#tasks.get(id)?.sdkAppId === sdkAppId;
  }

  #find(sdkAppId: number, id: string) {
    const task = this.#tasks.get(id);
    const room =
      task && task.sdkAppId === sdkAppId ? this.rooms.get(sdkAppId, task.room) : undefined;
    const out = room ? this.service.existing(roomKey(sdkAppId, task!.room)) : undefined;
    // A task still starting is not in the room's list yet; what follows queues after it.
    if (!out || (!task!.starting && !out.hasTask(id))) {
      if (task && task.sdkAppId === sdkAppId) {
        task.forget();
        this.#tasks.delete(id);
      }
      throw new TaskError('TaskNotExist', `no task ${id} of SdkAppId ${sdkAppId} is running`);
    }
    return out;
  }
}
