import { Fuzzer, totalSent } from '/work/wt-10/e2e/fuzz/fuzzer.js';
import { FuzzMessages } from '/work/wt-10/e2e/fuzz/messages.js';
import { mib, processTree, treeRss } from '/work/wt-10/e2e/fuzz/processTree.js';
import { Random } from '/work/wt-10/e2e/fuzz/random.js';
import { startServerProcess } from '/work/wt-10/e2e/fuzz/serverProcess.js';
import { readFileSync } from 'node:fs';
const rss = (p: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]) / 1024;
const server = await startServerProcess({
  PARLEY_SDK_APP_ID: '1400000001',
  PARLEY_SECRET_KEY: 'fuzz-secret-key-0123456789abcdef0123456789abcdef',
  PARLEY_LOG_LEVEL: 'error',
  PARLEY_WORKERS: '2',
  PARLEY_MESSAGES_PER_SECOND: '400',
  PARLEY_SESSION_TIMEOUT_MS: '6000',
});
const pid = server.child.pid!;
const heap = async () => {
  const t = await (await fetch(`${server.origin}/metrics`)).text();
  return (
    (t.match(/^nodejs_heap_size_used_bytes (\S+)/m)?.[1] ?? '?') +
    ' heapTotal ' +
    (t.match(/^nodejs_heap_size_total_bytes (\S+)/m)?.[1] ?? '?') +
    ' ext ' +
    (t.match(/^nodejs_external_memory_bytes (\S+)/m)?.[1] ?? '?')
  );
};
const show = async (label: string) =>
  console.log(
    label,
    processTree(pid)
      .map((p) => `${p}:${rss(p).toFixed(1)}`)
      .join(' '),
    'total',
    mib(treeRss(pid)),
    await heap(),
  );
await new Promise((r) => setTimeout(r, 2000));
await show('baseline');
for (let round = 1; round < 2; round++) {
  const rnd = new Random(2);
  const ctx = {
    sdkAppId: 1400000001,
    secretKey: 'fuzz-secret-key-0123456789abcdef0123456789abcdef',
    callRoom: 5000,
    callUsers: ['alice', 'bob', 'carol'],
    fuzzRooms: Array.from({ length: 12 }, (_, i) => 5001 + i),
  };
  const f = new Fuzzer({
    url: server.origin.replace('http', 'ws') + '/signal',
    ips: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'],
    gen: new FuzzMessages(rnd, ctx),
    rnd,
    callUsers: ctx.callUsers,
    fuzzRooms: ctx.fuzzRooms,
    messagesPerSecond: 400,
  });
  const t = Date.now();
  await f.run(16, 100000, Date.now() + 90000);
  console.log(
    'unanswered',
    f.stats.unanswered.length,
    f.stats.unanswered.slice(0, 20),
    JSON.stringify(f.stats.closes),
    JSON.stringify(f.stats.refusedUpgrades),
  );
  console.log('sent', totalSent(f.stats), 'in', (Date.now() - t) / 1000);
  await show('right after');

  await show('settled');
}
await server.stop();
