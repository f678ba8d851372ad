/**
 * A publisher's offer, read into what the engine needs to produce each track (RTP
 * parameters: the chosen codec with its RTX, header extensions, SSRCs or simulcast RIDs),
 * and the answer that accepts those tracks on the server's transport.
 */
import type { TrackKind } from '@parley/protocol';
import { isSameProfile } from 'h264-profile-level-id';
import * as sdpTransform from 'sdp-transform';
import type { MediaTransport } from '../media/MediaEngine.js';
import type {
  CodecCapability,
  DtlsParameters,
  RtpCodec,
  RtpEncoding,
  RtpParameters,
} from '../media/types.js';
import {
  codecAttributes,
  fmtpToParameters,
  idleSection,
  isClosed,
  remoteDtlsParameters,
  sessionHeader,
  SUPPORTED_FEEDBACK,
  supportedExtensions,
  transportAttributes,
  type MediaSection,
} from './sdpCommon.js';

export interface OfferedTrack {
  mid: string;
  kind: TrackKind;
  rtpParameters: RtpParameters;
}

/** Start bitrate (kbit/s) for a publisher's video, in the answer's fmtp (Chrome reads it). */
const VIDEO_START_KBPS = 1000;

export class SdpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SdpError';
  }
}

/** Media sections a publish offer may carry (main + auxiliary, audio + video, and spares). */
export const MAX_PUBLISH_SECTIONS = 8;

export class PublishOffer {
  readonly #description: sdpTransform.SessionDescription;
  /** Accepted tracks, in m-line order. */
  readonly tracks: OfferedTrack[] = [];
  readonly dtlsParameters: DtlsParameters;

  /**
   * What makes `sdp` no publish offer at all, checked before it is parsed (a client's text):
   * not SDP with audio or video, or more sections than any publisher needs. Null: go on.
   */
  static problem(sdp: string): string | null {
    if (!/^v=0\r?\n/.test(sdp) || !/\r?\nm=(audio|video) /.test(sdp)) {
      return 'publish sdp is not an SDP offer with audio or video sections';
    }
    const sections = sdp.match(/\r?\nm=/g)?.length ?? 0;
    if (sections > MAX_PUBLISH_SECTIONS) {
      return `publish sdp has ${sections} media sections; at most ${MAX_PUBLISH_SECTIONS} are accepted`;
    }
    return null;
  }

