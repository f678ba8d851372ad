/**
 * The offers the server makes on a client's subscriber connection: one m-section per
 * consumer (its codecs, SSRCs and header extensions from the engine), on one bundled ICE-lite
 * transport, and what the client's answer says back.
 */
import type { TrackKind } from '@parley/protocol';
import * as sdpTransform from 'sdp-transform';
import type { MediaTransport } from '../media/MediaEngine.js';
import type { DtlsParameters, RtpParameters } from '../media/types.js';
import {
  codecAttributes,
  remoteDtlsParameters,
  sessionHeader,
  transportAttributes,
  type MediaSection,
} from './sdpCommon.js';

export interface OfferSlot {
  mid: string;
  kind: TrackKind;
  /** What the section carries, or null for a closed (or, the first, idle) section. */
  sending: { rtpParameters: RtpParameters; streamId: string; trackId: string } | null;
}

/** Default (placeholder) codec lines for a section that carries nothing. */
const IDLE_CODEC = {
  audio: { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 },
  video: { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 },
} as const;

export function subscriberOffer(
  transport: MediaTransport,
  slots: readonly OfferSlot[],
  sessionId: string,
  version: number,
): string {
  const media: MediaSection[] = slots.map((slot, index) => {
    if (!slot.sending) {
      const codec = IDLE_CODEC[slot.kind];
      const idle = {
        type: slot.kind,
        protocol: 'UDP/TLS/RTP/SAVPF',
        payloads: String(codec.payloadType),
        mid: slot.mid,
        direction: 'inactive' as const,
        ...codecAttributes([codec]),
      };
      // The first section tags the bundle: it is parked, never closed (closing it would
      // move the transport). Others are closed (port 0) and recycled for later tracks.
      return index === 0
        ? ({ ...idle, port: 7, ...transportAttributes(transport, 'actpass') } as MediaSection)
        : ({ ...idle, port: 0, connection: { version: 4, ip: '0.0.0.0' } } as MediaSection);
    }
    const { rtpParameters, streamId, trackId } = slot.sending;
    const encoding = rtpParameters.encodings[0];
    const cname = rtpParameters.rtcp.cname ?? 'parley';
    const ssrcs: NonNullable<MediaSection['ssrcs']> = [];
    const ssrcGroups: NonNullable<MediaSection['ssrcGroups']> = [];
    if (encoding?.ssrc !== undefined) {
      for (const ssrc of [encoding.ssrc, encoding.rtx?.ssrc]) {
        if (ssrc === undefined) continue;
        ssrcs.push({ id: ssrc, attribute: 'cname', value: cname });
        ssrcs.push({ id: ssrc, attribute: 'msid', value: `${streamId} ${trackId}` });
      }
      if (encoding.rtx)
        ssrcGroups.push({ semantics: 'FID', ssrcs: `${encoding.ssrc} ${encoding.rtx.ssrc}` });
    }
    return {
      type: slot.kind,
      port: 7,
      protocol: 'UDP/TLS/RTP/SAVPF',
      payloads: rtpParameters.codecs.map((c) => c.payloadType).join(' '),
      mid: slot.mid,
      direction: 'sendonly',
      msid: [{ id: streamId, appdata: trackId }],
      ...transportAttributes(transport, 'actpass'),
      ...codecAttributes(rtpParameters.codecs),
      ext: rtpParameters.headerExtensions.map((e) => ({ value: e.id, uri: e.uri })),
      ssrcs,
      ssrcGroups,
    } as MediaSection;
  });
  const bundled = media.filter((m) => m.port !== 0).map((m) => String(m.mid));
  return sdpTransform.write({
    ...sessionHeader(sessionId, version),
    groups: [{ type: 'BUNDLE', mids: bundled.join(' ') }],
    media,
  } as sdpTransform.SessionDescription);
}

export interface SubscriberAnswer {
  dtlsParameters: DtlsParameters;
  /** Mids the client refused (port 0). */
  rejected: Set<string>;
}

export function readSubscriberAnswer(sdp: string): SubscriberAnswer {
  const description = sdpTransform.parse(sdp);
  if (description.media.length === 0) throw new Error('the answer has no media sections');
  return {
    dtlsParameters: remoteDtlsParameters(description),
    rejected: new Set(
      description.media
        .filter((m) => m.port === 0 && m.mid !== undefined)
        .map((m) => String(m.mid)),
    ),
  };
}
