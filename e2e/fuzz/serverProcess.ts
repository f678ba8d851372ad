/**
 * The built Parley server (packages/server/dist/main.js) in a process of its own, as it runs
 * in production: its memory can be measured apart from the test's, and a crash is its exit.
 * Run `npm run build` first (npm test does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const MAIN = fileURLToPath(new URL('../../packages/server/dist/main.js', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  origin: string;
  /** Everything it printed (JSON log lines at the level asked for). */
  output(): string;
  /** Null while it runs. */
  exitCode(): number | null;
  /**
   * A full garbage collection in the server's V8 now (through its inspector, which only the
   * test can reach: 127.0.0.1, random port), so a memory figure shows what is retained rather
   * than when V8 last chose to compact.
   */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-fuzz-')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exit: number | null = null;
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = code ?? (signal ? 128 : -1);
      resolve();
    }),
  );
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exit !== null) throw new Error(`the server exited with ${exit}: ${output}`);
    const ready = await fetch(`${origin}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`the server did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
  if (!inspector) throw new Error(`the server printed no inspector address: ${output}`);
  return {
    child,
    origin,
    output: () => output,
    exitCode: () => exit,
    collectGarbage: () => inspectorCall(inspector, 'HeapProfiler.collectGarbage'),
    stop: async () => {
      if (exit === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One inspector protocol call, answered within 10 s. */
function inspectorCall(url: string, method: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`${method}: no answer from the inspector within 10 s`));
    }, 10_000);
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve();
    };
    socket.on('open', () => socket.send(JSON.stringify({ id: 1, method })));
    socket.on('message', (data: Buffer) => {
      const answer = JSON.parse(data.toString()) as { id?: number; error?: { message: string } };
      if (answer.id === 1) done(answer.error ? new Error(answer.error.message) : undefined);
    });
    socket.on('error', done);
  });
}
