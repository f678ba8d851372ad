/**
 * The server side of a client's subscriber peer connection. The server is the offerer:
 * tracks are added and removed here and each change is followed by one renegotiation.
 * Renegotiations never overlap; changes made during one are folded into the next.
 */
import type { StreamType, SubscribedTrack, TrackKind } from '@parley/protocol';
import type { CodecInfo, MediaEngine } from '../media/MediaEngine.js';

export interface OutgoingTrackInfo {
  kind: TrackKind;
  userId: string;
  streamType: StreamType;
}

/** Sends an offer to the client and resolves with its answer SDP. */
export type OfferSender = (sdp: string, tracks: SubscribedTrack[]) => Promise<string>;

export class SubscriberTransport {
  readonly #tracks = new Map<string, OutgoingTrackInfo>();
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;

  private constructor(
    private readonly engine: MediaEngine,
    readonly id: string,
    private readonly sendOffer: OfferSender,
  ) {}

  static async create(
    engine: MediaEngine,
    id: string,
    sendOffer: OfferSender,
  ): Promise<SubscriberTransport> {
    await engine.createTransport(id, 'subscriber');
    return new SubscriberTransport(engine, id, sendOffer);
  }

  async addTrack(outTrackId: string, info: OutgoingTrackInfo, codec: CodecInfo): Promise<void> {
    if (this.#tracks.has(outTrackId)) return;
    this.#tracks.set(outTrackId, info);
    await this.engine.addOutgoingTrack(this.id, outTrackId, info.kind, codec);
  }

  async removeTrack(outTrackId: string): Promise<boolean> {
    if (!this.#tracks.delete(outTrackId)) return false;
    await this.engine.removeOutgoingTrack(this.id, outTrackId);
    return true;
  }

  /** Resolves once the client has answered an offer that includes every change made so far. */
  negotiate(): Promise<void> {
    if (this.#closed) return Promise.resolve();
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
    const { sdp, mids } = await this.engine.createOffer(this.id);
    const tracks: SubscribedTrack[] = [];
    for (const [outTrackId, info] of this.#tracks) {
      const mid = mids[outTrackId];
      if (mid)
        tracks.push({ mid, kind: info.kind, userId: info.userId, streamType: info.streamType });
    }
    const answer = await this.sendOffer(sdp, tracks);
    if (this.#closed) return;
    await this.engine.acceptAnswer(this.id, answer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tracks.clear();
    await this.engine.closeTransport(this.id);
  }
}
