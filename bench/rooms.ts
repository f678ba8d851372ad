/**
 * `rooms`: many 4-person rooms (everyone publishes Opus + 720p VP8 and receives the other
 * three), rooms added until packets are lost or a CPU is full. The figure: participants per
 * server core, at the largest loss-free step (participants / server cores used there).
 */
import { cpus } from 'node:os';
import { OTHER_LOAD } from './forwarding.js';
import { createJanusRoom, type Target } from './lib/clients.js';
import {
  machineTicks,
  nowUs,
  processCpu,
  sleep,
  threadTicks,
  busiestThread,
  usage,
} from './lib/proc.js';
import { PARLEY_APP_ID, PARLEY_KEY, type ServerUnderTest } from './lib/servers.js';
import { ClientWorker } from './lib/workers.js';
import { fmt, table } from './lib/report.js';

const PER_ROOM = 4;
const LOSS_LIMIT_PERCENT = 0.1;

export interface RoomsStep {
  rooms: number;
  participants: number;
  joinFailures: number;
  /** Receivers that got nothing in the window. */
  silentReceivers: number;
  forwarded: number;
  lost: number;
  lossPercent: number;
  serverCores: number;
  /** Busiest single thread of the server tree, cores (a single-threaded loop at 1 is full). */
  busiestServerCore: number;
  clientCores: number;
  busiestClientCore: number;
  machineBusyPercent: number;
  /** Cores the rest of the machine used meanwhile (other work than this bench). */
  otherCores: number;
  participantsPerCore: number;
  rssMb: number;
}

export interface RoomsResult {
  server: string;
  steps: RoomsStep[];
  /** Participants at the largest loss-free step. */
  capacity: number;
  participantsPerCore: number;
  limit: string;
}

export interface RoomsOptions {
  steps: number[];
  settleMs: number;
  windowMs: number;
  workers: number;
  /** No new step starts after this long (the whole run must fit in 10 minutes). */
  budgetMs: number;
}

export const DEFAULT_ROOMS: RoomsOptions = {
  budgetMs: 90_000,
  steps: [1, 2, 3, 4, 6, 8, 12, 16, 20],
  settleMs: 3000,
  windowMs: 4000,
  workers: 2,
};

