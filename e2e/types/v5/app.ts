/**
 * A TRTC Web SDK v5 application as written against the types of the `trtc-sdk-v5` npm
 * package (5.17.1, `import TRTC from 'trtc-sdk-v5'`), in the style of Tencent's v5 guides and
 * demos. It calls every method and static of the `TRTC` class and listens to every event of
 * `TRTC.EVENT` (v5types.test.ts checks that none is left out).
 *
 * It is never run: v5types.test.ts compiles it unchanged against their index.d.ts
 * (tsconfig.theirs.json, proving it valid v5 code) and against Parley's dist/trtc-v5.d.ts
 * (tsconfig.ours.json).
 */
import TRTC from 'trtc-sdk-v5';
import type {
  AIDenoiserOptions,
  AudioMixerOptions,
  CDNStreamingOptions,
  CustomMessage,
  DeviceDetectorOptions,
  EnterRoomConfig,
  LocalAudioConfig,
  LocalVideoConfig,
  NetworkQuality,
  ProxyServer,
  RemoteVideoConfig,
  RtcError,
  ScreenShareConfig,
  StopRemoteVideoConfig,
  SwitchRoomConfig,
  TRTCEventTypes,
  TRTCOptions,
  TRTCStatistics,
  VideoProfile,
  WatermarkOptions,
} from 'trtc-sdk-v5';

// ---- statics ------------------------------------------------------------------------------

console.log(`framework ${TRTC.frameWorkType}`);
TRTC.setLogLevel(1, false);

async function checkEnvironment(): Promise<boolean> {
  const support = await TRTC.isSupported();
  const permissions = await TRTC.getPermissions({ request: true, types: ['camera', 'microphone'] });
  console.log(permissions.camera ?? 'unknown', permissions.microphone ?? 'unknown');
  const cameras = await TRTC.getCameraList();
  const microphones = await TRTC.getMicrophoneList(false);
  const speakers: MediaDeviceInfo[] = await TRTC.getSpeakerList();
  const [speaker] = speakers;
  if (speaker) await TRTC.setCurrentSpeaker(speaker.deviceId);
  return Boolean(support.result) && cameras.length > 0 && microphones.length > 0;
}

// ---- errors -------------------------------------------------------------------------------

function report(error: RtcError): void {
  switch (error.code) {
    case TRTC.ERROR_CODE.INVALID_PARAMETER:
    case TRTC.ERROR_CODE.INVALID_OPERATION:
      console.warn(`${error.functionName}: ${error.message} (${error.extraCode ?? '-'})`);
      break;
    case TRTC.ERROR_CODE.ENV_NOT_SUPPORTED:
    case TRTC.ERROR_CODE.DEVICE_ERROR:
      if (error.extraCode === 5302 && typeof error.handler === 'function') error.handler();
      break;
    case TRTC.ERROR_CODE.SERVER_ERROR:
      if (error.extraCode === 70001) console.log('userSig expired: fetch a new one');
      break;
    case TRTC.ERROR_CODE.OPERATION_FAILED:
    case TRTC.ERROR_CODE.OPERATION_ABORT:
    case TRTC.ERROR_CODE.UNKNOWN_ERROR:
      console.error(error.name, error.message, error.originError);
      break;
  }
}

// ---- one call ----------------------------------------------------------------------------------

