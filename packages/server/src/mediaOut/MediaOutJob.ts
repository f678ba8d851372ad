/**
 * One media-out job (a mix or a single stream's relay; a recording is the same with a file
 * sink): the room's producers it takes, each sent by a plain RTP consumer to a loopback
 * port of its pipeline process, and that process (PipelineSupervisor). When its inputs
 * change (a user publishes, unpublishes, republishes) or its layout does, the consumers are
 * made again and the pipeline restarts with them; its keyframes are asked for each time the
 * pipeline starts playing, so the output shows pictures at once.
 */
import { existsSync } from 'node:fs';
import type { StreamType, TrackKind } from '@parley/protocol';
import type { Logger } from 'pino';
import type { MediaPlainConsumer, MediaRouter } from '../media/MediaEngine.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import {
  gstLaunchArgs,
  SUPPORTED_CODECS,
  type OutputAudio,
  type OutputVideo,
  type PipelineInput,
  type PipelineSink,
  type VideoBox,
} from './pipeline.js';
import { PipelineError, PipelineSupervisor, type SupervisorOptions } from './PipelineSupervisor.js';
import type { PortPool } from './PortPool.js';

/** One user's stream in a job: its sound, and its picture when it has a box. */
export interface JobUser {
  userId: string;
  /** A user of another room of the application (v4's `mixUsers[].roomId`); unset: the job's. */
  roomId?: string;
  streamType: StreamType;
  audio: boolean;
  box: VideoBox | null;
}

export interface JobLayout {
  video: OutputVideo;
  audio: OutputAudio;
  users: JobUser[];
  /** One track only in the output (recordings' StreamType 1 / 2); absent: both. */
  only?: 'audio' | 'video';
}

/** The producer a user's track has now in the room (null: none). */
export type ProducerLookup = (
  userId: string,
  streamType: StreamType,
  kind: TrackKind,
  roomId?: string,
) => string | null;

export interface MediaOutJobEvents {
  /** The pipeline gave up (restarts exhausted): the job is over. */
  failed: [error: Error];
  /** A run of the pipeline is playing (its output's time 0 is about now). */
  playing: [];
  /** A run is started and its output moves (an RTMP push: the server took it). */
  running: [];
  /** A run ended unexpectedly and the pipeline is restarted after a back-off. */
  restarting: [cause: string];
  /** stop() was called (once). */
  stopped: [];
  /** start() failed (it rejects with the same error). */
  startFailed: [error: Error];
  /** The inputs now mixed, after each (re)binding. */
  inputs: [
    users: Array<{ userId: string; streamType: StreamType; hasAudio: boolean; hasVideo: boolean }>,
  ];
}

interface BoundInput {
  key: string;
  userId: string;
  streamType: StreamType;
  kind: TrackKind;
  consumer: MediaPlainConsumer;
  port: number;
  box: VideoBox | null;
  onClose: () => void;
}

/**
 * gst-launch-1.0, under `setpriv --pdeathsig INT` where util-linux has it: a pipeline whose
 * server died (killed, crashed) gets SIGINT, so it finishes its output (EOS) and exits instead
 * of pushing the background forever.
 */
const GST_LAUNCH: { command: string; commandArgs?: string[] } = existsSync('/usr/bin/setpriv')
  ? { command: '/usr/bin/setpriv', commandArgs: ['--pdeathsig', 'INT', 'gst-launch-1.0'] }
  : { command: 'gst-launch-1.0' };

/** Keyframe requests after the pipeline starts playing (ms): its sockets open a little later. */
const KEYFRAME_SCHEDULE_MS = [0, 300, 1000, 2000, 4000];

export interface MediaOutJobOptions {
  id: string;
  /** The room's media router (made on first use). */
  router: () => Promise<MediaRouter>;
  /** Where the output goes; a function is asked again at each run (a recording's segments). */
  sink: PipelineSink | (() => PipelineSink);
  lookup: ProducerLookup;
  ports: PortPool;
  log: Logger;
  /**
   * Recordings: a track that goes keeps its place (port) in the running pipeline, and the
   * same user's track that comes back (a republish) is sent to that port: no restart, so
   * no new file and no gap beyond the user's own. A track with no place still restarts it.
   */
  keepSlots?: boolean;
  /** gst-launch-1.0 (tests may give another program). */
  command?: string;
  supervisor?: Partial<Omit<SupervisorOptions, 'args' | 'log' | 'command'>>;
}

