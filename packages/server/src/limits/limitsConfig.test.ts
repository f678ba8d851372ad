import { describe, expect, it } from 'vitest';
import { ConfigError } from '../configError.js';
import { DEFAULT_LIMITS, loadLimits } from './limitsConfig.js';

describe('loadLimits', () => {
  it('has safe defaults and reads each variable', () => {
    expect(loadLimits({})).toEqual(DEFAULT_LIMITS);
    expect(
      loadLimits({
        PARLEY_CONNECTIONS_PER_SECOND_PER_IP: '5',
        PARLEY_MAX_CONNECTIONS_PER_IP: '6',
        PARLEY_JOINS_PER_SECOND_PER_IP: '7',
        PARLEY_MESSAGES_PER_SECOND: '8',
        PARLEY_JOIN_TIMEOUT_MS: '900',
        PARLEY_IDLE_TIMEOUT_MS: '2000',
        PARLEY_MAX_MEMBERS_PER_ROOM: '9',
        PARLEY_MAX_PUBLISHERS_PER_ROOM: '3',
        PARLEY_MAX_ROOMS: '11',
      }),
    ).toEqual({
      connectionsPerSecondPerIp: 5,
      maxConnectionsPerIp: 6,
      joinsPerSecondPerIp: 7,
      messagesPerSecond: 8,
      joinTimeoutMs: 900,
      idleTimeoutMs: 2000,
      maxMembersPerRoom: 9,
      maxPublishersPerRoom: 3,
      maxRooms: 11,
    });
  });

  it('refuses values that would switch a limit off or make no sense, naming the variable', () => {
    expect(() => loadLimits({ PARLEY_MESSAGES_PER_SECOND: '0' })).toThrow(ConfigError);
    expect(() => loadLimits({ PARLEY_MAX_CONNECTIONS_PER_IP: 'lots' })).toThrow(
      /PARLEY_MAX_CONNECTIONS_PER_IP must be an integer from 1 to 1000000, got "lots"/,
    );
    expect(() => loadLimits({ PARLEY_JOIN_TIMEOUT_MS: '5' })).toThrow(/PARLEY_JOIN_TIMEOUT_MS/);
    expect(() => loadLimits({ PARLEY_MAX_MEMBERS_PER_ROOM: '0' })).toThrow(
      /PARLEY_MAX_MEMBERS_PER_ROOM must be an integer from 1/,
    );
    expect(() => loadLimits({ PARLEY_MAX_ROOMS: '-1' })).toThrow(/PARLEY_MAX_ROOMS/);
    expect(() => loadLimits({ PARLEY_IDLE_TIMEOUT_MS: '10' })).toThrow(/PARLEY_IDLE_TIMEOUT_MS/);
  });
});
