/**
 * A private network for calls under impairment: a server namespace, and for each client a
 * namespace of its own behind an "edge" namespace that routes between the client and the
 * server and is where the impairments live (loss and cuts with nftables, rate caps with tc,
 * delay and jitter with our userspace relay). The client namespace itself is untouched: a
 * loopback and one veth, as a laptop behind a bad link.
 *
 *   client i [wan 10.77.i.1] ── [cli 10.77.i.2] edge i [srv 10.77.i.5] ── [c<i> 10.77.i.6] server
 *
 * The server's services listen on 10.77.0.1 (and TURN on 10.77.0.2), addresses on its
 * loopback reached from every client through its edge. 10.77.0.0/16 is private and distinct
 * from the bench's 10.123.45.0/24; namespaces are named parley-<pid>-<random>-…, so runs never
 * collide, and the namespaces of a run whose process died are removed by the next one.
 */
import { existsSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { inNs, run } from './exec.js';
import { EdgeImpairments } from './EdgeImpairments.js';
import { SERVER_IP, TURN_IP } from './addresses.js';

export { SERVER_IP, TURN_IP };

const PREFIX = 'parley-';
const MAX_CLIENTS = 250;

const labs = new Set<NetLab>();
let exitHookInstalled = false;

/** Deletes the namespaces of earlier runs whose process is gone (a killed test leaves them). */
export function removeStaleNamespaces(): void {
  if (!existsSync('/run/netns')) return;
  for (const name of readdirSync('/run/netns')) {
    const pid = /^parley-(\d+)-/.exec(name)?.[1];
    if (pid === undefined || existsSync(`/proc/${pid}`)) continue;
    killNamespaceProcesses(name);
    try {
      run('ip', ['netns', 'del', name]);
    } catch {
      // already gone
    }
  }
}

/** SIGKILLs what runs in namespace `ns` (only our own namespaces are passed here). */
function killNamespaceProcesses(ns: string): void {
  let pids: string[] = [];
  try {
    pids = run('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

export class NetClient {
  readonly ip: string;
  readonly edgeIp: string;
  /** Address of the edge on the server's side (what the server sees when the relay is on). */
  readonly edgeUpstreamIp: string;
  readonly impair: EdgeImpairments;

  constructor(
    readonly name: string,
    readonly index: number,
    readonly ns: string,
    readonly edgeNs: string,
  ) {
    this.ip = `10.77.${index}.1`;
    this.edgeIp = `10.77.${index}.2`;
    this.edgeUpstreamIp = `10.77.${index}.5`;
    this.impair = new EdgeImpairments(edgeNs, this.edgeIp, this.edgeUpstreamIp);
  }
}

export class NetLab {
  readonly serverNs: string;
  readonly serverIp = SERVER_IP;
  readonly turnIp = TURN_IP;
  readonly clients: NetClient[] = [];
  #closed = false;

  private constructor(readonly id: string) {
    this.serverNs = `${id}-srv`;
  }

  /** Makes the server namespace; add clients with addClient(). Needs root. */
  static create(): NetLab {
    removeStaleNamespaces();
    const lab = new NetLab(`${PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`);
    labs.add(lab);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // A test run that ends without closing (failure, Ctrl-C) still removes its namespaces.
      process.once('exit', () => {
        for (const l of labs) l.close();
      });
    }
    try {
      run('ip', ['netns', 'add', lab.serverNs]);
      run('ip', ['-n', lab.serverNs, 'link', 'set', 'lo', 'up']);
      for (const ip of [SERVER_IP, TURN_IP]) {
        run('ip', ['-n', lab.serverNs, 'addr', 'add', `${ip}/32`, 'dev', 'lo']);
      }
    } catch (error) {
      lab.close();
      throw error;
    }
    return lab;
  }

  /** A client namespace behind its own edge, routed to the server. */
  addClient(name: string): NetClient {
    const index = this.clients.length + 1;
    if (index > MAX_CLIENTS) throw new Error(`at most ${MAX_CLIENTS} clients per lab`);
    const client = new NetClient(name, index, `${this.id}-c${index}`, `${this.id}-e${index}`);
    this.clients.push(client);
    const { ns, edgeNs } = client;
    run('ip', ['netns', 'add', ns]);
    run('ip', ['netns', 'add', edgeNs]);
    const veth = (a: string, aNs: string, b: string, bNs: string) =>
      run('ip', ['link', 'add', a, 'netns', aNs, 'type', 'veth', 'peer', 'name', b, 'netns', bNs]);
    veth('wan', ns, 'cli', edgeNs);
    veth('srv', edgeNs, `c${index}`, this.serverNs);
    const addr = (n: string, dev: string, cidr: string) => {
      run('ip', ['-n', n, 'addr', 'add', cidr, 'dev', dev]);
      run('ip', ['-n', n, 'link', 'set', dev, 'up']);
    };
    for (const n of [ns, edgeNs]) run('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    addr(ns, 'wan', `${client.ip}/30`);
    addr(edgeNs, 'cli', `${client.edgeIp}/30`);
    addr(edgeNs, 'srv', `${client.edgeUpstreamIp}/30`);
    addr(this.serverNs, `c${index}`, `10.77.${index}.6/30`);
    run('ip', ['-n', ns, 'route', 'add', 'default', 'via', client.edgeIp]);
    run('ip', ['-n', edgeNs, 'route', 'add', 'default', 'via', `10.77.${index}.6`]);
    run('ip', [
      '-n',
      this.serverNs,
      'route',
      'add',
      `10.77.${index}.0/30`,
      'via',
      `10.77.${index}.5`,
    ]);
    inNs(edgeNs, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    client.impair.install();
    return client;
  }

  /** Kills what still runs in the lab's namespaces and deletes them. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    labs.delete(this);
    const all = [...this.clients.flatMap((c) => [c.ns, c.edgeNs]), this.serverNs];
    for (const ns of all) killNamespaceProcesses(ns);
    for (const c of this.clients) c.impair.stopRelay();
    for (const ns of all) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        // never made, or gone
      }
    }
  }
}
