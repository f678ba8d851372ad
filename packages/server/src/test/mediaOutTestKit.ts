/**
 * What the media-out and recording unit tests share: a fake pipeline program in place of
 * gst-launch-1.0 (no GStreamer needed, nothing encoded), a publisher of audio and video in a
 * RoomKit room, and small waits.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishOffer } from './offers.js';
import type { RoomKit } from './roomTestKit.js';

export interface FakeGstOptions {
  /** The run fails this long after it started, with an rtmp2sink error on stderr (ms). */
  crashAfterMs?: number;
  /** On SIGINT (EOS) the run notes it, then takes this long to end (ms; default: at once). */
  eosMs?: number;
  /** The run writes 8000 bytes to the file its `location=` argument names (a recording). */
  writesFile?: boolean;
  /**
   * Runs that fail at once, writing nothing, with an mp4mux error on stdout: every run (true)
   * or the n-th.
   */
  broken?: boolean | number;
}

export interface FakeGst {
  /** The program to run instead of gst-launch-1.0. */
  command: string;
  /** Each run's arguments as one line, in the order the runs started. */
  runs(): string[];
  /** Each run's pid, in the same order. */
  pids(): number[];
  /** The file each run wrote (writesFile). */
  files(): string[];
  /** Whether a run was sent EOS (SIGINT). */
  eosSent(): boolean;
}

/**
 * A pipeline program that plays at once (gst-launch-1.0's "Setting pipeline to PLAYING" and a
 * progressreport line every 50 ms, which the supervisor reads as its output moving), notes
 * each run and ends on SIGINT, as gst-launch-1.0 -e does at EOS.
 */
export function fakeGst(options: FakeGstOptions = {}): FakeGst {
  const { crashAfterMs, eosMs = 0, writesFile = false, broken = false } = options;
  const dir = mkdtempSync(join(tmpdir(), 'parley-fake-gst-'));
  const command = join(dir, 'fake-gst');
  const failWhen = broken === false ? null : broken === true ? '-ge 1' : `-eq ${broken}`;
  const lines = [
    '#!/bin/sh',
    `echo "$$ $@" >> ${dir}/runs`,
    `n=$(wc -l < ${dir}/runs)`,
    ...(writesFile
      ? [
          `for a in "$@"; do case "$a" in location=*) f="\${a#location=}"; echo "$f" >> ${dir}/files;; esac; done`,
        ]
      : []),
    ...(failWhen
      ? [
          `if [ "$n" ${failWhen} ]; then echo "ERROR: from element /GstPipeline:pipeline0/GstMP4Mux:mux: Could not multiplex stream."; exit 1; fi`,
        ]
      : []),
    ...(writesFile ? ['head -c 8000 /dev/zero > "$f"'] : []),
    'echo "Setting pipeline to PLAYING ..."',
    `trap 'echo "$$" >> ${dir}/eos; ${eosMs > 0 ? `sleep ${eosMs / 1000}; ` : ''}exit 0' INT`,
    ...(crashAfterMs
      ? [
          `(sleep ${crashAfterMs / 1000}; echo 'ERROR: from element /GstPipeline:pipeline0/GstRtmp2Sink:rtmp2sink0: Could not write to resource.' >&2; kill $$) &`,
        ]
      : []),
    'i=0',
    'while true; do i=$((i+1)); echo "progressreport0 (00:00:01): $i seconds"; sleep 0.05; done',
  ];
  writeFileSync(command, lines.join('\n') + '\n');
  chmodSync(command, 0o755);
  const linesOf = (name: string) => {
    const file = join(dir, name);
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
  };
  return {
    command,
    runs: () => linesOf('runs').map((line) => line.slice(line.indexOf(' ') + 1)),
    pids: () => linesOf('runs').map((line) => Number(line.split(' ')[0])),
    files: () => linesOf('files'),
    eosSent: () => existsSync(join(dir, 'eos')),
  };
}

/** Audio and video of the main stream, as a v4 client publishes them. */
export const AV_TRACKS = [
  { mid: '0', kind: 'audio', streamType: 'main', muted: false },
  { mid: '1', kind: 'video', streamType: 'main', muted: false },
] as const;

/** `userId` joins the kit's room and publishes audio and video. */
export async function publishAV(kit: RoomKit, userId: string): ReturnType<RoomKit['join']> {
  const member = await kit.join(userId);
  await kit.room.publish(member.participant, {
    sdp: await publishOffer(['audio', 'video']),
    tracks: [...AV_TRACKS],
  });
  return member;
}

/** Whether a process is alive (signal 0). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 20 ms until it gives a truthy value; throws naming `what` after the time. */
export async function until<T>(
  what: string,
  check: () => T | null | undefined | false,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
