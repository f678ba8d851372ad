/**
 * The delay/jitter relay of the impairment kit (the kernel here has no netem). Runs in a
 * client's edge namespace, which DNATs the client's packets for the server's ports to it:
 * it listens on the same ports at the edge's client-side address, forwards each flow from
 * the edge's server-side address, and sends the answers back from the listening socket, so
 * conntrack restores the server's address as their source and ICE sees the server it asked.
 *
 * Usage: node --import tsx relay.ts '<json config>'; prints "ready"; a JSON line on stdin
 * changes the delay; stdin closing (the parent gone) ends it.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

interface RelayConfig {
  listenIp: string;
  sourceIp: string;
  serverIp: string;
  oneWayMs: number;
  jitterMs: number;
  udpPorts: [number, number];
  tcpPorts: number[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as RelayConfig;
let oneWayMs = config.oneWayMs;
let jitterMs = config.jitterMs;

const delayMs = (): number => Math.max(0, oneWayMs + (Math.random() * 2 - 1) * jitterMs);

/**
 * Delivers in order: a chunk never overtakes the one before it (TCP streams). One FIFO and
 * one timer per direction: separate timers per chunk could fire out of order, since Node
 * starts a timer from the event loop's cached clock, not from Date.now().
 */
function orderedQueue(): (send: () => void) => void {
  const queue: { at: number; send: () => void }[] = [];
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  const drain = () => {
    timer = null;
    while (queue.length > 0 && queue[0]!.at <= Date.now()) queue.shift()!.send();
    if (queue.length > 0) timer = setTimeout(drain, Math.max(1, queue[0]!.at - Date.now()));
  };
  return (send) => {
    last = Math.max(Date.now() + delayMs(), last);
    queue.push({ at: last, send });
    timer ??= setTimeout(drain, Math.max(1, last - Date.now()));
  };
}

function relayUdp(port: number): Promise<void> {
  const listener = createSocket('udp4');
  const flows = new Map<string, UdpSocket>();
  listener.on('message', (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let upstream = flows.get(key);
    if (!upstream) {
      const socket = createSocket('udp4');
      socket.bind({ address: config.sourceIp, port: 0 });
      socket.on('message', (answer) =>
        setTimeout(() => listener.send(answer, from.port, from.address), delayMs()),
      );
      socket.on('error', () => undefined);
      flows.set(key, socket);
      upstream = socket;
    }
    const target = upstream;
    setTimeout(() => target.send(msg, port, config.serverIp), delayMs());
  });
  listener.on('error', (error) => process.stderr.write(`relay udp ${port}: ${error.message}\n`));
  return new Promise((resolve) => listener.bind({ address: config.listenIp, port }, resolve));
}

function relayTcp(port: number): Promise<void> {
  // Half-open allowed both ways: an end is passed on after the data queued before it.
  const server = createServer({ allowHalfOpen: true }, (client: Socket) => {
    const upstream = connect({
      host: config.serverIp,
      port,
      localAddress: config.sourceIp,
      allowHalfOpen: true,
    });
    const up = orderedQueue();
    const down = orderedQueue();
    client.on('data', (chunk) => up(() => upstream.write(chunk)));
    upstream.on('data', (chunk) => down(() => client.write(chunk)));
    client.on('end', () => up(() => upstream.end()));
    upstream.on('end', () => down(() => client.end()));
    const destroy = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', destroy);
    upstream.on('error', destroy);
  });
  server.on('error', (error) => process.stderr.write(`relay tcp ${port}: ${error.message}\n`));
  return new Promise((resolve) => server.listen(port, config.listenIp, resolve));
}

const [min, max] = config.udpPorts;
const ports: Promise<void>[] = [];
for (let p = min; p <= max; p++) ports.push(relayUdp(p));
for (const p of config.tcpPorts) ports.push(relayTcp(p));
await Promise.all(ports);
process.stdout.write('ready\n');

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() === '') return;
    const next = JSON.parse(line) as Partial<RelayConfig>;
    oneWayMs = next.oneWayMs ?? oneWayMs;
    jitterMs = next.jitterMs ?? jitterMs;
  })
  .on('close', () => process.exit(0));
