import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { FakePlainConsumer } from '../media/fake/FakeEngine.js';
import { publishOffer } from '../test/offers.js';
import { roomKit } from '../test/roomTestKit.js';
import { MediaOutJob, type JobLayout } from './MediaOutJob.js';
import { relayJobLayout } from './mixLayout.js';
import { PortPool } from './PortPool.js';

describe('MediaOutJob', () => {
  it('a start that runs out of ports midway gives back the ports and consumers it took', async () => {
    const kit = roomKit();
    const alice = await kit.join('alice');
    await kit.room.publish(alice.participant, {
      sdp: await publishOffer(['audio', 'video']),
      tracks: [
        { mid: '0', kind: 'audio', streamType: 'main', muted: false },
        { mid: '1', kind: 'video', streamType: 'main', muted: false },
      ],
    });
    // One port pair only: the audio input takes it, the video input finds none.
    const ports = new PortPool(38100, 38102);
    let made = 0;
    const job = new MediaOutJob(
      {
        id: 'relay:test',
        router: async () => {
          const router = await kit.room.ensureMedia();
          const create = router.createPlainConsumer.bind(router);
          router.createPlainConsumer = (options) => {
            made++;
            return create(options);
          };
          return router;
        },
        sink: { kind: 'rtmp', url: 'rtmp://127.0.0.1:1935/live/x' },
        lookup: (userId, streamType, kind) =>
          kit.room.participants.get(userId)?.streams.get(streamType)?.tracks.get(kind)?.producer
            ?.id ?? null,
        ports,
        log: pino({ level: 'silent' }),
        command: '/nonexistent/gst-launch-1.0',
      },
      relayJobLayout('alice', 'main'),
    );
    await expect(job.start()).rejects.toThrow('no free media-out port pair in 38100-38102');
    expect(job.stopped).toBe(true);
    expect(ports.inUse).toBe(0);
    // The audio input's plain consumer was made, then closed (a closed one leaves its producer).
    expect(made).toBe(1);
    const plain: FakePlainConsumer[] = [...kit.engine.routers].flatMap((r) =>
      [...r.transports].flatMap((t) => [...t.producers].flatMap((p) => [...p.plainConsumers])),
    );
    expect(plain).toEqual([]);
  });

  /**
   * A stand-in for the pipeline program: plays at once, notes each run and each command it
   * reads, and answers them (`answer`) or not (a program that hangs).
   */
  function fakeProgram(answer: boolean): {
    command: string;
    runs(): number;
    commands(): unknown[];
  } {
    const dir = mkdtempSync(join(tmpdir(), 'parley-job-'));
    const command = join(dir, 'fake-program');
    writeFileSync(
      command,
      `#!${process.execPath}
const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(dir)} + '/runs', 'run\\n');
console.log('Setting pipeline to PLAYING ...');
let n = 0;
const tick = setInterval(() => console.log('progressreport0 (00:00:01): ' + ++n + ' seconds'), 50);
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  fs.appendFileSync(${JSON.stringify(dir)} + '/commands', line + '\\n');
  if (${answer}) console.log(JSON.stringify({ id: JSON.parse(line).id, ok: true }));
});
process.on('SIGINT', () => { clearInterval(tick); process.exit(0); });
`,
    );
    chmodSync(command, 0o755);
    const read = (name: string) =>
      existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8').trim().split('\n') : [];
    return {
      command,
      runs: () => read('runs').length,
      commands: () => read('commands').map((l) => JSON.parse(l) as unknown),
    };
  }

  const layoutAt = (x: number, width = 640, background = 0): JobLayout => ({
    video: { width, height: 360, fps: 15, bitrateKbps: 600, gopSeconds: 2, background },
    audio: { sampleRate: 48000, channels: 1, bitrateKbps: 64 },
    users: [
      {
        userId: 'alice',
        streamType: 'main',
        audio: true,
        box: { x, y: 0, width: 320, height: 180, zOrder: 1, fit: 'crop' },
      },
    ],
  });

  async function liveJob(answer: boolean) {
    const kit = roomKit();
    const alice = await kit.join('alice');
    await kit.room.publish(alice.participant, {
      sdp: await publishOffer(['audio', 'video']),
      tracks: [
        { mid: '0', kind: 'audio', streamType: 'main', muted: false },
        { mid: '1', kind: 'video', streamType: 'main', muted: false },
      ],
    });
    const program = fakeProgram(answer);
    const job = new MediaOutJob(
      {
        id: 'mix:test',
        router: () => kit.room.ensureMedia(),
        sink: { kind: 'rtmp', url: 'rtmp://127.0.0.1:1935/live/x' },
        lookup: (userId, streamType, kind) =>
          kit.room.participants.get(userId)?.streams.get(streamType)?.tracks.get(kind)?.producer
            ?.id ?? null,
        ports: new PortPool(38200, 38299),
        log: pino({ level: 'silent' }),
        command: program.command,
        live: true,
      },
      layoutAt(0),
    );
    await job.start();
    return { job, program };
  }

  it('a new layout is sent to the running program (box moved, background), no restart; a new encoding restarts it', async () => {
    const { job, program } = await liveJob(true);
    const pid = job.pid;
    await job.update(layoutAt(300, 640, 0x102030));
    expect(job.pid).toBe(pid);
    expect(program.runs()).toBe(1);
    expect(job.changes).toEqual({ live: 1, restarts: 0 });
    expect(program.commands()).toEqual([
      { id: 1, op: 'set', name: 'bg', props: { 'foreground-color': '0xff102030' } },
      {
        id: 2,
        op: 'set',
        name: expect.stringMatching(/^q382\d\d$/) as unknown,
        pad: { xpos: '300', ypos: '0', width: '320', height: '180', zorder: '1' },
      },
    ]);
    // Another output size needs new encoders: a restart, with the new layout.
    await job.update(layoutAt(300, 960));
    expect(program.runs()).toBe(2);
    expect(job.pid).not.toBe(pid);
    expect(job.changes).toEqual({ live: 1, restarts: 1 });
    await job.stop();
  });

  it('a live change the program does not answer in time falls back to a restart', async () => {
    const { job, program } = await liveJob(false);
    const started = Date.now();
    await job.update(layoutAt(300));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(program.runs()).toBe(2);
    expect(job.changes).toEqual({ live: 0, restarts: 1 });
    await job.stop();
  }, 15_000);
});
