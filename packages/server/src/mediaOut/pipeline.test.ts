import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PIPELINE_PROGRAM } from './MediaOutJob.js';
import { gstLaunchArgs, inputTiming, PipelineSpecError, type PipelineSpec } from './pipeline.js';
import { PipelineError, PipelineSupervisor } from './PipelineSupervisor.js';

/** Every frame of a video file, scaled to 64×36, as pixel readers. */
function allFrames(path: string): Array<(x: number, y: number) => number[]> {
  const raw = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', path, '-vf', 'scale=64:36', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { timeout: 30_000, maxBuffer: 1 << 28 },
  );
  const size = 64 * 36 * 3;
  const frames: Array<(x: number, y: number) => number[]> = [];
  for (let o = 0; o + size <= raw.length; o += size) {
    const f = raw.subarray(o, o + size);
    frames.push((x, y) => [
      f[(y * 64 + x) * 3]!,
      f[(y * 64 + x) * 3 + 1]!,
      f[(y * 64 + x) * 3 + 2]!,
    ]);
  }
  return frames;
}
const red = ([r, g, b]: number[]) => r! > 180 && g! < 70 && b! < 70;
const green = ([r, g, b]: number[]) => g! > 180 && r! < 70 && b! < 70;
const blue = ([r, g, b]: number[]) => b! > 180 && r! < 70 && g! < 70;

const spec = (overrides: Partial<PipelineSpec> = {}): PipelineSpec => ({
  video: {
    width: 640,
    height: 360,
    fps: 15,
    bitrateKbps: 600,
    gopSeconds: 2,
    background: 0x00ff00,
  },
  audio: { sampleRate: 44100, channels: 2, bitrateKbps: 96 },
  inputs: [
    {
      kind: 'video',
      port: 30000,
      codec: { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 },
      box: { x: 10, y: 20, width: 320, height: 180, zOrder: 2, fit: 'crop' },
    },
    {
      kind: 'video',
      port: 30002,
      codec: { mimeType: 'video/H264', payloadType: 103, clockRate: 90000 },
      box: { x: 300, y: 100, width: 320, height: 240, zOrder: 1, fit: 'fit' },
    },
    {
      kind: 'audio',
      port: 30004,
      codec: { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 },
    },
  ],
  sink: { kind: 'rtmp', url: 'rtmp://127.0.0.1:1935/live/s1' },
  ...overrides,
});

