/**
 * v5's DEVICE_CHANGED: the browser's `devicechange` turned into one event per camera,
 * microphone or speaker that appeared or went away, found by comparing device lists.
 */
import { createLogger } from '../util/Logger.js';

const log = createLogger('v5-devices');

export type DeviceType = 'camera' | 'microphone' | 'speaker';

export interface DeviceChange {
  type: DeviceType;
  /** `active`: the SDK now captures from this device (a start, a switch, a recapture). */
  action: 'add' | 'remove' | 'active';
  device: MediaDeviceInfo;
}

const TYPES: Partial<Record<MediaDeviceKind, DeviceType>> = {
  videoinput: 'camera',
  audioinput: 'microphone',
  audiooutput: 'speaker',
};

const keyOf = (d: MediaDeviceInfo): string => `${d.kind}|${d.deviceId}`;

/** What changed from `before` to `after`: removals first, then additions, in list order. */
export function diffDevices(
  before: readonly MediaDeviceInfo[],
  after: readonly MediaDeviceInfo[],
): DeviceChange[] {
  const had = new Set(before.map(keyOf));
  const has = new Set(after.map(keyOf));
  const changes: DeviceChange[] = [];
  for (const device of before) {
    const type = TYPES[device.kind];
    if (type && !has.has(keyOf(device))) changes.push({ type, action: 'remove', device });
  }
  for (const device of after) {
    const type = TYPES[device.kind];
    if (type && !had.has(keyOf(device))) changes.push({ type, action: 'add', device });
  }
  return changes;
}

export class DeviceWatcher {
  private devices: MediaDeviceInfo[] | null = null;
  private readonly onChange = (): void => void this.check();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly report: (change: DeviceChange) => void) {
    const media = mediaDevices();
    if (!media) return;
    media.addEventListener('devicechange', this.onChange);
    this.chain = this.list().then((list) => {
      this.devices = list;
    });
  }

  stop(): void {
    mediaDevices()?.removeEventListener('devicechange', this.onChange);
  }

  private check(): Promise<void> {
    // One comparison at a time, each against the list the previous one saw.
    this.chain = this.chain.then(async () => {
      const now = await this.list();
      if (this.devices) for (const change of diffDevices(this.devices, now)) this.report(change);
      this.devices = now;
    });
    return this.chain;
  }

  private async list(): Promise<MediaDeviceInfo[]> {
    try {
      return (await mediaDevices()?.enumerateDevices()) ?? [];
    } catch (error) {
      log.warn('could not list the devices', error);
      return this.devices ?? [];
    }
  }
}

function mediaDevices(): MediaDevices | null {
  return typeof navigator !== 'undefined' && navigator.mediaDevices ? navigator.mediaDevices : null;
}
