/**
 * One WHEP session: a transport of its own on the room's media router with a consumer of each
 * track of one user's stream. The player is no room member (v4 clients never see it), as a
 * CDN viewer is not; it ends when the stream it plays ends (unpublished, the user left, the
 * room closed), as the engine closes its consumers or transport, or on DELETE.
 */
import type { MediaConsumer, MediaTransport } from '../media/MediaEngine.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import type { MediaSession, MediaSessionEvents } from './IngestSession.js';

export class PlaybackSession extends SafeEmitter<MediaSessionEvents> implements MediaSession {
  readonly kind = 'whep' as const;
  readonly createdAt = Date.now();
  remoteUfrag: string | null = null;
  iceGeneration = 0;
  readonly #consumers = new Set<MediaConsumer>();
  readonly #transport: MediaTransport;
  #ended = false;

  constructor(
    readonly id: string,
    readonly tokenHash: Buffer,
    readonly viewerId: string,
    transport: MediaTransport,
  ) {
    super();
    this.#transport = transport;
    transport.once('close', () => void this.end('its media transport closed (the room ended)'));
  }

  get ended(): boolean {
    return this.#ended;
  }

  transport(): MediaTransport | null {
    return this.#transport.closed ? null : this.#transport;
  }

  /** A consumer it plays; when the last one closes (the stream ended) the session ends. */
  add(consumer: MediaConsumer): void {
    this.#consumers.add(consumer);
    consumer.once('close', () => {
      this.#consumers.delete(consumer);
      if (this.#consumers.size === 0) void this.end('the stream it played ended');
    });
  }

  async end(reason: string): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#transport.close();
    this.safeEmit('ended', reason);
    return Promise.resolve();
  }
}