export class MediaOutJob extends SafeEmitter<MediaOutJobEvents> {
  #layout: JobLayout;
  #inputs: BoundInput[] = [];
  readonly #supervisor: PipelineSupervisor;
  readonly #timers = new Set<NodeJS.Timeout>();
  #refreshing: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly options: MediaOutJobOptions,
    layout: JobLayout,
  ) {
    super();
    this.#layout = layout;
    this.#supervisor = new PipelineSupervisor({
      ...(options.command ? { command: options.command } : GST_LAUNCH),
      args: () =>
        gstLaunchArgs({
          video: this.#layout.video,
          audio: this.#layout.audio,
          inputs: this.#pipelineInputs(),
          ...(this.#layout.only ? { only: this.#layout.only } : {}),
          sink: typeof options.sink === 'function' ? options.sink() : options.sink,
        }),
      log: options.log,
      ...options.supervisor,
    });
    this.#supervisor.on('playing', () => {
      this.#askKeyframes();
      this.safeEmit('playing');
    });
    this.#supervisor.on('running', () => this.safeEmit('running'));
    this.#supervisor.on('restarting', ({ cause }) => this.safeEmit('restarting', cause));
    this.#supervisor.on('failed', (error) => {
      void this.stop();
      this.safeEmit('failed', error);
    });
  }

  get id(): string {
    return this.options.id;
  }

  get layout(): JobLayout {
    return this.#layout;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The pipeline process (tests: kill it to see the restart). */
  get pid(): number | null {
    return this.#supervisor.pid;
  }

  get restarts(): number {
    return this.#supervisor.restarts;
  }

  /** Binds the inputs and starts the pipeline; rejects with the cause when it cannot run. */
  async start(): Promise<void> {
    try {
      // Inside: a bind that fails midway (no port left) gives back what it took.
      await this.#bind();
      await this.#supervisor.start();
    } catch (error) {
      this.#release();
      this.#stopped = true;
      this.safeEmit('startFailed', error as Error);
      throw error;
    }
  }

  /** A new layout: the pipeline restarts with it (the RTMP stream comes back at once). */
  update(layout: JobLayout): Promise<void> {
    return this.#serial(async () => {
      this.#layout = layout;
      if (this.#boundAsWanted()) {
        // Same tracks: the consumers keep flowing to the same ports; only the boxes change.
        for (const input of this.#inputs) {
          const user = layout.users.find((u) => inputKey(u, input.kind) === input.key);
          input.box = input.kind === 'video' ? (user?.box ?? null) : null;
        }
      } else {
        await this.#bind();
      }
      await this.#supervisor.replace();
    });
  }

  /** Whether the bound consumers are exactly the tracks the layout asks for now. */
  #boundAsWanted(): boolean {
    const wanted = this.#wanted();
    const bound = this.#inputs.filter((i) => !i.consumer.closed);
    return (
      wanted.length === bound.length &&
      wanted.every((w) =>
        bound.some((b) => b.key === w.key && b.consumer.producerId === w.producerId),
      )
    );
  }

  /**
   * The room's streams may have changed: when the producers the layout names are not the
   * ones bound, rebinds them and restarts the pipeline.
   */
  refresh(): Promise<void> {
    return this.#serial(async () => {
      if (this.#boundAsWanted()) return;
      if (this.options.keepSlots && (await this.#swap(this.#wanted()))) return;
      this.options.log.info({ job: this.id }, 'media-out inputs changed; restarting the pipeline');
      await this.#bind();
      await this.#supervisor.replace();
    });
  }

  /** Ends the output (EOS: the RTMP stream or the file finishes) and releases its inputs. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.#supervisor.stop();
    this.#release();
    this.safeEmit('stopped');
  }

  /** Runs one change at a time; a job stopped meanwhile does nothing more. */
  #serial(work: () => Promise<void>): Promise<void> {
    const run = this.#refreshing.then(async () => {
      if (this.#stopped) return;
      try {
        await work();
      } catch (error) {
        if (this.#stopped) return;
        throw error;
      }
    });
    this.#refreshing = run.catch(() => undefined);
    return run;
  }

  /** What the layout asks for that the room has now: one entry per track, with its producer. */
  #wanted(): Array<{ key: string; user: JobUser; kind: TrackKind; producerId: string }> {
    const wanted: Array<{ key: string; user: JobUser; kind: TrackKind; producerId: string }> = [];
    for (const user of this.#layout.users) {
      for (const kind of ['audio', 'video'] as const) {
        if (kind === 'audio' ? !user.audio : !user.box) continue;
        const producerId = this.options.lookup(user.userId, user.streamType, kind, user.roomId);
        if (producerId) {
          wanted.push({ key: inputKey(user, kind), user, kind, producerId });
        }
      }
    }
    return wanted;
  }

  /**
   * keepSlots: sends each wanted track whose producer changed to the port its place already
   * has, as long as every wanted track has a place with the same codec. False: a restart is
   * needed (a new track, another codec).
   */
  async #swap(
    wanted: Array<{ key: string; kind: TrackKind; producerId: string }>,
  ): Promise<boolean> {
    const changes = wanted.filter((w) => {
      const slot = this.#inputs.find((i) => i.key === w.key);
      return !slot || slot.consumer.closed || slot.consumer.producerId !== w.producerId;
    });
    if (changes.some((w) => !this.#inputs.some((i) => i.key === w.key))) return false;
    if (changes.length === 0) return true;
    const router = await this.options.router();
    for (const w of changes) {
      const slot = this.#inputs.find((i) => i.key === w.key)!;
      const before = slot.consumer.rtpParameters.codecs[0];
      let consumer: MediaPlainConsumer;
      try {
        consumer = await router.createPlainConsumer({
          producerId: w.producerId,
          ip: '127.0.0.1',
          port: slot.port,
          rtcpPort: slot.port + 1,
          paused: true,
        });
      } catch (error) {
        this.options.log.debug({ err: error, input: w.key }, 'media-out input not swapped');
        continue;
      }
      const codec = consumer.rtpParameters.codecs[0];
      if (
        !codec ||
        !before ||
        codec.mimeType.toLowerCase() !== before.mimeType.toLowerCase() ||
        codec.payloadType !== before.payloadType
      ) {
        consumer.close();
        return false;
      }
      slot.consumer.off('close', slot.onClose);
      slot.consumer.close();
      const onClose = () => {
        if (!this.#stopped) void this.refresh().catch(() => undefined);
      };
      consumer.once('close', onClose);
      slot.consumer = consumer;
      slot.onClose = onClose;
      this.options.log.info({ job: this.id, input: w.key }, 'media-out input swapped in place');
    }
    this.#askKeyframes();
    return true;
  }

  /** Makes a plain consumer for every wanted track (the old ones go). */
  async #bind(): Promise<void> {
    this.#release();
    const router = await this.options.router();
    const bound: BoundInput[] = [];
    try {
      for (const w of this.#wanted()) {
        const port = await this.options.ports.take();
        let consumer: MediaPlainConsumer;
        try {
          consumer = await router.createPlainConsumer({
            producerId: w.producerId,
            ip: '127.0.0.1',
            port,
            rtcpPort: port + 1,
            paused: true,
          });
        } catch (error) {
          this.options.ports.give(port);
          // The producer went meanwhile: the next refresh sees the room as it is.
          this.options.log.debug({ err: error, input: w.key }, 'media-out input not bound');
          continue;
        }
        const codec = consumer.rtpParameters.codecs[0];
        if (!codec || !SUPPORTED_CODECS.includes(codec.mimeType.toLowerCase())) {
          consumer.close();
          this.options.ports.give(port);
          this.options.log.warn(
            { input: w.key, codec: codec?.mimeType },
            'media-out cannot decode this codec',
          );
          continue;
        }
        const onClose = () => {
          if (!this.#stopped) void this.refresh().catch(() => undefined);
        };
        consumer.once('close', onClose);
        bound.push({
          onClose,
          key: w.key,
          userId: w.user.userId,
          streamType: w.user.streamType,
          kind: w.kind,
          consumer,
          port,
          box: w.kind === 'video' ? w.user.box : null,
        });
      }
    } finally {
      this.#inputs = bound;
    }
    const users = new Map<
      string,
      { userId: string; streamType: StreamType; hasAudio: boolean; hasVideo: boolean }
    >();
    for (const input of bound) {
      const key = `${input.userId}/${input.streamType}`;
      const entry = users.get(key) ?? {
        userId: input.userId,
        streamType: input.streamType,
        hasAudio: false,
        hasVideo: false,
      };
      if (input.kind === 'audio') entry.hasAudio = true;
      else entry.hasVideo = true;
      users.set(key, entry);
    }
    this.safeEmit('inputs', [...users.values()]);
  }

  #pipelineInputs(): PipelineInput[] {
    return this.#inputs
      .filter((i) => !i.consumer.closed)
      .map((i) => {
        const codec = i.consumer.rtpParameters.codecs[0]!;
        return {
          kind: i.kind,
          port: i.port,
          codec: {
            mimeType: codec.mimeType,
            payloadType: codec.payloadType,
            clockRate: codec.clockRate,
            ...(codec.channels !== undefined ? { channels: codec.channels } : {}),
          },
          ...(i.box ? { box: i.box } : {}),
        };
      });
  }

  /** The pipeline listens now: inputs flow, and video starts from keyframes. */
  #askKeyframes(): void {
    for (const input of this.#inputs) {
      if (!input.consumer.closed) input.consumer.resume().catch(() => undefined);
    }
    for (const delay of KEYFRAME_SCHEDULE_MS) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        for (const input of this.#inputs) {
          if (input.kind === 'video' && !input.consumer.closed) {
            input.consumer.requestKeyframe().catch(() => undefined);
          }
        }
      }, delay);
      this.#timers.add(timer);
    }
  }

  #release(): void {
    for (const input of this.#inputs) {
      input.consumer.off('close', input.onClose);
      input.consumer.close();
      this.options.ports.give(input.port);
    }
    this.#inputs = [];
  }
}

/** One track of a layout's user: `[room:]user/streamType/kind`. */
function inputKey(user: JobUser, kind: TrackKind): string {
  const room = user.roomId === undefined ? '' : `${user.roomId}:`;
  return `${room}${user.userId}/${user.streamType}/${kind}`;
}

export { PipelineError };
