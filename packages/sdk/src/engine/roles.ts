/**
 * `switchRole()` in live mode. The server does the room side (to audience: unpublish, then
 * peer-leave to the others; to anchor: peer-join); here the session follows: publish() is
 * allowed again or not, and a publication is released without a second unpublish request.
 */
import { ErrorCode, type Role } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import type { Session } from './Session.js';

const NOT_REFUSALS: ReadonlySet<number> = new Set([
  ErrorCode.INVALID_PARAMETER,
  ErrorCode.INVALID_OPERATION,
]);

export async function switchRole(session: Session, role: unknown): Promise<void> {
  if (role !== 'anchor' && role !== 'audience') {
    throw RtcError.invalidParameter(
      `role must be 'anchor' or 'audience', got ${typeof role === 'string' ? JSON.stringify(role) : String(role)}`,
    );
  }
  if (session.joinData.mode !== 'live') {
    throw RtcError.invalidOperation(
      "switchRole() is only available in live mode: create the client with mode: 'live'",
    );
  }
  if (session.joinData.role === role) return;
  if (role === 'audience') {
    for (const streamType of ['main', 'auxiliary'] as const) {
      const occupant = session.publications.occupant(streamType);
      if (occupant && session.publications.published(streamType) !== occupant) {
        throw RtcError.invalidOperation(
          `publish() of the ${streamType} stream is still in progress; wait for it before switching to audience`,
        );
      }
    }
  }
  try {
    await session.signal.request('switch-role', { role });
  } catch (error) {
    if (error instanceof RtcError && NOT_REFUSALS.has(error.code)) throw error;
    throw new RtcError({
      code: ErrorCode.SWITCH_ROLE_FAILED,
      message: `switchRole('${role}') failed: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
  if (session.ended) throw session.ended;
  // The join data is the session's own copy; its role is what publish() checks.
  session.joinData.role = role satisfies Role;
  // The server has already unpublished our streams: release them here without asking again.
  if (role === 'audience') session.publications.close();
}
