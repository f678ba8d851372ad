/**
 * Server API media-out and recording tasks in a cluster. A task runs where the room's media
 * is: a start (CreateCloudRecording, StartPublishCdnStream, StartMCUMixTranscode…) that
 * reaches a node with no member of the room is forwarded to the node with most of its members
 * (the task there takes the other nodes' members' tracks by relay, TrackDemand). The node a
 * task runs on is written to Redis, so Describe/Modify/Update/Delete/Stop reaching any node
 * are forwarded to it. Every forwarded call has a timeout; a node that is gone or does not
 * answer gives a code naming that (FailedOperation.NodeUnreachable / NodeTimeout), and a task
 * whose node left the cluster is reported as not existing, with why.
 */
import { z } from 'zod';
import type { RoomRef } from '@parley/protocol';
import type { Logger } from 'pino';
import { ApiError } from './envelope.js';
import { cdnRoom, mcuRoom, mcuTaskId } from './mediaOutActions.js';
import type { Params } from './params.js';
import { recordingRoom } from './recordingActions.js';
import type { ActionHandler, ApiCaller } from './TencentApi.js';

/** How long the task's node may take over a start (a push is up within 10 s). */
export const START_TIMEOUT_MS = 15_000;
/** … and over any other call. */
export const CALL_TIMEOUT_MS = 5_000;
/** How long a task's node stays recorded (recordings stay describable an hour after they end). */
const TASK_RECORD_TTL_S = 2 * 24 * 3600;

type Kind =
  | { t: 'start'; room: (p: Params) => RoomRef; mcu?: 'number' | 'string' }
  | { t: 'task'; missing: string; ends?: boolean }
  | { t: 'mcu-stop'; kind: 'number' | 'string' };

const ACTIONS: Record<string, Kind> = {
  CreateCloudRecording: { t: 'start', room: recordingRoom },
  DescribeCloudRecording: { t: 'task', missing: 'ResourceNotFound' },
  ModifyCloudRecording: { t: 'task', missing: 'ResourceNotFound' },
  DeleteCloudRecording: { t: 'task', missing: 'ResourceNotFound' },
  StartPublishCdnStream: { t: 'start', room: cdnRoom },
  UpdatePublishCdnStream: { t: 'task', missing: 'InvalidParameter.TaskId' },
  StopPublishCdnStream: { t: 'task', missing: 'InvalidParameter.TaskId', ends: true },
  StartMCUMixTranscode: { t: 'start', room: (p) => mcuRoom(p, 'number'), mcu: 'number' },
  StartMCUMixTranscodeByStrRoomId: {
    t: 'start',
    room: (p) => mcuRoom(p, 'string'),
    mcu: 'string',
  },
  StopMCUMixTranscode: { t: 'mcu-stop', kind: 'number' },
  StopMCUMixTranscodeByStrRoomId: { t: 'mcu-stop', kind: 'string' },
};

/** What the router needs of the cluster (Cluster and the node's rooms). */
export interface TaskCluster {
  readonly nodeId: string;
  /** Whether this node has a member of the room. */
  hasLocalMember(sdkAppId: number, ref: RoomRef): boolean;
  /** The nodes holding members of the room, most members first. */
  roomNodes(sdkAppId: number, ref: RoomRef): Promise<string[]>;
  /** The recorded node of a task (null: none recorded). */
  taskNode(sdkAppId: number, id: string): Promise<string | null>;
  recordTask(sdkAppId: number, id: string, ttlS: number): Promise<void>;
  forgetTask(sdkAppId: number, id: string): Promise<void>;
  isAlive(node: string): boolean;
  ask(node: string, method: string, params: unknown, timeoutMs: number): Promise<unknown>;
  serve(method: string, handler: (params: unknown) => Promise<unknown>): void;
  /** The RpcError kind of a failed ask (null: another error). */
  failureOf(error: unknown): 'unreachable' | 'timeout' | 'refused' | null;
}

const ForwardSchema = z.object({
  action: z.string().max(64),
  params: z.record(z.string(), z.unknown()),
  sdkAppId: z.number().int(),
  secretId: z.string().max(256),
  requestId: z.string().max(64),
});
const AnswerSchema = z.union([
  z.object({ ok: z.record(z.string(), z.unknown()) }),
  z.object({ error: z.object({ code: z.string().max(128), message: z.string().max(4000) }) }),
]);

