/** Browser capability checks and device lists (`TRTC.checkSystemRequirements()`, `TRTC.getCameras()`, ...). */
import { RtcError } from './errors/RtcError.js';

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

function videoCodecs(direction: 'send' | 'receive'): string[] {
  try {
    const api = direction === 'send' ? globalThis.RTCRtpSender : globalThis.RTCRtpReceiver;
    const capabilities = api?.getCapabilities?.('video');
    return capabilities?.codecs.map((c) => c.mimeType.toLowerCase()) ?? [];
  } catch {
    return [];
  }
}

function hasMediaDevices(): boolean {
  return (
    typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function'
  );
}

/** What this browser can do; `result` is whether a call can work at all. */
export async function checkSystemRequirements(): Promise<SystemRequirements> {
  const isWebRTCSupported = typeof RTCPeerConnection !== 'undefined';
  const send = videoCodecs('send');
  const receive = videoCodecs('receive');
  const detail = {
    isBrowserSupported: isWebRTCSupported && typeof WebSocket !== 'undefined',
    isWebRTCSupported,
    isMediaDevicesSupported: hasMediaDevices(),
    isH264EncodeSupported: send.includes('video/h264'),
    isVp8EncodeSupported: send.includes('video/vp8'),
    isH264DecodeSupported: receive.includes('video/h264'),
    isVp8DecodeSupported: receive.includes('video/vp8'),
  };
  const result =
    detail.isBrowserSupported && (detail.isVp8DecodeSupported || detail.isH264DecodeSupported);
  return { result, detail };
}

/** Screen sharing is not implemented yet, so apps hide the feature. */
export function isScreenShareSupported(): boolean {
  return false;
}

/** Simulcast (the small stream) is not implemented yet. */
export function isSmallStreamSupported(): boolean {
  return false;
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
export const getCameras = (): Promise<MediaDeviceInfo[]> => devices('videoinput');
export const getMicrophones = (): Promise<MediaDeviceInfo[]> => devices('audioinput');
export const getSpeakers = (): Promise<MediaDeviceInfo[]> => devices('audiooutput');
