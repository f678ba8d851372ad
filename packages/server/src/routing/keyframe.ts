/**
 * Keyframe detection from RTP payloads, so the router can start a new subscriber on a
 * decodable frame and keep the latest keyframe for instant video.
 */

/** True when this VP8 packet starts a keyframe (RFC 7741 §4.2-4.3). */
export function isVp8KeyframeStart(payload: Uint8Array): boolean {
  if (payload.length < 1) return false;
  const first = payload[0]!;
  const extended = (first & 0x80) !== 0;
  const startOfPartition = (first & 0x10) !== 0;
  const partitionId = first & 0x0f;
  if (!startOfPartition || partitionId !== 0) return false;
  let offset = 1;
  if (extended) {
    if (payload.length < 2) return false;
    const ext = payload[1]!;
    offset = 2;
    if (ext & 0x80) {
      // PictureID: one byte, or two when its M bit is set.
      if (payload.length <= offset) return false;
      offset += payload[offset]! & 0x80 ? 2 : 1;
    }
    if (ext & 0x40) offset += 1; // TL0PICIDX
    if (ext & 0x30) offset += 1; // TID/Y/KEYIDX
  }
  if (payload.length <= offset) return false;
  // VP8 payload header: P bit (inverse keyframe flag) is the lowest bit of the first byte.
  return (payload[offset]! & 0x01) === 0;
}

/** True when this H264 packet starts an IDR access unit or carries SPS (RFC 6184). */
export function isH264KeyframeStart(payload: Uint8Array): boolean {
  if (payload.length < 1) return false;
  const nalType = payload[0]! & 0x1f;
  if (nalType === 5 || nalType === 7) return true;
  if (nalType === 24) {
    // STAP-A: aggregated NAL units, each preceded by a 16-bit size.
    let offset = 1;
    while (offset + 2 < payload.length) {
      const size = (payload[offset]! << 8) | payload[offset + 1]!;
      const inner = payload[offset + 2]! & 0x1f;
      if (inner === 5 || inner === 7) return true;
      offset += 2 + size;
    }
    return false;
  }
  if (nalType === 28 && payload.length >= 2) {
    // FU-A: the start bit and the original NAL type are in the FU header.
    const fuHeader = payload[1]!;
    return (fuHeader & 0x80) !== 0 && ((fuHeader & 0x1f) === 5 || (fuHeader & 0x1f) === 7);
  }
  return false;
}

export type KeyframeDetector = (payload: Uint8Array) => boolean;

/** The detector for a codec, or null for codecs whose every packet is independent (audio). */
export function keyframeDetectorFor(mimeType: string): KeyframeDetector | null {
  switch (mimeType.toLowerCase()) {
    case 'video/vp8':
      return isVp8KeyframeStart;
    case 'video/h264':
      return isH264KeyframeStart;
    default:
      return null;
  }
}
