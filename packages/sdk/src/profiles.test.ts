import { describe, expect, it } from 'vitest';
import { SCREEN_PROFILES, resolveVideoProfile } from './profiles.js';

describe('resolveVideoProfile', () => {
  const base = { width: 640, height: 480, frameRate: 15, bitrate: 900 };

  it('fills the fields a custom profile leaves out from the current one (v4 makes them optional)', () => {
    expect(resolveVideoProfile({ bitrate: 300 }, undefined, base)).toEqual({
      ...base,
      bitrate: 300,
    });
    expect(resolveVideoProfile({ width: 320, height: 240 }, undefined, base)).toEqual({
      ...base,
      width: 320,
      height: 240,
    });
  });

  it('refuses a field that is not a positive number, and a partial profile with nothing to fill from', () => {
    expect(resolveVideoProfile({ width: -1 }, undefined, base)).toBeNull();
    expect(resolveVideoProfile({ frameRate: '15' }, undefined, base)).toBeNull();
    expect(resolveVideoProfile({ bitrate: 300 })).toBeNull();
  });

  it('looks presets up in the table it is given (screen presets differ from camera ones)', () => {
    expect(resolveVideoProfile('720p_2', SCREEN_PROFILES)).toEqual({
      width: 1280,
      height: 720,
      frameRate: 30,
      bitrate: 3000,
    });
    expect(resolveVideoProfile('720p_2')).toBeNull();
  });
});
