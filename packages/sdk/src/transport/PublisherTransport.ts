/**
 * The publisher RTCPeerConnection: sendonly transceivers for the local tracks, the SDK's
 * offer, the server's answer, and the per-sender encoding limits.
 */
import type { TrackKind } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { PeerTransport, type PeerTransportOptions } from './PeerTransport.js';

export interface OfferedTrack {
  mid: string;
  kind: TrackKind;
}

export interface EncodingLimits {
  /** bits per second */
  maxBitrate?: number;
  maxFramerate?: number;
}

export class PublisherTransport extends PeerTransport {
  private readonly senders = new Map<TrackKind, RTCRtpSender>();

  constructor(options: PeerTransportOptions) {
    super('publisher', options);
  }

  /**
   * Adds one sendonly transceiver per track (in the given order: audio first, then video),
   * creates the offer and sets it locally. The offer carries the first host candidates when
   * they come within a few ms; the rest trickle to the handler.
   */
  async createOffer(
    stream: MediaStream,
    tracks: readonly MediaStreamTrack[],
  ): Promise<{ sdp: string; tracks: OfferedTrack[] }> {
    const pc = this.ensurePc();
    try {
      const transceivers = tracks.map((track) => {
        const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
        this.senders.set(track.kind as TrackKind, transceiver.sender);
        return { transceiver, kind: track.kind as TrackKind };
      });
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const sdp = (await this.localSdpWithCandidates()) || offer.sdp || '';
      return {
        sdp,
        tracks: transceivers.map(({ transceiver, kind }) => {
          if (transceiver.mid === null) throw new Error(`the ${kind} transceiver has no mid`);
          return { mid: transceiver.mid, kind };
        }),
      };
    } catch (error) {
      throw RtcError.wrap(
        error,
        ErrorCode.CREATE_OFFER_FAILED,
        'creating the publish offer failed',
      );
    }
  }

  /** Applies the server's answer, then the candidates that came before it. */
  async setAnswer(sdp: string): Promise<void> {
    const pc = this.ensurePc();
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (error) {
      throw RtcError.wrap(
        error,
        ErrorCode.CREATE_OFFER_FAILED,
        "the server's publish answer was refused",
      );
    }
    this.flushRemoteCandidates();
  }

  /**
   * Caps a sender's encoding (the profile's bitrate). Needs the negotiated parameters, so
   * call it after `setAnswer`. Failures are logged: the stream still flows, only uncapped.
   */
  async setEncodingLimits(kind: TrackKind, limits: EncodingLimits): Promise<void> {
    const sender = this.senders.get(kind);
    if (!sender || this.closed) return;
    try {
      const parameters = sender.getParameters();
      const encoding = parameters.encodings[0];
      if (!encoding) {
        parameters.encodings = [{ ...limits }];
      } else {
        if (limits.maxBitrate !== undefined) encoding.maxBitrate = limits.maxBitrate;
        if (limits.maxFramerate !== undefined) encoding.maxFramerate = limits.maxFramerate;
      }
      await sender.setParameters(parameters);
    } catch (error) {
      if (!this.closed) this.log.warn(`could not cap the ${kind} sender`, error);
    }
  }

  /** The sender of the published `kind` track, if any. */
  getSender(kind: TrackKind): RTCRtpSender | undefined {
    return this.senders.get(kind);
  }
}
