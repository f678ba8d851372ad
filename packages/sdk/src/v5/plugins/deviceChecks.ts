/**
 * The measurements behind the DeviceDetector dialog, each watching the real thing: camera
 * frames presented by a <video>, the microphone's level through an AnalyserNode, a test tone
 * that starts playing on the chosen speaker, and the network graded by a short session of a
 * second TRTC instance in a Parley room (NETWORK_QUALITY's uplink grade and round trip).
 */
import type { NetworkQualityEvent } from '../../engine/networkQuality.js';

/** A device a check could not name (none found, or no permission to list it). */
export function unknownDevice(kind: MediaDeviceKind): MediaDeviceInfo {
  const info = { deviceId: '', groupId: '', kind, label: '' };
  return { ...info, toJSON: () => info };
}

export async function listDevices(kind: MediaDeviceKind): Promise<MediaDeviceInfo[]> {
  try {
    return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === kind);
  } catch {
    return [];
  }
}

/** The listed device a track was opened on (its label when the list has no match). */
export async function deviceOfTrack(
  track: MediaStreamTrack,
  kind: MediaDeviceKind,
): Promise<MediaDeviceInfo> {
  const id = track.getSettings().deviceId ?? '';
  const listed = (await listDevices(kind)).find((d) => d.deviceId === id);
  if (listed) return listed;
  const info = {
    deviceId: id,
    groupId: track.getSettings().groupId ?? '',
    kind,
    label: track.label,
  };
  return { ...info, toJSON: () => info };
}

/** A short name for a getUserMedia failure the dialog shows. */
export function captureProblem(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError') return 'access was denied (allow it in the browser)';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'no such device found';
  if (name === 'NotReadableError') return 'the device is in use by another program';
  return error instanceof Error ? error.message : String(error);
}

/** Calls `onFrames(count)` as a <video> presents frames of its track; returns a stop. */
export function watchFrames(
  video: HTMLVideoElement,
  onFrames: (count: number) => void,
): () => void {
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped || video.videoWidth === 0) return;
    onFrames(video.getVideoPlaybackQuality().totalVideoFrames);
  }, 200);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/** Calls `onLevel(0..1)` with the track's peak level every 100 ms; returns a stop. */
export function watchLevel(track: MediaStreamTrack, onLevel: (level: number) => void): () => void {
  const context = new AudioContext();
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  void context.resume().catch(() => undefined);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) peak = Math.max(peak, Math.abs(s));
    onLevel(Math.min(1, peak));
  }, 100);
  return () => {
    clearInterval(timer);
    source.disconnect();
    void context.close().catch(() => undefined);
  };
}

/** A one-second 440 Hz WAV (16-bit mono) for the speaker test, as a blob: URL. */
export function testToneUrl(): string {
  const rate = 16_000;
  const samples = rate;
  const data = new DataView(new ArrayBuffer(44 + samples * 2));
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) data.setUint8(at + i, s.charCodeAt(i));
  };
  text(0, 'RIFF');
  data.setUint32(4, 36 + samples * 2, true);
  text(8, 'WAVEfmt ');
  data.setUint32(16, 16, true);
  data.setUint16(20, 1, true);
  data.setUint16(22, 1, true);
  data.setUint32(24, rate, true);
  data.setUint32(28, rate * 2, true);
  data.setUint16(32, 2, true);
  data.setUint16(34, 16, true);
  text(36, 'data');
  data.setUint32(40, samples * 2, true);
  for (let i = 0; i < samples; i++) {
    const fade = Math.min(1, i / 800, (samples - i) / 800);
    data.setInt16(
      44 + i * 2,
      Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12_000 * fade),
      true,
    );
  }
  return URL.createObjectURL(new Blob([data.buffer], { type: 'audio/wav' }));
}

/** The part of a TRTC instance the network test drives. */
export interface ProbeInstance {
  enterRoom(options: {
    sdkAppId: number;
    userId: string;
    userSig: string;
    roomId: number;
  }): Promise<void>;
  startLocalAudio(config: { option: { audioTrack: MediaStreamTrack } }): Promise<void>;
  exitRoom(): Promise<void>;
  destroy(): void;
  on(event: 'network-quality', handler: (event: NetworkQualityEvent) => void): unknown;
}

export interface NetworkTarget {
  sdkAppId: number;
  userId: string;
  userSig: string;
  roomId?: number;
}

export interface NetworkResult {
  quality: number;
  rtt: number;
}

/** How long the uplink is measured, and the grades needed (NETWORK_QUALITY comes every 2 s). */
export const NETWORK_TEST_MS = 6000;
const MIN_SAMPLES = 2;

/**
 * Enters `target`'s room with a fresh instance (a Parley room as v5's detector enters a TRTC
 * one), sends a quiet tone, and averages the uplink grade and round trip NETWORK_QUALITY
 * reports over NETWORK_TEST_MS (and until MIN_SAMPLES graded ones came). Rejects when the
 * room cannot be entered (a bad userSig: the server's refusal as v5 reports it).
 */
export async function measureNetwork(
  probe: ProbeInstance,
  target: NetworkTarget,
  onProgress: (remainingMs: number) => void,
  signal: AbortSignal,
): Promise<NetworkResult> {
  const samples: NetworkQualityEvent[] = [];
  probe.on('network-quality', (event) => {
    if (event.uplinkNetworkQuality > 0) samples.push(event);
  });
  const context = new AudioContext();
  const tone = context.createOscillator();
  const gain = context.createGain();
  gain.gain.value = 0.05;
  const out = context.createMediaStreamDestination();
  tone.connect(gain).connect(out);
  tone.start();
  try {
    await probe.enterRoom({
      sdkAppId: target.sdkAppId,
      userId: target.userId,
      userSig: target.userSig,
      // v5's detector's room when none is given.
      roomId: target.roomId ?? 8080,
    });
    await probe.startLocalAudio({ option: { audioTrack: out.stream.getAudioTracks()[0]! } });
    const started = Date.now();
    const limit = NETWORK_TEST_MS * 3;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = Date.now() - started;
        onProgress(Math.max(0, NETWORK_TEST_MS - elapsed));
        const enough = elapsed >= NETWORK_TEST_MS && samples.length >= MIN_SAMPLES;
        if (enough || elapsed >= limit || signal.aborted) {
          clearInterval(timer);
          resolve();
        }
      }, 250);
    });
  } finally {
    tone.stop();
    void context.close().catch(() => undefined);
    await probe.exitRoom().catch(() => undefined);
    probe.destroy();
  }
  if (samples.length === 0) return { quality: 0, rtt: 0 };
  const mean = (f: (e: NetworkQualityEvent) => number) =>
    Math.round(samples.reduce((sum, e) => sum + f(e), 0) / samples.length);
  return { quality: mean((e) => e.uplinkNetworkQuality), rtt: mean((e) => e.uplinkRTT) };
}
