import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const dataDir = () => mkdtempSync(join(tmpdir(), 'parley-config-'));

describe('loadConfig', () => {
  it('runs in dev mode with generated credentials that survive a restart', () => {
    const dir = dataDir();
    const first = loadConfig({ PARLEY_DATA_DIR: dir });
    expect(first.devMode).toBe(true);
    expect(first.port).toBe(8080);
    expect(first.secretKey).toMatch(/^[0-9a-f]{64}$/);
    const second = loadConfig({ PARLEY_DATA_DIR: dir });
    expect(second.sdkAppId).toBe(first.sdkAppId);
    expect(second.secretKey).toBe(first.secretKey);
    const stored = JSON.parse(readFileSync(join(dir, 'dev-credentials.json'), 'utf8'));
    expect(stored).toEqual({ sdkAppId: first.sdkAppId, secretKey: first.secretKey });
  });

  it('turns dev mode off when both credentials are configured', () => {
    const config = loadConfig({
      PARLEY_SDK_APP_ID: '1400000001',
      PARLEY_SECRET_KEY: 'k',
      PORT: '9000',
    });
    expect(config).toMatchObject({
      devMode: false,
      sdkAppId: 1400000001,
      secretKey: 'k',
      port: 9000,
    });
  });

  it('PARLEY_CDN_ALLOWED_HOSTS lists hosts; a bad entry names the variable; the per-room job cap defaults to 4', () => {
    const base = { PARLEY_SDK_APP_ID: '1400000001', PARLEY_SECRET_KEY: 'k' };
    const config = loadConfig({
      ...base,
      PARLEY_CDN_ALLOWED_HOSTS: ' cdn.example.com, 127.0.0.1:1935 ,*',
      PARLEY_MEDIA_OUT_MAX_JOBS_PER_ROOM: '2',
    });
    expect(config.apps[0]?.cdnAllowedHosts).toEqual(['cdn.example.com', '127.0.0.1:1935', '*']);
    expect(config.mediaOutMaxJobsPerRoom).toBe(2);
    expect(loadConfig(base).apps[0]?.cdnAllowedHosts).toBeUndefined();
    expect(loadConfig(base).mediaOutMaxJobsPerRoom).toBe(4);
    expect(() => loadConfig({ ...base, PARLEY_CDN_ALLOWED_HOSTS: 'rtmp://x/y' })).toThrow(
      /PARLEY_CDN_ALLOWED_HOSTS.*must be a host, host:port or \*/,
    );
  });

  it('PARLEY_REQUIRE_PRIVATE_MAP_KEY=1 requires room permission of every application', () => {
    const env = { PARLEY_SDK_APP_ID: '1400000001', PARLEY_SECRET_KEY: 'k' };
    expect(loadConfig(env).apps[0]?.requireRoomPermission).toBe(false);
    expect(
      loadConfig({ ...env, PARLEY_REQUIRE_PRIVATE_MAP_KEY: '1' }).apps[0]?.requireRoomPermission,
    ).toBe(true);
    expect(() => loadConfig({ ...env, PARLEY_REQUIRE_PRIVATE_MAP_KEY: 'yes' })).toThrow(
      /PARLEY_REQUIRE_PRIVATE_MAP_KEY must be 1 or 0, got "yes"/,
    );
  });

  it('refuses to start with only one of the two credentials, saying which is missing', () => {
    expect(() => loadConfig({ PARLEY_SDK_APP_ID: '1400000001' })).toThrow(
      /PARLEY_SECRET_KEY is not/,
    );
    expect(() => loadConfig({ PARLEY_SECRET_KEY: 'k' })).toThrow(/PARLEY_SDK_APP_ID is not/);
  });

  it('validates ports, the RTC port range and the announced IP', () => {
    const base = { PARLEY_DATA_DIR: dataDir() };
    expect(() => loadConfig({ ...base, PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, PARLEY_RTC_MIN_PORT: '40000' })).toThrow(/both/);
    expect(() =>
      loadConfig({ ...base, PARLEY_RTC_MIN_PORT: '41000', PARLEY_RTC_MAX_PORT: '40000' }),
    ).toThrow(/below/);
    expect(() => loadConfig({ ...base, PARLEY_ANNOUNCED_IP: 'example.com' })).toThrow(/IP address/);
    const ok = loadConfig({
      ...base,
      PARLEY_RTC_MIN_PORT: '40000',
      PARLEY_RTC_MAX_PORT: '40100',
      PARLEY_ANNOUNCED_IP: '203.0.113.9',
    });
    expect(ok.rtcPortRange).toEqual([40000, 40100]);
    expect(ok.announcedIp).toBe('203.0.113.9');
  });
});
