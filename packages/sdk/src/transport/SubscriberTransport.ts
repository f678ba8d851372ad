/**
 * The subscriber RTCPeerConnection. The server makes the offers (request `offer`); this
 * side answers them strictly one at a time, and maps each receiving transceiver's mid to
 * the remote (userId, streamType, kind) the offer's track list names.
 */
import type { SubscribedTrack } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import {
  PeerTransport,
  type PeerTransportOptions,
  type TransportHandler,
} from './PeerTransport.js';

export interface SubscriberTransportHandler extends TransportHandler {
  /** A remote track became available for `info`. */
  onRemoteTrack(info: SubscribedTrack, track: MediaStreamTrack): void;
  /** The track bound to `info` is no longer sent (its mid left the offer's list or changed owner). */
  onRemoteTrackRemoved(info: SubscribedTrack, track: MediaStreamTrack): void;
}

export interface SubscriberTransportOptions extends PeerTransportOptions {
  handler: SubscriberTransportHandler;
}

function ownerKey(track: SubscribedTrack): string {
  return `${track.userId}/${track.streamType}/${track.kind}`;
}

export class SubscriberTransport extends PeerTransport {
  private readonly trackHandler: SubscriberTransportHandler;
  /** The latest offer's mid → owner map. */
  private midMap = new Map<string, SubscribedTrack>();
  /** What has been reported to the handler per mid, so nothing is reported twice. */
  private readonly bound = new Map<string, { info: SubscribedTrack; track: MediaStreamTrack }>();
  /** Offers are applied one after another: the tail of that chain. */
  private queue: Promise<unknown> = Promise.resolve();
  private jitterTarget: number | null = null;

  constructor(options: SubscriberTransportOptions) {
    super('subscriber', options);
    this.trackHandler = options.handler;
  }

  /**
   * Applies a server offer and returns the answer SDP. Queued behind earlier offers: a
   * renegotiation must never start before the previous one has finished.
   */
  handleOffer(sdp: string, tracks: readonly SubscribedTrack[], restart = false): Promise<string> {
    const run = (): Promise<string> => {
      if (restart) this.restart();
      return this.applyOffer(sdp, tracks);
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Drops the connection now (its server side is gone: the session switched rooms); the next
   * offer is answered on a new one. Queued behind offers being answered.
   */
  replaceConnection(): Promise<void> {
    const result = this.queue.then(() => this.restart());
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Sets every receiver's jitterBufferTarget (ms; null: the browser's own), where the browser
   * has it (Chromium 114+); for receivers added later too.
   */
  setJitterBufferTarget(ms: number | null): void {
    this.jitterTarget = ms;
    for (const receiver of this.pc?.getReceivers() ?? []) applyJitterTarget(receiver, ms);
  }

  /** Who a receiving mid carries, per the latest offer (maps stats to remote users). */
  ownerOfMid(mid: string): SubscribedTrack | undefined {
    return this.midMap.get(mid);
  }

  /** The server replaced the connection: every track of the old one is gone. */
  private restart(): void {
    if (this.closed) return;
    this.log.info('the subscriber connection is replaced');
    for (const [mid, bound] of [...this.bound]) {
      this.bound.delete(mid);
      this.trackHandler.onRemoteTrackRemoved(bound.info, bound.track);
    }
    this.midMap.clear();
    this.resetPc();
  }

  override close(): void {
    super.close();
    this.bound.clear();
    this.midMap.clear();
  }

  private async applyOffer(sdp: string, tracks: readonly SubscribedTrack[]): Promise<string> {
    if (this.closed) throw RtcError.invalidOperation('the subscriber connection is closed');
    const pc = this.ensurePc();
    if (!pc.ontrack) pc.ontrack = (event) => this.onTrack(event);
    this.midMap = new Map(tracks.map((t) => [t.mid, t]));
    // Unbind first what this offer no longer lists (or gives to another owner), so a reused
    // transceiver's track is bound afresh below.
    for (const [mid, bound] of [...this.bound]) {
      const now = this.midMap.get(mid);
      if (!now || ownerKey(now) !== ownerKey(bound.info)) {
        this.bound.delete(mid);
        this.trackHandler.onRemoteTrackRemoved(bound.info, bound.track);
      }
    }
    try {
      await this.untilClosed(pc.setRemoteDescription({ type: 'offer', sdp }));
      this.flushRemoteCandidates();
      // `track` fires only when a transceiver starts receiving; a mid reused for a new owner
      // may not fire it again, so bind every listed mid that is still unbound.
      for (const transceiver of pc.getTransceivers()) {
        if (transceiver.mid !== null) this.bind(transceiver.mid, transceiver.receiver.track);
      }
      const answer = await this.untilClosed(pc.createAnswer());
      await this.untilClosed(pc.setLocalDescription(answer));
      return this.localSdp() || answer.sdp || '';
    } catch (error) {
      if (this.closed) throw RtcError.invalidOperation('the subscriber connection was closed');
      throw RtcError.wrap(
        error,
        ErrorCode.CREATE_OFFER_FAILED,
        "answering the server's offer failed",
      );
    }
  }

  private onTrack(event: RTCTrackEvent): void {
    if (this.jitterTarget !== null) applyJitterTarget(event.receiver, this.jitterTarget);
    const mid = event.transceiver.mid;
    if (mid === null) return;
    if (!this.midMap.has(mid)) {
      this.log.warn(`a track arrived on mid ${mid}, which the offer did not list`);
      return;
    }
    this.bind(mid, event.track);
  }

  private bind(mid: string, track: MediaStreamTrack): void {
    const info = this.midMap.get(mid);
    if (!info || this.bound.has(mid) || this.closed) return;
    if (track.kind !== info.kind) {
      this.log.warn(`mid ${mid} carries ${track.kind} but the offer lists it as ${info.kind}`);
      return;
    }
    this.bound.set(mid, { info, track });
    this.trackHandler.onRemoteTrack(info, track);
  }
}

function applyJitterTarget(receiver: RTCRtpReceiver, ms: number | null): void {
  const r = receiver as RTCRtpReceiver & { jitterBufferTarget?: number | null };
  if (!('jitterBufferTarget' in r)) return;
  try {
    r.jitterBufferTarget = ms;
  } catch {
    // out of the browser's range: keep its own
  }
}
