/**
 * Runs one media-out pipeline process (Parley's pipeline program, or gst-launch-1.0 -e …;
 * both print the same lines) and keeps it running: started
 * once its output moves (the first progress line), watched for progress (a process that
 * stops moving is stuck), restarted with back-off when it dies or stalls, stopped with EOS
 * (SIGINT: gst-launch -e sends EOS so the FLV/MP4 is finalised; killed if it takes too long).
 * Its output lines go to the log. Node never touches the media. The pipeline program also
 * takes JSON commands on stdin (live changes: `send`), each answered on stdout or timed out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { SafeEmitter } from '../util/TypedEmitter.js';

export interface SupervisorEvents {
  /** The pipeline is playing: inputs are read from now on (ask keyframes). */
  playing: [];
  /** A run is started: its output moved and showed no error for a moment. */
  running: [];
  /** Output moved: the pipeline's position, in seconds since this run started. */
  progress: [seconds: number];
  /** A run ended unexpectedly; the next starts after `delayMs`. */
  restarting: [info: { attempt: number; delayMs: number; cause: string }];
  /** Restarts gave up (too many in a row): the job is over. */
  failed: [error: PipelineError];
}

export class PipelineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineError';
  }
}

export interface SupervisorOptions {
  command: string;
  /** Arguments before the pipeline's own (`-e`, …): a wrapper's (setpriv) and its program. */
  commandArgs?: string[];
  /** The arguments of each run, built at each (re)start (inputs may have changed). */
  args: () => string[];
  log: Logger;
  /** A run that shows no progress this long after it started is a failure (ms). */
  startTimeoutMs?: number;
  /** A running pipeline whose output does not move this long is stuck (ms). */
  stallMs?: number;
  /** EOS may take this long before the process is killed (ms). */
  stopTimeoutMs?: number;
  /** Back-off: first delay, cap, and failed runs in a row before giving up. */
  backoff?: { initialMs: number; maxMs: number; maxRestarts: number };
  /** A run that lasted this long resets the back-off. */
  healthyAfterMs?: number;
}

/** A live change for the pipeline program (see packages/server/gst/parley-pipeline.py). */
export type PipelineCommand =
  | {
      op: 'set';
      name: string;
      props?: Record<string, string>;
      pad?: Record<string, string>;
    }
  | { op: 'add'; description: string; mixer: string; pad?: Record<string, string> }
  | { op: 'remove'; name: string }
  | { op: 'ping' };

type State = 'idle' | 'starting' | 'running' | 'waiting' | 'stopping' | 'stopped' | 'failed';

