/**
 * v5's AudioMixer plugin: background music and sound effects mixed with the microphone into
 * the audio the others receive, several at once by `id`. Each music plays in an <audio>
 * element whose MediaElementSource goes through its own gain (the volume) to both the
 * speakers (the user hears it) and a MediaStreamDestination where the microphone joins it.
 * That destination's track is sent in place of the microphone (LocalMedia's audio processor:
 * a replaceTrack, no renegotiation) while any music is mixed; the last stop puts the
 * microphone back. Music is sent only with the microphone (startLocalAudio), as v5 mixes into
 * the microphone's pipeline.
 */
import { createLogger } from '../../util/Logger.js';
import { V5_ERROR_CODE, invalidParameter, v5Error } from '../engineErrors.js';
import type { AudioProcessor } from '../LocalMedia.js';
import {
  checkNonEmptyString,
  checkNumber,
  checkObject,
  checkOneOf,
  optionalBoolean,
} from '../validate.js';
import type { PluginHost, V5Plugin } from './registry.js';

const log = createLogger('v5-audio-mixer');

/** The formats v5 takes by file name (or a blob:/data: URL of any). */
const MUSIC_EXTENSIONS = ['mp3', 'ogg', 'wav', 'flac'];
const OPERATIONS = ['pause', 'resume', 'stop'] as const;
/** How long a start waits for the music to load and play before it gives up. */
const LOAD_TIMEOUT_MS = 15_000;

interface StartOptions {
  id: string;
  url?: string;
  track?: MediaStreamTrack;
  loop?: boolean;
  volume?: number;
  onTimeUpdate?: (currentTime: number, duration: number) => void;
  onEnded?: () => void;
  onDurationChange?: (duration: number) => void;
}

interface UpdateOptions {
  id: string;
  loop?: boolean;
  volume?: number;
  seekFrom?: number;
  operation?: (typeof OPERATIONS)[number];
}

interface Music {
  element: HTMLAudioElement | null;
  source: AudioNode;
  gain: GainNode;
}

export class AudioMixerPlugin implements V5Plugin, AudioProcessor {
  private context: AudioContext | null = null;
  private mix: MediaStreamAudioDestinationNode | null = null;
  private readonly musics = new Map<string, Music>();
  /** The microphone feeding the mix: a clone, so that mute (on the sent track) stays apart. */
  private mic: { of: MediaStreamTrack; clone: MediaStreamTrack; node: AudioNode } | null = null;

  constructor(private readonly host: PluginHost) {}

  async start(options: unknown): Promise<void> {
    const o = checkStart(options);
    if (this.musics.has(o.id)) return; // v5: a second start of a playing id does nothing
    const { context, mix } = this.graph();
    const gain = context.createGain();
    gain.gain.value = o.volume ?? 1;
    let element: HTMLAudioElement | null = null;
    let source: AudioNode;
    if (o.url !== undefined) {
      element = new Audio();
      // Music on another origin (a CDN) mixes only when it is fetched with CORS.
      element.crossOrigin = 'anonymous';
      element.preload = 'auto';
      element.loop = o.loop ?? false;
      listen(element, o);
      element.src = o.url;
      source = context.createMediaElementSource(element);
    } else {
      source = context.createMediaStreamSource(new MediaStream([o.track!]));
    }
    source.connect(gain);
    gain.connect(mix);
    gain.connect(context.destination);
    const music: Music = { element, source, gain };
    this.musics.set(o.id, music);
    try {
      if (element) await this.play(element, o.id);
      await this.host.local.setAudioProcessor(this);
    } catch (error) {
      this.remove(o.id);
      throw error;
    }
    await this.resumeContext(context, element);
    log.info(`mixing ${o.id}${o.url ? ` (${o.url})` : ''}`);
  }

