import type { RoomRef } from '@parley/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ApiError } from './envelope.js';
import type { Params } from './params.js';
import type { ActionHandler, ApiCaller } from './TencentApi.js';
import { TaskRouter, type TaskCluster } from './taskRouting.js';

const log = pino({ level: 'silent' });
const SDK_APP_ID = 1400000001;

/** Two or more routers over one shared "Redis" (task records, room members) and "RPC". */
function fakeCluster(nodes: string[]) {
  const tasks = new Map<string, string>();
  const members = new Map<string, string[]>(); // room id → nodes of its members, one per member
  const handlers = new Map<string, (params: unknown) => Promise<unknown>>();
  const alive = new Set(nodes);
  /** How a node answers: 'ok', never ('timeout'), or not at all ('unreachable'). */
  const answering = new Map<string, 'ok' | 'timeout' | 'unreachable'>();
  const calls: { from: string; to: string; action: string }[] = [];
  const ran: { node: string; action: string; params: Params }[] = [];
  const roomKey = (ref: RoomRef) => String(ref.id);
  class Failure extends Error {
    constructor(readonly kind: 'unreachable' | 'timeout') {
      super(kind === 'timeout' ? 'no answer in time' : 'not connected');
    }
  }
  const router = (node: string) => {
    const cluster: TaskCluster = {
      nodeId: node,
      hasLocalMember: (_s, ref) => (members.get(roomKey(ref)) ?? []).includes(node),
      roomNodes: async (_s, ref) => {
        const counts = new Map<string, number>();
        for (const n of members.get(roomKey(ref)) ?? []) counts.set(n, (counts.get(n) ?? 0) + 1);
        return [...counts].sort((a, b) => b[1] - a[1]).map(([n]) => n);
      },
      taskNode: async (s, id) => tasks.get(`${s}:${id}`) ?? null,
      recordTask: async (s, id) => void tasks.set(`${s}:${id}`, node),
      forgetTask: async (s, id) => void tasks.delete(`${s}:${id}`),
      isAlive: (n) => alive.has(n),
      ask: async (to, method, params) => {
        calls.push({ from: node, to, action: (params as { action: string }).action });
        const how = answering.get(to) ?? 'ok';
        if (how !== 'ok') throw new Failure(how);
        return handlers.get(`${to}/${method}`)!(params);
      },
      serve: (method, handler) => void handlers.set(`${node}/${method}`, handler),
      failureOf: (error) => (error instanceof Failure ? error.kind : null),
    };
    let next = 0;
    const handler =
      (action: string): ActionHandler =>
      async (params) => {
        ran.push({ node, action, params });
        if (action === 'CreateCloudRecording') {
          if (!(members.get(String(params.RoomId)) ?? []).includes(node)) {
            throw new ApiError('FailedOperation.RoomNotExist', 'nobody here');
          }
          return { TaskId: `${node}-task-${next++}` };
        }
        if (action === 'DescribeCloudRecording') {
          if (!String(params.TaskId).startsWith(node)) throw new ApiError('ResourceNotFound', 'no');
          return { TaskId: params.TaskId, Status: 'InProgress' };
        }
        return {};
      };
    const local = Object.fromEntries(
      [
        'CreateCloudRecording',
        'DescribeCloudRecording',
        'DeleteCloudRecording',
        'StartMCUMixTranscode',
        'StopMCUMixTranscode',
      ].map((a) => [a, handler(a)]),
    );
    const r = new TaskRouter(cluster, local, log);
    return (action: string, params: Params) =>
      r.run(
        action,
        params,
        { sdkAppId: SDK_APP_ID, secretId: 'id', requestId: 'r', log } as ApiCaller,
        local[action]!,
      );
  };
  // Every node serves the others from the start.
  const routers = new Map(nodes.map((n) => [n, router(n)]));
  return { tasks, members, alive, answering, calls, ran, router: (n: string) => routers.get(n)! };
}

const create = (roomId: number): Params => ({
  SdkAppId: SDK_APP_ID,
  RoomId: String(roomId),
  UserId: 'bot',
  UserSig: 'sig',
});

describe('server API tasks in a cluster', () => {
  it('a start on a node without members runs on the node with most members; its other calls reach it from any node', async () => {
    const c = fakeCluster(['a', 'b', 'c']);
    c.members.set('7', ['a', 'c', 'c']);
    const onA = c.router('a');
    const onB = c.router('b');
    const created = await onB('CreateCloudRecording', create(7));
    expect(created.TaskId).toMatch(/^c-task-/);
    expect(c.ran.map((r) => `${r.node}:${r.action}`)).toEqual(['c:CreateCloudRecording']);
    expect(c.tasks.get(`${SDK_APP_ID}:${String(created.TaskId)}`)).toBe('c');
    const described = await onA('DescribeCloudRecording', {
      SdkAppId: SDK_APP_ID,
      TaskId: created.TaskId,
    });
    expect(described.Status).toBe('InProgress');
    expect(c.ran.at(-1)?.node).toBe('c');
  });

  it('a start on a node with a member of the room runs there', async () => {
    const c = fakeCluster(['a', 'b']);
    c.members.set('8', ['a', 'b', 'b']);
    await c.router('a')('CreateCloudRecording', create(8));
    expect(c.calls).toEqual([]);
    expect(c.ran[0]?.node).toBe('a');
  });

  it('a room with nobody anywhere: the action answers here (RoomNotExist)', async () => {
    const c = fakeCluster(['a', 'b']);
    await expect(c.router('a')('CreateCloudRecording', create(9))).rejects.toMatchObject({
      code: 'FailedOperation.RoomNotExist',
    });
    expect(c.calls).toEqual([]);
  });

  it('a task whose node left the cluster: not found, saying why; a node that does not answer: NodeTimeout / NodeUnreachable', async () => {
    const c = fakeCluster(['a', 'b']);
    c.members.set('10', ['b']);
    const { TaskId } = await c.router('a')('CreateCloudRecording', create(10));
    const describe = { SdkAppId: SDK_APP_ID, TaskId };
    c.answering.set('b', 'timeout');
    await expect(c.router('a')('DescribeCloudRecording', describe)).rejects.toMatchObject({
      code: 'FailedOperation.NodeTimeout',
      message: expect.stringMatching(/node b/) as unknown,
    });
    c.answering.set('b', 'unreachable');
    await expect(c.router('a')('DescribeCloudRecording', describe)).rejects.toMatchObject({
      code: 'FailedOperation.NodeUnreachable',
    });
    c.alive.delete('b');
    await expect(c.router('a')('DescribeCloudRecording', describe)).rejects.toMatchObject({
      code: 'ResourceNotFound',
      message: expect.stringMatching(/node b, which has left the cluster/) as unknown,
    });
  });

  it("the room's MCU mix: a second start goes where the mix runs; a stop anywhere reaches it and forgets it", async () => {
    const c = fakeCluster(['a', 'b']);
    c.members.set('11', ['a', 'b']);
    const mcu = { SdkAppId: SDK_APP_ID, RoomId: 11 };
    await c.router('b')('StartMCUMixTranscode', mcu);
    expect(c.ran.map((r) => r.node)).toEqual(['b']);
    // Node a has a member too, but the mix runs on b: the update goes there.
    await c.router('a')('StartMCUMixTranscode', mcu);
    expect(c.ran.map((r) => r.node)).toEqual(['b', 'b']);
    await c.router('a')('StopMCUMixTranscode', mcu);
    expect(c.ran.map((r) => `${r.node}:${r.action}`).at(-1)).toBe('b:StopMCUMixTranscode');
    expect(c.tasks.size).toBe(0);
  });
});
