/** CPU time and memory of a process tree, from /proc (Linux). */
import { readFileSync, readdirSync } from 'node:fs';

export const TICKS_PER_SECOND = 100;
const PAGE_KB = 4;

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime, ticks. */
  ticks: number;
  rssKb: number;
}

function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      rssKb: Number(fields[21]) * PAGE_KB,
    };
  } catch {
    return null;
  }
}

/** The process and all its descendants. */
export function tree(root: number): Stat[] {
  const all: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) all.push(stat);
  }
  const children = new Map<number, Stat[]>();
  for (const s of all) {
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  const out: Stat[] = [];
  const self = all.find((s) => s.pid === root);
  if (!self) return out;
  const queue = [self];
  while (queue.length) {
    const s = queue.shift()!;
    out.push(s);
    queue.push(...(children.get(s.pid) ?? []));
  }
  return out;
}

export interface TreeUsage {
  /** CPU seconds (user + system) of the tree so far. */
  cpuSeconds: number;
  rssKb: number;
  /** RSS of the root process alone (for Parley: the Node process; the rest are its workers). */
  rootRssKb: number;
  processes: number;
}

export function usage(root: number): TreeUsage {
  const stats = tree(root);
  return {
    cpuSeconds: stats.reduce((sum, s) => sum + s.ticks, 0) / TICKS_PER_SECOND,
    rssKb: stats.reduce((sum, s) => sum + s.rssKb, 0),
    rootRssKb: stats.find((s) => s.pid === root)?.rssKb ?? 0,
    processes: stats.length,
  };
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Monotonic time in µs, the same clock in every process of this machine. */
export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** CPU seconds of one process alone (not its children). */
export function processCpu(pid: number): number {
  return (readStat(pid)?.ticks ?? 0) / TICKS_PER_SECOND;
}

/** CPU ticks of every thread of a process tree, by "pid/tid". */
export function threadTicks(root: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of tree(root)) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${s.pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const text = readFileSync(`/proc/${s.pid}/task/${tid}/stat`, 'utf8');
        const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
        out.set(`${s.pid}/${tid}`, Number(fields[11]) + Number(fields[12]));
      } catch {
        // gone
      }
    }
  }
  return out;
}

/** Cores used by the busiest thread between two `threadTicks` readings `seconds` apart. */
export function busiestThread(
  before: Map<string, number>,
  after: Map<string, number>,
  seconds: number,
): number {
  let max = 0;
  for (const [id, ticks] of after) max = Math.max(max, ticks - (before.get(id) ?? 0));
  return max / TICKS_PER_SECOND / seconds;
}

/** CPU time a thread (task) has run, ns, from /proc/<pid>/task/<tid>/schedstat; 0 when gone. */
function taskRunNs(pid: number, tid: string): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** CPU time of one process (all its threads), ns: the scheduler's own count, to the ns. */
export function processRunNs(pid: number): number {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  return tasks.reduce((sum, tid) => sum + taskRunNs(pid, tid), 0);
}

export interface TreeRun {
  /** CPU ns of the root process (Parley: the Node process). */
  rootNs: number;
  /** CPU ns of its descendants (Parley: its mediasoup workers). */
  childrenNs: number;
  rssKb: number;
}

/**
 * CPU time (ns, per thread from schedstat, not 10 ms ticks: a relay's cost is a few ms per
 * second) and memory of a process tree, the root apart from its descendants.
 */
export function treeRun(root: number): TreeRun {
  const stats = tree(root);
  let rootNs = 0;
  let childrenNs = 0;
  for (const s of stats) {
    const ns = processRunNs(s.pid);
    if (s.pid === root) rootNs += ns;
    else childrenNs += ns;
  }
  return { rootNs, childrenNs, rssKb: stats.reduce((sum, s) => sum + s.rssKb, 0) };
}