  /** @throws SdpError with a message for the client when the offer cannot be used. */
  constructor(sdp: string, capabilities: readonly CodecCapability[]) {
    try {
      this.#description = sdpTransform.parse(sdp);
    } catch {
      throw new SdpError('the publish offer is not valid SDP');
    }
    if (this.#description.media.length === 0)
      throw new SdpError('the publish offer has no media sections');
    try {
      this.dtlsParameters = remoteDtlsParameters(this.#description);
    } catch (error) {
      throw new SdpError(
        `the publish offer has no usable DTLS parameters: ${(error as Error).message}`,
      );
    }
    for (const section of this.#description.media) {
      if (isClosed(section) || section.direction === 'inactive' || section.direction === 'recvonly')
        continue;
      if (section.type !== 'audio' && section.type !== 'video') continue;
      if (section.mid === undefined)
        throw new SdpError(`a ${section.type} section of the publish offer has no mid`);
      const rtpParameters = readTrack(section, capabilities);
      if (rtpParameters)
        this.tracks.push({ mid: String(section.mid), kind: section.type, rtpParameters });
    }
  }

  /** The answer: every offered section, accepted (recvonly) when listed in `accepted`. */
  answer(transport: MediaTransport, accepted: ReadonlySet<string>, version: number): string {
    const media: MediaSection[] = this.#description.media.map((offered) => {
      const mid = offered.mid === undefined ? undefined : String(offered.mid);
      const track =
        mid !== undefined && accepted.has(mid) ? this.tracks.find((t) => t.mid === mid) : undefined;
      if (!track) return idleSection(offered, transport);
      // Chrome starts a new video sender near 300 kbit/s and climbs as congestion control
      // allows; starting at 1 Mbit/s gives a full-size first picture on a clear path.
      const codecs = track.rtpParameters.codecs.map((c) =>
        track.kind === 'video' && !/\/rtx$/i.test(c.mimeType)
          ? { ...c, parameters: { ...c.parameters, 'x-google-start-bitrate': VIDEO_START_KBPS } }
          : c,
      );
      return {
        type: offered.type,
        port: 7,
        protocol: 'UDP/TLS/RTP/SAVPF',
        payloads: codecs.map((c) => c.payloadType).join(' '),
        mid: track.mid,
        direction: 'recvonly',
        ...transportAttributes(transport, 'passive'),
        ...codecAttributes(codecs),
        ext: track.rtpParameters.headerExtensions.map((e) => ({ value: e.id, uri: e.uri })),
        ...(offered.rids && offered.simulcast
          ? {
              rids: offered.rids.map((r) => ({ id: r.id, direction: 'recv' })),
              simulcast: { dir1: 'recv', list1: offered.simulcast.list1 },
            }
          : {}),
      } as MediaSection;
    });
    const bundled = media
      .filter((m) => m.port !== 0 && m.mid !== undefined)
      .map((m) => String(m.mid));
    return sdpTransform.write({
      ...sessionHeader(this.#description.origin?.sessionId?.toString() ?? '0', version),
      ...(bundled.length > 0 ? { groups: [{ type: 'BUNDLE', mids: bundled.join(' ') }] } : {}),
      media,
    } as sdpTransform.SessionDescription);
  }
}

/**
 * The RTP parameters of one offered section: the first codec (in the client's preference
 * order... VP8 first when offered, as every browser decodes it) that the router carries, its
 * RTX, the supported feedback and header extensions, and the sender's SSRCs or RIDs.
 */
function readTrack(
  section: MediaSection,
  capabilities: readonly CodecCapability[],
): RtpParameters | null {
  const kind = section.type as TrackKind;
  const fmtpOf = (pt: number) =>
    fmtpToParameters(section.fmtp.find((f) => f.payload === pt)?.config);
  const offered: RtpCodec[] = section.rtp.map((r) => ({
    mimeType: `${kind}/${r.codec}`,
    payloadType: r.payload,
    clockRate: r.rate ?? 90000,
    ...(kind === 'audio' ? { channels: Number(r.encoding ?? 1) } : {}),
    parameters: fmtpOf(r.payload),
    rtcpFeedback: (section.rtcpFb ?? [])
      .filter((f) => String(f.payload) === String(r.payload) || String(f.payload) === '*')
      .map((f) => ({ type: f.type, ...(f.subtype ? { parameter: f.subtype } : {}) }))
      .filter((f) => SUPPORTED_FEEDBACK.has(f.parameter ? `${f.type} ${f.parameter}` : f.type)),
  }));
  const carried = (codec: RtpCodec) =>
    capabilities.some((cap) => {
      if (cap.kind !== kind || cap.mimeType.toLowerCase() !== codec.mimeType.toLowerCase())
        return false;
      if (cap.clockRate !== codec.clockRate) return false;
      if (codec.mimeType.toLowerCase() !== 'video/h264') return true;
      const params = codec.parameters ?? {};
      const capParams = cap.parameters ?? {};
      // By profile as RFC 6184 reads profile-level-id (42c0.. and 42e0.. are both constrained
      // baseline, as x264 and Chrome write it), as the engine itself matches them.
      return (
        Number(params['packetization-mode'] ?? 0) ===
          Number(capParams['packetization-mode'] ?? 0) && isSameProfile(params, capParams)
      );
    });
  const candidates = offered.filter(
    (c) => !/\/(rtx|red|ulpfec|flexfec-03|cn|telephone-event)$/i.test(c.mimeType) && carried(c),
  );
  const vp8 = candidates.find((c) => c.mimeType.toLowerCase() === 'video/vp8');
  const chosen = vp8 ?? candidates[0];
  if (!chosen) return null;
  const codecs: RtpCodec[] = [chosen];
  const rtx = offered.find(
    (c) =>
      c.mimeType.toLowerCase() === `${kind}/rtx` &&
      Number(c.parameters?.apt) === chosen.payloadType,
  );
  if (rtx) codecs.push({ ...rtx, rtcpFeedback: [] });

  const encodings: RtpEncoding[] = [];
  const cname = section.ssrcs?.find((s) => s.attribute === 'cname')?.value;
  if (section.rids && section.rids.length > 0 && section.simulcast) {
    // Chrome sends each simulcast encoding of VP8 with 3 temporal layers; the SDP does not say
    // so. Declared as L1T1 the engine would forward temporal layer 0 only (a quarter of the
    // frames); L1T3 is harmless for a stream with fewer (its packets all count as layer 0).
    for (const rid of section.rids)
      if (rid.direction === 'send')
        encodings.push({ rid: String(rid.id), scalabilityMode: 'L1T3' });
  } else {
    const fid = section.ssrcGroups?.find((g) => g.semantics === 'FID');
    const [primary, repair] = fid
      ? fid.ssrcs.split(' ').map(Number)
      : [Number(section.ssrcs?.[0]?.id)];
    if (primary === undefined || !Number.isFinite(primary)) {
      throw new SdpError(`the ${kind} section (mid ${String(section.mid)}) names no SSRC`);
    }
    encodings.push({
      ssrc: primary,
      ...(rtx && repair !== undefined ? { rtx: { ssrc: repair } } : {}),
    });
  }
  return {
    mid: String(section.mid),
    codecs,
    headerExtensions: supportedExtensions(section),
    encodings,
    rtcp: { ...(cname ? { cname } : {}), reducedSize: true },
  };
}
