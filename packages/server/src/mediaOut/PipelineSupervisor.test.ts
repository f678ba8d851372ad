import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PipelineError, PipelineSupervisor, type SupervisorOptions } from './PipelineSupervisor.js';

const log = pino({ level: 'silent' });

/**
 * A stand-in for gst-launch-1.0: Node itself, whose `-e` (which the supervisor puts first, as
 * gst-launch's EOS flag) evaluates this script. It prints what gst-launch prints, notes each
 * run and each SIGINT in `dir`, and behaves as `mode` says.
 */
function fakeGst(dir: string, mode: string): string {
  return `
    const fs = require('node:fs');
    const dir = ${JSON.stringify(dir)};
    fs.appendFileSync(dir + '/runs', 'run\\n');
    const mode = ${JSON.stringify(mode)};
    console.log('Setting pipeline to PLAYING ...');
    if (mode === 'refused') {
      console.error('ERROR: from element /GstPipeline:pipeline0/GstRtmp2Sink:rtmp2sink0: Connection refused: Could not connect to 127.0.0.1: Connection refused');
      // gst-launch reports the position once more while it shuts down: not a started pipeline.
      console.log('progressreport0 (00:00:01): 1 seconds');
      setTimeout(() => process.exit(1), 100);
    } else {
    let n = 0;
    const tick = setInterval(() => {
      if (mode === 'stall' && n >= 2) return;
      n++;
      console.log('progressreport0 (00:00:0' + (n % 10) + '): ' + n + ' seconds');
    }, 50);
    if (mode === 'crash') setTimeout(() => process.exit(3), 700);
    process.on('SIGINT', () => {
      fs.appendFileSync(dir + '/eos', 'eos\\n');
      if (mode === 'deaf') return;
      clearInterval(tick);
      setTimeout(() => process.exit(0), 20);
    });
    }
  `;
}

function supervisor(mode: string, extra: Partial<SupervisorOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-supervisor-'));
  const sup = new PipelineSupervisor({
    command: process.execPath,
    args: () => [fakeGst(dir, mode)],
    log,
    startTimeoutMs: 3000,
    stallMs: 400,
    stopTimeoutMs: 500,
    backoff: { initialMs: 50, maxMs: 1000, maxRestarts: 3 },
    ...extra,
  });
  const runs = () =>
    existsSync(join(dir, 'runs'))
      ? readFileSync(join(dir, 'runs'), 'utf8').split('\n').length - 1
      : 0;
  const eos = () => existsSync(join(dir, 'eos'));
  return { sup, runs, eos };
}

describe('PipelineSupervisor', () => {
  it('starts once the output moves, and stops with EOS (SIGINT) so the output finalises', async () => {
    const { sup, eos } = supervisor('ok');
    let playing = 0;
    sup.on('playing', () => playing++);
    await sup.start();
    expect(sup.state).toBe('running');
    expect(playing).toBe(1);
    const pid = sup.pid!;
    await sup.stop();
    expect(sup.state).toBe('stopped');
    expect(eos()).toBe(true);
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('a first run that fails rejects with the pipeline’s own error and is not retried', async () => {
    const { sup, runs } = supervisor('refused');
    const error = await sup.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as Error).message).toBe(
      'Connection refused: Could not connect to 127.0.0.1: Connection refused',
    );
    expect(sup.state).toBe('failed');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runs()).toBe(1);
  });

  it('restarts a process that exits, with doubling back-off, then gives up', async () => {
    const { sup, runs } = supervisor('crash');
    const restarting: Array<{ attempt: number; delayMs: number; cause: string }> = [];
    sup.on('restarting', (info) => restarting.push(info));
    const failed = new Promise<PipelineError>((resolve) => sup.on('failed', resolve));
    await sup.start();
    const error = await failed;
    expect(restarting.map((r) => r.delayMs)).toEqual([50, 100, 200]);
    expect(restarting[0]!.cause).toBe('the pipeline exited (code 3)');
    expect(error.message).toBe('gave up after 3 restarts: the pipeline exited (code 3)');
    expect(runs()).toBe(4);
    expect(sup.restarts).toBe(3);
    expect(sup.state).toBe('failed');
  });

  it('a run that lasted long enough resets the back-off', async () => {
    const { sup } = supervisor('crash', { healthyAfterMs: 600 });
    const delays: number[] = [];
    sup.on('restarting', (info) => delays.push(info.delayMs));
    await sup.start();
    await new Promise<void>((resolve) =>
      sup.on('restarting', () => delays.length >= 3 && resolve()),
    );
    expect(delays.slice(0, 3)).toEqual([50, 50, 50]);
    await sup.stop();
  });

  it('kills and restarts a pipeline whose output stalls', async () => {
    const { sup, runs } = supervisor('stall');
    const restarting = new Promise<{ cause: string }>((resolve) => sup.on('restarting', resolve));
    await sup.start();
    expect((await restarting).cause).toBe('the output stalled for 400 ms');
    await new Promise<void>((resolve) => sup.on('progress', () => resolve()));
    expect(runs()).toBe(2);
    await sup.stop();
  });

  it('kills a process that ignores EOS after the stop timeout', async () => {
    const { sup, eos } = supervisor('deaf');
    await sup.start();
    const pid = sup.pid!;
    const started = Date.now();
    await sup.stop();
    expect(eos()).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('replace() restarts with fresh arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-supervisor-'));
    let built = 0;
    const sup = new PipelineSupervisor({
      command: process.execPath,
      args: () => {
        built++;
        return [fakeGst(dir, 'ok')];
      },
      log,
    });
    await sup.start();
    const first = sup.pid;
    await sup.replace();
    expect(sup.pid).not.toBe(first);
    expect(built).toBe(2);
    expect(sup.state).toBe('running');
    await sup.stop();
  });

  it('stop() while replace() waits for the old run’s EOS leaves no process running', async () => {
    const { sup, runs } = supervisor('ok');
    await sup.start();
    const first = sup.pid!;
    const replaced = sup.replace().catch((e: unknown) => e);
    await sup.stop();
    // replace() hears about the stop before stop() resolves (its exit listener came first).
    const error = await replaced;
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as Error).message).toBe('stopped while it was being replaced');
    expect(sup.state).toBe('stopped');
    expect(sup.pid).toBeNull();
    expect(runs()).toBe(1);
    expect(() => process.kill(first, 0)).toThrow();
  });

  it('logs the pipeline’s arguments without the RTMP stream key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-supervisor-'));
    const lines: string[] = [];
    const debugLog = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const sup = new PipelineSupervisor({
      command: process.execPath,
      args: () => [fakeGst(dir, 'ok'), 'location=rtmp://cdn.example.com:1935/live/secret-key-42'],
      log: debugLog,
    });
    await sup.start();
    await sup.stop();
    const logged = lines.find((l) => l.includes('media-out pipeline arguments'));
    expect(logged).toContain('location=rtmp://cdn.example.com:1935/…');
    expect(lines.join('')).not.toContain('secret-key-42');
  });

  it('a command that cannot run rejects naming it', async () => {
    const sup = new PipelineSupervisor({
      command: '/nonexistent/gst-launch-1.0',
      args: () => [],
      log,
    });
    await expect(sup.start()).rejects.toThrow(/nonexistent\/gst-launch-1.0/);
  });
});
