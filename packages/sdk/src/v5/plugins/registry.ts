/**
 * v5's plugins (`trtc.startPlugin(name, options)`, `updatePlugin`, `stopPlugin`): the ones
 * Parley runs, keyed by v5's plugin name, each made once per TRTC instance on first use. A
 * name not listed is refused with v5's ENV_NOT_SUPPORTED / NOT_SUPPORTED_PLUGIN (5200 / 5210).
 */
import type { RoomEngine } from '../../engine/RoomEngine.js';
import type { LocalMedia } from '../LocalMedia.js';
import { V5_ERROR_CODE, v5Error, type V5RtcError } from '../engineErrors.js';
import { EXTRA_CODE } from '../errors.js';
import { AudioMixerPlugin } from './AudioMixerPlugin.js';
import { CdnStreamingPlugin } from './CdnStreamingPlugin.js';
import { DeviceDetectorPlugin, type ProbeInstance } from './DeviceDetectorPlugin.js';
import { WatermarkPlugin } from './WatermarkPlugin.js';

export type PluginAction = 'start' | 'update' | 'stop';

/** One running plugin of one TRTC instance. */
export interface V5Plugin {
  start(options: unknown): Promise<unknown>;
  update(options: unknown): Promise<unknown>;
  stop(options: unknown): Promise<unknown>;
  /** The TRTC instance is destroyed: release everything. */
  destroy?(): void;
}

/** What a plugin may use of its TRTC instance. */
export interface PluginHost {
  /** The room connection (CDNStreaming asks the server for relays and mixes). */
  readonly engine: RoomEngine;
  /**
   * The local camera and microphone (the AudioMixer replaces the sent microphone track, the
   * Watermark the sent camera track).
   */
  readonly local: LocalMedia;
  /** v5's AUTOPLAY_FAILED for local audio the page must resume with a gesture. */
  autoplayFailed(resume: () => Promise<void>): void;
  /** A new TRTC instance on the same server (the DeviceDetector's network test). */
  createProbe(): ProbeInstance;
}

const FACTORIES: Partial<Record<string, (host: PluginHost) => V5Plugin>> = {
  AudioMixer: (host) => new AudioMixerPlugin(host),
  CDNStreaming: (host) => new CdnStreamingPlugin(host),
  DeviceDetector: (host) => new DeviceDetectorPlugin(host),
  Watermark: (host) => new WatermarkPlugin(host),
};

export class PluginRegistry {
  private readonly running = new Map<string, V5Plugin>();

  constructor(private readonly host: PluginHost) {}

  async call(action: PluginAction, plugin: unknown, options: unknown): Promise<unknown> {
    const fn = `${action}Plugin`;
    const name = pluginName(plugin);
    // Own names only: 'constructor' and the like are not plugins.
    const factory =
      name !== null && Object.prototype.hasOwnProperty.call(FACTORIES, name)
        ? FACTORIES[name]
        : undefined;
    if (name === null || factory === undefined) throw refusal(fn, name ?? 'this plugin');
    let instance = this.running.get(name);
    if (!instance) {
      instance = factory(this.host);
      this.running.set(name, instance);
    }
    return instance[action](options);
  }

  destroy(): void {
    for (const plugin of this.running.values()) plugin.destroy?.();
    this.running.clear();
  }
}

/** v5 names plugins by string; an imported plugin class (or instance) by its `Name`. */
export function pluginName(plugin: unknown): string | null {
  if (typeof plugin === 'string') return plugin;
  if ((typeof plugin === 'function' || typeof plugin === 'object') && plugin !== null) {
    const p = plugin as { Name?: unknown; getName?: () => unknown };
    if (typeof p.Name === 'string') return p.Name;
    if (typeof p.getName === 'function') return String(p.getName());
  }
  return null;
}

function refusal(fn: string, name: string): V5RtcError {
  return v5Error(
    V5_ERROR_CODE.ENV_NOT_SUPPORTED,
    `${fn}(): ${name} is not available on Parley (it runs ${Object.keys(FACTORIES).join(', ')})`,
    fn,
    EXTRA_CODE.NOT_SUPPORTED_PLUGIN,
  );
}
