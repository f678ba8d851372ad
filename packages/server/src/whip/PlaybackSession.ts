/**
 * One WHEP session. The player offers, so the media must go out with the payload types of its
 * offer, while a room's router sends with its own: the session has a router of its own whose
 * codecs carry the player's payload types, fed from the room's router by a media pipe (as a
 * cluster relays between nodes), and the player's transport on it. The player is no room
 * member (v4 clients never see it), as a CDN viewer is not. It ends when the stream it plays
 * ends (unpublished, the user left, the room closed) or on DELETE.
 */
import type { MediaPipe, MediaRouter, MediaTransport } from '../media/MediaEngine.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import type { MediaSession, MediaSessionEvents } from './IngestSession.js';

export class PlaybackSession extends SafeEmitter<MediaSessionEvents> implements MediaSession {
  readonly kind = 'whep' as const;
  readonly createdAt = Date.now();
  remoteUfrag: string | null = null;
  iceGeneration = 0;
  #transport: MediaTransport | null = null;
  readonly #pipes: MediaPipe[] = [];
  #ended = false;

  constructor(
    readonly id: string,
    readonly tokenHash: Buffer,
    readonly viewerId: string,
    /** The session's own router (closing it closes the transport and consumers on it). */
    readonly router: MediaRouter,
  ) {
    super();
    router.once('close', () => void this.end('its media router closed'));
  }

  get ended(): boolean {
    return this.#ended;
  }

  transport(): MediaTransport | null {
    return this.#transport && !this.#transport.closed ? this.#transport : null;
  }

  /** The player's transport, once made. */
  setTransport(transport: MediaTransport): void {
    this.#transport = transport;
    transport.once('close', () => void this.end('its media transport closed'));
  }

  /** A pipe end it uses (closed with the session). */
  addPipe(pipe: MediaPipe): void {
    this.#pipes.push(pipe);
    pipe.once('close', () => void this.end('its media pipe closed (the room ended)'));
  }

  end(reason: string): Promise<void> {
    if (this.#ended) return Promise.resolve();
    this.#ended = true;
    for (const pipe of this.#pipes) pipe.close();
    this.router.close();
    this.safeEmit('ended', reason);
    return Promise.resolve();
  }
}
