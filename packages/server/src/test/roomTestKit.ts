/**
 * In-process room tests: a Room over the FakeEngine, and FakeClient, a participant's client
 * as the room sees it (its MessageSink): it records what it is told and answers the server's
 * offers as a browser would, or leaves them unanswered. The kit records the room's events
 * (RoomEvents) in order. No socket, no worker.
 */
import {
  type Role,
  type ServerNotificationData,
  type ServerNotificationMethod,
  type ServerRequestData,
  type ServerRequestMethod,
  type ServerRequestResult,
} from '@parley/protocol';
import * as sdpTransform from 'sdp-transform';
import { createLogger } from '../logger.js';
import { FakeEngine, type FakeEngineOptions } from '../media/fake/FakeEngine.js';
import type { MessageSink } from '../room/MessageSink.js';
import { Participant } from '../room/Participant.js';
import { Room, type RoomEvents, type RoomLimits } from '../room/Room.js';

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
  /**
   * False: offers stay unanswered (a client without WebRTC, or one that went quiet) until
   * `answerPending()`.
   */
  answerOffers = true;
  readonly #unanswered: Array<() => void> = [];

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
    const answer = () => ({ sdp: answerTo(offer.sdp) }) as ServerRequestResult<K>;
    if (this.answerOffers) return Promise.resolve(answer());
    return new Promise((resolve) => this.#unanswered.push(() => resolve(answer())));
  }

  /** Answers the offers left unanswered so far, oldest first (the client caught up). */
  answerPending(): void {
    for (const answer of this.#unanswered.splice(0)) answer();
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

/** One RoomEvents emission as recorded: its name and arguments, participants by userId. */
export type RoomEvent = [event: keyof RoomEvents, ...args: unknown[]];

// Every RoomEvents name: a new event fails to compile here until it is recorded too.
const ROOM_EVENTS = Object.keys({
  'participant-joined': true,
  'participant-left': true,
  'role-changed': true,
  'stream-published': true,
  'stream-updated': true,
  'stream-unpublished': true,
  'participant-moved': true,
  'relay-attached': true,
  sei: true,
  'custom-message': true,
  closed: true,
} satisfies Record<keyof RoomEvents, true>) as (keyof RoomEvents)[];

export interface RoomKit {
  engine: FakeEngine;
  room: Room;
  /** Every room event so far, in order. */
  events: RoomEvent[];
  /** The events recorded since the last call (`events` keeps them all). */
  takeEvents(): RoomEvent[];
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
  options: { limits?: RoomLimits; engine?: FakeEngineOptions; roomId?: number } = {},
): RoomKit {
  const engine = new FakeEngine(options.engine);
  const room = new Room(
    1400000000,
    { kind: 'number', id: options.roomId ?? 1 },
    engine,
    createLogger('silent'),
    options.limits,
  );
  const events: RoomEvent[] = [];
  let taken = 0;
  for (const event of ROOM_EVENTS) {
    room.on(event, (...args: unknown[]) => {
      // A copy: the objects may change after the event (the test wants what it said then).
      events.push([
        event,
        ...args.map((a) => (a instanceof Participant ? a.userId : structuredClone(a))),
      ]);
    });
  }
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
    events,
    takeEvents() {
      const since = events.slice(taken);
      taken = events.length;
      return since;
    },
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
