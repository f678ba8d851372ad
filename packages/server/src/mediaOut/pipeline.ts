/**
 * A media-out job as a GStreamer pipeline for `gst-launch-1.0`: each input is plain RTP on a
 * loopback UDP port (a mediasoup PlainTransport sends it), depacketized, decoded, scaled into
 * its box on a compositor (a solid-colour live source under everything is the background
 * and keeps frames coming when no input has any yet) and mixed on an audiomixer (with a live
 * silence, for the same reason); then H.264 (x264) + AAC into FLV to an RTMP URL, or into
 * MP4 to a file: the same pipeline with another sink. Pure: builds the arguments only.
 */

export interface OutputVideo {
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  /** seconds between keyframes */
  gopSeconds: number;
  /** 0xRRGGBB */
  background: number;
  /**
   * A PNG or JPEG file drawn stretched over the whole picture instead of the colour (v4's
   * `backgroundImage`, Tencent's "image wins over colour"); its transparent parts are black.
   */
  backgroundImage?: string;
}

export interface OutputAudio {
  sampleRate: number;
  channels: 1 | 2;
  bitrateKbps: number;
}

/** Where a video input is drawn, in output pixels. */
export interface VideoBox {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Higher drawn on top (the background is 0). */
  zOrder: number;
  /**
   * crop: fill the box, cutting what does not fit; fit: all of the picture, black bars;
   * fit-transparent: all of the picture, the bars show what is beneath (background, lower users).
   */
  fit: 'crop' | 'fit' | 'fit-transparent';
}

/** The codec of an RTP input as the engine sends it. */
export interface InputCodec {
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
}

export interface PipelineInput {
  kind: 'audio' | 'video';
  /** UDP port its RTP arrives on; its RTCP (the sender reports) on port + 1. */
  port: number;
  codec: InputCodec;
  /** Video only: where it is drawn. */
  box?: VideoBox;
}

export type PipelineSink = { kind: 'rtmp'; url: string } | { kind: 'file'; path: string };

export interface PipelineSpec {
  video: OutputVideo;
  audio: OutputAudio;
  inputs: PipelineInput[];
  sink: PipelineSink;
  /**
   * Jitter buffer per input, ms: how long after its capture an input may reach the mixer;
   * the mix's latency is about this plus encoding.
   */
  jitterMs?: number;
  /**
   * One track only in the output (a recording's StreamType 1 audio / 2 video): the other
   * kind's inputs, background and encoder are left out, so the file holds that track alone.
   */
  only?: 'audio' | 'video';
}

export class PipelineSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineSpecError';
  }
}

const DEPAY: Record<string, { encoding: string; chain: string[] }> = {
  'video/vp8': {
    encoding: 'VP8',
    chain: ['rtpvp8depay', 'wait-for-keyframe=true', '!', 'vp8dec', 'max-errors=-1'],
  },
  'video/h264': {
    encoding: 'H264',
    chain: ['rtph264depay', '!', 'h264parse', '!', 'avdec_h264', 'max-errors=-1'],
  },
  'audio/opus': { encoding: 'OPUS', chain: ['rtpopusdepay', '!', 'opusdec', 'plc=true'] },
};

/** Codecs the pipeline can take (what Parley's routers carry). */
export const SUPPORTED_CODECS = Object.keys(DEPAY);

/** Characters that would break out of a gst-launch value. */
const UNSAFE = /["'\\\s!]/;

function positiveInt(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value <= 0 || value > max) {
    throw new PipelineSpecError(`${name} must be an integer from 1 to ${max}, got ${value}`);
  }
}

/** The background source's name (its colour changes live). */
export const BACKGROUND = 'bg';
/** The mixers' names: an input added live is linked to one of them. */
export const MIXERS = { video: 'comp', audio: 'amix' } as const;

/** Names of an input's elements (the pipeline program changes them live). */
export const branchNames = (port: number) => ({
  /** the branch's last element, linked to its mixer pad */
  last: `q${port}`,
  /** video: the caps filter holding the box size */
  size: `box${port}`,
  /** video, crop mode: the crop to the box's aspect ratio */
  crop: `crop${port}`,
  /** the jitter buffer (its RTCP comes on port + 1) */
  jitter: `jb${port}`,
});

