/**
 * SDP pieces both directions share: the server side of a bundled ICE-lite + DTLS transport,
 * codec lines from RTP parameters, and the remote DTLS parameters of an SDP. The SDK stays a
 * plain WebRTC client: all SDP ↔ RTP-parameter translation happens here (see README).
 */
import type { MediaAttributes, SessionDescription } from 'sdp-transform';
import type { MediaTransport } from '../media/MediaEngine.js';
import type { DtlsParameters, RtpCodec, RtpParameters } from '../media/types.js';

export type MediaSection = SessionDescription['media'][number];

/**
 * Header extensions the media engine understands (others are not negotiated); each must be in
 * mediasoup's supported capabilities (checked by media/mediasoup/capabilities.test.ts):
 * mediasoup rejects a producer with one it does not know, e.g. toffset since 3.28.
 */
export const SUPPORTED_HEADER_EXTENSIONS = new Set([
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'urn:3gpp:video-orientation',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time',
  'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay',
]);

/** RTCP feedback the engine acts on. */
export const SUPPORTED_FEEDBACK = new Set([
  'nack',
  'nack pli',
  'ccm fir',
  'goog-remb',
  'transport-cc',
]);

export function fmtpToParameters(config: string | undefined): Record<string, string | number> {
  const parameters: Record<string, string | number> = {};
  for (const part of (config ?? '').split(';')) {
    const [key, value] = part.split('=');
    if (!key?.trim() || value === undefined) continue;
    const trimmed = value.trim();
    parameters[key.trim()] = /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
  }
  return parameters;
}

export function parametersToFmtp(parameters: Record<string, string | number> | undefined): string {
  return Object.entries(parameters ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(';');
}

/** Codec lines (rtpmap, fmtp, rtcp-fb) of one m-section. */
export function codecAttributes(
  codecs: readonly RtpCodec[],
): Pick<MediaAttributes, 'rtp' | 'fmtp' | 'rtcpFb'> {
  const rtp: MediaAttributes['rtp'] = [];
  const fmtp: MediaAttributes['fmtp'] = [];
  const rtcpFb: NonNullable<MediaAttributes['rtcpFb']> = [];
  for (const codec of codecs) {
    const [, name = ''] = codec.mimeType.split('/');
    rtp.push({
      payload: codec.payloadType,
      codec: name,
      rate: codec.clockRate,
      ...(codec.channels !== undefined && codec.channels > 1 ? { encoding: codec.channels } : {}),
    });
    const config = parametersToFmtp(codec.parameters);
    if (config) fmtp.push({ payload: codec.payloadType, config });
    for (const fb of codec.rtcpFeedback ?? []) {
      rtcpFb.push({
        payload: String(codec.payloadType),
        type: fb.type,
        ...(fb.parameter ? { subtype: fb.parameter } : {}),
      });
    }
  }
  return { rtp, fmtp, rtcpFb };
}

/** The transport half of a server m-section: ICE-lite credentials, candidates, DTLS. */
export function transportAttributes(
  transport: MediaTransport,
  setup: 'actpass' | 'passive',
): Partial<MediaSection> {
  const fingerprint =
    transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ??
    transport.dtlsParameters.fingerprints[0];
  if (!fingerprint) throw new Error('the media transport has no DTLS fingerprint');
  return {
    connection: { version: 4, ip: '127.0.0.1' },
    iceUfrag: transport.iceParameters.usernameFragment,
    icePwd: transport.iceParameters.password,
    fingerprint: { type: fingerprint.algorithm, hash: fingerprint.value },
    setup,
    rtcpMux: 'rtcp-mux',
    rtcpRsize: 'rtcp-rsize',
    candidates: transport.iceCandidates.map((c) => ({
      foundation: c.foundation,
      component: 1,
      transport: c.protocol,
      priority: c.priority,
      ip: c.address,
      port: c.port,
      type: c.type,
      ...(c.tcpType ? { tcptype: c.tcpType } : {}),
    })),
    endOfCandidates: 'end-of-candidates',
  };
}

export function sessionHeader(
  sessionId: string,
  version: number,
): Omit<SessionDescription, 'media'> {
  return {
    version: 0,
    origin: {
      username: 'parley',
      sessionId,
      sessionVersion: version,
      netType: 'IN',
      ipVer: 4,
      address: '0.0.0.0',
    },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    msidSemantic: { semantic: 'WMS', token: '*' },
  };
}

/**
 * The remote side's DTLS parameters. Its `setup` says who starts the handshake: active (or
 * actpass, which we answer passive) makes it the DTLS client.
 */
export function remoteDtlsParameters(description: SessionDescription): DtlsParameters {
  const media = description.media.find((m) => m.port !== 0) ?? description.media[0];
  const fingerprint = media?.fingerprint ?? description.fingerprint;
  if (!fingerprint) throw new Error('the SDP carries no DTLS fingerprint');
  const setup = media?.setup ?? description.setup ?? 'actpass';
  return {
    role: setup === 'passive' ? 'server' : 'client',
    fingerprints: [{ algorithm: fingerprint.type, value: fingerprint.hash }],
  };
}

/** Header extensions of a section that the engine supports. */
export function supportedExtensions(section: MediaSection): RtpParameters['headerExtensions'] {
  return (section.ext ?? [])
    .filter((e) => SUPPORTED_HEADER_EXTENSIONS.has(e.uri) && !e['encrypt-uri'])
    .map((e) => ({ uri: e.uri, id: e.value }));
}

/**
 * A section the server does not use in its answer (inactive). One the offerer closed, or one
 * without a mid, is rejected (port 0); one the client keeps open (a parked transceiver) stays in
 * the bundle, idle: rejecting the bundle's first section would move the whole transport.
 */
export function idleSection(offered: MediaSection, transport: MediaTransport): MediaSection {
  const mid = offered.mid === undefined ? undefined : String(offered.mid);
  const first = offered.rtp[0];
  const rejected = {
    type: offered.type,
    port: 0,
    protocol: offered.protocol,
    payloads: String(first?.payload ?? 0),
    rtp: first ? [first] : [],
    fmtp: [],
    ...(mid !== undefined ? { mid } : {}),
    direction: 'inactive' as const,
    connection: { version: 4, ip: '0.0.0.0' },
  };
  if (isClosed(offered) || mid === undefined) return rejected as MediaSection;
  return { ...rejected, port: 7, ...transportAttributes(transport, 'passive') } as MediaSection;
}

/**
 * A section the offerer closed (port 0), not one it put in the bundle with port 0 and
 * a=bundle-only (RFC 8843 §7.3.3; GStreamer's webrtcbin does so with max-bundle).
 */
export function isClosed(section: MediaSection): boolean {
  return section.port === 0 && section.bundleOnly === undefined;
}