/** The app's own plugin, shaped as Tencent's Watermark plugin class. */
class LogoWatermark {
  start(options: WatermarkOptions): Promise<void> {
    console.log(options.imageUrl);
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

const options: TRTCOptions = {
  plugins: [LogoWatermark],
  enableSEI: true,
  enableAutoPlayDialog: false,
  assetsPath: '/a',
};
const trtc: TRTC = TRTC.create(options);
const remoteViews = new Map<string, HTMLElement>();

function viewFor(userId: string, streamType: string): HTMLElement {
  const id = `${userId}_${streamType}`;
  let view = remoteViews.get(id);
  if (!view) {
    view = document.createElement('div');
    view.id = id;
    document.body.appendChild(view);
    remoteViews.set(id, view);
  }
  return view;
}

function listen(): void {
  trtc.on(TRTC.EVENT.ERROR, (error) => report(error));
  trtc.on(TRTC.EVENT.AUTOPLAY_FAILED, ({ userId, mediaType, resume }) => {
    console.log(`${userId} ${mediaType} blocked`);
    document.body.addEventListener('click', () => void resume(), { once: true });
  });
  trtc.on(TRTC.EVENT.KICKED_OUT, (event) => console.log(`kicked out: ${event.reason}`));
  trtc.on(TRTC.EVENT.REMOTE_USER_ENTER, ({ userId }) => console.log(`${userId} entered`));
  trtc.on(TRTC.EVENT.REMOTE_USER_EXIT, ({ userId, reason }) => console.log(userId, reason));
  trtc.on(TRTC.EVENT.REMOTE_AUDIO_AVAILABLE, ({ userId }) => console.log(`${userId} audio on`));
  trtc.on(TRTC.EVENT.REMOTE_AUDIO_UNAVAILABLE, ({ userId }) => console.log(`${userId} off`));
  trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId, streamType }) => {
    const config: RemoteVideoConfig = {
      userId,
      streamType,
      view: viewFor(userId, streamType),
      option: {
        fillMode: 'contain',
        mirror: false,
        small: streamType === TRTC.TYPE.STREAM_TYPE_MAIN,
      },
    };
    trtc.startRemoteVideo(config).catch(report);
  });
  trtc.on(TRTC.EVENT.REMOTE_VIDEO_UNAVAILABLE, ({ userId, streamType }) => {
    const stop: StopRemoteVideoConfig = { userId, streamType };
    void trtc.stopRemoteVideo(stop);
  });
  trtc.on(TRTC.EVENT.AUDIO_VOLUME, ({ result }) => {
    for (const { userId, volume, floatVolume } of result) {
      console.log(userId === '' ? 'me' : userId, volume, floatVolume.toFixed(2));
    }
  });
  trtc.on(TRTC.EVENT.AUDIO_FRAME, ({ data }) => console.log(data.length));
  trtc.on(TRTC.EVENT.NETWORK_QUALITY, (quality: NetworkQuality) => {
    console.log(quality.uplinkNetworkQuality, quality.downlinkNetworkQuality, quality.uplinkRTT);
  });
  trtc.on(TRTC.EVENT.CONNECTION_STATE_CHANGED, ({ prevState, state }) => {
    console.log(`${prevState} -> ${state}`);
  });
  trtc.on(TRTC.EVENT.AUDIO_PLAY_STATE_CHANGED, ({ userId, state, reason }) => {
    console.log(userId, state, reason);
  });
  trtc.on(TRTC.EVENT.VIDEO_PLAY_STATE_CHANGED, (event) => {
    console.log(event.userId, event.streamType, event.state, event.reason);
  });
  trtc.on(TRTC.EVENT.SCREEN_SHARE_STOPPED, () => console.log('screen share stopped'));
  trtc.on(TRTC.EVENT.DEVICE_CHANGED, ({ type, action, device }) => {
    if (type === 'camera' && action === 'remove') console.log(`lost ${device.label}`);
  });
  trtc.on(TRTC.EVENT.PUBLISH_STATE_CHANGED, ({ mediaType, state, prevState, reason, error }) => {
    console.log(mediaType, prevState, state, reason, error?.code);
  });
  trtc.on(TRTC.EVENT.TRACK, ({ userId, streamType, track, sourceTrack }) => {
    console.log(userId, streamType, track.kind, sourceTrack.id);
  });
  trtc.on(TRTC.EVENT.STATISTICS, (statistics: TRTCStatistics) => {
    console.log(statistics.rtt, statistics.upLoss, statistics.downLoss);
    for (const video of statistics.localStatistics.video)
      console.log(video.videoType, video.bitrate);
    for (const remote of statistics.remoteStatistics)
      console.log(remote.userId, remote.audio.bitrate);
  });
  trtc.on(TRTC.EVENT.SEI_MESSAGE, ({ data, userId, streamType, seiPayloadType }) => {
    console.log(new TextDecoder().decode(data), userId, streamType, seiPayloadType);
  });
  trtc.on(TRTC.EVENT.CUSTOM_MESSAGE, (message: CustomMessage) => {
    console.log(message.userId, message.cmdId, message.seq, message.data.byteLength);
  });
  trtc.on(TRTC.EVENT.FIRST_VIDEO_FRAME, ({ userId, streamType, width, height }) => {
    console.log(userId, streamType, `${width}x${height}`);
  });
  trtc.on(TRTC.EVENT.PERMISSION_STATE_CHANGE, ({ camera, microphone }) => {
    console.log(camera, microphone);
  });
  trtc.on(TRTC.EVENT.VIDEO_SIZE_CHANGED, ({ userId, newWidth, newHeight }) => {
    console.log(userId, newWidth, newHeight);
  });
  trtc.on(TRTC.EVENT.REALTIME_TRANSCRIBER_MESSAGE, (message) => {
    console.log(message.speakerUserId, message.sourceText, message.translationTexts.length);
  });
  trtc.on(TRTC.EVENT.REALTIME_TRANSCRIBER_STATE_CHANGED, ({ state, roomId }) => {
    console.log(state, roomId);
  });
  trtc.on(TRTC.EVENT.PICTURE_IN_PICTURE_STATE_CHANGED, ({ userId, isPictureInPicture }) => {
    console.log(userId, isPictureInPicture);
  });
  trtc.on(TRTC.EVENT.FULL_SCREEN_STATE_CHANGED, ({ userId, isFullScreen }) => {
    console.log(userId, isFullScreen);
  });
}