/** videotestsrc's foreground-color for a 0xRRGGBB background (opaque ARGB). */
export function backgroundArgb(rgb: number): string {
  const argb = (0xff000000 | (rgb & 0xffffff)) >>> 0;
  return `0x${argb.toString(16).padStart(8, '0')}`;
}

/** A video input's compositor pad properties: where its box is drawn. */
export function boxPadProps(box: VideoBox): Record<string, string> {
  return {
    xpos: String(box.x),
    ypos: String(box.y),
    width: String(box.width),
    height: String(box.height),
    zorder: String(box.zOrder),
    // fit-transparent: the compositor scales the picture into the box keeping its aspect
    // ratio; the rest of the box stays transparent (videoscale's borders would be black).
    ...(box.fit === 'fit-transparent' ? { 'sizing-policy': 'keep-aspect-ratio' } : {}),
  };
}

/**
 * A video box's caps (the size the branch scales to), e.g. for a live resize. Square pixels
 * pinned: otherwise videoscale meets the box's shape by changing the pixel aspect ratio
 * instead of adding borders, and the compositor draws it at another size.
 */
export function boxCaps(box: VideoBox): string {
  return `video/x-raw,width=${box.width},height=${box.height},pixel-aspect-ratio=1/1`;
}

/** How an input's branch is timed (see inputTiming). */
export interface InputTiming {
  /**
   * The jitter buffer, ms: how long after its capture an input's media may reach the mixer
   * (the pipeline plays each input at its capture instant plus this; see parley-pipeline.py).
   */
  jitterMs?: number;
  /** Added to every video input's timestamps, ms (see inputTiming). */
  videoDelayMs?: number;
}

/** The jitter buffer of an input by default, ms (see InputTiming). */
export const DEFAULT_JITTER_MS = 100;

/**
 * The timing of a job's inputs, from its output.
 *
 * `videoDelayMs` corrects the two ways the output would put a picture before its sound:
 * - the compositor draws an input frame in the output frame its timestamp falls in, so a
 *   picture is shown up to one output frame early (0 to 67 ms at 15 fps); half a frame later
 *   it lands in the nearest output frame (±half a frame);
 * - AAC starts with 1024 samples of encoder delay that players do not trim from an FLV (nor
 *   from mp4mux's MP4, which has no edit list for it): every sound plays 1024 samples late.
 */
export function inputTiming(
  spec: Pick<PipelineSpec, 'video' | 'audio' | 'only' | 'jitterMs'>,
): InputTiming {
  const halfFrameMs = 500 / spec.video.fps;
  const aacDelayMs = spec.only === 'video' ? 0 : (1024 * 1000) / spec.audio.sampleRate;
  return {
    jitterMs: spec.jitterMs ?? DEFAULT_JITTER_MS,
    videoDelayMs: Math.round(halfFrameMs + aacDelayMs),
  };
}

/**
 * One input's branch, from its UDP port to the queue (`q<port>`) that feeds its mixer pad:
 * the same text goes on the launch line and, for an input added live, to the program.
 *
 * Its RTCP (mediasoup's sender reports, on port + 1) goes to the jitter buffer, which takes
 * its timestamps from the RTP clock (`mode=synced`) rather than from when packets arrive;
 * the pipeline program sets each jitter buffer's ts-offset from the reports so that the
 * input plays at its capture instant (lip sync; `ts-offset` here is the input's bias).
 */
