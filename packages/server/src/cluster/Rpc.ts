/**
 * Requests between nodes over Redis pub/sub: each node listens on its own channel; an answer
 * goes back on the asker's. Every call has a timeout; a call to a node nobody listens for (its
 * process is gone: Redis dropped its connection) fails at once, which is how a client's resume
 * on another node learns within milliseconds that its old node died.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { RedisLink } from './RedisLink.js';
import { keys } from './records.js';

/** A node did not answer: gone (`unreachable`) or not in time (`timeout`), or it refused. */
export class RpcError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'timeout' | 'refused',
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

const RpcMessageSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('req'),
    id: z.string().max(64),
    from: z.string().max(64),
    method: z.string().max(64),
    params: z.unknown(),
  }),
  z.object({
    t: z.literal('res'),
    id: z.string().max(64),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: z.string().max(2000).optional(),
  }),
]);

export type RpcHandler = (params: unknown, from: string) => Promise<unknown>;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class Rpc {
  readonly #handlers = new Map<string, RpcHandler>();
  readonly #pending = new Map<string, Pending>();
  readonly #channel: string;

  constructor(
    private readonly redis: RedisLink,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {
    this.#channel = keys.rpcChannel(nodeId);
    redis.on('message', (channel, text) => {
      if (channel === this.#channel) this.#onMessage(text);
    });
  }

  start(): Promise<void> {
    return this.redis.subscribe(this.#channel);
  }

  /** Handles `method` for other nodes; `params` come unvalidated: the handler parses them. */
  handle(method: string, handler: RpcHandler): void {
    this.#handlers.set(method, handler);
  }

  async call(node: string, method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    const id = randomBytes(8).toString('hex');
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new RpcError('timeout', `node ${node} did not answer ${method} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
    });
    // It may be settled while the request is still being published (shutdown, timeout): the
    // caller gets the outcome when it awaits; until then it is not an unhandled rejection.
    answer.catch(() => undefined);
    let receivers: number;
    try {
      receivers = await this.redis.publish(keys.rpcChannel(node), {
        t: 'req',
        id,
        from: this.nodeId,
        method,
        params,
      });
    } catch (error) {
      this.#settle(id)?.reject(
        new RpcError(
          'unreachable',
          `cannot ask node ${node} (${method}): redis: ${(error as Error).message}`,
        ),
      );
      return answer;
    }
    if (receivers === 0) {
      this.#settle(id)?.reject(
        new RpcError('unreachable', `node ${node} is not connected to the cluster (${method})`),
      );
    }
    return answer;
  }

  close(): void {
    for (const id of [...this.#pending.keys()]) {
      this.#settle(id)?.reject(new RpcError('unreachable', 'this node is shutting down'));
    }
  }

  #settle(id: string): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }

  #onMessage(text: string): void {
    let message;
    try {
      message = RpcMessageSchema.parse(JSON.parse(text));
    } catch (error) {
      this.log.warn({ err: error }, 'malformed cluster request ignored');
      return;
    }
    if (message.t === 'res') {
      const pending = this.#settle(message.id);
      if (!pending) return;
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new RpcError('refused', message.error ?? 'refused'));
      return;
    }
    const { id, from, method } = message;
    const handler = this.#handlers.get(method);
    // A handler that throws at once (bad params) still gets its refusal sent back.
    const work = handler
      ? Promise.resolve().then(() => handler(message.params, from))
      : Promise.reject(new Error(`no cluster method ${method}`));
    work.then(
      (result) => this.#reply(from, { t: 'res', id, ok: true, result: result ?? null }),
      (error: unknown) =>
        this.#reply(from, {
          t: 'res',
          id,
          ok: false,
          error: (error instanceof Error ? error.message : String(error)).slice(0, 2000),
        }),
    );
  }

  #reply(to: string, message: unknown): void {
    this.redis.publish(keys.rpcChannel(to), message).catch((error: unknown) => {
      this.log.warn({ err: error, to }, 'cluster answer not sent');
    });
  }
}
