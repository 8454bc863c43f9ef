// Metering over a simulated day on real testbed clusters (fp-1, fp-2; throwaway namespaces), with an
// injected clock: environments whose pods request known resources are created, scaled and offboarded
// at known times; a tenant makes API requests at known hours. The hourly records must equal totals
// computed independently from the timeline. Every tick runs the job twice and, on PostgreSQL, on two
// replicas at once; hour 9 runs in child processes, one SIGKILLed in the middle of a tick. No
// duplicate and no gap: each environment has exactly one sample per tick it existed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { BACKENDS, apiDeps, harness, type Harness } from '../helpers/api-harness.ts';
import { createNamespace, getTestbed, type TestCluster, type TestNamespace } from '../helpers/testbed.ts';
import { buildApp } from '../../src/api/app.ts';
import type { Store } from '../../src/domain/ports/store.ts';
import { MeteringJob } from '../../src/metering/job.ts';
import { engineConnections } from '../../src/engine/index.ts';
import type { MeteringStore } from '../../src/metering/types.ts';
import { ENVIRONMENT_DIMENSIONS, SAVINGS_DIMENSIONS } from '../../src/metering/dimensions.ts';
import { H, TestClock, createTenant } from './metering-support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const D0 = Date.parse('2026-11-20T00:00:00Z');
const TICK = 600_000;
const m = (hhmm: string) => D0 + (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))) * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per-pod requests: CPU cores, memory GiB, GPUs. */
interface Rate { cpu: number; mem: number; gpu: number }
/** The timeline: per environment, intervals with a pod count, and when it existed. */
const WEB: Rate = { cpu: 0.5, mem: 0.25, gpu: 0 };
const MODEL: Rate = { cpu: 1, mem: 1, gpu: 1 };
// A bare pod whose init container asks more CPU (1 core) than its app container (250m): it holds 1 core.
const JOB: Rate = { cpu: 1, mem: 0.125, gpu: 0 };
const TIMELINE: Record<string, { rate: Rate; segments: Array<[string, string, number]> }> = {
  prod: { rate: WEB, segments: [['00:00', '06:30', 2], ['06:30', '18:00', 4], ['18:00', '24:00', 1]] },
  gpu: { rate: MODEL, segments: [['03:20', '15:40', 1]] },
  staging: { rate: JOB, segments: [['12:00', '24:00', 1]] },
};
const API_CALLS: Array<[string, number]> = [['01:05', 3], ['13:15', 5]];

const round6 = (x: number) => Number(x.toFixed(6));
/** Expected quantity of env/dimension in hour `hr`, by overlapping the timeline with the hour. */
function expected(env: string, dim: string, hr: number): number | undefined {
  const t = TIMELINE[env]!;
  const hs = D0 + hr * H;
  let any = false;
  let q = 0;
  for (const [a, b, pods] of t.segments) {
    const overlap = Math.max(0, Math.min(m(b), hs + H) - Math.max(m(a), hs)) / H;
    if (overlap <= 0) continue;
    any = true;
    q += dim === 'environment-hours' ? overlap : overlap * pods * (dim === 'cpu-core-hours' ? t.rate.cpu : dim === 'memory-gib-hours' ? t.rate.mem : t.rate.gpu);
  }
  return any ? round6(q) : undefined;
}

function deployment(name: string, replicas: number, requests: Record<string, string>, gpu = false): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name, image: 'registry.k8s.io/pause:3.10', resources: { requests, limits: gpu ? { 'nvidia.com/gpu': '1' } : {} } }],
          ...(gpu ? { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] } : {}),
        },
      },
    },
  };
}

const jobPod = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job' },
  spec: {
    initContainers: [{ name: 'migrate', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '1', memory: '64Mi' } } }],
    containers: [{ name: 'job', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '250m', memory: '128Mi' } } }],
  },
};

/** Waits until `ns` has exactly `n` pods bound to nodes and not terminating. */
async function settle(ns: TestNamespace, n: number): Promise<void> {
  for (let i = 0; i < 480; i++) {
    const pods = await ns.client.list('v1', 'Pod', { namespace: ns.name });
    const bound = pods.filter((p) => (p as { spec?: { nodeName?: string } }).spec?.nodeName && !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp);
    if (bound.length === n && pods.length === n) return;
    await sleep(250);
  }
  throw new Error(`namespace ${ns.name}: pods did not settle at ${n} (another test holding the GPUs?)`);
}

