/**
 * The publisher RTCPeerConnection, shared by the main and the auxiliary (screen) stream: one
 * sendonly transceiver per published (streamType, kind), the SDK's offers, the server's
 * answers, and the per-sender encoding limits.
 *
 * A removed track's transceiver is stopped, not kept: its m-line is rejected at the next
 * offer and Chromium recycles the slot for a later track (with a new mid), so adding and
 * removing tracks does not grow the SDP, and the server sees every new track as a new mid.
 * The one exception is the BUNDLE-tagged m-line (the first): rejecting it moves the bundle
 * to another m-line, which the server's engine (werift) answers with a new ICE transport and
 * the connection stalls, so that transceiver is parked inactive instead (one idle m-line).
 */
import type { StreamType, TrackKind } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { BIG_RID, SMALL_RID, type SmallEncoding } from './simulcast.js';
import { PeerTransport, type PeerTransportOptions } from './PeerTransport.js';

export interface OfferedTrack {
  mid: string;
  kind: TrackKind;
  streamType: StreamType;
}

export interface EncodingLimits {
  /** bits per second */
  maxBitrate?: number;
  maxFramerate?: number;
}

const slotKey = (streamType: StreamType, kind: TrackKind): string => `${streamType}/${kind}`;

export class PublisherTransport extends PeerTransport {
  private readonly slots = new Map<
    string,
    { transceiver: RTCRtpTransceiver; streamType: StreamType; kind: TrackKind }
  >();

  constructor(options: PeerTransportOptions) {
    super('publisher', options);
  }

  /**
   * Adds a sendonly transceiver for `track` of the `streamType` stream, sending it at once or,
   * with `send` false (the track is muted), nothing until `setSending`. Negotiated by the next
   * `createOffer`. With `small`, a video is sent as two simulcast encodings: the small one
   * first, then the big one (`limits`); their number is fixed for the transceiver's life.
   */
  addTrack(
    streamType: StreamType,
    track: MediaStreamTrack,
    stream: MediaStream,
    send: boolean,
    limits?: EncodingLimits,
    small?: SmallEncoding,
  ): void {
    const kind = track.kind as TrackKind;
    const key = slotKey(streamType, kind);
    if (this.slots.has(key)) {
      throw RtcError.invalidOperation(`the ${streamType} stream already publishes ${kind}`);
    }
    const pc = this.ensurePc();
    let sendEncodings: RTCRtpEncodingParameters[] | undefined = limits
      ? [{ ...limits }]
      : undefined;
    if (small && kind === 'video') {
      sendEncodings = [
        { rid: SMALL_RID, ...small },
        { rid: BIG_RID, scaleResolutionDownBy: 1, ...limits },
      ];
    }
    const transceiver = pc.addTransceiver(send ? track : kind, {
      direction: 'sendonly',
      streams: [stream],
      ...(sendEncodings ? { sendEncodings } : {}),
    });
    this.slots.set(key, { transceiver, streamType, kind });
  }

  /** Stops sending the track at once; its m-line goes away at the next offer. */
  removeTrack(streamType: StreamType, kind: TrackKind): void {
    const key = slotKey(streamType, kind);
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    if (this.closed) return;
    const { transceiver } = slot;
    const park = (): void => {
      transceiver.direction = 'inactive';
      transceiver.sender.replaceTrack(null).catch(() => undefined);
    };
    if (transceiver.mid !== null && transceiver.mid === bundleTag(this.pc?.localDescription?.sdp)) {
      park();
      return;
    }
    try {
      transceiver.stop();
    } catch (error) {
      // Older browsers without stop(): an inactive m-line also stops the media.
      this.log.debug('transceiver.stop() failed; making it inactive', error);
      park();
    }
  }

  /** Swaps what a published (streamType, kind) sends, without renegotiation (null: nothing). */
  async setSending(
    streamType: StreamType,
    kind: TrackKind,
    track: MediaStreamTrack | null,
  ): Promise<void> {
    const slot = this.slots.get(slotKey(streamType, kind));
    if (!slot || this.closed) return;
    if (slot.transceiver.sender.track === track) return;
    try {
      await slot.transceiver.sender.replaceTrack(track);
    } catch (error) {
      if (this.closed) return;
      throw RtcError.wrap(error, ErrorCode.INVALID_OPERATION, `replacing the sent ${kind} failed`);
    }
  }

