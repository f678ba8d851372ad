/** The bench's side of the client processes (lib/worker.ts). */
import { fork, type ChildProcess } from 'node:child_process';
import type { WorkerReply, WorkerRequest } from './worker.js';

export class ClientWorker {
  readonly child: ChildProcess;
  #waiting: ((reply: WorkerReply) => void)[] = [];

  constructor() {
    this.child = fork(new URL('./worker.ts', import.meta.url).pathname, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: WorkerReply) => this.#waiting.shift()?.(reply));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Requests are answered in order, one reply each. */
  call<T extends WorkerReply['type']>(
    req: WorkerRequest,
    timeoutMs = 120_000,
  ): Promise<Extract<WorkerReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker: ${req.type} timed out`)), timeoutMs);
      this.#waiting.push((reply) => {
        clearTimeout(timer);
        resolve(reply as Extract<WorkerReply, { type: T }>);
      });
      this.child.send(req);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.call<'closed'>({ type: 'close' }, 20_000).catch(() => this.child.kill('SIGKILL'));
  }
}
