import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/envelope.js';
import { readLayout, readRecordingSpec, readSubscription, recorded } from './recordingParams.js';

const STORAGE = { CloudVod: { TencentVod: {} } };
const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (error) {
    return (error as ApiError).code;
  }
};

describe('CreateCloudRecording parameters', () => {
  it('reads the defaults Tencent documents (MaxIdleTime 30, StreamType 0, grid) and Parley output defaults', () => {
    const spec = readRecordingSpec({ RecordParams: { RecordMode: 2 }, StorageParams: STORAGE });
    expect(spec).toMatchObject({
      mode: 'mixed',
      tracks: 'both',
      maxIdleSeconds: 30,
      layout: { mode: 'grid' },
      cloudStorage: null,
      output: {
        video: { width: 640, height: 480, fps: 15, gopSeconds: 2, background: 0 },
        audio: { sampleRate: 48000, channels: 2, bitrateKbps: 64 },
      },
    });
    expect(spec.subscription).toEqual({
      audioAllow: null,
      audioDeny: [],
      videoAllow: null,
      videoDeny: [],
    });
  });

  it('honours RecordMode, StreamType, MaxIdleTime, MixTranscodeParams, BackGroundColor and CloudStorage', () => {
    const spec = readRecordingSpec({
      RecordParams: { RecordMode: 1, StreamType: 1, MaxIdleTime: '60' },
      StorageParams: {
        CloudStorage: {
          Vendor: 1,
          Region: 'us-east-1',
          Bucket: 'records-1250000000',
          AccessKey: 'a',
          SecretKey: 's',
          FileNamePrefix: ['app_1', 'rooms'],
        },
      },
      MixTranscodeParams: {
        VideoParams: { Width: 321, Height: 240, Fps: 20, BitRate: 700, Gop: 3 },
        AudioParams: { SampleRate: 3, Channel: 1, BitRate: 48 },
      },
      MixLayoutParams: { MixLayoutMode: 1, BackGroundColor: '#00ff00', MaxResolutionUserId: 'u1' },
    });
    expect(spec).toMatchObject({
      mode: 'single',
      tracks: 'audio',
      maxIdleSeconds: 60,
      cloudStorage: {
        vendor: 1,
        bucket: 'records-1250000000',
        region: 'us-east-1',
        accessKey: 'a',
        secretKey: 's',
        prefix: ['app_1', 'rooms'],
      },
      layout: { mode: 'float', mainUserId: 'u1' },
      output: {
        // Odd sizes are made even (the encoder's 4:2:0 needs it).
        video: {
          width: 320,
          height: 240,
          fps: 20,
          bitrateKbps: 700,
          gopSeconds: 3,
          background: 0x00ff00,
        },
        audio: { sampleRate: 16000, channels: 1, bitrateKbps: 48 },
      },
    });
  });

  it("refuses what is missing or out of range with Tencent's codes", () => {
    expect(codeOf(() => readRecordingSpec({ StorageParams: STORAGE }))).toBe(
      'MissingParameter.RecordParams',
    );
    expect(codeOf(() => readRecordingSpec({ RecordParams: {}, StorageParams: STORAGE }))).toBe(
      'MissingParameter.RecordMode',
    );
    expect(
      codeOf(() => readRecordingSpec({ RecordParams: { RecordMode: 3 }, StorageParams: STORAGE })),
    ).toBe('InvalidParameter.OutOfRange');
    expect(
      codeOf(() =>
        readRecordingSpec({
          RecordParams: { RecordMode: 1, StreamType: 5 },
          StorageParams: STORAGE,
        }),
      ),
    ).toBe('InvalidParameter.OutOfRange');
    expect(
      codeOf(() =>
        readRecordingSpec({
          RecordParams: { RecordMode: 1, MaxIdleTime: 1 },
          StorageParams: STORAGE,
        }),
      ),
    ).toBe('InvalidParameter.OutOfRange');
    expect(codeOf(() => readRecordingSpec({ RecordParams: { RecordMode: 1 } }))).toBe(
      'MissingParameter.StorageParams',
    );
    expect(
      codeOf(() => readRecordingSpec({ RecordParams: { RecordMode: 1 }, StorageParams: {} })),
    ).toBe('MissingParameter.CloudStorage');
    expect(
      codeOf(() =>
        readRecordingSpec({
          RecordParams: { RecordMode: 1 },
          StorageParams: { CloudStorage: { Region: 'r', AccessKey: 'a', SecretKey: 's' } },
        }),
      ),
    ).toBe('MissingParameter.Bucket');
    // Region, Bucket and FileNamePrefix make a host name and a key: nothing else gets in.
    const cloud = { Region: 'ap-guangzhou', Bucket: 'bucket-1', AccessKey: 'a', SecretKey: 's' };
    for (const bad of [
      { Region: 'evil.example.com/x' },
      { Bucket: 'Bucket_With/Slash' },
      { FileNamePrefix: ['../up'] },
      { FileNamePrefix: 'dir' },
    ]) {
      expect(
        codeOf(() =>
          readRecordingSpec({
            RecordParams: { RecordMode: 1 },
            StorageParams: { CloudStorage: { ...cloud, ...bad } },
          }),
        ),
      ).toBe('InvalidParameter.OutOfRange');
    }
    expect(
      codeOf(() =>
        readRecordingSpec({
          RecordParams: { RecordMode: 2 },
          StorageParams: STORAGE,
          MixTranscodeParams: { VideoParams: { Width: 5000 } },
        }),
      ),
    ).toBe('InvalidParameter.OutOfRange');
    expect(codeOf(() => readLayout({ MixLayoutMode: 4 }))).toBe('MissingParameter.MixLayoutList');
    expect(codeOf(() => readLayout({ MixLayoutMode: 4, MixLayoutList: [42] }))).toBe(
      'InvalidParameter.MixLayoutList',
    );
    expect(codeOf(() => readSubscription({ SubscribeAudioUserIds: 'alice' }))).toBe(
      'InvalidParameter.OutOfRange',
    );
  });

  it('reads a custom layout: boxes, layers, render mode, empty user ids for the next publisher', () => {
    expect(
      readLayout({
        MixLayoutMode: 4,
        MixLayoutList: [
          { UserId: 'a', Top: 0, Left: 0, Width: 320, Height: 240, ImageLayer: 1 },
          { Top: 10, Left: 200, Width: 101, Height: 80, ImageLayer: 2, RenderMode: 2 },
        ],
      }),
    ).toEqual({
      mode: 'custom',
      placed: [
        {
          userId: 'a',
          streamType: 'main',
          box: { x: 0, y: 0, width: 320, height: 240, zOrder: 1, fit: 'crop' },
        },
        {
          userId: '',
          streamType: 'main',
          box: { x: 200, y: 10, width: 100, height: 80, zOrder: 2, fit: 'fit' },
        },
      ],
    });
  });

  it('subscribe lists: allow lists name who is recorded, deny lists win, StreamType drops a kind', () => {
    const subscription = readSubscription({
      SubscribeAudioUserIds: ['a', 'b'],
      UnSubscribeAudioUserIds: ['b'],
      UnSubscribeVideoUserIds: ['c'],
    });
    const spec = { subscription, tracks: 'both' as const };
    expect(recorded(spec, 'a')).toEqual({ audio: true, video: true });
    expect(recorded(spec, 'b')).toEqual({ audio: false, video: true });
    expect(recorded(spec, 'c')).toEqual({ audio: false, video: false });
    expect(recorded({ subscription, tracks: 'video' }, 'a')).toEqual({ audio: false, video: true });
    expect(recorded({ subscription, tracks: 'audio' }, 'a')).toEqual({ audio: true, video: false });
  });
});
