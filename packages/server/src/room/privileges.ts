/**
 * privateMapKey privilege bits as the room applies them: which bit lets a user send or receive
 * a track of a stream type and kind, and the words a refusal names it by. The auxiliary stream
 * is the screen share: both its kinds need the screen bits.
 */
import type { StreamType, TrackKind } from '@parley/protocol';
import { Privilege } from '@parley/usersig';

export { Privilege };

/** The bit that lets a user send a `kind` track of a `streamType` stream. */
export function sendBit(streamType: StreamType, kind: TrackKind): number {
  if (streamType === 'auxiliary') return Privilege.SEND_SCREEN;
  return kind === 'audio' ? Privilege.SEND_AUDIO : Privilege.SEND_VIDEO;
}

/** The bit that lets a user receive a `kind` track of a `streamType` stream. */
export function receiveBit(streamType: StreamType, kind: TrackKind): number {
  if (streamType === 'auxiliary') return Privilege.RECV_SCREEN;
  return kind === 'audio' ? Privilege.RECV_AUDIO : Privilege.RECV_VIDEO;
}

const NAMES: Record<number, string> = {
  [Privilege.CREATE_ROOM]: 'create room',
  [Privilege.ENTER_ROOM]: 'enter room',
  [Privilege.SEND_AUDIO]: 'send audio',
  [Privilege.RECV_AUDIO]: 'receive audio',
  [Privilege.SEND_VIDEO]: 'send video',
  [Privilege.RECV_VIDEO]: 'receive video',
  [Privilege.SEND_SCREEN]: 'send screen',
  [Privilege.RECV_SCREEN]: 'receive screen',
};

/** `"send video" (16)`: how messages name a privilege bit. */
export function privilegeName(bit: number): string {
  return `"${NAMES[bit] ?? `bit ${bit}`}" (${bit})`;
}

export const has = (privilege: number, bit: number): boolean => (privilege & bit) === bit;
