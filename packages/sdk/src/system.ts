/** Browser capability checks and device lists (`TRTC.checkSystemRequirements()`, `TRTC.getCameras()`, ...). */
import { RtcError } from './errors/RtcError.js';
import { isSupportedBrowser, probeVideoCodecs } from './codecSupport.js';

export interface SystemRequirements {
  result: boolean;
  detail: {
    isBrowserSupported: boolean;
    isWebRTCSupported: boolean;
    isMediaDevicesSupported: boolean;
    isH264EncodeSupported: boolean;
    isVp8EncodeSupported: boolean;
    isH264DecodeSupported: boolean;
    isVp8DecodeSupported: boolean;
  };
}

function hasMediaDevices(): boolean {
  return (
    typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function'
  );
}

/**
 * What this browser can do, probed (codecs from the WebRTC capabilities, see
 * codecSupport.ts). `result`: a call can work, i.e. a supported browser with WebRTC and a
 * codec the server forwards (VP8 or H.264) it can both encode and decode. Camera access is
 * reported but not required (an audience member needs none).
 */
export async function checkSystemRequirements(): Promise<SystemRequirements> {
  const isWebRTCSupported = typeof RTCPeerConnection !== 'undefined';
  const { send, receive } = await probeVideoCodecs();
  const userAgent = typeof navigator === 'undefined' ? '' : navigator.userAgent;
  const detail = {
    isBrowserSupported:
      isWebRTCSupported && typeof WebSocket !== 'undefined' && isSupportedBrowser(userAgent),
    isWebRTCSupported,
    isMediaDevicesSupported: hasMediaDevices(),
    isH264EncodeSupported: send.has('video/h264'),
    isVp8EncodeSupported: send.has('video/vp8'),
    isH264DecodeSupported: receive.has('video/h264'),
    isVp8DecodeSupported: receive.has('video/vp8'),
  };
  const result =
    detail.isBrowserSupported &&
    ((detail.isVp8EncodeSupported && detail.isVp8DecodeSupported) ||
      (detail.isH264EncodeSupported && detail.isH264DecodeSupported));
  return { result, detail };
}

/** Whether this browser can capture a screen (`createStream({screen: true})`). */
export function isScreenShareSupported(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    typeof navigator.mediaDevices?.getDisplayMedia === 'function'
  );
}

/**
 * Whether this browser can publish a small stream: the SDK sends it as a second simulcast
 * encoding (transceiver `sendEncodings` with rids), in VP8, which every WebRTC browser has.
 */
export function isSmallStreamSupported(): boolean {
  if (
    typeof RTCPeerConnection === 'undefined' ||
    typeof RTCRtpTransceiver === 'undefined' ||
    typeof RTCRtpSender === 'undefined' ||
    typeof RTCPeerConnection.prototype.addTransceiver !== 'function' ||
    typeof RTCRtpSender.prototype.setParameters !== 'function' ||
    typeof RTCRtpSender.getCapabilities !== 'function'
  ) {
    return false;
  }
  const codecs = RTCRtpSender.getCapabilities('video')?.codecs ?? [];
  return codecs.some((c) => c.mimeType.toLowerCase() === 'video/vp8');
}

async function devices(kind?: MediaDeviceKind): Promise<MediaDeviceInfo[]> {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices?.enumerateDevices) {
    throw RtcError.notSupported(
      'navigator.mediaDevices.enumerateDevices is unavailable (the page must be served over https or from localhost)',
    );
  }
  const all = await navigator.mediaDevices.enumerateDevices();
  return kind === undefined ? all : all.filter((d) => d.kind === kind);
}

export const getDevices = (): Promise<MediaDeviceInfo[]> => devices();
/**
 * Typed `InputDeviceInfo[]` as trtc-js-sdk 4.15 types them: browsers list input devices as
 * InputDeviceInfo (with `getCapabilities()`) where they have that interface.
 */
export const getCameras = (): Promise<InputDeviceInfo[]> =>
  devices('videoinput') as Promise<InputDeviceInfo[]>;
export const getMicrophones = (): Promise<InputDeviceInfo[]> =>
  devices('audioinput') as Promise<InputDeviceInfo[]>;
export const getSpeakers = (): Promise<MediaDeviceInfo[]> => devices('audiooutput');
