// Scale-out (#14): three `serve` replicas on one PostgreSQL under a sustained mixed load (reads,
// onboardings, patches) sent round-robin as a load balancer would; one replica is SIGKILLed part-way
// and started again later. No accepted work is lost or duplicated: every 202 names an operation that
// ends succeeded, each tenant has exactly one onboarding, each accepted patch ran once; live replicas
// never answer 5xx; a request that hit the dead replica is sent to the next one (what a balancer does).
// Latency per request kind is printed (p50/p99), never asserted. The environments are self-managed
// (published, no cluster), so the load is on the API, the store and the engine's queue.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { blueprintVersion } from '../helpers/api-harness.ts';
import { api, publish, setupFleet, startServe, uniqueSlug, waitFor, type Api, type Fleet, type ServeProcess } from './engine.fixture.ts';

const ROUNDS = Number(process.env.FLEETPLANE_TEST_SCALE_OUT_ROUNDS ?? 60);
const KILL_AT = Math.floor(ROUNDS / 4);
const RESTART_AT = Math.floor(ROUNDS / 2);
const run = uniqueSlug('s').slice(2);
const ENV = { FLEETPLANE_LEASE_MS: '6000', FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_RATE_LIMIT: '0' };
let fleet: Fleet;
const replicas: Array<ServeProcess | null> = [null, null, null];
const all: ServeProcess[] = [];

async function startReplica(i: number, tag: string): Promise<void> {
  const p = await startServe(fleet, { workerId: `so-${run}-${i}${tag}`, env: ENV });
  replicas[i] = p;
  all.push(p);
}

before(async () => {
  fleet = await setupFleet();
  await Promise.all([0, 1, 2].map((i) => startReplica(i, '')));
});
after(async () => {
  for (const p of all) await p.kill('SIGTERM').catch(() => undefined);
  await fleet?.cleanup();
});

type Kind = 'read' | 'list' | 'onboard' | 'patch';
const latencies: Record<Kind, number[]> = { read: [], list: [], onboard: [], patch: [] };
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0; };

test('3 replicas, one killed and restarted under mixed load: nothing lost, nothing duplicated, no 5xx', async () => {
  let next = 0;
  let redirected = 0;
  const fiveXX: string[] = [];
  /** Round-robin over the replicas in rotation; a connection error takes one out and moves on to the next. */
  async function send<T>(kind: Kind, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    for (let tries = 0; ; tries++) {
      const live = replicas.filter((r): r is ServeProcess => r !== null);
      const target = live[next++ % live.length]!;
      const started = performance.now();
      try {
        const r = await (api(target.url, fleet.adminToken) as Api).call<T>(method, path, body);
        latencies[kind].push(performance.now() - started);
        if (r.status >= 500) fiveXX.push(`${kind} ${method} ${path} -> ${r.status} ${JSON.stringify(r.body)}`);
        return r;
      } catch (err) {
        // As a balancer does: a replica that refuses connections leaves the rotation; the request goes to the next.
        redirected++;
        const i = replicas.indexOf(target);
        if (i >= 0) replicas[i] = null;
        if (tries > 10) throw err;
      }
    }
  }

  await publish(api(replicas[0]!.url, fleet.adminToken), blueprintVersion('1.0.0'));
  const onboarded = new Map<string, string>(); // tenant -> onboarding operation
  const patches = new Map<string, string[]>(); // tenant -> patch operations accepted
  let busy = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Killed without telling the balancer: the next requests sent to it find out.
    if (round === KILL_AT) await replicas[1]!.kill('SIGKILL');
    if (round === RESTART_AT) await startReplica(1, 'b');
    const slug = `so${run}-${round}`;
    const known = [...onboarded.keys()];
    const work: Array<Promise<unknown>> = [
      send<{ operations: Array<{ id: string }> }>('onboard', 'POST', '/v1/tenants', {
        slug, name: slug, tier: 'shared', channel: 'self-managed', environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', values: { logLevel: 'info' } }],
      }).then((r) => { assert.equal(r.status, 202, JSON.stringify(r.body)); onboarded.set(slug, r.body.operations[0]!.id); }),
      ...[0, 1].map(async (k) => {
        const t = known[(round * 7 + k * 13) % Math.max(1, known.length)];
        if (!t) return;
        const r = await send<{ id: string }>('patch', 'POST', `/v1/tenants/${t}/environments/prod:patch`, { values: { logLevel: (round + k) % 2 ? 'debug' : 'info' } });
        if (r.status === 202) patches.set(t, [...(patches.get(t) ?? []), r.body.id]);
        else if (r.status === 409) busy++; // another operation of that environment is in flight
        else assert.fail(`patch ${t}: ${r.status} ${JSON.stringify(r.body)}`);
      }),
      ...Array.from({ length: 4 }, async (_, k) => {
        const t = known[(round + k) % Math.max(1, known.length)];
        if (t) assert.equal((await send('read', 'GET', `/v1/environments/${t}/prod`)).status, 200);
      }),
      send('list', 'GET', '/v1/tenants?limit=20').then((r) => assert.equal(r.status, 200)),
    ];
    await Promise.all(work);
  }

  const admin = api(replicas[0]!.url, fleet.adminToken);
  const accepted = [...onboarded.values(), ...[...patches.values()].flat()];
  const states = await waitFor('every accepted operation finished', async () => {
    const s = await Promise.all(accepted.map(async (id) => (await admin.call<{ state: string }>('GET', `/v1/operations/${id}`)).body.state));
    return s.every((x) => x === 'succeeded' || x === 'failed' || x === 'cancelled') ? s : null;
  }, 600_000, 1000);
  assert.deepEqual(states.filter((s) => s !== 'succeeded'), [], 'every accepted operation succeeded');
  for (const [slug, id] of onboarded) {
    const ops = (await admin.call<{ items: Array<{ id: string; kind: string }> }>('GET', `/v1/operations?tenant=${slug}&limit=100`)).body.items;
    assert.deepEqual(ops.filter((o) => o.kind === 'onboard').map((o) => o.id), [id], `${slug}: one onboarding`);
    assert.deepEqual(ops.filter((o) => o.kind === 'patch').map((o) => o.id).sort(), [...(patches.get(slug) ?? [])].sort(), `${slug}: exactly the accepted patches`);
  }
  assert.deepEqual(fiveXX, [], 'no 5xx from a live replica');
  assert.ok(redirected > 0 || KILL_AT >= ROUNDS, 'some requests met the killed replica and went to another');
  const line = (Object.keys(latencies) as Kind[]).map((k) => `${k} n=${latencies[k].length} p50=${pct(latencies[k], 50).toFixed(0)}ms p99=${pct(latencies[k], 99).toFixed(0)}ms`).join('; ');
  console.log(`[scale-out] ${ROUNDS} rounds over 3 replicas (one SIGKILLed at round ${KILL_AT}, restarted at ${RESTART_AT}): ${onboarded.size} onboardings, ${accepted.length - onboarded.size} patches accepted, ${busy} refused 409 (environment busy), ${redirected} requests re-sent after hitting the dead replica; ${line}`);
});
