/**
 * One WHIP session: a room member with no signaling socket whose publisher connection is the
 * WHIP client's. It joined and published through the room like a v4 client (so the others
 * see peer-join, stream-added, and peer-leave when it ends); the room reaches it through the
 * MessageSink below, which turns the room's ways of ending a member (kicked by a newer session
 * of its userId, removed, the room dismissed, its connection failed) into the end of the
 * session.
 */
import type { Logger } from 'pino';
import type { MessageSink } from '../room/MessageSink.js';
import type { Participant } from '../room/Participant.js';
import type { Room } from '../room/Room.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import type { MediaTransport } from '../media/MediaEngine.js';

export interface MediaSessionEvents {
  /** The session is over (DELETE, the room removed it, its peer's connection went). */
  ended: [reason: string];
}

/** What the WHIP/WHEP service sweeps and serves the same way for both kinds of session. */
export interface MediaSession {
  readonly id: string;
  readonly kind: 'whip' | 'whep';
  /** sha256 of the Bearer token it was made with: its PATCH and DELETE need the same one. */
  readonly tokenHash: Buffer;
  readonly createdAt: number;
  readonly ended: boolean;
  /** The transport the peer connects to (null once the room dropped it). */
  transport(): MediaTransport | null;
  /** The remote ICE ufrag of the last offer or ICE restart. */
  remoteUfrag: string | null;
  /** Bumped at each ICE restart: the ETag. */
  iceGeneration: number;
  end(reason: string): Promise<void>;
  on(event: 'ended', listener: (reason: string) => void): unknown;
}

export class IngestSession extends SafeEmitter<MediaSessionEvents> implements MediaSession {
  readonly kind = 'whip' as const;
  readonly createdAt = Date.now();
  remoteUfrag: string | null = null;
  iceGeneration = 0;
  #ended = false;
  #room: Room | null = null;

  constructor(
    readonly id: string,
    readonly tokenHash: Buffer,
    readonly participant: Participant,
    remoteAddress: string,
    private readonly log: Logger,
  ) {
    super();
    const sink: MessageSink = {
      remoteAddress,
      notify: (method) => {
        // Its publisher connection failed: a v4 client would republish; a WHIP client cannot.
        if (method === 'media-reset') void this.end('its publisher connection failed');
      },
      request: (method) =>
        Promise.reject(new Error(`a WHIP session answers no requests (${method})`)),
      // The room ended its membership (kick, removal, dismissal): it has left already.
      close: (_code, reason) => this.#finish(`the room ended it: ${reason}`),
    };
    participant.sink = sink;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The room it joined (set once the join succeeded). */
  set room(room: Room) {
    this.#room = room;
  }

  transport(): MediaTransport | null {
    return this.participant.publisher;
  }

  /**
   * Leaves the room (the others see the stream removed and the user leave). Never rejects:
   * it runs from timers and the room's notifications; a failed leave is logged.
   */
  async end(reason: string): Promise<void> {
    if (this.#ended) return;
    const room = this.#room;
    this.#finish(reason);
    if (!room || this.participant.left) return;
    await room.leave(this.participant, 'leave').catch((error: unknown) => {
      this.log.error({ err: error, session: this.id }, 'a WHIP session could not leave its room');
    });
  }

  #finish(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.safeEmit('ended', reason);
  }
}