  hasTrack(streamType: StreamType, kind: TrackKind): boolean {
    return this.slots.has(slotKey(streamType, kind));
  }

  /**
   * Creates the offer for the current transceivers and sets it locally. The offer carries the
   * first host candidates when they come within a few ms; the rest trickle to the handler.
   * Returns the mid → (streamType, kind) map of every published track. `iceRestart`: new ICE
   * credentials, so the connection finds a new path (see ConnectionRecovery).
   */
  async createOffer(
    options: { iceRestart?: boolean } = {},
  ): Promise<{ sdp: string; tracks: OfferedTrack[] }> {
    const pc = this.ensurePc();
    try {
      const offer = await this.untilClosed(
        pc.createOffer(options.iceRestart ? { iceRestart: true } : undefined),
      );
      await this.untilClosed(pc.setLocalDescription(offer));
      const sdp = this.localSdp() || offer.sdp || '';
      const tracks = [...this.slots.values()].map(({ transceiver, streamType, kind }) => {
        if (transceiver.mid === null) throw new Error(`the ${kind} transceiver has no mid`);
        return { mid: transceiver.mid, kind, streamType };
      });
      return { sdp, tracks };
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
      await this.untilClosed(pc.setRemoteDescription({ type: 'answer', sdp }));
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
   * Caps a sender's encoding (the profile's bitrate and frame rate). Failures are logged: the
   * stream still flows, only uncapped.
   */
  async setEncodingLimits(
    kind: TrackKind,
    limits: EncodingLimits,
    streamType: StreamType = 'main',
  ): Promise<void> {
    const sender = this.getSender(kind, streamType);
    if (!sender || this.closed) return;
    try {
      const parameters = sender.getParameters();
      // The big encoding is the last one (the only one without a small stream).
      const encoding = parameters.encodings[parameters.encodings.length - 1];
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

  /**
   * Which the encoder keeps when the uplink is short: the frame rate ('maintain-framerate', v5
   * 'smooth') or the resolution ('maintain-resolution', v5 'clear').
   */
  async setDegradationPreference(
    preference: RTCDegradationPreference,
    streamType: StreamType = 'main',
  ): Promise<void> {
    const sender = this.getSender('video', streamType);
    if (!sender || this.closed) return;
    try {
      const parameters: RTCRtpSendParameters & {
        degradationPreference?: RTCDegradationPreference;
      } = sender.getParameters();
      parameters.degradationPreference = preference;
      await sender.setParameters(parameters);
    } catch (error) {
      if (!this.closed) this.log.warn(`could not set degradationPreference ${preference}`, error);
    }
  }

  /** Whether the main (or `streamType`) video is sent with a small stream. */
  hasSmallStream(streamType: StreamType = 'main'): boolean {
    const sender = this.getSender('video', streamType);
    return (sender?.getParameters().encodings.length ?? 0) > 1;
  }

  /** Changes the small encoding of a video sent with a small stream (no renegotiation). */
  async setSmallEncoding(small: SmallEncoding, streamType: StreamType = 'main'): Promise<void> {
    const sender = this.getSender('video', streamType);
    if (!sender || this.closed) return;
    try {
      const parameters = sender.getParameters();
      const encoding = parameters.encodings.find((e) => e.rid === SMALL_RID);
      if (!encoding || parameters.encodings.length < 2) return;
      Object.assign(encoding, small);
      await sender.setParameters(parameters);
    } catch (error) {
      if (!this.closed) this.log.warn('could not change the small stream', error);
    }
  }

  /** The sender of a published track, if any. */
  getSender(kind: TrackKind, streamType: StreamType = 'main'): RTCRtpSender | undefined {
    return this.slots.get(slotKey(streamType, kind))?.transceiver.sender;
  }
}

/** The first mid of the SDP's BUNDLE group: the m-line whose transport the others share. */
function bundleTag(sdp: string | undefined): string | undefined {
  return sdp ? /^a=group:BUNDLE ([^\s]+)/m.exec(sdp)?.[1] : undefined;
}