export function inputBranchArgs(input: PipelineInput, timing: InputTiming = {}): string[] {
  const codec = DEPAY[input.codec.mimeType.toLowerCase()];
  if (!codec || input.codec.mimeType.toLowerCase().split('/')[0] !== input.kind) {
    throw new PipelineSpecError(`no depacketizer for ${input.kind} ${input.codec.mimeType}`);
  }
  positiveInt('input port', input.port, 65534);
  const names = branchNames(input.port);
  const caps =
    `application/x-rtp,media=${input.kind},clock-rate=${input.codec.clockRate},` +
    `encoding-name=${codec.encoding},payload=${input.codec.payloadType}`;
  const biasNs = input.kind === 'video' ? Math.round((timing.videoDelayMs ?? 0) * 1e6) : 0;
  const head = [
    'udpsrc',
    `port=${input.port + 1}`,
    'address=127.0.0.1',
    'caps="application/x-rtcp"',
    '!',
    `${names.jitter}.sink_rtcp`,
    'udpsrc',
    `port=${input.port}`,
    'address=127.0.0.1',
    `caps="${caps}"`,
    '!',
    'rtpjitterbuffer',
    `name=${names.jitter}`,
    `latency=${timing.jitterMs ?? DEFAULT_JITTER_MS}`,
    'mode=synced',
    `ts-offset=${biasNs}`,
    '!',
    ...codec.chain,
  ];
  if (input.kind === 'audio') {
    return [...head, '!', 'audioconvert', '!', 'audioresample', '!', 'queue', `name=${names.last}`];
  }
  const box = input.box;
  if (!box) throw new PipelineSpecError(`video input on port ${input.port} has no box`);
  if (box.fit === 'fit-transparent') {
    // No scaling here: the compositor's pad does it (boxPadProps).
    return [...head, '!', 'videoconvert', '!', 'queue', `name=${names.last}`];
  }
  const scale =
    box.fit === 'crop'
      ? [
          'aspectratiocrop',
          `name=${names.crop}`,
          `aspect-ratio=${box.width}/${box.height}`,
          '!',
          'videoscale',
          'add-borders=false',
        ]
      : ['videoscale', 'add-borders=true'];
  return [
    ...head,
    '!',
    'videoconvert',
    '!',
    ...scale,
    '!',
    'capsfilter',
    `name=${names.size}`,
    `caps="${boxCaps(box)}"`,
    '!',
    'queue',
    `name=${names.last}`,
  ];
}

