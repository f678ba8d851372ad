/**
 * The media every publisher sends: 10 s of high-entropy 720p30 VP8 (~1.8 Mbit/s) and Opus,
 * encoded once by ffmpeg into bench/.cache, then packetized here into RTP payloads with their
 * send times. Both servers get byte-identical packets in the same schedule.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CACHE = new URL('../.cache/', import.meta.url).pathname;
const SECONDS = 10;
const VP8_MAX_PAYLOAD = 1100;

export interface MediaPacket {
  kind: 'audio' | 'video';
  /** Offset of the send time from the start of the loop, ms. */
  atMs: number;
  /** RTP timestamp offset from the loop start (90 kHz video, 48 kHz audio). */
  rtpTs: number;
  marker: boolean;
  payload: Buffer;
}

export interface Media {
  packets: MediaPacket[];
  /** Length of one loop, ms. */
  loopMs: number;
  videoFrames: number;
  videoKbps: number;
}

function encode(): { ivf: string; ogg: string } {
  mkdirSync(CACHE, { recursive: true });
  const ivf = join(CACHE, 'video-720p-vp8.ivf');
  const ogg = join(CACHE, 'audio-opus.ogg');
  if (!existsSync(ivf)) {
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30,noise=alls=30:allf=t+u`],
      ...['-t', String(SECONDS), '-c:v', 'libvpx', '-b:v', '1800k', '-minrate', '1800k'],
      ...['-maxrate', '1800k', '-bufsize', '900k', '-g', '60', '-keyint_min', '60'],
      ...['-deadline', 'realtime', '-cpu-used', '8', '-auto-alt-ref', '0', '-lag-in-frames', '0'],
      ...['-error-resilient', '1', '-f', 'ivf', `${ivf}.tmp`],
    ]);
    execFileSync('mv', [`${ivf}.tmp`, ivf]);
  }
  if (!existsSync(ogg)) {
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', 'anoisesrc=color=pink:sample_rate=48000:amplitude=0.3'],
      ...['-t', String(SECONDS), '-ac', '2', '-c:a', 'libopus', '-b:a', '64k'],
      ...['-frame_duration', '20', '-f', 'ogg', `${ogg}.tmp`],
    ]);
    execFileSync('mv', [`${ogg}.tmp`, ogg]);
  }
  return { ivf, ogg };
}

/** Frames of an IVF file (32-byte header, then 12-byte frame headers). */
function ivfFrames(file: string): Buffer[] {
  const data = readFileSync(file);
  if (data.toString('ascii', 0, 4) !== 'DKIF') throw new Error(`${file} is not IVF`);
  const frames: Buffer[] = [];
  for (let at = data.readUInt16LE(6); at + 12 <= data.length;) {
    const size = data.readUInt32LE(at);
    frames.push(data.subarray(at + 12, at + 12 + size));
    at += 12 + size;
  }
  return frames;
}

/** Opus packets of an Ogg file, without the OpusHead and OpusTags headers. */
function oggPackets(file: string): Buffer[] {
  const data = readFileSync(file);
  const packets: Buffer[] = [];
  let pending: Buffer[] = [];
  for (let at = 0; at + 27 <= data.length;) {
    if (data.toString('ascii', at, at + 4) !== 'OggS') throw new Error(`bad Ogg page at ${at}`);
    const segments = data[at + 26]!;
    let body = at + 27 + segments;
    for (let i = 0; i < segments; i++) {
      const lacing = data[at + 27 + i]!;
      pending.push(data.subarray(body, body + lacing));
      body += lacing;
      if (lacing < 255) {
        packets.push(Buffer.concat(pending));
        pending = [];
      }
    }
    at = body;
  }
  return packets.filter(
    (p) =>
      !p.subarray(0, 8).equals(Buffer.from('OpusHead')) &&
      !p.subarray(0, 8).equals(Buffer.from('OpusTags')),
  );
}

/** VP8 RTP payloads (RFC 7741): a 1-byte descriptor, S set on the first packet of a frame. */
function vp8Packets(frame: Buffer): Buffer[] {
  const count = Math.ceil(frame.length / VP8_MAX_PAYLOAD);
  const size = Math.ceil(frame.length / count);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const chunk = frame.subarray(i * size, (i + 1) * size);
    out.push(Buffer.concat([Buffer.from([i === 0 ? 0x10 : 0x00]), chunk]));
  }
  return out;
}

let cached: Media | undefined;

export function loadMedia(): Media {
  if (cached) return cached;
  const { ivf, ogg } = encode();
  const packets: MediaPacket[] = [];
  const frames = ivfFrames(ivf).slice(0, SECONDS * 30);
  let videoBytes = 0;
  frames.forEach((frame, f) => {
    const parts = vp8Packets(frame);
    videoBytes += frame.length;
    parts.forEach((payload, i) => {
      packets.push({
        kind: 'video',
        atMs: (f * 1000) / 30,
        rtpTs: f * 3000,
        marker: i === parts.length - 1,
        payload,
      });
    });
  });
  oggPackets(ogg)
    .slice(0, SECONDS * 50)
    .forEach((payload, i) => {
      packets.push({ kind: 'audio', atMs: i * 20, rtpTs: i * 960, marker: false, payload });
    });
  packets.sort((a, b) => a.atMs - b.atMs);
  cached = {
    packets,
    loopMs: SECONDS * 1000,
    videoFrames: frames.length,
    videoKbps: Math.round((videoBytes * 8) / SECONDS / 1000),
  };
  return cached;
}