interface Child { proc: ChildProcess; lines: AsyncIterator<string> }
function startChild(h: Harness, owner: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/integration/metering-child.ts'), h.handle.databaseUrl!, h.handle.dataDir, owner], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  return { proc, lines: createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() };
}
async function expectLine(c: Child, prefix: string): Promise<string> {
  const { value, done } = await c.lines.next();
  if (done || !String(value).startsWith(prefix)) throw new Error(`child: expected "${prefix}", got ${done ? 'end of output' : value}`);
  return String(value);
}

for (const backend of BACKENDS) {
  describe(`metering over a simulated day on testbed clusters (${backend})`, () => {
    let h: Harness;
    let second: Store | undefined;
    const namespaces: TestNamespace[] = [];
    const clock = new TestClock(D0);

    before(async () => {
      const tb = await getTestbed({ clusters: 2 });
      h = await harness(backend);
      for (const c of tb.clusters.slice(0, 2)) await registerCluster(h, c);
      if (backend === 'postgres') second = await h.handle.open();
    });
    after(async () => {
      await Promise.all(namespaces.map((n) => n.delete().catch(() => undefined)));
      await second?.close();
      await h?.close();
    });

    test('hourly records equal the timeline exactly; twice, two replicas and a SIGKILL count nothing twice', { timeout: 900_000 }, async () => {
      const tb = await getTestbed({ clusters: 2 });
      const [fp1, fp2] = tb.clusters as [TestCluster, TestCluster];
      await createTenant(h, 'meter-co');
      const token = (await h.req('POST', '/v1/tokens', { body: { name: 'meter', role: 'tenant-viewer', tenant: 'meter-co' } })).body.secret;
      const app = await buildApp(await apiDeps(h.store, h.handle.dataDir, clock.now));
      const { metering } = h.store;
      const jobs = [h.store, second ?? h.store].map((store, i) => new MeteringJob({
        store, metering: store.metering, config: { intervalMs: TICK, graceMs: 5 * 60_000, gpuResources: ['nvidia.com/gpu'] }, now: clock.now, owner: `replica-${i}`, connections: engineConnections(store),
      }));
      const ns: Record<string, TestNamespace> = {};
      const addEnv = async (name: string, cluster: TestCluster) => {
        ns[name] = await createNamespace(cluster, `meter-${name}`);
        namespaces.push(ns[name]!);
        await h.store.environments.create({
          tenant: 'meter-co', name, type: name === 'prod' ? 'prod' : 'dev', blueprint: 'demo-app', version: '1.0.0', values: {},
          placement: { cluster: cluster.name, namespace: ns[name]!.name }, delivery: 'direct', selfHeal: false, health: 'Ready', conditions: [],
        });
      };
      const events: Record<string, () => Promise<void>> = {
        '00:00': async () => {
          await addEnv('prod', fp1);
          await ns.prod!.client.apply({ ...deployment('web', 2, { cpu: '500m', memory: '256Mi' }), metadata: { name: 'web', namespace: ns.prod!.name } } as never);
          await settle(ns.prod!, 2);
        },
        '03:20': async () => {
          await addEnv('gpu', fp2);
          await ns.gpu!.client.apply({ ...deployment('model', 1, { cpu: '1', memory: '1Gi' }, true), metadata: { name: 'model', namespace: ns.gpu!.name } } as never);
          await settle(ns.gpu!, 1);
        },
        '06:30': async () => { await setReplicas(ns.prod!, 'web', 4); await settle(ns.prod!, 4); },
        '12:00': async () => {
          await addEnv('staging', fp1);
          await ns.staging!.client.apply({ ...jobPod, metadata: { name: 'job', namespace: ns.staging!.name } } as never);
          await settle(ns.staging!, 1);
        },
        '15:40': async () => {
          await h.store.environments.update('meter-co', 'gpu', { health: 'Deleted' });
          await ns.gpu!.delete();
        },
        '18:00': async () => { await setReplicas(ns.prod!, 'web', 1); await settle(ns.prod!, 1); },
      };
      let children = 0;
      for (let t = D0; t < D0 + 24 * H; t += TICK) {
        const hhmm = new Date(t).toISOString().slice(11, 16);
        await events[hhmm]?.();
        clock.set(t + 30_000);
        for (const [at, n] of API_CALLS.filter(([at]) => m(at) >= t && m(at) < t + TICK)) {
          clock.set(m(at));
          for (let i = 0; i < n; i++) assert.equal((await app.inject({ method: 'GET', url: '/v1/tenants/meter-co', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
          clock.set(t + 30_000);
        }
        await app.apiRequestMeter!.flush();
        if (backend === 'postgres' && hhmm >= '09:00' && hhmm < '10:00') {
          children += await childTick(h, t, hhmm === '09:30');
          continue;
        }
        // Twice, and on two replicas at once (PostgreSQL: two stores, two connection pools).
        await Promise.all(jobs.map((j) => j.runOnce()));
        const again = await jobs[0]!.runOnce();
        assert.equal(again.sample.stored, 0, `${hhmm}: a second run stores nothing`);
      }
      clock.set(D0 + 24 * H + 10 * 60_000);
      await Promise.all(jobs.map((j) => j.runOnce()));
      await app.close();
      if (backend === 'postgres') assert.equal(children, 2, 'hour 9 ran in child processes, the first SIGKILLed mid-tick');

      await assertDay(metering);
    });
  });
}

/** The day's records against the timeline, and one sample per environment and tick. */
async function assertDay(metering: MeteringStore): Promise<void> {
  const records = [];
  let cursor: string | undefined;
  do {
    const page = await metering.records({ tenant: 'meter-co', to: new Date(D0 + 24 * H), limit: 500, cursor });
    records.push(...page.items);
    cursor = page.next;
  } while (cursor);
  const got = new Map(records.map((r) => [`${r.environment ?? '-'}|${r.dimension}|${(Date.parse(r.hour) - D0) / H}`, r]));
  const want = new Map<string, number>();
  for (const env of Object.keys(TIMELINE)) {
    for (let hr = 0; hr < 24; hr++) {
      // Nothing hibernates in this day: no savings records (metering-savings.test.ts has them).
      for (const dim of ENVIRONMENT_DIMENSIONS.filter((d) => !SAVINGS_DIMENSIONS.includes(d))) {
        const q = expected(env, dim, hr);
        if (q !== undefined) want.set(`${env}|${dim}|${hr}`, q);
      }
    }
  }
  want.set('-|api-requests|1', 3);
  want.set('-|api-requests|13', 5);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'a record for every environment, dimension and hour it existed; no other');
  for (const [k, q] of want) assert.equal(got.get(k)!.quantity, q, k);
  assert.ok(records.every((r) => r.state === 'final' && r.version === 1));
  // Spot checks against hand arithmetic: 06:00-07:00 prod = 30 min x 2 x 0.5 + 30 min x 4 x 0.5 = 1.5 core-hours.
  assert.equal(got.get('prod|cpu-core-hours|6')!.quantity, 1.5);
  assert.equal(got.get('gpu|gpu-hours|15')!.quantity, 0.666667);
  assert.equal(got.get('staging|cpu-core-hours|12')!.quantity, 1, 'the init container sets the pod\'s CPU request');
  // No duplicate, no gap: one sample per environment and tick it existed.
  for (const [env, ticks] of [['prod', 144], ['gpu', (m('15:40') - m('03:20')) / TICK], ['staging', 72]] as const) {
    assert.equal(await metering.sampleCount('meter-co', env, new Date(D0), new Date(D0 + 24 * H)), ticks, env);
  }
  for (let hr = 0; hr < 24; hr++) assert.equal(got.get(`prod|environment-hours|${hr}`)!.quantity, 1, `hour ${hr} has all 6 prod samples`);
}

async function registerCluster(h: Harness, c: TestCluster): Promise<void> {
  await h.store.clusters.upsert({ name: c.name, provider: 'local', region: 'local', labels: {}, role: 'shared', apiServer: c.apiServer, credentials: await readFile(c.kubeconfig, 'utf8') });
}

async function setReplicas(ns: TestNamespace, name: string, replicas: number): Promise<void> {
  const d = await ns.client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name });
  assert.ok(d, `deployment ${name}`);
  const spec = (d as unknown as { spec: Record<string, unknown> }).spec;
  await ns.client.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns.name }, spec: { ...spec, replicas } } as never, { force: true });
}

let current: Child | undefined;
/** One tick in a child process; at `kill`, the child is SIGKILLed after its first stored sample and a new child redoes the tick. */
async function childTick(h: Harness, t: number, kill: boolean): Promise<number> {
  let started = 0;
  if (!current) {
    current = startChild(h, `child-${t}`);
    await expectLine(current, 'ready');
    started++;
  }
  if (kill) {
    current.proc.stdin!.write(`tick ${t + 30_000} 1\n`);
    await expectLine(current, 'hung');
    const exited = new Promise((r) => current!.proc.once('exit', r));
    current.proc.kill('SIGKILL');
    await exited;
    current = startChild(h, `child-${t}-again`);
    await expectLine(current, 'ready');
    started++;
  }
  current.proc.stdin!.write(`tick ${t + 30_000}\n`);
  await expectLine(current, 'done');
  if (new Date(t).toISOString().slice(11, 16) === '09:50') {
    current.proc.stdin!.end();
    await new Promise((r) => current!.proc.once('exit', r));
    current = undefined;
  }
  return started;
}
