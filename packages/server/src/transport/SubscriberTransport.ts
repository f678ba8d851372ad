/**
 * The server side of a client's subscriber peer connection. The server is the offerer:
 * consumers are added and removed here and each change is followed by one renegotiation.
 * Renegotiations never overlap; changes made during one are folded into the next. Consumers
 * are created paused and resumed once the client has answered an offer that carries them, so
 * their first packets (and the keyframe the engine asks for at resume) are never dropped by a
 * browser that does not know their SSRC yet.
 */
import { createHash } from 'node:crypto';
import type { StreamType, SubscribedTrack, TrackKind } from '@parley/protocol';
import type { MediaConsumer, MediaRouter, MediaTransport } from '../media/MediaEngine.js';
import { readSubscriberAnswer, subscriberOffer, type OfferSlot } from '../sdp/SubscriberOffer.js';

export interface OutgoingTrackInfo {
  kind: TrackKind;
  userId: string;
  streamType: StreamType;
}

/** Sends an offer to the client and resolves with its answer SDP. */
export type OfferSender = (offer: {
  sdp: string;
  tracks: SubscribedTrack[];
  /** A new connection replaces the client's previous one (after a media worker was lost). */
  restart: boolean;
}) => Promise<string>;

interface Slot {
  mid: string;
  kind: TrackKind;
  entry: { consumer: MediaConsumer; info: OutgoingTrackInfo } | null;
  /**
   * The client has answered an offer in which this section was closed: only then may it
   * carry a new track (with a new mid). Browsers refuse a section whose mid changes while
   * it is still open.
   */
  closedForClient: boolean;
}

export class SubscriberTransport {
  readonly #slots: Slot[] = [];
  #nextMid = 0;
  #version = 0;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  /** Set until the first offer on this transport went out. */
  #fresh: boolean;

  private constructor(
    readonly transport: MediaTransport,
    private readonly sendOffer: OfferSender,
    private readonly sessionId: string,
    replacing: boolean,
  ) {
    this.#fresh = replacing;
  }

  static async create(
    router: MediaRouter,
    sessionId: string,
    sendOffer: OfferSender,
    replacing = false,
  ): Promise<SubscriberTransport> {
    const transport = await router.createTransport('subscriber');
    return new SubscriberTransport(transport, sendOffer, sessionId, replacing);
  }

  get id(): string {
    return this.transport.id;
  }

  get closed(): boolean {
    return this.#closed;
  }

  add(consumer: MediaConsumer, info: OutgoingTrackInfo): void {
    if (this.#closed) {
      consumer.close();
      return;
    }
    // Recycle a closed section of the same kind (never the first: it tags the bundle).
    let slot = this.#slots.find(
      (s, i) => i > 0 && s.entry === null && s.closedForClient && s.kind === info.kind,
    );
    if (slot) {
      slot.mid = String(this.#nextMid++);
      slot.closedForClient = false;
    } else {
      slot = { mid: String(this.#nextMid++), kind: info.kind, entry: null, closedForClient: false };
      this.#slots.push(slot);
    }
    slot.entry = { consumer, info };
    consumer.once('close', () => {
      if (slot.entry?.consumer === consumer) slot.entry = null;
    });
  }

  /** Closes a consumer and frees its section. Returns whether it was carried here. */
  remove(consumer: MediaConsumer): boolean {
    const slot = this.#slots.find((s) => s.entry?.consumer === consumer);
    if (slot) slot.entry = null;
    consumer.close();
    return slot !== undefined;
  }

  /** Resolves once the client has answered an offer that includes every change made so far. */
  negotiate(): Promise<void> {
    if (this.#closed || this.#slots.length === 0) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      await this.#round();
    } while (this.#again && !this.#closed);
  }

  async #round(): Promise<void> {
    const offered = this.#slots.map((s) => ({ slot: s, entry: s.entry, mid: s.mid }));
    const slots: OfferSlot[] = offered.map(({ slot, entry }) => ({
      mid: slot.mid,
      kind: slot.kind,
      sending: entry
        ? {
            rtpParameters: entry.consumer.rtpParameters,
            // msid ids are RFC 8830 tokens: user ids may hold other characters.
            streamId: msidOf(entry.info),
            trackId: entry.consumer.id,
          }
        : null,
    }));
    const tracks: SubscribedTrack[] = offered.flatMap(({ entry, mid }) =>
      entry
        ? [
            {
              mid,
              kind: entry.info.kind,
              userId: entry.info.userId,
              streamType: entry.info.streamType,
            },
          ]
        : [],
    );
    const sdp = subscriberOffer(this.transport, slots, this.sessionId, ++this.#version);
    const restart = this.#fresh;
    const answer = readSubscriberAnswer(await this.sendOffer({ sdp, tracks, restart }));
    this.#fresh = false;
    if (this.#closed) return;
    await this.transport.connect(answer.dtlsParameters);
    for (const { slot, entry, mid } of offered) {
      if (!entry && slot.mid === mid) slot.closedForClient = true;
    }
    for (const { entry, mid } of offered) {
      if (!entry || entry.consumer.closed || !entry.consumer.paused) continue;
      if (answer.rejected.has(mid)) continue;
      await entry.consumer.resume().catch(() => undefined);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) slot.entry?.consumer.close();
    this.transport.close();
  }
}

/** A stream's msid (the SDK maps tracks by the offer's list, not by this). */
function msidOf(info: OutgoingTrackInfo): string {
  return createHash('sha1').update(`${info.userId}/${info.streamType}`).digest('hex').slice(0, 16);
}
