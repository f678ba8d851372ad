/** Identifier rules shared by the SDK (argument checks) and the server (re-checks). */

/** userId: 1-32 bytes of letters, digits, `_` and `-` (TRTC's rule). */
export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Numeric room ids are 1..4294967294 (0 and 2^32-1 are reserved by TRTC). */
export const MIN_ROOM_ID = 1;
export const MAX_ROOM_ID = 4294967294;

/** String room ids: up to 64 bytes from TRTC's allowed set. */
export const STRING_ROOM_ID_PATTERN = /^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]{1,64}$/;

export function isValidUserId(userId: unknown): userId is string {
  return typeof userId === 'string' && USER_ID_PATTERN.test(userId);
}

export function isValidNumericRoomId(roomId: unknown): roomId is number {
  return (
    typeof roomId === 'number' &&
    Number.isInteger(roomId) &&
    roomId >= MIN_ROOM_ID &&
    roomId <= MAX_ROOM_ID
  );
}

export function isValidStringRoomId(roomId: unknown): roomId is string {
  return typeof roomId === 'string' && STRING_ROOM_ID_PATTERN.test(roomId);
}

/** A room as the wire carries it: numeric 123 and string '123' are different rooms. */
export type RoomRef = { kind: 'number'; id: number } | { kind: 'string'; id: string };

/** Why a room id is unacceptable, or null when it is fine. */
export function roomIdProblem(room: RoomRef): string | null {
  if (room.kind === 'number') {
    return isValidNumericRoomId(room.id)
      ? null
      : `numeric roomId must be an integer from ${MIN_ROOM_ID} to ${MAX_ROOM_ID}, got ${String(room.id)}`;
  }
  return isValidStringRoomId(room.id)
    ? null
    : `string roomId must be 1-64 characters of letters, digits, space and !#$%&()+-:;<=.>?@[]^_{}|~, — got ${JSON.stringify(room.id)}`;
}

/** Why a userId is unacceptable, or null when it is fine. */
export function userIdProblem(userId: unknown): string | null {
  return isValidUserId(userId)
    ? null
    : `userId must be 1-32 characters of letters, digits, '_' and '-', got ${JSON.stringify(userId)}`;
}

/** The key a room is stored under: sdkAppId and the typed room id. */
export function roomKey(sdkAppId: number, room: RoomRef): string {
  return `${sdkAppId}/${room.kind === 'number' ? 'n' : 's'}/${String(room.id)}`;
}