  async update(options: unknown): Promise<void> {
    const o = checkUpdate(options);
    const music = this.musics.get(o.id);
    if (!music) {
      log.warn(`updatePlugin('AudioMixer'): no music ${JSON.stringify(o.id)} is mixed`);
      return;
    }
    if (o.volume !== undefined) music.gain.gain.value = o.volume;
    const element = music.element;
    if (!element) return;
    if (o.loop !== undefined) element.loop = o.loop;
    if (o.operation === 'pause') element.pause();
    if (o.operation === 'stop') {
      element.pause();
      element.currentTime = 0;
    }
    if (o.seekFrom !== undefined && o.seekFrom >= 0) element.currentTime = o.seekFrom;
    if (o.operation === 'resume') await this.play(element, o.id);
  }

  async stop(options: unknown): Promise<void> {
    const o = checkObject(options, 'options', 'stopPlugin');
    const id = checkNonEmptyString(o.id, 'options.id', 'stopPlugin');
    if (id === '*') for (const key of [...this.musics.keys()]) this.remove(key);
    else this.remove(id);
    if (this.musics.size === 0) {
      // The microphone is sent as captured again: the mix lets go of its copy.
      await this.host.local.setAudioProcessor(null);
      this.release();
    }
  }

  destroy(): void {
    for (const key of [...this.musics.keys()]) this.remove(key);
    void this.host.local.setAudioProcessor(null).catch(() => undefined);
    this.release();
    void this.context?.close().catch(() => undefined);
    this.context = null;
    this.mix = null;
  }

  // ---- AudioProcessor (LocalMedia) -----------------------------------------------------------

  process(mic: MediaStreamTrack): MediaStreamTrack {
    const { context, mix } = this.graph();
    if (this.mic?.of !== mic) {
      this.release();
      const clone = mic.clone();
      clone.enabled = true;
      const node = context.createMediaStreamSource(new MediaStream([clone]));
      node.connect(mix);
      this.mic = { of: mic, clone, node };
    }
    return mix.stream.getAudioTracks()[0]!;
  }

  release(): void {
    if (!this.mic) return;
    this.mic.node.disconnect();
    this.mic.clone.stop();
    this.mic = null;
  }

  // ---- helpers -------------------------------------------------------------------------------

  private graph(): { context: AudioContext; mix: MediaStreamAudioDestinationNode } {
    if (!this.context || !this.mix) {
      this.context = new AudioContext();
      this.mix = this.context.createMediaStreamDestination();
    }
    return { context: this.context, mix: this.mix };
  }

  /**
   * Plays `element`; a page that may not autoplay gets AUTOPLAY_FAILED with a resume (v5), a
   * music that cannot load rejects with OPERATION_FAILED.
   */
  private async play(element: HTMLAudioElement, id: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        element.play(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`not playing after ${LOAD_TIMEOUT_MS} ms`)),
            LOAD_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'NotAllowedError') {
        this.host.autoplayFailed(async () => {
          await this.context?.resume();
          await element.play();
        });
        return;
      }
      element.pause();
      const reason = element.error?.message || (error instanceof Error ? error.message : '');
      throw v5Error(
        V5_ERROR_CODE.OPERATION_FAILED,
        `startPlugin('AudioMixer'): music ${JSON.stringify(id)} cannot play ${element.src}${reason ? `: ${reason}` : ''} (is it reachable, with CORS if on another origin?)`,
        'startPlugin',
        undefined,
        error instanceof Error ? error : undefined,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** A context the page may not start yet (no gesture) gets AUTOPLAY_FAILED too. */
  private async resumeContext(
    context: AudioContext,
    element: HTMLAudioElement | null,
  ): Promise<void> {
    if (context.state === 'running') return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      context.resume().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000);
      }),
    ]);
    clearTimeout(timer);
    if ((context.state as AudioContextState) !== 'running') {
      this.host.autoplayFailed(async () => {
        await context.resume();
        await element?.play();
      });
    }
  }

  private remove(id: string): void {
    const music = this.musics.get(id);
    if (!music) return;
    this.musics.delete(id);
    if (music.element) {
      music.element.pause();
      music.element.removeAttribute('src');
      music.element.load();
    }
    music.source.disconnect();
    music.gain.disconnect();
    log.info(`stopped mixing ${id}`);
  }
}

