/**
 * One cloud recording task (CreateCloudRecording) in one room: media-out jobs whose sink is
 * a file. Single-stream mode runs a job per recorded publisher (one file per user), mixed
 * mode one job laid out as MixLayoutParams says. Each run of a job's pipeline writes a new
 * segment (a restart after a crash or an input change never overwrites what was recorded);
 * a segment's end is reported as Tencent's 310 callback with its file name and times. The
 * task follows the room: publishers who come are recorded, who leave have their file
 * finalised; nobody to record for MaxIdleTime, or the room closing, ends it (302).
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RoomRef, StreamType } from '@parley/protocol';
import type { Logger } from 'pino';
import type { JobLayout, JobUser, MediaOutJobOptions } from '../mediaOut/MediaOutJob.js';
import { MediaOutJob } from '../mediaOut/MediaOutJob.js';
import {
  customJobLayout,
  floatJobLayout,
  gridJobLayout,
  type RoomPublisher,
} from '../mediaOut/mixLayout.js';
import type { PortPool } from '../mediaOut/PortPool.js';
import type { Room } from '../room/Room.js';
import {
  recorded,
  type MixLayout,
  type RecordingSpec,
  type Subscription,
} from './recordingParams.js';

export type RecordingStatus = 'Idle' | 'InProgress' | 'Exited';

/** Tencent's recording events (callback group 3). */
export const RecordingEvent = {
  START: 301,
  STOP: 302,
  UPLOAD_START: 303,
  UPLOAD_STOP: 305,
  MP4_DONE: 310,
} as const;
/** 302's LeaveCode: 0 normal stop, 99 idle. */
export const LeaveCode = { NORMAL: 0, IDLE: 99 } as const;

export interface RecordedFile {
  /** The file's name in the task's directory. */
  fileName: string;
  path: string;
  userId: string;
  mediaId: 'main' | 'mix';
  trackType: 'audio_video' | 'audio' | 'video';
  /** Wall clock (ms) when its pipeline run started playing, and when it ended (null: still written). */
  beginMs: number;
  endMs: number | null;
  /** Third-party storage: the object it was uploaded to (null: not, or not yet). */
  uploadedAs: string | null;
}

/** StorageParams.CloudStorage: each finished file is uploaded, one after the other. */
export interface RecordingStorage {
  /** Uploads the file; rejects with the cause. */
  upload(file: RecordedFile, signal: AbortSignal): Promise<string>;
  /** Keep the local file once it is uploaded (a failed upload always keeps it). */
  keepUploaded: boolean;
}

export interface CloudRecordingOptions {
  id: string;
  room: Room;
  spec: RecordingSpec;
  /** The recording's UserId (Tencent's bot user; it never joins here). */
  botUserId: string;
  dir: string;
  ports: PortPool;
  log: Logger;
  /** A group 3 event: `EventType` and its `Payload`. */
  emit(type: number, payload: Record<string, unknown>): void;
  command?: string;
  supervisor?: MediaOutJobOptions['supervisor'];
  /** How often the task looks at the room again (a republish may bring no event). */
  recheckMs?: number;
  /** Third-party storage (absent: the files stay in the data directory). */
  storage?: RecordingStorage;
}

