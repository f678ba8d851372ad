/**
 * A WHEP player's offer (recvonly audio/video sections), read into what the engine needs to
 * send it one user's tracks (per section: the codecs and header extensions the player
 * decodes, with its own payload types and ids), and the answer that sends them. Unlike the
 * v4 subscriber connection (the server offers), here the player offers and the server
 * answers, as WHEP (draft-ietf-wish-whep) requires.
 */
import type { TrackKind } from '@parley/protocol';
import { isSameProfile } from 'h264-profile-level-id';
import * as sdpTransform from 'sdp-transform';
import type { MediaTransport } from '../media/MediaEngine.js';
import type {
  CodecCapability,
  DtlsParameters,
  HeaderExtensionCapability,
  RtpCapabilities,
  RtpParameters,
} from '../media/types.js';
import { SdpError } from './PublishOffer.js';
import {
  codecAttributes,
  fmtpToParameters,
  idleSection,
  isClosed,
  remoteDtlsParameters,
  sessionHeader,
  SUPPORTED_FEEDBACK,
  SUPPORTED_HEADER_EXTENSIONS,
  transportAttributes,
  type MediaSection,
} from './sdpCommon.js';

/** Media sections a player's offer may carry. */
export const MAX_PLAYER_SECTIONS = 8;

/** One offered section the server can fill: its mid, kind and what the player decodes. */
export interface PlayerSlot {
  mid: string;
  kind: TrackKind;
  rtpCapabilities: RtpCapabilities;
}

/** What one answered section sends. */
export interface SentTrack {
  rtpParameters: RtpParameters;
  streamId: string;
  trackId: string;
}

export class PlayerOffer {
  readonly #description: sdpTransform.SessionDescription;
  readonly dtlsParameters: DtlsParameters;
  /** The first receiving audio and the first receiving video section (at most one each). */
  readonly slots: PlayerSlot[] = [];

  /** @throws SdpError saying why the offer cannot be played to. */
  constructor(sdp: string) {
    if (!/^v=0\r?\n/.test(sdp) || !/\r?\nm=(audio|video) /.test(sdp)) {
      throw new SdpError('the body is not an SDP offer with audio or video sections');
    }
    const sections = sdp.match(/\r?\nm=/g)?.length ?? 0;
    if (sections > MAX_PLAYER_SECTIONS) {
      throw new SdpError(
        `the offer has ${sections} media sections; at most ${MAX_PLAYER_SECTIONS} are accepted`,
      );
    }
    try {
      this.#description = sdpTransform.parse(sdp);
    } catch {
      throw new SdpError('the offer is not valid SDP');
    }
    try {
      this.dtlsParameters = remoteDtlsParameters(this.#description);
    } catch (error) {
      throw new SdpError(`the offer has no usable DTLS parameters: ${(error as Error).message}`);
    }
    for (const section of this.#description.media) {
      if (section.type !== 'audio' && section.type !== 'video') continue;
      if (isClosed(section) || section.direction === 'inactive') continue;
      if (section.direction === 'sendonly') continue;
      if (section.mid === undefined) {
        throw new SdpError(`a ${section.type} section of the offer has no mid`);
      }
      if (this.slots.some((s) => s.kind === section.type)) continue;
      this.slots.push({
        mid: String(section.mid),
        kind: section.type,
        rtpCapabilities: capabilitiesOf(section),
      });
    }
    if (this.slots.length === 0) {
      throw new SdpError('the offer has no audio or video section the server may send on');
    }
  }

  /** The answer: `sent` sections send (sendonly), every other one is declined (inactive). */
  answer(
    transport: MediaTransport,
    sent: ReadonlyMap<string, SentTrack>,
    sessionId: string,
    version: number,
  ): string {
    const media: MediaSection[] = this.#description.media.map((offered) => {
      const mid = offered.mid === undefined ? undefined : String(offered.mid);
      const track = mid === undefined ? undefined : sent.get(mid);
      if (!track) return idleSection(offered, transport);
      const { rtpParameters, streamId, trackId } = track;
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
        if (encoding.rtx) {
          ssrcGroups.push({ semantics: 'FID', ssrcs: `${encoding.ssrc} ${encoding.rtx.ssrc}` });
        }
      }
      return {
        type: offered.type,
        port: 7,
        protocol: 'UDP/TLS/RTP/SAVPF',
        payloads: rtpParameters.codecs.map((c) => c.payloadType).join(' '),
        mid,
        direction: 'sendonly',
        msid: [{ id: streamId, appdata: trackId }],
        ...transportAttributes(transport, 'passive'),
        ...codecAttributes(rtpParameters.codecs),
        ext: rtpParameters.headerExtensions.map((e) => ({ value: e.id, uri: e.uri })),
        ssrcs,
        ssrcGroups,
      } as MediaSection;
    });
    const bundled = media
      .filter((m) => m.port !== 0 && m.mid !== undefined)
      .map((m) => String(m.mid));
    return sdpTransform.write({
      ...sessionHeader(sessionId, version),
      ...(bundled.length > 0 ? { groups: [{ type: 'BUNDLE', mids: bundled.join(' ') }] } : {}),
      media,
    } as sdpTransform.SessionDescription);
  }
}