/** The gst-launch-1.0 arguments (after `-e`) of a job. */
export function gstLaunchArgs(spec: PipelineSpec): string[] {
  const { video, audio, inputs, sink } = spec;
  positiveInt('video width', video.width, 4096);
  positiveInt('video height', video.height, 4096);
  positiveInt('video fps', video.fps, 60);
  positiveInt('video bitrate', video.bitrateKbps, 50_000);
  positiveInt('GOP', video.gopSeconds, 60);
  positiveInt('audio sample rate', audio.sampleRate, 96_000);
  positiveInt('audio bitrate', audio.bitrateKbps, 512);
  const timing = inputTiming(spec);
  const size = `width=${video.width},height=${video.height}`;
  const rate = `framerate=${video.fps}/1`;
  const args: string[] = [];
  const pads: string[] = ['sink_0::zorder=0'];
  const withVideo = spec.only !== 'audio';
  const withAudio = spec.only !== 'video';

  if (withVideo && video.backgroundImage === undefined) {
    // Background: a live solid colour, the compositor's clock of output frames.
    args.push(
      'videotestsrc',
      `name=${BACKGROUND}`,
      'is-live=true',
      'pattern=solid-color',
      `foreground-color=${backgroundArgb(video.background)}`,
      '!',
      `video/x-raw,${size},${rate}`,
      '!',
      'comp.sink_0',
    );
  } else if (withVideo && video.backgroundImage !== undefined) {
    // Background: the image, stretched to the canvas, repeated live (the same clock role).
    const path = video.backgroundImage;
    const decoder = /\.png$/i.test(path) ? 'pngdec' : /\.jpe?g$/i.test(path) ? 'jpegdec' : null;
    if (!decoder) throw new PipelineSpecError('the background image must be a .png or .jpg file');
    if (UNSAFE.test(path)) {
      throw new PipelineSpecError('the background image path must not hold spaces or quotes');
    }
    args.push(
      'filesrc',
      `location=${path}`,
      '!',
      decoder,
      '!',
      'imagefreeze',
      'is-live=true',
      '!',
      'videoconvert',
      '!',
      'videoscale',
      'add-borders=false',
      '!',
      `video/x-raw,${size},${rate},pixel-aspect-ratio=1/1`,
      // A live imagefreeze allows one frame of latency; the inputs' jitter buffers need more.
      '!',
      'queue',
      '!',
      'comp.sink_0',
    );
  }
  if (withAudio)
    args.push(
      'audiotestsrc',
      'is-live=true',
      'wave=silence',
      '!',
      'audio/x-raw,rate=48000,channels=2',
      '!',
      'amix.',
    );

  let pad = 1;
  for (const input of inputs) {
    if ((input.kind === 'audio' && !withAudio) || (input.kind === 'video' && !withVideo)) continue;
    if (input.kind === 'video' && input.box && (input.box.width <= 0 || input.box.height <= 0)) {
      continue;
    }
    args.push(...inputBranchArgs(input, timing), '!');
    if (input.kind === 'audio') {
      args.push('amix.');
      continue;
    }
    args.push(`comp.sink_${pad}`);
    for (const [key, value] of Object.entries(boxPadProps(input.box!))) {
      pads.push(`sink_${pad}::${key}=${value}`);
    }
    pad++;
  }

  // Video out: keyframe first (x264 starts with one) and every GOP; repeated SPS/PPS so a
  // player that joins late decodes at the next keyframe.
  if (withVideo)
    args.push(
      'compositor',
      'name=comp',
      'background=black',
      ...pads,
      '!',
      `video/x-raw,${size},${rate}`,
      '!',
      'videoconvert',
      '!',
      'video/x-raw,format=I420',
      '!',
      // The live compositor now and then sends its first frame twice with the same PTS (when
      // the inputs' latency is redistributed as they start); x264enc then gives the second
      // frame no PTS, and mp4mux fails with "Buffer has no PTS". videorate puts the frames on
      // the output's grid, strictly increasing.
      'videorate',
      '!',
      'x264enc',
      'tune=zerolatency',
      'speed-preset=veryfast',
      `bitrate=${video.bitrateKbps}`,
      `key-int-max=${video.fps * video.gopSeconds}`,
      'threads=1',
      '!',
      'video/x-h264,profile=main',
      '!',
      'h264parse',
      'config-interval=-1',
      '!',
      'queue',
      '!',
      'mux.',
    );
  if (withAudio)
    args.push(
      'audiomixer',
      'name=amix',
      '!',
      'audioconvert',
      '!',
      'audioresample',
      '!',
      `audio/x-raw,rate=${audio.sampleRate},channels=${audio.channels}`,
      '!',
      'avenc_aac',
      `bitrate=${audio.bitrateKbps * 1000}`,
      '!',
      'aacparse',
      '!',
      'queue',
      '!',
      'mux.',
    );
  // progressreport prints the output's position every second: the supervisor's sign of life.
  const progress = ['!', 'progressreport', 'update-freq=1', 'silent=false'];
  if (sink.kind === 'rtmp') {
    if (!/^rtmps?:\/\//.test(sink.url) || UNSAFE.test(sink.url)) {
      throw new PipelineSpecError(
        'the RTMP URL must be rtmp:// or rtmps:// without spaces or quotes',
      );
    }
    args.push(
      'flvmux',
      'name=mux',
      'streamable=true',
      ...progress,
      '!',
      'rtmp2sink',
      `location=${sink.url}`,
    );
  } else {
    if (UNSAFE.test(sink.path))
      throw new PipelineSpecError('the file path must not hold spaces or quotes');
    // Fragmented: a file cut short by a crash still plays up to its last fragment.
    args.push(
      'mp4mux',
      'name=mux',
      'fragment-duration=1000',
      ...progress,
      '!',
      'filesink',
      // Unbuffered: each fragment reaches the disk at once, so a killed run loses at most one.
      'buffer-mode=unbuffered',
      `location=${sink.path}`,
    );
  }
  return args;
}
