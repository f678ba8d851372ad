/**
 * `sendSEIMessage()` arguments and the base64 the signaling protocol carries them in. Parley
 * relays SEI through the server over the signaling socket (not inside the H.264 stream), so
 * messages arrive in order per sender, with any codec; the server releases each right after
 * it forwards the sender's next video frame, so it arrives with that frame, not ahead of it.
 */
import { MAX_SEI_BYTES, SEI_PAYLOAD_TYPES } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';

export type SeiPayloadType = (typeof SEI_PAYLOAD_TYPES)[number];

export interface SeiOptions {
  /** 243 (default) or 5. */
  seiPayloadType?: number;
}

/** v4 sends 243 (custom payload) unless told otherwise. */
const DEFAULT_PAYLOAD_TYPE: SeiPayloadType = 243;

/** The message bytes and payload type, or INVALID_PARAMETER saying what is wrong. */
export function checkSeiArgs(
  buffer: unknown,
  options: unknown,
): { bytes: Uint8Array; payloadType: SeiPayloadType } {
  let bytes: Uint8Array;
  if (buffer instanceof ArrayBuffer) bytes = new Uint8Array(buffer);
  else if (ArrayBuffer.isView(buffer))
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  else {
    throw RtcError.invalidParameter(
      `sendSEIMessage() needs an ArrayBuffer (or a Uint8Array), got ${buffer === null ? 'null' : typeof buffer}`,
    );
  }
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_SEI_BYTES) {
    throw RtcError.invalidParameter(
      `an SEI message must be 1 to ${MAX_SEI_BYTES} bytes, got ${bytes.byteLength}`,
    );
  }
  let payloadType: SeiPayloadType = DEFAULT_PAYLOAD_TYPE;
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object') {
      throw RtcError.invalidParameter(`sendSEIMessage() options must be an object`);
    }
    const requested = (options as { seiPayloadType?: unknown }).seiPayloadType;
    if (requested !== undefined) {
      if (!SEI_PAYLOAD_TYPES.includes(requested as SeiPayloadType)) {
        throw RtcError.invalidParameter(
          `seiPayloadType must be ${SEI_PAYLOAD_TYPES.join(' or ')}, got ${String(requested)}`,
        );
      }
      payloadType = requested as SeiPayloadType;
    }
  }
  return { bytes, payloadType };
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The bytes as a fresh ArrayBuffer (what `sei-message` hands the app). */
export function fromBase64(text: string): ArrayBuffer {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}