/** GStreamer's error line: `ERROR: from element /GstPipeline:…/GstRtmp2Sink:…: <message>`. */
const ERROR_LINE = /^ERROR: from element \S+: (.+)$/;
/** How long a run must go on without an error after its first progress to count as started. */
const CONFIRM_MS = 400;
const PROGRESS_LINE = /^progressreport\d+ \((\d+):(\d+):(\d+)\)/;
/** The program's answer to a command: `{"id": 3, "ok": true}` or with `"error"`. */
const REPLY_LINE = /^\{"id": ?\d+/;

export class PipelineSupervisor extends SafeEmitter<SupervisorEvents> {
  #state: State = 'idle';
  #child: ChildProcess | null = null;
  #lastError = '';
  #lastProgressAt = 0;
  #runStartedAt = 0;
  #attempt = 0;
  #restarts = 0;
  #watchdog: NodeJS.Timeout | null = null;
  #confirming: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  /** Settles the current start(): resolved at first progress, rejected when the run fails. */
  #pending: { resolve(): void; reject(error: PipelineError): void } | null = null;
  /** stop() was called: a replace() waiting for the old run to end must not start another. */
  #stopRequested = false;
  #nextCommandId = 1;
  /** Commands sent to the current run and not answered yet, by id. */
  readonly #commands = new Map<
    number,
    { resolve(): void; reject(error: PipelineError): void; timer: NodeJS.Timeout }
  >();
  readonly #o: Required<Omit<SupervisorOptions, 'log' | 'args' | 'command' | 'commandArgs'>>;

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.#o = {
      startTimeoutMs: options.startTimeoutMs ?? 10_000,
      stallMs: options.stallMs ?? 5_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
      backoff: options.backoff ?? { initialMs: 500, maxMs: 10_000, maxRestarts: 5 },
      healthyAfterMs: options.healthyAfterMs ?? 30_000,
    };
  }

  get state(): State {
    return this.#state;
  }

  /** Runs restarted after a failure so far. */
  get restarts(): number {
    return this.#restarts;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /**
   * Starts the first run: resolves once its output moves, rejects with the pipeline's own
   * error (e.g. the RTMP server refused) when it fails first; that failure is not retried.
   */
  start(): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new PipelineError(`already ${this.#state}`));
    return this.#run();
  }

  /**
   * Stops the current run and starts a new one with fresh arguments (a layout or inputs
   * changed); resolves as start() does.
   */
  async replace(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'failed' || this.#state === 'stopping') {
      throw new PipelineError(`the pipeline is ${this.#state}`);
    }
    this.#clearRetry();
    this.#pending?.reject(new PipelineError('replaced by a new run'));
    this.#pending = null;
    await this.#end();
    // stop() may have come while the old run was finishing EOS: no new run then.
    if (this.#stopRequested) throw new PipelineError('stopped while it was being replaced');
    this.#attempt = 0;
    return this.#run();
  }

  /**
   * Sends a live change to the running pipeline program; resolves when it answers that it
   * applied it, rejects with its error, after `timeoutMs`, or when the run ends first.
   */
  send(command: PipelineCommand, timeoutMs = 2000): Promise<void> {
    const child = this.#child;
    if (this.#state !== 'running' || !child?.stdin?.writable) {
      return Promise.reject(new PipelineError(`the pipeline is ${this.#state}`));
    }
    const id = this.#nextCommandId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#commands.delete(id);
        reject(new PipelineError(`no answer to ${command.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#commands.set(id, { resolve, reject, timer });
      child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`, (error) => {
        if (!error) return;
        this.#settleCommand(id, new PipelineError(`cannot send ${command.op}: ${error.message}`));
      });
    });
  }

  #settleCommand(id: number, error?: PipelineError): void {
    const pending = this.#commands.get(id);
    if (!pending) return;
    this.#commands.delete(id);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve();
  }

  #rejectCommands(cause: string): void {
    for (const id of [...this.#commands.keys()]) this.#settleCommand(id, new PipelineError(cause));
  }

  /** EOS, then the process exits (killed after stopTimeoutMs). */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#stopRequested = true;
    this.#clearRetry();
    this.#state = 'stopping';
    this.#pending?.reject(new PipelineError('stopped before it started'));
    this.#pending = null;
    await this.#end();
    this.#state = 'stopped';
  }

  #run(): Promise<void> {
    this.#state = 'starting';
    this.#lastError = '';
    this.#runStartedAt = Date.now();
    this.#lastProgressAt = Date.now();
    const args = [...(this.options.commandArgs ?? []), '-e', ...this.options.args()];
    const { log } = this.options;
    // stdin: the program's commands (gst-launch ignores it); it ending also means EOS there.
    const child = spawn(this.options.command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => undefined);
    this.#child = child;
    log.info({ gstPid: child.pid, command: this.options.command }, 'media-out pipeline started');
    log.debug({ args: redact(args).join(' ') }, 'media-out pipeline arguments');
    const promise = new Promise<void>((resolve, reject) => {
      this.#pending = { resolve, reject };
    });
    createInterface({ input: child.stdout! }).on('line', (line) => this.#line(child, line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.#line(child, line));
    child.on('error', (error) =>
      this.#failed(child, `cannot run ${this.options.command}: ${error.message}`),
    );
    child.on('exit', (code, signal) => {
      const cause = this.#lastError || `the pipeline exited (${signal ?? `code ${String(code)}`})`;
      this.#failed(child, cause);
    });
    this.#watchdog = setInterval(() => this.#watch(child), 500);
    this.#watchdog.unref();
    return promise;
  }

  #line(child: ChildProcess, line: string): void {
    if (child !== this.#child) return;
    const { log } = this.options;
    const progress = PROGRESS_LINE.exec(line);
    // After an error, gst-launch's shutdown still reports the position: not a sign of life.
    if (progress && !this.#lastError) {
      this.#lastProgressAt = Date.now();
      const seconds = Number(progress[1]) * 3600 + Number(progress[2]) * 60 + Number(progress[3]);
      if (this.#state === 'starting' && !this.#confirming) {
        // Errors (stderr) and progress (stdout) may arrive in either order: a run is started
        // once it has moved and shown no error for a moment.
        this.#confirming = setTimeout(() => {
          this.#confirming = null;
          if (child !== this.#child || this.#state !== 'starting' || this.#lastError) return;
          this.#state = 'running';
          this.#pending?.resolve();
          this.#pending = null;
          this.safeEmit('running');
        }, CONFIRM_MS);
      }
      this.safeEmit('progress', seconds);
      return;
    }
    if (progress) return;
    if (REPLY_LINE.test(line)) {
      try {
        const reply = JSON.parse(line) as { id: number; ok: boolean; error?: string };
        this.#settleCommand(
          reply.id,
          reply.ok ? undefined : new PipelineError(reply.error ?? 'refused'),
        );
      } catch {
        log.debug({ gstPid: child.pid, line }, 'media-out pipeline');
      }
      return;
    }
    if (line.startsWith('Setting pipeline to PLAYING')) this.safeEmit('playing');
    const error = ERROR_LINE.exec(line);
    if (error) {
      this.#lastError = error[1]!.trim();
      log.warn({ gstPid: child.pid, error: this.#lastError }, 'media-out pipeline error');
    } else if (line.startsWith('WARNING')) {
      log.warn({ gstPid: child.pid, line }, 'media-out pipeline warning');
    } else {
      log.debug({ gstPid: child.pid, line }, 'media-out pipeline');
    }
  }

  #watch(child: ChildProcess): void {
    if (child !== this.#child) return;
    const now = Date.now();
    if (this.#state === 'starting' && now - this.#runStartedAt > this.#o.startTimeoutMs) {
      this.#kill(
        child,
        `no output within ${this.#o.startTimeoutMs} ms${this.#lastError ? `: ${this.#lastError}` : ''}`,
      );
    } else if (this.#state === 'running' && now - this.#lastProgressAt > this.#o.stallMs) {
      this.#kill(child, `the output stalled for ${this.#o.stallMs} ms`);
    }
  }

  #kill(child: ChildProcess, cause: string): void {
    this.#lastError = cause;
    child.kill('SIGKILL');
  }

  /** The run of `child` ended (exit, spawn error, or killed by the watchdog). */
  #failed(child: ChildProcess, cause: string): void {
    if (child !== this.#child) return;
    this.#child = null;
    this.#clearWatchdog();
    this.#rejectCommands(`the pipeline ended: ${cause}`);
    const { log } = this.options;
    const state = this.#state;
    if (state === 'stopping') return;
    const pending = this.#pending;
    this.#pending = null;
    if (pending && this.#restarts === 0 && this.#attempt === 0) {
      // The first run failed: the caller hears why (an unreachable RTMP URL, say), no retry.
      this.#state = 'failed';
      log.warn({ cause }, 'media-out pipeline failed to start');
      pending.reject(new PipelineError(cause));
      return;
    }
    if (Date.now() - this.#runStartedAt >= this.#o.healthyAfterMs) this.#attempt = 0;
    const { initialMs, maxMs, maxRestarts } = this.#o.backoff;
    if (this.#attempt >= maxRestarts) {
      this.#state = 'failed';
      const error = new PipelineError(`gave up after ${maxRestarts} restarts: ${cause}`);
      log.error({ cause }, 'media-out pipeline failed');
      pending?.reject(error);
      this.safeEmit('failed', error);
      return;
    }
    const delayMs = Math.min(maxMs, initialMs * 2 ** this.#attempt);
    this.#attempt++;
    this.#state = 'waiting';
    log.warn({ cause, attempt: this.#attempt, delayMs }, 'media-out pipeline ended; restarting');
    this.safeEmit('restarting', { attempt: this.#attempt, delayMs, cause });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#restarts++;
      this.#run().then(
        () => pending?.resolve(),
        (error: PipelineError) => pending?.reject(error),
      );
    }, delayMs);
  }

  /** Ends the current run: SIGINT (EOS), then SIGKILL after stopTimeoutMs. */
  async #end(): Promise<void> {
    const child = this.#child;
    this.#clearWatchdog();
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.#child = null;
      this.#rejectCommands('the pipeline was stopped');
      return;
    }
    const previous = this.#state;
    this.#state = 'stopping';
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.options.log.warn(
          { gstPid: child.pid },
          'media-out pipeline did not finish EOS; killed',
        );
        child.kill('SIGKILL');
      }, this.#o.stopTimeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGINT');
    });
    this.#child = null;
    this.#rejectCommands('the pipeline was stopped');
    if (this.#state === 'stopping') this.#state = previous;
  }

  #clearWatchdog(): void {
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = null;
    if (this.#confirming) clearTimeout(this.#confirming);
    this.#confirming = null;
  }

  #clearRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }
}

/** The arguments with RTMP URLs cut to their host: a URL's path may carry a stream key. */
function redact(args: readonly string[]): string[] {
  return args.map((arg) => arg.replace(/(rtmps?:\/\/[^/\s"']+)[^\s"']*/g, '$1/…'));
}
