/**
 * The impairments of one client's link, applied in its edge namespace: "uplink" is what the
 * client sends (enters the edge on `cli`, leaves on `srv`), "downlink" what it receives.
 * Loss and cuts are nftables rules at the earliest hook, so they hit forwarded and relayed
 * packets alike; rate caps are tc tbf qdiscs on the edge's egress; delay and jitter come from
 * our relay (relay.ts), to which the edge DNATs the client's packets for the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { nft, run } from './exec.js';
import { SERVER_IP } from './addresses.js';

const RELAY = fileURLToPath(new URL('./relay.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface LossOptions {
  /** Percent of the client's outgoing packets dropped (0–100). */
  uplinkPercent?: number;
  downlinkPercent?: number;
  /** Only UDP (media, TURN); TCP (signaling, ICE-TCP) untouched. Default true. */
  udpOnly?: boolean;
}

export interface CapOptions {
  uplinkKbps?: number;
  downlinkKbps?: number;
}

export interface DelayOptions {
  /** Added each way: the round trip grows by twice this. */
  oneWayMs: number;
  /** Each packet's delay varies uniformly by ± this (UDP may then reorder, as real jitter does). */
  jitterMs?: number;
  /** The server's UDP and TCP ports whose traffic goes through the relay. */
  udpPorts: [number, number];
  tcpPorts: number[];
}

const percent = (n: number) => {
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new Error(`loss must be 0–100, got ${n}`);
  return n;
};

export class EdgeImpairments {
  #relay: ChildProcess | null = null;

  constructor(
    readonly ns: string,
    /** The edge's address on the client's side: the relay listens there. */
    readonly clientSideIp: string,
    /** The edge's address on the server's side: the relay sends from there. */
    readonly serverSideIp: string,
  ) {}

  /** The tables and chains; rules are added to and flushed from the regular chains. */
  install(): void {
    nft(
      this.ns,
      `table inet parleynet {
  chain cut {}
  chain cutout {}
  chain block {}
  chain loss {}
  chain pre { type filter hook prerouting priority -300; policy accept; jump cut; jump block; jump loss; }
  chain out { type filter hook output priority -300; policy accept; jump cutout; }
}
table ip parleyrelay {
  chain torelay { type nat hook prerouting priority -100; policy accept; }
}
`,
    );
  }

  /** Random loss each way (replaces the previous loss setting). */
  loss({ uplinkPercent = 0, downlinkPercent = 0, udpOnly = true }: LossOptions): void {
    const proto = udpOnly ? 'meta l4proto udp ' : '';
    const rules = [
      ['cli', percent(uplinkPercent)],
      ['srv', percent(downlinkPercent)],
    ]
      .filter(([, p]) => (p as number) > 0)
      .map(
        ([dev, p]) =>
          `add rule inet parleynet loss iifname "${dev}" ${proto}numgen random mod 100 < ${p} drop`,
      );
    nft(this.ns, ['flush chain inet parleynet loss', ...rules].join('\n') + '\n');
  }

  /** Drops everything both ways until restore() (the relay's own packets too). */
  cut(): void {
    nft(
      this.ns,
      `flush chain inet parleynet cut
flush chain inet parleynet cutout
add rule inet parleynet cut iifname { "cli", "srv" } drop
add rule inet parleynet cutout oifname { "cli", "srv" } drop
`,
    );
  }

  restore(): void {
    nft(this.ns, 'flush chain inet parleynet cut\nflush chain inet parleynet cutout\n');
  }

  /**
   * Drops the client's packets that match an nft expression, e.g.
   * `ip daddr 10.77.0.1 meta l4proto udp` (a firewall that blocks direct UDP to the server).
   */
  blockFromClient(...matches: string[]): void {
    nft(
      this.ns,
      matches.map((m) => `add rule inet parleynet block iifname "cli" ${m} drop`).join('\n') + '\n',
    );
  }

  unblock(): void {
    nft(this.ns, 'flush chain inet parleynet block\n');
  }

  /** A token-bucket rate cap each way (replaces the previous one; undefined removes it). */
  cap({ uplinkKbps, downlinkKbps }: CapOptions): void {
    for (const [dev, kbps] of [
      ['srv', uplinkKbps],
      ['cli', downlinkKbps],
    ] as const) {
      try {
        run('ip', ['netns', 'exec', this.ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root']);
      } catch {
        // none yet
      }
      if (kbps === undefined) continue;
      if (!Number.isFinite(kbps) || kbps < 8)
        throw new Error(`cap must be ≥ 8 kbit/s, got ${kbps}`);
      // 20 ms of the rate as burst (at least a few full packets), 200 ms of queue.
      const burst = Math.max(Math.round((kbps * 1000) / 8 / 50), 4500);
      run('ip', [
        'netns',
        'exec',
        this.ns,
        'tc',
        'qdisc',
        'add',
        'dev',
        dev,
        'root',
        'tbf',
        'rate',
        `${kbps}kbit`,
        'burst',
        String(burst),
        'latency',
        '200ms',
      ]);
    }
  }

  /**
   * Puts the relay in the path of the client's traffic to the given server ports, adding
   * `oneWayMs` (± jitter) each way. Calling it again changes the delay in place.
   */
  async delay(options: DelayOptions): Promise<void> {
    const config = {
      listenIp: this.clientSideIp,
      sourceIp: this.serverSideIp,
      serverIp: SERVER_IP,
      oneWayMs: options.oneWayMs,
      jitterMs: options.jitterMs ?? 0,
      udpPorts: options.udpPorts,
      tcpPorts: options.tcpPorts,
    };
    if (this.#relay) {
      this.#relay.stdin?.write(JSON.stringify(config) + '\n');
      return;
    }
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns,
        process.execPath,
        '--import',
        'tsx',
        RELAY,
        JSON.stringify(config),
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    this.#relay = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the relay did not start within 15 s')),
        15_000,
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the relay exited (${code}) before it was ready`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const [min, max] = options.udpPorts;
    nft(
      this.ns,
      `add rule ip parleyrelay torelay iifname "cli" ip daddr ${SERVER_IP} udp dport ${min}-${max} dnat to ${this.clientSideIp}
add rule ip parleyrelay torelay iifname "cli" ip daddr ${SERVER_IP} tcp dport { ${options.tcpPorts.join(', ')} } dnat to ${this.clientSideIp}
`,
    );
  }

  /** Takes the relay out of the path (new flows go direct again). */
  stopRelay(): void {
    try {
      nft(this.ns, 'flush chain ip parleyrelay torelay\n');
    } catch {
      // the namespace is gone
    }
    this.#relay?.kill('SIGKILL');
    this.#relay = null;
  }
}