function listen(element: HTMLAudioElement, o: StartOptions): void {
  const { onTimeUpdate, onEnded, onDurationChange } = o;
  if (onTimeUpdate) {
    element.ontimeupdate = () => onTimeUpdate(element.currentTime, element.duration);
  }
  if (onEnded) element.onended = () => onEnded();
  if (onDurationChange) element.ondurationchange = () => onDurationChange(element.duration);
}

function checkStart(options: unknown): StartOptions {
  const fn = 'startPlugin';
  const o = checkObject(options, 'options', fn);
  const id = checkNonEmptyString(o.id, 'options.id', fn);
  let url: string | undefined;
  if (o.url !== undefined) {
    url = checkNonEmptyString(o.url, 'options.url', fn);
    checkMusicUrl(url, fn);
  }
  const track = o.track;
  if (url === undefined) {
    const isTrack = typeof MediaStreamTrack !== 'undefined' && track instanceof MediaStreamTrack;
    if (!isTrack || track.kind !== 'audio') {
      throw invalidParameter(
        `${fn}('AudioMixer'): options.url (an mp3, ogg, wav or flac file) or options.track (an audio MediaStreamTrack) is required`,
        fn,
      );
    }
  }
  const loop = optionalBoolean(o.loop, 'options.loop', fn);
  const volume =
    o.volume === undefined ? undefined : checkNumber(o.volume, 'options.volume', fn, VOLUME);
  for (const key of ['onTimeUpdate', 'onEnded', 'onDurationChange'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'function') {
      throw invalidParameter(`${fn}('AudioMixer'): options.${key} must be a function`, fn);
    }
  }
  return {
    ...(o as Partial<StartOptions>),
    id,
    ...(url === undefined ? { track: track as MediaStreamTrack } : { url }),
    ...(loop === undefined ? {} : { loop }),
    ...(volume === undefined ? {} : { volume }),
  };
}

/** The element volume range v5 passes through (HTMLMediaElement.volume: 0..1). */
const VOLUME = { min: 0, max: 1 };

function checkUpdate(options: unknown): UpdateOptions {
  const fn = 'updatePlugin';
  const o = checkObject(options, 'options', fn);
  const id = checkNonEmptyString(o.id, 'options.id', fn);
  const loop = optionalBoolean(o.loop, 'options.loop', fn);
  const volume =
    o.volume === undefined ? undefined : checkNumber(o.volume, 'options.volume', fn, VOLUME);
  const seekFrom =
    o.seekFrom === undefined
      ? undefined
      : checkNumber(o.seekFrom, 'options.seekFrom', fn, { min: 0 });
  const operation =
    o.operation === undefined
      ? undefined
      : checkOneOf(o.operation, OPERATIONS, 'options.operation', fn);
  return {
    id,
    ...(loop === undefined ? {} : { loop }),
    ...(volume === undefined ? {} : { volume }),
    ...(seekFrom === undefined ? {} : { seekFrom }),
    ...(operation === undefined ? {} : { operation }),
  };
}

/** v5 takes a file name ending in a music format, or a blob:/data: URL (5000 otherwise). */
function checkMusicUrl(url: string, fn: string): void {
  const path = url.split('?')[0]!.split('#')[0]!;
  const extension = (path.split('.').pop() ?? '').toLowerCase();
  if (
    MUSIC_EXTENSIONS.includes(extension) ||
    path.startsWith('blob:') ||
    path.startsWith('data:')
  ) {
    return;
  }
  throw invalidParameter(
    `${fn}('AudioMixer'): music url ${JSON.stringify(url)} is invalid: use an mp3, ogg, wav or flac file (or a blob: or data: URL)`,
    fn,
  );
}
