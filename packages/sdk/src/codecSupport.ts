/**
 * Which video codecs this browser can encode and decode, for checkSystemRequirements():
 * RTCRtpSender/RTCRtpReceiver.getCapabilities() where they exist, else the codecs a
 * throw-away RTCPeerConnection puts in an offer (older Safari and Firefox), which lists what
 * it can both send and receive.
 */

export interface VideoCodecSupport {
  /** lower-case MIME types, e.g. 'video/vp8' */
  send: ReadonlySet<string>;
  receive: ReadonlySet<string>;
}

function fromCapabilities(direction: 'send' | 'receive'): string[] | undefined {
  try {
    const api = direction === 'send' ? globalThis.RTCRtpSender : globalThis.RTCRtpReceiver;
    const capabilities = api?.getCapabilities?.('video');
    return capabilities?.codecs.map((c) => c.mimeType.toLowerCase());
  } catch {
    return undefined;
  }
}

/** `a=rtpmap:96 VP8/90000` lines of an SDP → `video/vp8`. */
export function codecsInSdp(sdp: string): string[] {
  const names = new Set<string>();
  for (const match of sdp.matchAll(/^a=rtpmap:\d+ ([\w-]+)\/\d+/gm)) {
    names.add(`video/${match[1]!.toLowerCase()}`);
  }
  return [...names];
}

async function fromOffer(): Promise<string[]> {
  if (typeof RTCPeerConnection === 'undefined') return [];
  let pc: RTCPeerConnection | undefined;
  try {
    pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'sendrecv' });
    const offer = await pc.createOffer();
    return codecsInSdp(offer.sdp ?? '');
  } catch {
    return [];
  } finally {
    pc?.close();
  }
}

export async function probeVideoCodecs(): Promise<VideoCodecSupport> {
  const send = fromCapabilities('send');
  const receive = fromCapabilities('receive');
  if (send && receive) return { send: new Set(send), receive: new Set(receive) };
  const offered = await fromOffer();
  return { send: new Set(send ?? offered), receive: new Set(receive ?? offered) };
}

/**
 * Browsers older than what v4 supports (Chrome 56, Firefox 56, Safari 11, Edge 80) lack
 * the WebRTC pieces the SDK relies on even where RTCPeerConnection exists.
 */
export function isSupportedBrowser(userAgent: string): boolean {
  const version = (pattern: RegExp): number | undefined => {
    const match = pattern.exec(userAgent);
    return match ? Number(match[1]) : undefined;
  };
  const edge = version(/Edg(?:e|A|iOS)?\/(\d+)/);
  if (edge !== undefined) return edge >= 80;
  const firefox = version(/Firefox\/(\d+)/);
  if (firefox !== undefined) return firefox >= 56;
  const chrome = version(/Chrom(?:e|ium)\/(\d+)/);
  if (chrome !== undefined) return chrome >= 56;
  const safari = /Safari\//.test(userAgent) ? version(/Version\/(\d+)/) : undefined;
  if (safari !== undefined) return safari >= 11;
  // Unknown engines get the benefit of the doubt: the WebRTC checks decide.
  return true;
}
