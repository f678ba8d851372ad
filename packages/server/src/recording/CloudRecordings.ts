/**
 * The server's cloud recording tasks by TaskId: one running task per room (Tencent's bot is
 * one user, so a second CreateCloudRecording for the room is refused), files under
 * `<dataDir>/recordings/<sdkAppId>/<roomId>/<taskId>/`, group 3 callbacks through the
 * durable callback queue. Ended tasks are kept a while so Describe can still list their files.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { RoomRef } from '@parley/protocol';
import type { Logger } from 'pino';
import type { CallbackEvent } from '../callbacks/events.js';
import type { MediaOutJobOptions } from '../mediaOut/MediaOutJob.js';
import { PortPool } from '../mediaOut/PortPool.js';
import type { RoomManager } from '../room/RoomManager.js';
import { CloudRecording, type RecordingStorage } from './CloudRecording.js';
import { objectKey, type S3Uploader } from './S3Uploader.js';
import type { MixLayout, RecordingSpec, Subscription } from './recordingParams.js';

export class RecordingError extends Error {
  constructor(
    readonly code: 'RoomNotExist' | 'TaskExists' | 'TaskNotExist' | 'Unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'RecordingError';
  }
}

export interface CloudRecordingsOptions {
  rooms: Pick<RoomManager, 'get'>;
  /** `<dataDir>/recordings` */
  dir: string;
  log: Logger;
  /** Null when pipelines can run; otherwise what is missing. */
  unavailable(): string | null;
  /** Where group 3 callbacks go (the durable queue). */
  emit(event: CallbackEvent): void;
  portRange?: [number, number];
  command?: string;
  supervisor?: MediaOutJobOptions['supervisor'];
  /** How long an ended task stays visible to Describe (ms). */
  keepEndedMs?: number;
  recheckMs?: number;
  /** Uploads to StorageParams.CloudStorage (absent: files stay local whatever is asked). */
  uploader?: S3Uploader;
  /** Keep files in the data directory once uploaded. */
  keepUploaded?: boolean;
  /** Server stop: how long running uploads may still take before they are cancelled (ms). */
  closeUploadWaitMs?: number;
}

export class CloudRecordings {
  readonly #tasks = new Map<string, { sdkAppId: number; task: CloudRecording }>();
  readonly #ports: PortPool;

  constructor(private readonly options: CloudRecordingsOptions) {
    const [min, max] = options.portRange ?? [35000, 36999];
    this.#ports = new PortPool(min, max);
  }

  /** Starts recording a live room of this server; returns the TaskId at once. */
  create(sdkAppId: number, ref: RoomRef, botUserId: string, spec: RecordingSpec): string {
    const missing = this.options.unavailable();
    if (missing)
      throw new RecordingError(
        'Unavailable',
        `recording is not available on this server: ${missing}`,
      );
    const room = this.options.rooms.get(sdkAppId, ref);
    if (!room || room.closed) {
      throw new RecordingError(
        'RoomNotExist',
        `room ${String(ref.id)} has nobody in it on this server`,
      );
    }
    for (const [id, entry] of this.#tasks) {
      if (
        entry.sdkAppId === sdkAppId &&
        !entry.task.ended &&
        entry.task.room.kind === ref.kind &&
        entry.task.room.id === ref.id
      ) {
        throw new RecordingError(
          'TaskExists',
          `room ${String(ref.id)} is already recorded by task ${id}: DeleteCloudRecording it first`,
        );
      }
    }
    const id = randomUUID().replaceAll('-', '');
    const target = spec.cloudStorage;
    const { uploader } = this.options;
    const storage: RecordingStorage | undefined =
      target && uploader
        ? {
            upload: async (file, signal) => {
              const key = objectKey(target, id, file.fileName);
              await uploader.upload(target, key, file.path, signal);
              return key;
            },
            keepUploaded: this.options.keepUploaded ?? false,
          }
        : undefined;
    const task = new CloudRecording({
      id,
      room,
      spec,
      botUserId,
      dir: join(this.options.dir, String(sdkAppId), encodeURIComponent(String(ref.id)), id),
      ports: this.#ports,
      log: this.options.log,
      emit: (type, payload) => {
        const now = Date.now();
        this.options.emit({
          sdkAppId,
          room: ref,
          body: {
            EventGroupId: 3,
            EventType: type,
            CallbackTs: now,
            EventInfo: {
              RoomId: ref.id,
              EventTs: Math.floor(now / 1000),
              EventMsTs: now,
              UserId: botUserId,
              TaskId: id,
              Payload: payload,
            },
          },
        });
      },
      ...(this.options.command ? { command: this.options.command } : {}),
      ...(this.options.supervisor ? { supervisor: this.options.supervisor } : {}),
      ...(this.options.recheckMs ? { recheckMs: this.options.recheckMs } : {}),
      ...(storage ? { storage } : {}),
    });
    this.#tasks.set(id, { sdkAppId, task });
    task.start();
    return id;
  }

  /** The task (running or ended a short while ago) of this application. */
  get(sdkAppId: number, id: string): CloudRecording {
    const entry = this.#tasks.get(id);
    if (!entry || entry.sdkAppId !== sdkAppId) {
      throw new RecordingError('TaskNotExist', `no recording task ${id} of SdkAppId ${sdkAppId}`);
    }
    return entry.task;
  }

  async modify(
    sdkAppId: number,
    id: string,
    change: { subscription?: Subscription; layout?: MixLayout },
  ): Promise<void> {
    const task = this.#running(sdkAppId, id);
    await task.modify(change);
  }

  async delete(sdkAppId: number, id: string): Promise<void> {
    const task = this.#running(sdkAppId, id);
    await task.stop();
    const timer = setTimeout(() => this.#tasks.delete(id), this.options.keepEndedMs ?? 3_600_000);
    timer.unref();
  }

  /** Every running task (tests, metrics). */
  running(): CloudRecording[] {
    return [...this.#tasks.values()].map((e) => e.task).filter((t) => !t.ended);
  }

  /**
   * Server stop: every recording ends with EOS, so its files play; uploads get a while to
   * finish, then are cancelled (those files stay in the data directory).
   */
  async close(): Promise<void> {
    const tasks = [...this.#tasks.values()].map((e) => e.task);
    await Promise.all(tasks.map((t) => t.stop()));
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      Promise.all(tasks.map((t) => t.uploadsSettled())).then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), this.options.closeUploadWaitMs ?? 15_000);
      }),
    ]);
    clearTimeout(timer);
    if (!waited) {
      for (const t of tasks) t.cancelUploads();
      this.options.log.warn('recording uploads cancelled by the server stop; files kept locally');
    }
  }

  #running(sdkAppId: number, id: string): CloudRecording {
    const task = this.get(sdkAppId, id);
    if (task.ended) throw new RecordingError('TaskNotExist', `recording task ${id} has ended`);
    return task;
  }
}
