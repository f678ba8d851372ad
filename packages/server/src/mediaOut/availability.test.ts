import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { checkMediaOut, describeMissing, MEDIA_OUT_PACKAGES } from './availability.js';
import { MediaOutService } from './MediaOutService.js';

describe('media-out availability', () => {
  it('names every Debian package when GStreamer is missing, and the start-up log says so', async () => {
    const availability = await checkMediaOut(
      '/nonexistent/gst-inspect-1.0',
      '/nonexistent/gst-launch-1.0',
      '/nonexistent/python3',
    );
    expect(availability.available).toBe(false);
    expect(availability.missing.map((m) => m.pkg).sort()).toEqual([...MEDIA_OUT_PACKAGES].sort());
    expect(describeMissing(availability)).toContain('gstreamer1.0-plugins-ugly (x264enc)');

    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const service = new MediaOutService({ log: pino(sink), urlTemplate: () => null, availability });
    await service.start();
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logged).toHaveLength(1);
    expect(logged[0]!.level).toBe(40);
    expect(logged[0]!.msg).toMatch(
      /^media-out unavailable: .*gstreamer1\.0-tools \(\/nonexistent\/gst-launch-1\.0\).*gstreamer1\.0-libav \(avdec_h264, avenc_aac\)/,
    );
  });

  it.skipIf(!existsSync('/usr/bin/gst-inspect-1.0'))(
    'finds every element on this machine',
    async () => {
      const availability = await checkMediaOut();
      expect(availability).toEqual({ available: true, missing: [] });
    },
  );
});