export async function rooms(
  server: ServerUnderTest,
  options: RoomsOptions = DEFAULT_ROOMS,
): Promise<RoomsResult> {
  const base = 20_000 + Math.floor(Math.random() * 1000) * 100;
  const workers = Array.from({ length: options.workers }, () => new ClientWorker());
  const steps: RoomsStep[] = [];
  let limit = `none up to ${options.steps[options.steps.length - 1]} rooms`;
  try {
    let current = 0;
    const started = Date.now();
    for (const k of options.steps) {
      if (Date.now() - started > options.budgetMs) {
        limit = `not reached: time budget spent before ${k} rooms`;
        break;
      }
      const joins: Promise<string[]>[] = [];
      for (let r = current; r < k; r++) {
        const worker = workers[r % workers.length]!;
        joins.push(joinRoom(server, worker, base + r));
      }
      const failures = (await Promise.all(joins)).flat();
      if (failures.length) console.log(`  ${failures.length} joins failed, e.g. ${failures[0]}`);
      current = k;
      await sleep(options.settleMs);

      await Promise.all(workers.map((w) => w.call<'marked'>({ type: 'mark', sampling: false })));
      const pids = [process.pid, ...workers.map((w) => w.pid)];
      const cpu0 = usage(server.pid).cpuSeconds;
      const threads0 = threadTicks(server.pid);
      const clients0 = pids.map(processCpu);
      const m0 = machineTicks();
      const t0 = nowUs();
      await sleep(options.windowMs);
      const reports = await Promise.all(workers.map((w) => w.call<'report'>({ type: 'report' })));
      const seconds = (nowUs() - t0) / 1e6;
      const cpu1 = usage(server.pid);
      const busiestServerCore = busiestThread(threads0, threadTicks(server.pid), seconds);
      const clientDeltas = pids.map((pid, i) => (processCpu(pid) - clients0[i]!) / seconds);
      const m1 = machineTicks();

      const receivers = reports.flatMap((r) => r.receivers);
      let forwarded = 0;
      let lost = 0;
      let silent = 0;
      for (const r of receivers) {
        forwarded += r.received;
        lost += Math.max(0, r.expected - r.received);
        if (r.video === 0 || r.audio === 0) silent++;
      }
      const participants = k * PER_ROOM;
      const serverCores = (cpu1.cpuSeconds - cpu0) / seconds;
      const step: RoomsStep = {
        rooms: k,
        participants,
        joinFailures: failures.length,
        silentReceivers: silent + Math.max(0, participants - receivers.length),
        forwarded,
        lost,
        lossPercent: (100 * lost) / Math.max(1, forwarded + lost),
        serverCores,
        busiestServerCore,
        clientCores: clientDeltas.reduce((a, b) => a + b, 0),
        busiestClientCore: Math.max(...clientDeltas),
        machineBusyPercent: (100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total),
        otherCores: 0,
        participantsPerCore: participants / Math.max(1e-6, serverCores),
        rssMb: cpu1.rssKb / 1024,
      };
      step.otherCores = Math.max(
        0,
        (step.machineBusyPercent / 100) * cpus().length - step.serverCores - step.clientCores,
      );
      steps.push(step);
      console.log(
        `  ${server.name} ${k} rooms (${participants}): loss ${fmt(step.lossPercent, 2)} %, ` +
          `${step.silentReceivers} silent, server ${fmt(serverCores, 2)} cores, ` +
          `clients ${fmt(step.clientCores, 2)}, ${fmt(step.participantsPerCore, 0)} participants/core`,
      );
      const bad =
        step.lossPercent > LOSS_LIMIT_PERCENT || step.joinFailures > 0 || step.silentReceivers > 0;
      const serverFull = step.busiestServerCore >= 0.9;
      const clientFull = step.busiestClientCore >= 0.9;
      const bothFull = step.serverCores + step.clientCores >= 1.85;
      if (bad || serverFull || clientFull || bothFull) {
        const side =
          step.otherCores > OTHER_LOAD && step.machineBusyPercent >= 95
            ? `the machine was full with other work (${fmt(step.otherCores, 2)} cores of it): not a clean limit`
            : serverFull && !clientFull
              ? 'server side (a server thread at a full core)'
              : clientFull && !serverFull
                ? 'client side (a client process at a full core)'
                : bothFull || step.machineBusyPercent >= 95 || (serverFull && clientFull)
                  ? `both cores busy, mostly the ${step.serverCores >= step.clientCores ? 'server' : 'clients'}`
                  : 'no CPU full';
        limit =
          `at ${k} rooms: ${bad ? `${fmt(step.lossPercent, 2)} % loss, ${step.silentReceivers} silent, ${step.joinFailures} failed joins` : 'CPU full before any loss'}; ` +
          `${side}; server ${fmt(step.serverCores, 2)} cores, clients ${fmt(step.clientCores, 2)} cores`;
        break;
      }
    }
    const good = steps.filter(
      (s) => s.lossPercent <= LOSS_LIMIT_PERCENT && s.joinFailures === 0 && s.silentReceivers === 0,
    );
    const best = good[good.length - 1];
    const result: RoomsResult = {
      server: server.name,
      steps,
      capacity: best?.participants ?? 0,
      participantsPerCore: best?.participantsPerCore ?? 0,
      limit,
    };
    table(
      `rooms — ${server.name}: 4-person rooms, everyone publishes Opus + 720p VP8 (limit ${limit})`,
      [
        'rooms',
        'participants',
        'loss %',
        'silent',
        'server cores',
        'client cores',
        'machine %',
        'other cores',
        'participants/core',
        'RSS MB',
      ],
      steps.map((s) => [
        s.rooms,
        s.participants,
        fmt(s.lossPercent, 2),
        s.silentReceivers,
        fmt(s.serverCores, 2),
        fmt(s.clientCores, 2),
        fmt(s.machineBusyPercent, 0),
        fmt(s.otherCores, 2),
        fmt(s.participantsPerCore, 0),
        fmt(s.rssMb, 1),
      ]),
    );
    return result;
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

/** Four participants in one room, all in one client process; returns failed joins. */
async function joinRoom(
  server: ServerUnderTest,
  worker: ClientWorker,
  roomId: number,
): Promise<string[]> {
  const users = Array.from({ length: PER_ROOM }, (_, i) => `r${roomId}u${i}`);
  if (server.name === 'Parley') {
    const target: Target = {
      server: 'Parley',
      url: server.url,
      sdkAppId: PARLEY_APP_ID,
      secretKey: PARLEY_KEY,
      roomId,
    };
    const r = await worker.call<'joined'>({
      type: 'join',
      target,
      users,
      publish: true,
      subscribe: true,
      parallel: 1,
    });
    return r.failed;
  }
  const target: Target = { server: 'Janus', url: server.url, roomId };
  await createJanusRoom(server.url, roomId);
  const pub = await worker.call<'joined'>({
    type: 'join',
    target,
    users,
    publish: true,
    subscribe: false,
    parallel: 2,
  });
  const feedsByUser: Record<string, number[]> = {};
  for (const u of users) {
    feedsByUser[`${u}s`] = users
      .filter((o) => o !== u && pub.feeds[o] !== undefined)
      .map((o) => pub.feeds[o]!);
  }
  const sub = await worker.call<'joined'>({
    type: 'join',
    target,
    users: users.map((u) => `${u}s`),
    publish: false,
    subscribe: true,
    feedsByUser,
    parallel: 2,
  });
  return [...pub.failed, ...sub.failed];
}
