import { describe, expect, it } from 'vitest';
import {
  audioProfileMap,
  DEFAULT_SMALL_VIDEO_PROFILE,
  DEFAULT_VIDEO_PROFILE,
  screenProfileMap,
  TRTCEvent,
  TRTCType,
  videoProfileMap,
} from './constants.js';

// The numbers of trtc-v5-api.md §1 (checked against trtc-sdk-v5 5.17.1's bundle).
const spec = {
  camera: `120p 160x120/15/200, 180p 320x180/15/350, 240p 320x240/15/400, 360p 640x360/15/800,
    480p 640x480/15/900, 720p 1280x720/15/1500, 1080p 1920x1080/15/2000,
    1440p 2560x1440/30/4860, 4K 3840x2160/30/9000`,
  screen: `480p 640x480/5/900, 720p 1280x720/5/1200, 1080p 1920x1080/5/1600,
    480p_2 640x480/30/1000, 720p_2 1280x720/30/3000, 1080p_2 1920x1080/30/4000`,
};

function parse(text: string): Record<string, object> {
  return Object.fromEntries(
    text.split(',').map((entry) => {
      const m = /(\S+) (\d+)x(\d+)\/(\d+)\/(\d+)/.exec(entry.trim());
      if (!m) throw new Error(`bad spec entry ${entry}`);
      const [, name, w, h, fps, kbps] = m;
      return [
        name ?? '',
        { width: Number(w), height: Number(h), frameRate: Number(fps), bitrate: Number(kbps) },
      ];
    }),
  );
}

describe('v5 profile tables', () => {
  it('camera presets are the spec numbers', () => {
    const expected = parse(spec.camera);
    for (const [name, profile] of Object.entries(expected)) {
      expect(videoProfileMap[name as keyof typeof videoProfileMap], name).toEqual(profile);
    }
  });

  it('screen presets are the spec numbers', () => {
    const expected = parse(spec.screen);
    for (const [name, profile] of Object.entries(expected)) {
      expect(screenProfileMap[name as keyof typeof screenProfileMap], name).toEqual(profile);
    }
  });

  it('audio presets: 48 kHz; standard 40, standard-stereo 64, high 128 (run time), high-stereo 192', () => {
    expect(audioProfileMap).toEqual({
      standard: { sampleRate: 48000, channelCount: 1, bitrate: 40 },
      'standard-stereo': { sampleRate: 48000, channelCount: 2, bitrate: 64 },
      high: { sampleRate: 48000, channelCount: 1, bitrate: 128 },
      'high-stereo': { sampleRate: 48000, channelCount: 2, bitrate: 192 },
    });
  });

  it('defaults: big 640x480/15/500, small 160x120/15/100', () => {
    expect(videoProfileMap[DEFAULT_VIDEO_PROFILE]).toEqual({
      width: 640,
      height: 480,
      frameRate: 15,
      bitrate: 500,
    });
    expect(videoProfileMap[DEFAULT_SMALL_VIDEO_PROFILE]).toEqual({
      width: 160,
      height: 120,
      frameRate: 15,
      bitrate: 100,
    });
  });
});

describe('TRTC.EVENT and TRTC.TYPE', () => {
  it("event values are the kebab-case of their keys (but LAYER_DATA: 'layerData'), all distinct", () => {
    for (const [key, value] of Object.entries(TRTCEvent)) {
      if (key === 'LAYER_DATA') continue;
      expect(value).toBe(key.toLowerCase().replace(/_/g, '-'));
    }
    expect(TRTCEvent.LAYER_DATA).toBe('layerData');
    expect(new Set(Object.values(TRTCEvent)).size).toBe(Object.keys(TRTCEvent).length);
  });

  it('TYPE has the string values v5 apps pass on', () => {
    expect(TRTCType).toEqual({
      SCENE_LIVE: 'live',
      SCENE_RTC: 'rtc',
      ROLE_ANCHOR: 'anchor',
      ROLE_AUDIENCE: 'audience',
      STREAM_TYPE_MAIN: 'main',
      STREAM_TYPE_SUB: 'sub',
      AUDIO_PROFILE_STANDARD: 'standard',
      AUDIO_PROFILE_STANDARD_STEREO: 'standard-stereo',
      AUDIO_PROFILE_HIGH: 'high',
      AUDIO_PROFILE_HIGH_STEREO: 'high-stereo',
      QOS_PREFERENCE_SMOOTH: 'smooth',
      QOS_PREFERENCE_CLEAR: 'clear',
      SPEAKER: 'Speakerphone',
      HEADSET: 'Headset earpiece',
    });
  });
});