/** A listener kept in a variable, typed by the event map, and removed again. */
const onEnter = (...[event]: TRTCEventTypes['remote-user-enter']): void =>
  console.log(event.userId);

async function enter(userId: string, userSig: string): Promise<void> {
  listen();
  trtc.on(TRTC.EVENT.REMOTE_USER_ENTER, onEnter);
  const proxy: ProxyServer = {
    websocketProxy: 'wss://proxy.example.com/ws',
    turnServer: [{ url: 'turn:turn.example.com:3478', username: 'u', credential: 'p' }],
    iceTransportPolicy: 'relay',
  };
  const config: EnterRoomConfig = {
    sdkAppId: 1400000001,
    userId,
    userSig,
    roomId: 8888,
    scene: TRTC.TYPE.SCENE_RTC,
    role: TRTC.TYPE.ROLE_ANCHOR,
    autoReceiveAudio: true,
    autoReceiveVideo: false,
    proxy,
  };
  try {
    await trtc.enterRoom(config);
  } catch (error) {
    report(error as RtcError);
    return;
  }
  trtc.enableAudioVolumeEvaluation(500, true);

  const profile: VideoProfile = { width: 640, height: 360, frameRate: 15, bitrate: 600 };
  const video: LocalVideoConfig = {
    view: 'local',
    publish: true,
    option: {
      cameraId: (await TRTC.getCameraList())[0]?.deviceId ?? '',
      profile: '720p',
      fillMode: 'cover',
      mirror: 'view',
      small: profile,
      qosPreference: TRTC.TYPE.QOS_PREFERENCE_SMOOTH,
    },
  };
  await trtc.startLocalVideo(video);
  await trtc.updateLocalVideo({ option: { profile: '1080p' }, mute: false });
  const audio: LocalAudioConfig = {
    option: { profile: TRTC.TYPE.AUDIO_PROFILE_HIGH, captureVolume: 120, echoCancellation: true },
  };
  await trtc.startLocalAudio(audio);
  await trtc.updateLocalAudio({ mute: 'microphone' });
  await trtc.updateLocalAudio({ mute: false, option: { microphoneId: 'default' } });

  const screen: ScreenShareConfig = {
    view: document.getElementById('screen'),
    option: {
      profile: '1080p_2',
      systemAudio: true,
      qosPreference: TRTC.TYPE.QOS_PREFERENCE_CLEAR,
    },
  };
  await trtc.startScreenShare(screen);
  await trtc.updateScreenShare({ publish: false, option: { fillMode: 'contain' } });

  await trtc.updateRemoteVideo({
    userId: 'bob',
    streamType: TRTC.TYPE.STREAM_TYPE_SUB,
    view: 'bob_sub',
    option: { fillMode: 'fill' },
  });
  await trtc.muteRemoteAudio('bob', true);
  await trtc.muteRemoteAudio('*', false);
  trtc.setRemoteAudioVolume('bob', 80);

  const local = trtc.getVideoTrack();
  const bobAudio = trtc.getAudioTrack('bob');
  const bobScreen = trtc.getVideoTrack({ userId: 'bob', streamType: TRTC.TYPE.STREAM_TYPE_SUB });
  const processed = trtc.getAudioTrack({ userId: '', processed: true });
  console.log(local?.label, bobAudio?.enabled, bobScreen?.readyState, processed?.id);
  const snapshot: string = trtc.getVideoSnapshot({
    userId: 'bob',
    streamType: TRTC.TYPE.STREAM_TYPE_MAIN,
  });
  if (snapshot) (document.getElementById('shot') as HTMLImageElement).src = snapshot;

  trtc.sendSEIMessage(new TextEncoder().encode('hi').buffer, { seiPayloadType: 243 });
  trtc.sendCustomMessage({ cmdId: 1, data: new TextEncoder().encode('hello').buffer });

  const mixer: AudioMixerOptions = { id: 'bgm', url: '/bgm.mp3', loop: true, volume: 0.5 };
  await trtc.startPlugin('AudioMixer', mixer);
  await trtc.updatePlugin('AudioMixer', { id: 'bgm', operation: 'pause' });
  await trtc.stopPlugin('AudioMixer', { id: 'bgm' });
  const cdn: CDNStreamingOptions = {
    target: {
      publishMode: 'PublishMixStreamToCDN' as CDNStreamingOptions['target']['publishMode'],
      streamId: 'mix',
    },
  };
  await trtc.startPlugin('CDNStreaming', cdn);
  const detector: DeviceDetectorOptions = { cameraDetect: { mirror: true }, language: 'en' };
  await trtc.startPlugin('DeviceDetector', detector);
  const watermark: WatermarkOptions = { imageUrl: '/logo.png', x: 10, y: 10, size: 'cover' };
  await trtc.startPlugin('Watermark', watermark);
  await trtc.stopPlugin('Watermark');
  const denoiser: AIDenoiserOptions = { sdkAppId: 1400000001, userId, userSig };
  await trtc.startPlugin('AIDenoiser', denoiser);
  await trtc.startPlugin('Debug');
  await trtc.updatePlugin('Debug', { visible: true });
  trtc.use(LogoWatermark);
  trtc.use({ plugin: LogoWatermark, assetsPath: '/assets' });
  await trtc.callExperimentalAPI('enableAudioFrameEvent', { enable: true, userId: '' });
  await trtc.callExperimentalAPI('pauseRemotePlayer', { userId: 'bob' });

  await trtc.switchRole(TRTC.TYPE.ROLE_AUDIENCE, { privateMapKey: 'key' });
  const next: SwitchRoomConfig = { roomId: 9999, userSig };
  await trtc.switchRoom(next);
}

async function leave(): Promise<void> {
  await trtc.stopRemoteVideo({ userId: '*' });
  await trtc.stopScreenShare();
  await trtc.stopLocalVideo();
  await trtc.stopLocalAudio();
  await trtc.exitRoom();
  trtc.off(TRTC.EVENT.REMOTE_USER_ENTER, onEnter);
  trtc.destroy();
}

void checkEnvironment().then(async (ok) => {
  if (!ok) return;
  await enter('alice', 'sig');
  await leave();
});
