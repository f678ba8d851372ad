/**
 * The cluster as the server API's task router sees it (api/taskRouting.ts): which nodes hold
 * a room's members, and the node each task runs on, in Redis.
 */
import type { RoomRef } from '@parley/protocol';
import type { TaskCluster } from '../api/taskRouting.js';
import type { RoomManager } from '../room/RoomManager.js';
import type { Cluster } from './Cluster.js';
import { keys } from './records.js';
import { RpcError } from './Rpc.js';

export function clusterTasks(cluster: Cluster, rooms: RoomManager): TaskCluster {
  return {
    nodeId: cluster.nodeId,
    hasLocalMember: (sdkAppId: number, ref: RoomRef) => {
      const room = rooms.get(sdkAppId, ref);
      return !!room && !room.closed && room.localParticipants().length > 0;
    },
    roomNodes: async (sdkAppId: number, ref: RoomRef) => {
      const counts = new Map<string, number>();
      for (const record of await cluster.members(sdkAppId, ref)) {
        counts.set(record.state.node, (counts.get(record.state.node) ?? 0) + 1);
      }
      return [...counts].sort((a, b) => b[1] - a[1]).map(([node]) => node);
    },
    taskNode: (sdkAppId: number, id: string) => cluster.redis.cmd.get(keys.task(sdkAppId, id)),
    recordTask: async (sdkAppId: number, id: string, ttlS: number) => {
      await cluster.redis.cmd.set(keys.task(sdkAppId, id), cluster.nodeId, 'EX', ttlS);
    },
    forgetTask: async (sdkAppId: number, id: string) => {
      await cluster.redis.cmd.del(keys.task(sdkAppId, id));
    },
    isAlive: (node: string) => cluster.isAlive(node),
    ask: (node, method, params, timeoutMs) => cluster.ask(node, method, params, timeoutMs),
    serve: (method, handler) => cluster.serve(method, (params) => handler(params)),
    failureOf: (error: unknown) => (error instanceof RpcError ? error.kind : null),
  };
}