/**
 * What one section says the player decodes, as engine capabilities: its codecs with their
 * payload types (so the engine sends with the player's numbers), RTX by apt, the feedback the
 * engine acts on, and the supported header extensions with the player's ids.
 */
function capabilitiesOf(section: MediaSection): RtpCapabilities {
  const kind = section.type as TrackKind;
  const codecs: CodecCapability[] = [];
  for (const rtp of section.rtp) {
    if (!Number.isInteger(rtp.payload) || rtp.payload < 0 || rtp.payload > 127) {
      throw new SdpError(
        `the ${kind} section (mid ${String(section.mid)}) has payload type ${String(rtp.payload)}; RTP payload types are 0-127`,
      );
    }
    if (/^(red|ulpfec|flexfec-03|cn|telephone-event)$/i.test(rtp.codec)) continue;
    const parameters = fmtpToParameters(
      section.fmtp.find((f) => f.payload === rtp.payload)?.config,
    );
    const rtcpFeedback = (section.rtcpFb ?? [])
      .filter((f) => String(f.payload) === String(rtp.payload) || String(f.payload) === '*')
      .map((f) => ({ type: f.type, ...(f.subtype ? { parameter: f.subtype } : {}) }))
      .filter((f) => SUPPORTED_FEEDBACK.has(f.parameter ? `${f.type} ${f.parameter}` : f.type));
    codecs.push({
      kind,
      mimeType: `${kind}/${rtp.codec}`,
      preferredPayloadType: rtp.payload,
      clockRate: rtp.rate ?? 90000,
      ...(kind === 'audio' ? { channels: Number(rtp.encoding ?? 1) } : {}),
      parameters,
      rtcpFeedback: /^rtx$/i.test(rtp.codec) ? [] : rtcpFeedback,
    });
  }
  const headerExtensions: HeaderExtensionCapability[] = (section.ext ?? [])
    .filter((e) => SUPPORTED_HEADER_EXTENSIONS.has(e.uri) && !e['encrypt-uri'])
    .map((e) => ({ kind, uri: e.uri, preferredId: e.value, direction: 'sendrecv' as const }));
  return { codecs, headerExtensions };
}

/** Whether the offered codec is the router's codec (H264: same profile and packetization). */
function sameCodec(router: CodecCapability, offered: CodecCapability): boolean {
  if (router.kind !== offered.kind) return false;
  if (router.mimeType.toLowerCase() !== offered.mimeType.toLowerCase()) return false;
  if (router.clockRate !== offered.clockRate) return false;
  if (router.kind === 'audio' && (router.channels ?? 1) !== (offered.channels ?? 1)) return false;
  if (router.mimeType.toLowerCase() !== 'video/h264') return true;
  return (
    Number(router.parameters?.['packetization-mode'] ?? 0) ===
      Number(offered.parameters?.['packetization-mode'] ?? 0) &&
    isSameProfile(router.parameters ?? {}, offered.parameters ?? {})
  );
}

/**
 * The codecs of a WHEP session's router (see PlaybackSession): per slot, the room's codec the
 * stream of its kind is sent in (`sent`, the room producers' codecs), numbered with the
 * player's payload type for it; nothing else. Only what the pipe carries: the engine numbers
 * RTX itself, and with every codec the player offers it could give an RTX the payload type
 * of another offered codec (VP8 at 96, H264 at 100: VP8's RTX at 100). RTX is left out
 * (retransmissions go on the media SSRC).
 */
export function playerCodecs(
  roomCodecs: readonly CodecCapability[],
  slots: readonly PlayerSlot[],
  sent: readonly CodecCapability[],
): CodecCapability[] {
  const result: CodecCapability[] = [];
  for (const slot of slots) {
    const codec = sent.find((c) => c.kind === slot.kind && !/\/rtx$/i.test(c.mimeType));
    if (!codec) continue;
    const room = roomCodecs.find((c) => !/\/rtx$/i.test(c.mimeType) && sameCodec(c, codec));
    const offered = slot.rtpCapabilities.codecs.find((c) => sameCodec(codec, c));
    if (!room || offered?.preferredPayloadType === undefined) continue;
    result.push({ ...room, preferredPayloadType: offered.preferredPayloadType });
  }
  return result;
}

/**
 * What to consume for one slot on the session's router: its codecs of the slot's kind (no
 * RTX) with the player's feedback, and the header extensions whose id the player and the
 * router agree on (an answer may not renumber them).
 */
export function slotCapabilities(router: RtpCapabilities, slot: PlayerSlot): RtpCapabilities {
  const codecs: CodecCapability[] = [];
  for (const codec of router.codecs) {
    if (codec.kind !== slot.kind || /\/rtx$/i.test(codec.mimeType)) continue;
    const offered = slot.rtpCapabilities.codecs.find(
      (c) => c.preferredPayloadType === codec.preferredPayloadType,
    );
    if (!offered) continue;
    codecs.push({ ...codec, rtcpFeedback: offered.rtcpFeedback ?? [] });
  }
  const headerExtensions = router.headerExtensions.filter(
    (h) =>
      h.kind === slot.kind &&
      slot.rtpCapabilities.headerExtensions.some(
        (o) => o.uri === h.uri && o.preferredId === h.preferredId,
      ),
  );
  return { codecs, headerExtensions };
}
