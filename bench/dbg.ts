import { joinParticipant, type Participant } from './lib/clients.js';
import { MediaPump } from './lib/peer.js';
import { startParley, PARLEY_APP_ID, PARLEY_KEY } from './lib/servers.js';
import { sleep, usage, processCpu } from './lib/proc.js';
const server = await startParley();
const pump = new MediaPump(false);
pump.start(120000);
const all: Participant[] = [];
for (const room of [1, 2, 3]) {
  for (let u = 0; u < 4; u++) {
    const t0 = Date.now();
    try {
      const p = await joinParticipant({ server: 'Parley', url: server.url, sdkAppId: PARLEY_APP_ID, secretKey: PARLEY_KEY, roomId: room }, `r${room}u${u}`, true, true);
      pump.add(p.publisher!);
      all.push(p);
      console.log(`r${room}u${u} joined in ${Date.now() - t0} ms`);
    } catch (e) {
      console.log(`r${room}u${u} failed after ${Date.now() - t0} ms: ${(e as Error).message}`);
    }
  }
}
const a = processCpu(process.pid), b = usage(server.pid).cpuSeconds;
const snap0 = all.map((p) => p.counter!.snapshot());
await sleep(5000);
console.log('client cores', (processCpu(process.pid) - a) / 5, 'server cores', (usage(server.pid).cpuSeconds - b) / 5);
all.forEach((p, i) => { const s = p.counter!.snapshot(); console.log('window', s.received - snap0[i]!.received, s.expected - snap0[i]!.expected); });
for (const p of all) console.log(JSON.stringify(p.counter?.snapshot()));
pump.stop();
await server.stop();
process.exit(0);
