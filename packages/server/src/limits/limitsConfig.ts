/**
 * What one client may make the server do, from the environment, with defaults that a real
 * deployment can keep: many users behind one NAT share an IP, so the per-IP figures are
 * generous; they exist to stop one machine from flooding the server, not to shape traffic.
 */
import { integer, type Env } from '../configError.js';

export interface LimitsConfig {
  /** New WebSocket connections per second from one IP (token bucket, burst of the same size). */
  connectionsPerSecondPerIp: number;
  /** Open WebSocket connections from one IP at once. */
  maxConnectionsPerIp: number;
  /** `join` requests per second from one IP (token bucket, burst of the same size). */
  joinsPerSecondPerIp: number;
  /**
   * Frames per second one connection may send (token bucket, burst of twice that). Frames
   * over it are answered with an error; a connection that keeps sending over it (more than
   * this many refused frames within 5 s) is closed with 1008.
   */
  messagesPerSecond: number;
  /** A socket that has not joined (or resumed) within this time is closed with 4008. */
  joinTimeoutMs: number;
  /**
   * A socket that sends nothing at all (not even a ping) for this long is closed with 4009;
   * absent: the session timeout (PARLEY_SESSION_TIMEOUT_MS), as before this limit existed.
   */
  idleTimeoutMs?: number;
  /** Members of one room (audience included); a join above it is refused. */
  maxMembersPerRoom: number;
  /** Members of one room publishing at once; a first publish above it is refused. */
  maxPublishersPerRoom: number;
  /** Rooms open on this server (all applications); a join that would open one more is refused. */
  maxRooms: number;
}

export const DEFAULT_LIMITS: LimitsConfig = {
  connectionsPerSecondPerIp: 20,
  maxConnectionsPerIp: 100,
  joinsPerSecondPerIp: 10,
  messagesPerSecond: 50,
  joinTimeoutMs: 10_000,
  maxMembersPerRoom: 300,
  maxPublishersPerRoom: 50,
  maxRooms: 5000,
};

/** The variable of each limit, for messages and the README. */
export const LIMIT_VARIABLES: Record<keyof Required<LimitsConfig>, string> = {
  connectionsPerSecondPerIp: 'PARLEY_CONNECTIONS_PER_SECOND_PER_IP',
  maxConnectionsPerIp: 'PARLEY_MAX_CONNECTIONS_PER_IP',
  joinsPerSecondPerIp: 'PARLEY_JOINS_PER_SECOND_PER_IP',
  messagesPerSecond: 'PARLEY_MESSAGES_PER_SECOND',
  joinTimeoutMs: 'PARLEY_JOIN_TIMEOUT_MS',
  idleTimeoutMs: 'PARLEY_IDLE_TIMEOUT_MS',
  maxMembersPerRoom: 'PARLEY_MAX_MEMBERS_PER_ROOM',
  maxPublishersPerRoom: 'PARLEY_MAX_PUBLISHERS_PER_ROOM',
  maxRooms: 'PARLEY_MAX_ROOMS',
};

export function loadLimits(env: Env): LimitsConfig {
  const v = LIMIT_VARIABLES;
  const d = DEFAULT_LIMITS;
  const idle = integer(env, v.idleTimeoutMs, 500, 600_000);
  return {
    connectionsPerSecondPerIp:
      integer(env, v.connectionsPerSecondPerIp, 1, 100_000) ?? d.connectionsPerSecondPerIp,
    maxConnectionsPerIp: integer(env, v.maxConnectionsPerIp, 1, 1_000_000) ?? d.maxConnectionsPerIp,
    joinsPerSecondPerIp: integer(env, v.joinsPerSecondPerIp, 1, 100_000) ?? d.joinsPerSecondPerIp,
    messagesPerSecond: integer(env, v.messagesPerSecond, 1, 100_000) ?? d.messagesPerSecond,
    joinTimeoutMs: integer(env, v.joinTimeoutMs, 100, 600_000) ?? d.joinTimeoutMs,
    maxMembersPerRoom: integer(env, v.maxMembersPerRoom, 1, 100_000) ?? d.maxMembersPerRoom,
    maxPublishersPerRoom:
      integer(env, v.maxPublishersPerRoom, 1, 100_000) ?? d.maxPublishersPerRoom,
    maxRooms: integer(env, v.maxRooms, 1, 10_000_000) ?? d.maxRooms,
    ...(idle !== undefined ? { idleTimeoutMs: idle } : {}),
  };
}