/** Tencent's TrackType of a file by StreamType. */
const TRACK_TYPE = { both: 'audio_video', audio: 'audio', video: 'video' } as const;
const FILE_SAFE = /[^A-Za-z0-9_.@-]/g;
/** Less than this is the MP4 header alone: a second of any picture or sound is more. */
const MIN_MEDIA_BYTES = 4096;

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export class CloudRecording {
  readonly createdAt = Date.now();
  #spec: RecordingSpec;
  #status: RecordingStatus = 'Idle';
  readonly #jobs = new Map<string, MediaOutJob>();
  readonly #files: RecordedFile[] = [];
  /** The segment each job writes now. */
  readonly #open = new Map<string, RecordedFile>();
  /** Segments made per job, for file names. */
  readonly #segments = new Map<string, number>();
  #chain: Promise<void> = Promise.resolve();
  #idleSince: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #ended: Promise<void> | null = null;
  readonly #log: Logger;
  readonly #unfollow: Array<() => void> = [];
  /** Uploads, one at a time in the order the files were finished. */
  #uploads: Promise<void> = Promise.resolve();
  readonly #uploadAbort = new AbortController();
  readonly #uploaded: string[] = [];
  readonly #uploadFailed: Array<{ FileName: string; Error: string }> = [];
  #settled: Promise<void> | null = null;

  constructor(private readonly options: CloudRecordingOptions) {
    this.#spec = options.spec;
    this.#log = options.log.child({ recording: options.id, room: options.room.key });
  }

  get id(): string {
    return this.options.id;
  }

  get room(): RoomRef {
    return this.options.room.ref;
  }

  get status(): RecordingStatus {
    return this.#status;
  }

  get spec(): RecordingSpec {
    return this.#spec;
  }

  /** Every segment so far, oldest first. */
  files(): RecordedFile[] {
    return this.#files.map((f) => ({ ...f }));
  }

  /** The pipelines running now (tests: kill one to see the restart; CPU figures). */
  jobs(): MediaOutJob[] {
    return [...this.#jobs.values()];
  }

  /** Its name among what the room's media-out reads (TrackDemand). */
  get #holder(): string {
    return `recording:${this.id}`;
  }

  start(): void {
    mkdirSync(this.options.dir, { recursive: true });
    const { room } = this.options;
    const changed = () => this.#sync();
    for (const event of [
      'stream-published',
      'stream-unpublished',
      'stream-updated',
      'participant-joined',
      'participant-left',
      // Cluster: a member's track relayed from another node for this task.
      'relay-attached',
    ] as const) {
      room.on(event, changed);
      this.#unfollow.push(() => room.off(event, changed));
    }
    const closed = () => void this.stop(LeaveCode.IDLE);
    room.once('closed', closed);
    this.#unfollow.push(() => room.off('closed', closed));
    this.#timer = setInterval(changed, this.options.recheckMs ?? 2000);
    this.#timer.unref();
    this.options.emit(RecordingEvent.START, { Status: 0 });
    if (this.options.storage) this.options.emit(RecordingEvent.UPLOAD_START, { Status: 0 });
    this.#log.info({ mode: this.#spec.mode, tracks: this.#spec.tracks }, 'recording started');
    this.#sync();
  }

  /** ModifyCloudRecording: new subscribe lists and/or a new mix layout, applied at once. */
  modify(change: { subscription?: Subscription; layout?: MixLayout }): Promise<void> {
    this.#spec = {
      ...this.#spec,
      ...(change.subscription ? { subscription: change.subscription } : {}),
      ...(change.layout ? { layout: change.layout } : {}),
    };
    return this.#sync();
  }

  /** Ends the task: every pipeline gets EOS, so every file is finalised and plays. */
  stop(leaveCode: number = LeaveCode.NORMAL): Promise<void> {
    this.#ended ??= (async () => {
      if (this.#timer) clearInterval(this.#timer);
      for (const off of this.#unfollow) off();
      this.options.room.setTrackDemand(this.#holder, []);
      // Waits for a look at the room in progress, then stops what it started.
      await this.#chain;
      await Promise.all([...this.#jobs.keys()].map((key) => this.#endJob(key)));
      this.#status = 'Exited';
      this.options.emit(RecordingEvent.STOP, { LeaveCode: leaveCode });
      this.#log.info({ leaveCode, files: this.#files.length }, 'recording stopped');
    })();
    if (this.options.storage) {
      this.#settled ??= this.#ended
        .then(() => this.#uploads)
        .then(() => {
          // Tencent's 305: Status 0 every file uploaded, 1 some stayed on the server.
          const failed = this.#uploadFailed.length > 0;
          this.options.emit(RecordingEvent.UPLOAD_STOP, {
            Status: failed ? 1 : 0,
            FileList: [...this.#uploaded],
            ...(failed ? { FailedFileList: [...this.#uploadFailed] } : {}),
          });
        });
    }
    return this.#ended;
  }

  get ended(): boolean {
    return this.#ended !== null;
  }

  /**
   * Settles once the task has ended and every upload is over (then 305 is sent): Delete
   * answers before, as Tencent's does ("uploads finish later").
   */
  uploadsSettled(): Promise<void> {
    return this.#settled ?? Promise.resolve();
  }

  /** Server stop: uploads still running are cancelled (their files stay local). */
  cancelUploads(): void {
    this.#uploadAbort.abort();
  }

  /** One look at the room at a time. */
  #sync(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    const run = this.#chain.then(() => this.#look());
    this.#chain = run.catch((error: unknown) =>
      this.#log.warn({ err: error }, 'recording not updated'),
    );
    return this.#chain;
  }

  async #look(): Promise<void> {
    if (this.#ended) return;
    const publishers = this.#publishers();
    const wanted = new Map<string, JobLayout>();
    if (this.#spec.mode === 'single') {
      for (const p of publishers) {
        const layout = this.#singleLayout(p.userId);
        if (layout) wanted.set(p.userId, layout);
      }
    } else if (publishers.some((p) => this.#recordsAny(p.userId)) || this.#jobs.has('mix')) {
      // The mix goes on (background, silence) when its users leave: one file for the task.
      wanted.set('mix', this.#mixLayout(publishers));
    }
    const anybody = publishers.some((p) => !p.sticky && this.#recordsAny(p.userId));
    const now = Date.now();
    if (anybody) this.#idleSince = null;
    else this.#idleSince ??= now;
    if (this.#idleSince !== null && now - this.#idleSince >= this.#spec.maxIdleSeconds * 1000) {
      this.#log.info('nobody to record for MaxIdleTime: the recording ends');
      void this.stop(LeaveCode.IDLE);
      return;
    }
    // Cluster: the tracks of members on other nodes are relayed here for the task.
    this.options.room.setTrackDemand(
      this.#holder,
      [...wanted.values()].flatMap((layout) =>
        layout.users.flatMap((u) => [
          ...(u.audio
            ? [{ userId: u.userId, streamType: u.streamType, kind: 'audio' as const }]
            : []),
          ...(u.box
            ? [{ userId: u.userId, streamType: u.streamType, kind: 'video' as const }]
            : []),
        ]),
      ),
    );
    for (const key of [...this.#jobs.keys()]) {
      if (!wanted.has(key)) await this.#endJob(key);
    }
    for (const [key, layout] of wanted) {
      if (this.#ended) return;
      const job = this.#jobs.get(key);
      if (!job) {
        await this.#startJob(key, layout);
        continue;
      }
      try {
        if (JSON.stringify(layout) !== JSON.stringify(job.layout)) await job.update(layout);
        else await job.refresh();
      } catch (error) {
        // The restarted run failed at once (its supervisor gives up on a first failure):
        // the recording goes on in a job made again, in the next segment.
        this.#log.warn({ err: error, job: key }, 'recording pipeline restart failed; made again');
        await this.#endJob(key);
        await this.#startJob(key, layout);
      }
    }
    if (this.#status === 'Idle' && this.#jobs.size > 0) this.#status = 'InProgress';
  }

  #recordsAny(userId: string): boolean {
    const r = recorded(this.#spec, userId);
    return r.audio || r.video;
  }

  #singleLayout(userId: string): JobLayout | null {
    const r = recorded(this.#spec, userId);
    if (!r.audio && !r.video) return null;
    const { width, height } = this.#spec.output.video;
    return {
      ...this.#spec.output,
      ...this.#only(),
      users: [
        {
          userId,
          streamType: 'main',
          audio: r.audio,
          box: r.video ? { x: 0, y: 0, width, height, zOrder: 1, fit: 'fit' } : null,
        },
      ],
    };
  }

  #mixLayout(publishers: RoomPublisher[]): JobLayout {
    const spec = this.#spec;
    const recordedPublishers = publishers.filter((p) => this.#recordsAny(p.userId));
    const base =
      spec.layout.mode === 'custom'
        ? customJobLayout(spec.output, spec.layout.placed, recordedPublishers)
        : spec.layout.mode === 'grid'
          ? gridJobLayout(spec.output, recordedPublishers)
          : floatJobLayout(spec.output, recordedPublishers, spec.layout.mainUserId);
    const users: JobUser[] = base.users.map((u) => {
      const r = recorded(spec, u.userId);
      return { ...u, audio: r.audio, box: r.video ? u.box : null };
    });
    // Recorded users whose sound the layout has no place for are still heard.
    for (const p of recordedPublishers) {
      if (!users.some((u) => u.userId === p.userId) && recorded(spec, p.userId).audio) {
        users.push({ userId: p.userId, streamType: 'main', audio: true, box: null });
      }
    }
    return { ...base, ...this.#only(), users };
  }

  /** StreamType 1 / 2: the file holds that track alone. */
  #only(): Pick<JobLayout, 'only'> {
    const { tracks } = this.#spec;
    return tracks === 'both' ? {} : { only: tracks };
  }

  async #startJob(key: string, layout: JobLayout): Promise<void> {
    const { room, ports, command, supervisor } = this.options;
    const job = new MediaOutJob(
      {
        id: `recording:${this.id}:${key}`,
        router: () => room.ensureMedia(),
        sink: () => ({ kind: 'file', path: this.#newSegment(key).path }),
        lookup: (userId, streamType, kind) => this.#producerOf(userId, streamType, kind),
        ports,
        keepSlots: true,
        log: this.#log.child({ job: key }),
        ...(command ? { command } : {}),
        ...(supervisor ? { supervisor } : {}),
      },
      layout,
    );
    // The file's time 0: a segment's BeginTimeStamp is when its run started playing.
    job.on('playing', () => {
      const file = this.#open.get(key);
      if (file) file.beginMs = Date.now();
    });
    job.on('failed', (error) => {
      this.#log.error(
        { err: error, job: key },
        'recording pipeline gave up; made again at the next look',
      );
      if (this.#jobs.get(key) === job) this.#jobs.delete(key);
      this.#closeSegment(key);
    });
    this.#jobs.set(key, job);
    try {
      await job.start();
    } catch (error) {
      if (this.#jobs.get(key) === job) this.#jobs.delete(key);
      this.#closeSegment(key);
      throw error;
    }
  }

  async #endJob(key: string): Promise<void> {
    const job = this.#jobs.get(key);
    this.#jobs.delete(key);
    await job?.stop();
    this.#closeSegment(key);
  }

  /** A pipeline run begins: the job's previous segment is done, a new file starts. */
  #newSegment(key: string): RecordedFile {
    this.#closeSegment(key);
    const now = Date.now();
    const single = this.#spec.mode === 'single';
    const userId = single ? key : '';
    const n = (this.#segments.get(key) ?? 0) + 1;
    this.#segments.set(key, n);
    const base = single ? `${key.replace(FILE_SAFE, '_')}_main` : 'mix';
    // Audio alone is M4A (the same MP4 container, the extension players expect for sound).
    const extension = this.#spec.tracks === 'audio' ? 'm4a' : 'mp4';
    const fileName = `${base}_${String(n).padStart(3, '0')}_${now}.${extension}`;
    const file: RecordedFile = {
      fileName,
      path: join(this.options.dir, fileName),
      userId,
      mediaId: single ? 'main' : 'mix',
      trackType: TRACK_TYPE[this.#spec.tracks],
      beginMs: now,
      endMs: null,
      uploadedAs: null,
    };
    this.#files.push(file);
    this.#open.set(key, file);
    this.#status = 'InProgress';
    return file;
  }

  #closeSegment(key: string): void {
    const file = this.#open.get(key);
    if (!file) return;
    this.#open.delete(key);
    file.endMs = Date.now();
    if (fileSize(file.path) < MIN_MEDIA_BYTES) {
      // A run that wrote no media (it failed at once): no segment to list or play.
      this.#files.splice(this.#files.indexOf(file), 1);
      rmSync(file.path, { force: true });
      this.#log.info({ file: file.fileName }, 'empty recording segment removed');
      return;
    }
    const message = {
      FileName: file.fileName,
      UserId: file.userId,
      TrackType: file.trackType,
      MediaId: file.mediaId,
      StartTimeStamp: file.beginMs,
      EndTimeStamp: file.endMs,
    };
    const { storage } = this.options;
    if (!storage) {
      this.options.emit(RecordingEvent.MP4_DONE, { FileMessage: [message] });
      return;
    }
    // 310 once the file is in the storage (Status 0) or its upload failed (Status 1: it
    // stays on this server, with the cause).
    this.#uploads = this.#uploads.then(async () => {
      try {
        file.uploadedAs = await storage.upload(file, this.#uploadAbort.signal);
        this.#uploaded.push(file.fileName);
        if (!storage.keepUploaded) rmSync(file.path, { force: true });
        this.options.emit(RecordingEvent.MP4_DONE, {
          Status: 0,
          FileList: [file.fileName],
          FileMessage: [message],
        });
      } catch (error) {
        const cause = (error as Error).message;
        this.#uploadFailed.push({ FileName: file.fileName, Error: cause });
        this.#log.error({ file: file.fileName, cause }, 'recording upload failed; file kept');
        this.options.emit(RecordingEvent.MP4_DONE, {
          Status: 1,
          FileList: [file.fileName],
          FileMessage: [message],
          UploadError: cause,
        });
      }
    });
  }

  #producerOf(userId: string, streamType: StreamType, kind: 'audio' | 'video'): string | null {
    const participant = this.options.room.participants.get(userId);
    if (!participant || participant.left) return null;
    const track = participant.streams.get(streamType)?.tracks.get(kind);
    if (!track || track.withheld || !track.producer || track.producer.closed) return null;
    return track.producer.id;
  }

  /**
   * The room's publishers in join order. A recorded user who is still in the room but has no
   * stream for the moment (unpublish then publish again) keeps their place (`sticky`): their
   * job and its layout do not change, so the recording goes on in the same file.
   */
  #publishers(): Array<RoomPublisher & { sticky: boolean }> {
    const placed = new Set(
      [...this.#jobs.values()].flatMap((job) => job.layout.users.map((u) => u.userId)),
    );
    return [...this.options.room.participants.values()]
      .filter((p) => p.visible && !p.left && (p.streams.size > 0 || placed.has(p.userId)))
      .map((p) =>
        p.streams.size > 0
          ? { userId: p.userId, streams: [...p.streams.keys()], sticky: false }
          : { userId: p.userId, streams: ['main' as const], sticky: true },
      );
  }
}
