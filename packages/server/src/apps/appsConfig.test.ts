import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

const write = (name: string, text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'parley-apps-')), name);
  writeFileSync(file, text);
  return file;
};

describe('applications config', () => {
  it('reads applications from a YAML file', () => {
    const file = write(
      'parley.yaml',
      `adminToken: a-long-enough-admin-token
apps:
  - sdkAppId: 1400000001
    secretKey: k1
    apiCredentials: [{ secretId: AKID1, secretKey: api-secret-1 }]
    callback: { url: https://hooks.example.com/trtc, key: abc123 }
    requireRoomPermission: true
    limits: { maxRooms: 10, maxUsersPerRoom: 50 }
  - sdkAppId: 1400000002
    secretKey: k2
`,
    );
    const config = loadConfig({ PARLEY_CONFIG: file, PARLEY_DATA_DIR: tmpdir() });
    expect(config.devMode).toBe(false);
    expect(config.sdkAppId).toBe(1400000001);
    expect(config.adminToken).toBe('a-long-enough-admin-token');
    expect(config.apps).toHaveLength(2);
    expect(config.apps[0]).toMatchObject({
      requireRoomPermission: true,
      limits: { maxRooms: 10, maxUsersPerRoom: 50 },
      callback: { url: 'https://hooks.example.com/trtc', key: 'abc123' },
    });
    expect(config.apps[1]).toMatchObject({ apiCredentials: [], requireRoomPermission: false });
  });

  it('names every bad field of a JSON file', () => {
    const file = write(
      'parley.json',
      JSON.stringify({
        apps: [
          {
            sdkAppId: '14',
            secretKey: '',
            callback: { url: 'ftp://x', key: 'has space' },
            colour: 1,
          },
        ],
      }),
    );
    let message = '';
    try {
      loadConfig({ PARLEY_CONFIG: file });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/apps\[0\]\.sdkAppId: /);
    expect(message).toMatch(/apps\[0\]\.secretKey: must not be empty/);
    expect(message).toMatch(/apps\[0\]\.callback\.url: must be an http\(s\) URL/);
    expect(message).toMatch(/apps\[0\]\.callback\.key: must be 1-32 letters or digits/);
    expect(message).toMatch(/colour/);
  });

  it('keeps the single-app environment variables, with API and callback settings', () => {
    const config = loadConfig({
      PARLEY_SDK_APP_ID: '1400000003',
      PARLEY_SECRET_KEY: 'k',
      PARLEY_API_SECRET_ID: 'AKID3',
      PARLEY_API_SECRET_KEY: 'api-secret-3',
      PARLEY_CALLBACK_URL: 'http://127.0.0.1:9/cb',
    });
    expect(config.apps[0]).toMatchObject({
      sdkAppId: 1400000003,
      apiCredentials: [{ secretId: 'AKID3', secretKey: 'api-secret-3' }],
      callback: { url: 'http://127.0.0.1:9/cb' },
    });
    expect(() =>
      loadConfig({ PARLEY_SDK_APP_ID: '1', PARLEY_SECRET_KEY: 'k', PARLEY_CALLBACK_URL: 'nope' }),
    ).toThrow(/PARLEY_CALLBACK_URL: must be an http\(s\) URL/);
    expect(() =>
      loadConfig({ PARLEY_SDK_APP_ID: '1', PARLEY_SECRET_KEY: 'k', PARLEY_API_SECRET_ID: 'x' }),
    ).toThrow(/PARLEY_API_SECRET_ID and PARLEY_API_SECRET_KEY/);
  });

  it('generates dev API credentials that survive a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-devapi-'));
    const first = loadConfig({ PARLEY_DATA_DIR: dir });
    const second = loadConfig({ PARLEY_DATA_DIR: dir });
    expect(first.apps[0]!.apiCredentials[0]!.secretId).toMatch(/^AKIDparleydev/);
    expect(second.apps[0]!.apiCredentials).toEqual(first.apps[0]!.apiCredentials);
  });
});