export class TaskRouter {
  constructor(
    private readonly cluster: TaskCluster,
    /** The task actions as they run on this node. */
    private readonly local: Record<string, ActionHandler>,
    private readonly log: Logger,
  ) {
    cluster.serve('api.task', async (raw) => {
      const p = ForwardSchema.parse(raw);
      const handler = Object.hasOwn(this.local, p.action) ? this.local[p.action] : undefined;
      if (!handler) return { error: { code: 'InvalidAction', message: `no task ${p.action}` } };
      const caller: ApiCaller = {
        sdkAppId: p.sdkAppId,
        secretId: p.secretId,
        requestId: p.requestId,
        log: this.log.child({ requestId: p.requestId, action: p.action, forwarded: true }),
      };
      try {
        return { ok: await this.#runHere(p.action, p.params as Params, caller, handler) };
      } catch (error) {
        if (error instanceof ApiError)
          return { error: { code: error.code, message: error.message } };
        caller.log.error({ err: error }, 'forwarded api task failed');
        return { error: { code: 'InternalError', message: 'internal error on the task node' } };
      }
    });
  }

  /** Runs a server API action here or on the node its task belongs on. */
  async run(
    action: string,
    params: Params,
    caller: ApiCaller,
    handler: ActionHandler,
  ): Promise<Record<string, unknown>> {
    const kind = ACTIONS[action];
    if (!kind) return handler(params, caller);
    const node = await this.#placeOf(kind, params, caller.sdkAppId);
    if (node === null) return this.#runHere(action, params, caller, handler);
    return this.#forward(node, action, params, caller, kind.t === 'start');
  }

  /** The other node a call goes to; null: this one. */
  async #placeOf(kind: Kind, params: Params, sdkAppId: number): Promise<string | null> {
    const { cluster } = this;
    try {
      if (kind.t === 'task') {
        const id = params.TaskId;
        if (typeof id !== 'string' || id === '' || id.length > 128) return null;
        return this.#recorded(sdkAppId, id, kind.missing, `task ${id}`);
      }
      let room: RoomRef;
      try {
        room = kind.t === 'start' ? kind.room(params) : mcuRoom(params, kind.kind);
      } catch {
        return null; // the action's own checks answer with the parameter's error
      }
      if (kind.t === 'mcu-stop' || kind.mcu) {
        // The room's one mix: wherever it already runs (a second start updates it there).
        const id = mcuTaskId(sdkAppId, room);
        const there = await this.#recorded(
          sdkAppId,
          id,
          'FailedOperation.MixSessionNotExist',
          `the mix of room ${String(room.id)}`,
          kind.t !== 'mcu-stop',
        );
        if (there !== null || kind.t === 'mcu-stop') return there;
      }
      if (cluster.hasLocalMember(sdkAppId, room)) return null;
      const nodes = (await cluster.roomNodes(sdkAppId, room)).filter(
        (n) => n !== cluster.nodeId && cluster.isAlive(n),
      );
      // Nobody anywhere: here, where the action says the room does not exist.
      return nodes[0] ?? null;
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError(
        'FailedOperation.ClusterUnavailable',
        `this node cannot ask the cluster (Redis) where the task runs: ${(error as Error).message}`,
      );
    }
  }

  /**
   * The live node other than this one a task is recorded on; a node that left the cluster
   * took the task with it (`missing`, or null when `quiet`: a new start may run anywhere).
   */
  async #recorded(
    sdkAppId: number,
    id: string,
    missing: string,
    what: string,
    quiet = false,
  ): Promise<string | null> {
    const node = await this.cluster.taskNode(sdkAppId, id);
    if (node === null || node === this.cluster.nodeId) return null;
    if (this.cluster.isAlive(node)) return node;
    if (quiet) return null;
    throw new ApiError(
      missing,
      `${what} ran on node ${node}, which has left the cluster: the task ended with it`,
    );
  }

  /** Runs the action here; a task started here is recorded as this node's, a stopped one forgotten. */
  async #runHere(
    action: string,
    params: Params,
    caller: ApiCaller,
    handler: ActionHandler,
  ): Promise<Record<string, unknown>> {
    const result = await handler(params, caller);
    const kind = ACTIONS[action];
    const { sdkAppId } = caller;
    const note = (work: Promise<void>) =>
      work.catch((error: unknown) =>
        caller.log.warn({ err: error }, 'task node not recorded in the cluster'),
      );
    if (kind?.t === 'start') {
      const id = kind.mcu
        ? mcuTaskId(sdkAppId, kind.room(params))
        : typeof result.TaskId === 'string'
          ? result.TaskId
          : null;
      if (id !== null) await note(this.cluster.recordTask(sdkAppId, id, TASK_RECORD_TTL_S));
    } else if (kind?.t === 'mcu-stop') {
      await note(
        this.cluster.forgetTask(sdkAppId, mcuTaskId(sdkAppId, mcuRoom(params, kind.kind))),
      );
    } else if (kind?.t === 'task' && kind.ends && typeof params.TaskId === 'string') {
      await note(this.cluster.forgetTask(sdkAppId, params.TaskId));
    }
    return result;
  }

  async #forward(
    node: string,
    action: string,
    params: Params,
    caller: ApiCaller,
    starting: boolean,
  ): Promise<Record<string, unknown>> {
    const timeoutMs = starting ? START_TIMEOUT_MS : CALL_TIMEOUT_MS;
    caller.log.info({ node }, 'api task call forwarded to its node');
    let answer: unknown;
    try {
      answer = await this.cluster.ask(
        node,
        'api.task',
        {
          action,
          params,
          sdkAppId: caller.sdkAppId,
          secretId: caller.secretId,
          requestId: caller.requestId,
        },
        timeoutMs,
      );
    } catch (error) {
      const failure = this.cluster.failureOf(error);
      if (failure === 'timeout') {
        throw new ApiError(
          'FailedOperation.NodeTimeout',
          `node ${node}, where the task runs, did not answer ${action} within ${timeoutMs} ms`,
        );
      }
      if (failure === 'unreachable') {
        throw new ApiError(
          'FailedOperation.NodeUnreachable',
          `node ${node}, where the task runs, cannot be reached: ${(error as Error).message}`,
        );
      }
      throw new ApiError(
        'InternalError',
        `node ${node} failed ${action}: ${(error as Error).message}`,
      );
    }
    const parsed = AnswerSchema.parse(answer);
    if ('error' in parsed) throw new ApiError(parsed.error.code, parsed.error.message);
    return parsed.ok;
  }
}

/**
 * The task actions as the API serves them: through the router once the node is in a
 * cluster, as they are otherwise.
 */
export function routedTaskActions(
  local: Record<string, ActionHandler>,
  router: () => TaskRouter | null,
): Record<string, ActionHandler> {
  return Object.fromEntries(
    Object.entries(local).map(([action, handler]) => [
      action,
      (params: Params, caller: ApiCaller) => {
        const r = router();
        return r ? r.run(action, params, caller, handler) : handler(params, caller);
      },
    ]),
  );
}
