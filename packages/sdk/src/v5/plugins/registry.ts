/**
 * v5's plugins that Parley runs, by the name `trtc.startPlugin(name, options)` gives: each a
 * small object made on first use per TRTC instance, given what of the instance it needs (a
 * PluginHost). Names not listed here are refused by the facade.
 */
import type { RoomEngine } from '../../engine/RoomEngine.js';
import type { LocalMedia } from '../LocalMedia.js';
import { CdnStreamingPlugin } from './CdnStreamingPlugin.js';
import { WatermarkPlugin } from './WatermarkPlugin.js';

/** What a plugin may use of its TRTC instance. */
export interface PluginHost {
  readonly engine: RoomEngine;
  readonly local: LocalMedia;
}

export interface V5Plugin {
  start(options: unknown): Promise<unknown>;
  update(options: unknown): Promise<unknown>;
  stop(options: unknown): Promise<unknown>;
  /** The instance is destroyed: release what the plugin holds. */
  destroy?(): void;
}

const FACTORIES: Record<string, (host: PluginHost) => V5Plugin> = {
  CDNStreaming: (host) => new CdnStreamingPlugin(host),
  Watermark: (host) => new WatermarkPlugin(host),
};

/** A plugin's name: a string, or a plugin class/object (Tencent's have `Name`/`getName()`). */
export function pluginName(plugin: unknown): string | null {
  if (typeof plugin === 'string') return plugin;
  if ((typeof plugin === 'object' || typeof plugin === 'function') && plugin !== null) {
    const p = plugin as { Name?: unknown; getName?: () => unknown };
    if (typeof p.Name === 'string') return p.Name;
    if (typeof p.getName === 'function') return String(p.getName());
  }
  return null;
}

export class PluginRegistry {
  private readonly running = new Map<string, V5Plugin>();

  constructor(private readonly host: PluginHost) {}

  /** The plugin of that name (made on first use), or null when Parley has none. */
  get(plugin: unknown): V5Plugin | null {
    const name = pluginName(plugin);
    if (name === null) return null;
    const existing = this.running.get(name);
    if (existing) return existing;
    const make = Object.prototype.hasOwnProperty.call(FACTORIES, name) ? FACTORIES[name] : null;
    if (!make) return null;
    const made = make(this.host);
    this.running.set(name, made);
    return made;
  }

  destroy(): void {
    for (const plugin of this.running.values()) plugin.destroy?.();
    this.running.clear();
  }
}
