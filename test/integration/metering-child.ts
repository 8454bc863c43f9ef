// A metering job in its own process (the SIGKILL test): opens the store (PostgreSQL) named by argv,
// then runs one tick per stdin line "tick <epoch ms> [hangAfter]" at that simulated time and answers
// "done <epoch ms> <stored>". With hangAfter it stops forever after that many stored samples and
// says "hung", so the parent can kill it in the middle of a tick.
import { createInterface } from 'node:readline';
import { engineConnections } from '../../src/engine/index.ts';
import { openStore } from '../../src/adapters/store/index.ts';
import { MeteringJob } from '../../src/metering/job.ts';

const [databaseUrl, dataDir, owner] = process.argv.slice(2);
const store = await openStore({ databaseUrl, dataDir: dataDir!, maxConnections: 4 });
let now = 0;
let hangAfter = Infinity;
const job = new MeteringJob({
  store, metering: store.metering, config: { intervalMs: 600_000, graceMs: 5 * 60_000, gpuResources: ['nvidia.com/gpu'] },
  now: () => new Date(now), owner: owner ?? `child-${process.pid}`, connections: engineConnections(store),
  afterSample: async (n) => {
    if (n < hangAfter) return;
    process.stdout.write('hung\n');
    await new Promise(() => undefined);
  },
});
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, at, hang] = line.trim().split(/\s+/);
  if (cmd !== 'tick') continue;
  now = Number(at);
  hangAfter = hang ? Number(hang) : Infinity;
  const pass = await job.runOnce();
  process.stdout.write(`done ${at} ${pass.sample.stored}\n`);
}
await store.close();
