import { describe, expect, it } from 'vitest';
import { diffDevices } from './DeviceWatcher.js';

const device = (kind: MediaDeviceKind, deviceId: string): MediaDeviceInfo =>
  ({ kind, deviceId, groupId: 'g', label: deviceId, toJSON: () => ({}) }) as MediaDeviceInfo;

describe('diffDevices (DEVICE_CHANGED)', () => {
  it('reports removed then added cameras, microphones and speakers', () => {
    const cam = device('videoinput', 'cam1');
    const mic = device('audioinput', 'mic1');
    const usb = device('videoinput', 'usb');
    const spk = device('audiooutput', 'spk');
    expect(diffDevices([cam, mic], [mic, usb, spk])).toEqual([
      { type: 'camera', action: 'remove', device: cam },
      { type: 'camera', action: 'add', device: usb },
      { type: 'speaker', action: 'add', device: spk },
    ]);
  });

  it('sees nothing when only the order changed, and tells kinds apart by id and kind', () => {
    const a = device('audioinput', 'default');
    const b = device('audiooutput', 'default');
    expect(diffDevices([a, b], [b, a])).toEqual([]);
    expect(diffDevices([a], [b])).toEqual([
      { type: 'microphone', action: 'remove', device: a },
      { type: 'speaker', action: 'add', device: b },
    ]);
  });
});
