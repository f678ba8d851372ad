/**
 * Tracks of other rooms of this node brought into one room's router, so its media-out jobs can
 * mix them (v4's `mixUsers[].roomId`): a pair of local media pipes per other room (the same
 * pipes a WHEP session is fed by), each wanted producer sent over once. A fed track ends with
 * its source (unpublished, user gone, room closed) and when no mix wants it any more.
 */
import type { Logger } from 'pino';
import type { MediaPipe, MediaProducer, MediaRouter } from '../media/MediaEngine.js';

interface Link {
  out: MediaPipe;
  into: MediaPipe;
}

interface Feed {
  source: MediaProducer;
  /** The producer in this room's router; null while it is being made. */
  local: MediaProducer | null;
  roomKey: string;
  onSourceClose: () => void;
}

export class CrossRoomFeeds {
  /** Pipes by the other room's key (made once, on first use). */
  readonly #links = new Map<string, Promise<Link>>();
  /** Feeds by the source producer's id. */
  readonly #feeds = new Map<string, Feed>();
  #closed = false;

  constructor(
    /** This room's router. */
    private readonly router: () => Promise<MediaRouter>,
    private readonly log: Logger,
    /** A fed track ended or arrived: the jobs should look at the room again. */
    private readonly changed: () => void,
  ) {}

  /** This router's producer carrying `sourceId`, or null while it is not fed (yet). */
  localId(sourceId: string): string | null {
    const local = this.#feeds.get(sourceId)?.local;
    return local && !local.closed ? local.id : null;
  }

  /** Feeds `source` (a producer of the room `roomKey`, whose router is `from`) into this room. */
  async feed(
    roomKey: string,
    from: () => Promise<MediaRouter>,
    source: MediaProducer,
  ): Promise<void> {
    if (this.#closed || source.closed || this.#feeds.has(source.id)) return;
    const onSourceClose = () => this.#drop(source.id);
    const feed: Feed = { source, local: null, roomKey, onSourceClose };
    this.#feeds.set(source.id, feed);
    source.once('close', onSourceClose);
    try {
      const link = await this.#link(roomKey, from);
      const piped = await link.out.send(source.id);
      const local = await link.into.receive(piped);
      if (this.#feeds.get(source.id) !== feed) {
        // Dropped meanwhile (its source ended, or the mix no longer wants it).
        local.close();
        link.out.unsend(source.id);
        return;
      }
      feed.local = local;
      this.log.info(
        { from: roomKey, producer: source.id, kind: source.kind },
        'track of another room fed in',
      );
      this.changed();
    } catch (error) {
      this.log.warn(
        { err: error, from: roomKey, producer: source.id },
        'track of another room not fed',
      );
      this.#drop(source.id);
    }
  }

  /** Ends the feeds whose source is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const id of [...this.#feeds.keys()]) if (!keep.has(id)) this.#drop(id);
  }

  /** Source ids fed now (tests). */
  fed(): string[] {
    return [...this.#feeds.values()].filter((f) => f.local).map((f) => f.source.id);
  }

  close(): void {
    this.#closed = true;
    for (const id of [...this.#feeds.keys()]) this.#drop(id);
    for (const link of this.#links.values()) {
      void link.then(
        (l) => {
          l.out.close();
          l.into.close();
        },
        () => undefined,
      );
    }
    this.#links.clear();
  }

  #link(roomKey: string, from: () => Promise<MediaRouter>): Promise<Link> {
    let link = this.#links.get(roomKey);
    if (!link) {
      const made = (async () => {
        const [source, target] = await Promise.all([from(), this.router()]);
        const [out, into] = await Promise.all([
          source.createPipe({ local: true }),
          target.createPipe({ local: true }),
        ]);
        try {
          await Promise.all([out.connect(into.local), into.connect(out.local)]);
        } catch (error) {
          out.close();
          into.close();
          throw error;
        }
        // Either router closing (its room ended) ends the link; the next feed makes another.
        const forget = () => {
          if (this.#links.get(roomKey) === made) this.#links.delete(roomKey);
          out.close();
          into.close();
        };
        out.once('close', forget);
        into.once('close', forget);
        return { out, into };
      })();
      link = made;
      this.#links.set(roomKey, made);
      made.catch(() => {
        if (this.#links.get(roomKey) === made) this.#links.delete(roomKey);
      });
    }
    return link;
  }

  #drop(sourceId: string): void {
    const feed = this.#feeds.get(sourceId);
    if (!feed) return;
    this.#feeds.delete(sourceId);
    feed.source.off('close', feed.onSourceClose);
    if (feed.local) {
      // Its plain consumers close with it; their jobs rebind without it.
      feed.local.close();
      void this.#links
        .get(feed.roomKey)
        ?.then((l) => l.out.unsend(sourceId))
        .catch(() => undefined);
      this.changed();
    }
  }
}