describe('gstLaunchArgs', () => {
  it('draws each video input in its box at its zOrder over the background colour', () => {
    const text = gstLaunchArgs(spec()).join(' ');
    expect(text).toContain('foreground-color=0xff00ff00');
    expect(text).toContain(
      'sink_1::xpos=10 sink_1::ypos=20 sink_1::width=320 sink_1::height=180 sink_1::zorder=2',
    );
    expect(text).toContain(
      'sink_2::xpos=300 sink_2::ypos=100 sink_2::width=320 sink_2::height=240 sink_2::zorder=1',
    );
    // Crop fills its box; fit keeps the whole picture with bars.
    // Named, so the pipeline program can change them live.
    expect(text).toContain(
      'aspectratiocrop name=crop30000 aspect-ratio=320/180 ! videoscale add-borders=false ! capsfilter name=box30000 caps="video/x-raw,width=320,height=180,pixel-aspect-ratio=1/1" ! queue name=q30000 ! comp.sink_1',
    );
    expect(text).toContain(
      'videoscale add-borders=true ! capsfilter name=box30002 caps="video/x-raw,width=320,height=240,pixel-aspect-ratio=1/1" ! queue name=q30002 ! comp.sink_2',
    );
    expect(text).toContain('videotestsrc name=bg is-live=true');
    expect(text).toContain(
      'udpsrc port=30000 address=127.0.0.1 caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=101"',
    );
    // Timestamps from the RTP clock, set to capture instants from the sender reports on
    // port + 1; video half an output frame plus AAC's 1024 samples later (inputTiming).
    expect(text).toContain(
      'udpsrc port=30003 address=127.0.0.1 caps="application/x-rtcp" ! jb30002.sink_rtcp',
    );
    expect(text).toContain(
      'encoding-name=H264,payload=103" ! rtpjitterbuffer name=jb30002 latency=100 mode=synced ts-offset=57000000 ! rtph264depay ! h264parse ! avdec_h264',
    );
    expect(text).toContain(
      'encoding-name=OPUS,payload=100" ! rtpjitterbuffer name=jb30004 latency=100 mode=synced ts-offset=0 ! rtpopusdepay',
    );
  });

  it("delays video by half an output frame and AAC's encoder delay (none without audio)", () => {
    expect(inputTiming(spec())).toEqual({
      jitterMs: 100,
      videoDelayMs: Math.round(500 / 15 + 1024_000 / 44100),
    });
    expect(
      inputTiming({
        ...spec(),
        video: { ...spec().video, fps: 30 },
        audio: { ...spec().audio, sampleRate: 48000 },
      }).videoDelayMs,
    ).toBe(Math.round(500 / 30 + 1024_000 / 48000));
    expect(inputTiming({ ...spec(), only: 'video' }).videoDelayMs).toBe(33);
    expect(inputTiming({ ...spec(), jitterMs: 250 }).jitterMs).toBe(250);
  });

  it('fit-transparent lets the compositor fit the picture, its bars transparent', () => {
    const inputs = spec().inputs.map((i) =>
      i.box ? { ...i, box: { ...i.box, fit: 'fit-transparent' as const } } : i,
    );
    const text = gstLaunchArgs(spec({ inputs })).join(' ');
    expect(text).toContain('sink_1::zorder=2 sink_1::sizing-policy=keep-aspect-ratio');
    expect(text).toContain('vp8dec max-errors=-1 ! videoconvert ! queue name=q30000 ! comp.sink_1');
    expect(text).not.toContain('add-borders=true');
  });

  it('draws a background image (PNG or JPEG) stretched to the canvas instead of the colour', () => {
    const png = gstLaunchArgs(
      spec({ video: { ...spec().video, backgroundImage: '/srv/images/stage.png' } }),
    ).join(' ');
    expect(png).toMatch(
      /^filesrc location=\/srv\/images\/stage\.png ! pngdec ! imagefreeze is-live=true ! videoconvert ! videoscale add-borders=false ! video\/x-raw,width=640,height=360,framerate=15\/1,pixel-aspect-ratio=1\/1 ! queue ! comp\.sink_0 /,
    );
    expect(png).not.toContain('videotestsrc');
    const jpeg = gstLaunchArgs(
      spec({ video: { ...spec().video, backgroundImage: '/srv/images/stage.JPG' } }),
    ).join(' ');
    expect(jpeg).toContain('! jpegdec !');
    for (const bad of ['/srv/a b.png', '/srv/a.gif', '/srv/a"!x.png']) {
      expect(() =>
        gstLaunchArgs(spec({ video: { ...spec().video, backgroundImage: bad } })),
      ).toThrow(PipelineSpecError);
    }
  });

  it('encodes at the asked size, rate, bitrate and GOP; AAC at the asked rate and channels; FLV to RTMP', () => {
    const text = gstLaunchArgs(spec()).join(' ');
    expect(text).toContain('compositor name=comp');
    expect(text).toContain('! video/x-raw,width=640,height=360,framerate=15/1 ! videoconvert');
    expect(text).toContain(
      'x264enc tune=zerolatency speed-preset=veryfast bitrate=600 key-int-max=30',
    );
    expect(text).toContain('audio/x-raw,rate=44100,channels=2 ! avenc_aac bitrate=96000');
    expect(text).toMatch(
      /flvmux name=mux streamable=true ! progressreport .* ! rtmp2sink location=rtmp:\/\/127\.0\.0\.1:1935\/live\/s1$/,
    );
  });

  it('refuses what would break out of the pipeline text or cannot be decoded', () => {
    expect(() => gstLaunchArgs(spec({ sink: { kind: 'rtmp', url: 'rtmp://h/live/a b' } }))).toThrow(
      PipelineSpecError,
    );
    expect(() =>
      gstLaunchArgs(spec({ sink: { kind: 'rtmp', url: 'rtmp://h/live/a"!fakesink' } })),
    ).toThrow(PipelineSpecError);
    expect(() => gstLaunchArgs(spec({ sink: { kind: 'rtmp', url: 'http://h/live/a' } }))).toThrow(
      /rtmp:\/\//,
    );
    expect(() =>
      gstLaunchArgs(
        spec({
          inputs: [
            {
              kind: 'video',
              port: 1,
              codec: { mimeType: 'video/AV1', payloadType: 1, clockRate: 90000 },
              box: null as never,
            },
          ],
        }),
      ),
    ).toThrow(/no depacketizer for video video\/AV1/);
    expect(() => gstLaunchArgs(spec({ video: { ...spec().video, fps: 0 } }))).toThrow(/video fps/);
  });

  it.skipIf(!existsSync('/usr/bin/gst-launch-1.0'))(
    'runs in gst-launch-1.0 and, with a file sink, writes an MP4 that ffprobe reads (the recording path)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-pipeline-'));
      const path = join(dir, 'out.mp4');
      const supervisor = new PipelineSupervisor({
        command: 'gst-launch-1.0',
        args: () =>
          gstLaunchArgs(
            spec({
              sink: { kind: 'file', path },
              inputs: spec().inputs.map((i, n) => ({ ...i, port: 39000 + n * 2 })),
            }),
          ),
        log: pino({ level: 'silent' }),
      });
      await supervisor.start();
      await new Promise<void>((resolve) => supervisor.on('progress', (s) => s >= 2 && resolve()));
      await supervisor.stop();
      const probe = JSON.parse(
        execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path], {
          timeout: 10_000,
        }).toString(),
      ) as { streams: Array<Record<string, unknown>> };
      const video = probe.streams.find((s) => s.codec_type === 'video');
      const audio = probe.streams.find((s) => s.codec_type === 'audio');
      expect(video).toMatchObject({
        codec_name: 'h264',
        width: 640,
        height: 360,
        r_frame_rate: '15/1',
      });
      expect(audio).toMatchObject({ codec_name: 'aac', sample_rate: '44100', channels: 2 });
      // The background colour fills a frame where no input has arrived.
      const pixel = execFileSync(
        'ffmpeg',
        [
          '-v',
          'error',
          '-i',
          path,
          '-vf',
          'select=gte(n\\,5),crop=2:2:600:20',
          '-frames:v',
          '1',
          '-f',
          'rawvideo',
          '-pix_fmt',
          'rgb24',
          '-',
        ],
        { timeout: 10_000 },
      );
      expect(pixel[1]).toBeGreaterThan(200);
      expect(pixel[0]).toBeLessThan(60);
      expect(pixel[2]).toBeLessThan(60);
    },
    30_000,
  );

  it('puts the frames on the output grid before x264enc (no frame without PTS for mp4mux)', () => {
    expect(gstLaunchArgs(spec()).join(' ')).toContain(
      'video/x-raw,format=I420 ! videorate ! x264enc',
    );
  });

  it('with `only`, leaves out the other track: its inputs, its live source and its encoder', () => {
    const audio = gstLaunchArgs(spec({ only: 'audio' })).join(' ');
    expect(audio).not.toMatch(/videotestsrc|compositor|x264enc|media=video/);
    expect(audio).toContain('audiomixer name=amix');
    expect(audio).toContain('encoding-name=OPUS');
    const video = gstLaunchArgs(spec({ only: 'video' })).join(' ');
    expect(video).not.toMatch(/audiotestsrc|audiomixer|avenc_aac|media=audio/);
    expect(video).toContain('compositor name=comp');
  });

  it.skipIf(!existsSync('/usr/bin/gst-launch-1.0'))(
    'an audio-only or video-only pipeline writes a file with that one stream',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-pipeline-'));
      for (const only of ['audio', 'video'] as const) {
        const path = join(dir, `${only}.mp4`);
        const supervisor = new PipelineSupervisor({
          command: 'gst-launch-1.0',
          args: () =>
            gstLaunchArgs(
              spec({
                only,
                sink: { kind: 'file', path },
                inputs: spec().inputs.map((i, n) => ({ ...i, port: 39100 + n * 2 })),
              }),
            ),
          log: pino({ level: 'silent' }),
        });
        await supervisor.start();
        await new Promise<void>((resolve) => supervisor.on('progress', (s) => s >= 2 && resolve()));
        await supervisor.stop();
        const probe = JSON.parse(
          execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path], {
            timeout: 10_000,
          }).toString(),
        ) as { streams: Array<{ codec_type: string; codec_name: string }> };
        expect(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`)).toEqual([
          only === 'audio' ? 'audio:aac' : 'video:h264',
        ]);
      }
    },
    60_000,
  );

  it.skipIf(!existsSync('/usr/bin/gst-launch-1.0'))(
    'with a background image, the image fills the picture where no input is drawn',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-pipeline-'));
      const image = join(dir, 'magenta.png');
      // A small magenta PNG (stretched to 640×360 by the pipeline).
      execFileSync(
        'gst-launch-1.0',
        [
          '-q',
          'videotestsrc',
          'num-buffers=1',
          'pattern=solid-color',
          'foreground-color=0xffff00ff',
          '!',
          'video/x-raw,width=32,height=24',
          '!',
          'pngenc',
          '!',
          'filesink',
          `location=${image}`,
        ],
        { timeout: 10_000 },
      );
      const path = join(dir, 'out.mp4');
      const run = async () => {
        const supervisor = new PipelineSupervisor({
          command: 'gst-launch-1.0',
          args: () =>
            gstLaunchArgs(
              spec({
                video: { ...spec().video, backgroundImage: image },
                sink: { kind: 'file', path },
                inputs: spec().inputs.map((i, n) => ({ ...i, port: 39100 + n * 2 })),
              }),
            ),
          log: pino({ level: 'silent' }),
        });
        await supervisor.start();
        await new Promise<void>((resolve) => supervisor.on('progress', (s) => s >= 2 && resolve()));
        await supervisor.stop();
      };
      // mp4mux now and then fails a run at once ("Could not multiplex stream", also seen with
      // the colour background: docs/media-out.md, Recording); production's supervisor starts
      // it again, and so does this test, once.
      await run().catch((error: unknown) => {
        if (!/multiplex|no PTS/i.test((error as Error).message)) throw error;
        return run();
      });
      const pixel = execFileSync(
        'ffmpeg',
        [
          '-v',
          'error',
          '-i',
          path,
          '-vf',
          'select=gte(n\\,20),crop=2:2:600:20',
          '-frames:v',
          '1',
          '-f',
          'rawvideo',
          '-pix_fmt',
          'rgb24',
          '-',
        ],
        { timeout: 10_000 },
      );
      // Magenta (255, 0, 255), not the green background colour (frame 20: the first few,
      // before the image's first frame reaches the compositor, are black).
      expect(pixel[0], `${pixel[0]},${pixel[1]},${pixel[2]}`).toBeGreaterThan(200);
      expect(pixel[1]).toBeLessThan(60);
      expect(pixel[2]).toBeGreaterThan(200);
    },
    30_000,
  );

  it.skipIf(!existsSync('/usr/bin/gst-launch-1.0'))(
    'the pipeline program runs the same pipeline and changes it live: background, a branch added, its pad moved, removed',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-pipeline-'));
      const path = join(dir, 'live.mp4');
      const supervisor = new PipelineSupervisor({
        command: '/usr/bin/python3',
        commandArgs: [PIPELINE_PROGRAM],
        args: () =>
          gstLaunchArgs(
            spec({
              sink: { kind: 'file', path },
              inputs: spec().inputs.map((i, n) => ({ ...i, port: 39100 + n * 2 })),
            }),
          ),
        log: pino({ level: 'silent' }),
      });
      await supervisor.start();
      const at = (seconds: number) =>
        new Promise<void>((resolve) => {
          const on = (s: number) => {
            if (s < seconds) return;
            supervisor.off('progress', on);
            resolve();
          };
          supervisor.on('progress', on);
        });
      await at(1);
      // A blue 100×100 branch at (0,0), then moved to (500,200); the background turns red.
      await supervisor.send({
        op: 'add',
        mixer: 'comp',
        description:
          'videotestsrc is-live=true pattern=solid-color foreground-color=0xff0000ff ! video/x-raw,width=100,height=100,framerate=15/1 ! queue name=qtest',
        pad: { xpos: '0', ypos: '0', zorder: '5' },
      });
      await at(2);
      await supervisor.send({ op: 'set', name: 'qtest', pad: { xpos: '500', ypos: '200' } });
      await supervisor.send({ op: 'set', name: 'bg', props: { 'foreground-color': '0xffff0000' } });
      // Inputs from the launch line and added ones are removed alike; the output goes on.
      await supervisor.send({ op: 'remove', name: 'q39100' });
      await at(3);
      await supervisor.send({ op: 'remove', name: 'qtest' });
      // A bad command is refused with the reason and changes nothing.
      await expect(supervisor.send({ op: 'set', name: 'nothing', props: {} })).rejects.toThrow(
        'no element nothing',
      );
      await expect(
        supervisor.send({ op: 'set', name: 'bg', props: { 'no-such-property': '1' } }),
      ).rejects.toThrow('bg has no property no-such-property');
      await at(4);
      expect(supervisor.restarts).toBe(0);
      await supervisor.stop();
      await expect(supervisor.send({ op: 'ping' })).rejects.toBeInstanceOf(PipelineError);

      // In the file, in this order: green; the blue box top left; moved (to 55,25 at this
      // scale) on red; then red without it.
      const frames = allFrames(path);
      const first = (from: number, test: (f: (x: number, y: number) => number[]) => boolean) =>
        frames.findIndex((f, i) => i >= from && test(f));
      const greenAt = first(0, (f) => green(f(5, 5)));
      const blueAt = first(greenAt, (f) => blue(f(5, 5)));
      const movedAt = first(blueAt, (f) => blue(f(55, 25)) && red(f(5, 5)));
      const goneAt = first(movedAt, (f) => red(f(55, 25)));
      expect(greenAt).toBeGreaterThanOrEqual(0);
      expect(blueAt).toBeGreaterThan(greenAt);
      expect(movedAt).toBeGreaterThan(blueAt);
      expect(goneAt).toBeGreaterThan(movedAt);
    },
    90_000,
  );
});
