import { afterEach, describe, expect, it, vi } from 'vitest';
import { RtcError } from './errors.js';
import { getCameraList, getMicrophoneList, getSpeakerList } from './system.js';

/**
 * A browser's mediaDevices: device labels stay empty until a getUserMedia of that kind was
 * allowed (as browsers do); getUserMedia fails with `deny` when given.
 */
function fakeDevices(deny?: string) {
  const allowed = new Set<string>();
  const requests: MediaStreamConstraints[] = [];
  const all = [
    { kind: 'videoinput', deviceId: 'cam1', label: 'Camera 1' },
    { kind: 'audioinput', deviceId: 'mic1', label: 'Mic 1' },
    { kind: 'audiooutput', deviceId: 'spk1', label: 'Speaker 1' },
  ];
  const mediaDevices = {
    enumerateDevices: () =>
      Promise.resolve(
        all.map((d) => {
          const open = d.kind === 'videoinput' ? allowed.has('video') : allowed.has('audio');
          return { ...d, label: open ? d.label : '', groupId: '', toJSON: () => d };
        }),
      ),
    getUserMedia: (constraints: MediaStreamConstraints) => {
      requests.push(constraints);
      if (deny) return Promise.reject(Object.assign(new Error('denied'), { name: deny }));
      if (constraints.video) allowed.add('video');
      if (constraints.audio) allowed.add('audio');
      return Promise.resolve({ getTracks: () => [{ stop: () => undefined }] });
    },
  };
  vi.stubGlobal('navigator', { mediaDevices, userAgent: 'test' });
  return { requests };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('v5 device lists', () => {
  it('ask for the permission first (requestPermission defaults to true) so labels are real', async () => {
    const { requests } = fakeDevices();
    const cameras = await getCameraList();
    expect(requests).toEqual([{ audio: false, video: true }]);
    expect(cameras.map((d) => [d.kind, d.deviceId, d.label])).toEqual([
      ['videoinput', 'cam1', 'Camera 1'],
    ]);
    // Already allowed: no second prompt.
    await getCameraList();
    expect(requests).toHaveLength(1);
  });

  it('requestPermission false lists without asking (labels empty then)', async () => {
    const { requests } = fakeDevices();
    const microphones = await getMicrophoneList(false);
    expect(requests).toEqual([]);
    expect(microphones.map((d) => [d.kind, d.label])).toEqual([['audioinput', '']]);
  });

  it('speakers get their labels through the microphone permission', async () => {
    const { requests } = fakeDevices();
    const speakers = await getSpeakerList();
    expect(requests).toEqual([{ audio: true, video: false }]);
    expect(speakers.map((d) => d.label)).toEqual(['Speaker 1']);
  });

  it('a refused permission is DEVICE_ERROR with the DOMException’s extraCode (5302)', async () => {
    fakeDevices('NotAllowedError');
    const error = await getCameraList().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RtcError);
    expect(error).toMatchObject({
      code: 5300,
      extraCode: 5302,
      name: 'DEVICE_ERROR',
      functionName: 'getCameraList',
    });
  });
});
