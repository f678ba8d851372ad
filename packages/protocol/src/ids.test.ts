import { describe, expect, it } from 'vitest';
import {
  isValidNumericRoomId,
  isValidStringRoomId,
  isValidUserId,
  roomIdProblem,
  roomKey,
} from './ids.js';

describe('identifier rules', () => {
  it('numeric room ids are integers 1..4294967294', () => {
    expect([1, 123, 4294967294].every(isValidNumericRoomId)).toBe(true);
    expect([0, 4294967295, 1.5, -1, NaN, '1'].some(isValidNumericRoomId)).toBe(false);
  });
  it('string room ids use TRTC’s character set, up to 64', () => {
    expect(isValidStringRoomId('room 1_a-b!')).toBe(true);
    expect(isValidStringRoomId('x'.repeat(65))).toBe(false);
    expect(isValidStringRoomId('a/b')).toBe(false);
    expect(isValidStringRoomId('')).toBe(false);
  });
  it('userIds are 1-32 letters, digits, _ and -', () => {
    expect(isValidUserId('user_1-A')).toBe(true);
    expect(isValidUserId('has space')).toBe(false);
    expect(isValidUserId('x'.repeat(33))).toBe(false);
  });
  it('keeps numeric 123 and string "123" in different rooms', () => {
    expect(roomKey(1, { kind: 'number', id: 123 })).not.toBe(
      roomKey(1, { kind: 'string', id: '123' }),
    );
    expect(roomIdProblem({ kind: 'number', id: 0 })).toMatch(/1 to 4294967294/);
    expect(roomIdProblem({ kind: 'string', id: '123' })).toBeNull();
  });
});
