/**
 * The impairment kit itself, without a browser: UDP probes from a client namespace to an echo
 * in the server namespace show the loss rate, the delay and the cut it was told to make, and
 * closing the lab leaves no namespace behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs } from './exec.js';
import { NetLab, SERVER_IP, unavailableReason, type NetClient } from './index.js';

const skip = unavailableReason();
const PORT = 40000;

const ECHO = `
const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(${PORT}, '${SERVER_IP}', () => console.log('ready'));
`;

/** Sends `count` probes 2 ms apart; returns how many came back and their median RTT (ms). */
function probe(client: NetClient, count: number): { echoed: number; medianRttMs: number } {
  const script = `
const s = require('node:dgram').createSocket('udp4');
const sent = new Map(); const rtts = [];
s.on('message', (m) => { const t = sent.get(m.toString()); if (t !== undefined) { rtts.push(Date.now() - t); sent.delete(m.toString()); } });
let i = 0;
const timer = setInterval(() => {
  if (i >= ${count}) { clearInterval(timer); setTimeout(() => { rtts.sort((a, b) => a - b); console.log(JSON.stringify({ echoed: rtts.length, medianRttMs: rtts[Math.floor(rtts.length / 2)] ?? -1 })); process.exit(0); }, 1000); return; }
  const id = String(i++); sent.set(id, Date.now()); s.send(id, ${PORT}, '${SERVER_IP}');
}, 2);
`;
  return JSON.parse(inNs(client.ns, process.execPath, ['-e', script])) as {
    echoed: number;
    medianRttMs: number;
  };
}

describe.skipIf(skip !== null)('the impairment kit', () => {
  let lab: NetLab;
  let client: NetClient;
  let stopEcho: () => void = () => undefined;

  beforeAll(async () => {
    lab = NetLab.create();
    client = lab.addClient('probe');
    const echo = spawn('ip', ['netns', 'exec', lab.serverNs, process.execPath, '-e', ECHO], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    stopEcho = () => echo.kill('SIGKILL');
    await new Promise<void>((resolve) => echo.stdout.once('data', () => resolve()));
  });
  afterAll(() => {
    stopEcho();
    lab?.close();
  });

  it('a clean link echoes everything', () => {
    expect(probe(client, 200).echoed).toBe(200);
  });

  it('20% loss each way drops about 36% of round trips', () => {
    client.impair.loss({ uplinkPercent: 20, downlinkPercent: 20 });
    const { echoed } = probe(client, 500);
    client.impair.loss({});
    // 0.8 × 0.8 = 64% expected back; ± 4 standard deviations of 500 draws.
    expect(echoed / 500).toBeGreaterThan(0.55);
    expect(echoed / 500).toBeLessThan(0.73);
  });

  it('a cut drops everything; restore brings it back', () => {
    client.impair.cut();
    expect(probe(client, 50).echoed).toBe(0);
    client.impair.restore();
    expect(probe(client, 50).echoed).toBe(50);
  });

  it('the relay adds its delay both ways', async () => {
    await client.impair.delay({ oneWayMs: 60, udpPorts: [PORT, PORT], tcpPorts: [8080] });
    const { echoed, medianRttMs } = probe(client, 100);
    client.impair.stopRelay();
    expect(echoed).toBe(100);
    expect(medianRttMs).toBeGreaterThanOrEqual(120);
    expect(medianRttMs).toBeLessThan(400);
  });

  it('close() removes every namespace of the lab', () => {
    const names = [lab.serverNs, client.ns, client.edgeNs];
    lab.close();
    const left = readdirSync('/run/netns').filter((n) => names.includes(n));
    expect(left).toEqual([]);
  });
});
