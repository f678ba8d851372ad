/** The bench's side of the client processes (lib/worker.ts). */
import { fork, type ChildProcess } from 'node:child_process';
import type { WorkerReply, WorkerReplyBody, WorkerRequestBody } from './worker.js';

export class ClientWorker {
  readonly child: ChildProcess;
  #waiting = new Map<number, (reply: WorkerReply) => void>();
  #nextId = 1;

  constructor() {
    this.child = fork(new URL('./worker.ts', import.meta.url).pathname, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: WorkerReply) => {
      this.#waiting.get(reply.id)?.(reply);
      this.#waiting.delete(reply.id);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** One reply per request, matched by id (requests may run concurrently). */
  call<T extends WorkerReplyBody['type']>(
    req: WorkerRequestBody,
    timeoutMs = 120_000,
  ): Promise<Extract<WorkerReplyBody, { type: T }>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`worker: ${req.type} timed out`));
      }, timeoutMs);
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply as unknown as Extract<WorkerReplyBody, { type: T }>);
      });
      this.child.send({ ...req, id });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.call<'closed'>({ type: 'close' }, 20_000).catch(() => this.child.kill('SIGKILL'));
  }
}
