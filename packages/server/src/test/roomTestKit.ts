/**
 * In-process room tests: a Room over the FakeEngine, and FakeClient, a participant's client
 * as the room sees it (its MessageSink): it records what it is told and answers the server's
 * offers as a browser would, or leaves them unanswered. No socket, no worker.
 */
import {
  type Role,
  type RoomRef,
  type ServerNotificationData,
  type ServerNotificationMethod,
  type ServerRequestData,
  type ServerRequestMethod,
  type ServerRequestResult,
} from '@parley/protocol';
import * as sdpTransform from 'sdp-transform';
import { createLogger } from '../logger.js';
import { FakeEngine } from '../media/fake/FakeEngine.js';
import type { MessageSink } from '../room/MessageSink.js';
import { Participant } from '../room/Participant.js';
import { Room, type RoomLimits } from '../room/Room.js';

export interface Notification {
  method: ServerNotificationMethod;
  data: unknown;
}

let sessions = 0;

export class FakeClient implements MessageSink {
  readonly remoteAddress = '127.0.0.1';
  readonly notifications: Notification[] = [];
  readonly offers: ServerRequestData<'offer'>[] = [];
  /** The close code the room ended the connection with, once it did. */
  closedWith: number | null = null;
  /** False: offers stay unanswered (a client without WebRTC, or one that went quiet). */
  answerOffers = true;

  notify<K extends ServerNotificationMethod>(method: K, data: ServerNotificationData<K>): void {
    this.notifications.push({ method, data });
  }

  request<K extends ServerRequestMethod>(
    method: K,
    data: ServerRequestData<K>,
  ): Promise<ServerRequestResult<K>> {
    // `offer` is the one request the server makes.
    const offer = data as ServerRequestData<'offer'>;
    this.offers.push(offer);
    if (!this.answerOffers) return new Promise(() => undefined);
    return Promise.resolve({ sdp: answerTo(offer.sdp) } as ServerRequestResult<K>);
  }

  close(code: number): void {
    this.closedWith ??= code;
  }

  /** The data of each notification `method` received, in order. */
  told<K extends ServerNotificationMethod>(method: K): ServerNotificationData<K>[] {
    return this.notifications
      .filter((n) => n.method === method)
      .map((n) => n.data as ServerNotificationData<K>);
  }

  get lastOffer(): ServerRequestData<'offer'> | undefined {
    return this.offers.at(-1);
  }
}

/** A browser's answer to a subscriber offer: every section accepted, receive only. */
function answerTo(offer: string): string {
  const description = sdpTransform.parse(offer);
  for (const media of description.media) {
    media.direction = 'recvonly';
    media.setup = 'active';
    media.fingerprint = { type: 'sha-256', hash: 'AA:'.repeat(31) + 'AA' };
    delete media.ssrcs;
    delete media.ssrcGroups;
    delete media.msid;
  }
  return sdpTransform.write(description);
}

export interface RoomKit {
  engine: FakeEngine;
  room: Room;
  /** Joins a participant with a FakeClient; resolves once the room has it. */
  join(userId: string, options?: MemberOptions): Promise<Member>;
  /** A participant not yet joined (races: join it yourself). */
  member(userId: string, options?: MemberOptions): Member;
}

export interface MemberOptions {
  role?: Role;
  mode?: 'rtc' | 'live';
  autoSubscribe?: boolean;
  privilege?: number;
}

export interface Member {
  participant: Participant;
  client: FakeClient;
}

export function roomKit(
  options: { limits?: RoomLimits; engine?: FakeEngine; ref?: RoomRef } = {},
): RoomKit {
  const engine = options.engine ?? new FakeEngine();
  const room = new Room(
    1400000000,
    options.ref ?? { kind: 'number', id: 1 },
    engine,
    createLogger('silent'),
    options.limits,
  );
  const member = (userId: string, o: MemberOptions = {}): Member => {
    const id = `s${++sessions}`;
    const participant = new Participant(
      userId,
      o.role ?? 'anchor',
      id,
      `token-${id}`,
      o.autoSubscribe ?? true,
      o.mode ?? 'rtc',
    );
    if (o.privilege !== undefined) participant.privilege = o.privilege;
    const client = new FakeClient();
    participant.sink = client;
    return { participant, client };
  };
  return {
    engine,
    room,
    member,
    async join(userId, o) {
      const m = member(userId, o);
      await room.join(m.participant, `user ${userId} joined from another connection`);
      return m;
    },
  };
}

/** Lets queued room work and the subscriber renegotiations it started run to the end. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
