// Wiring of the pre-scaler with in-memory parts (the real end-to-end proof is
// test/integration/prescale.test.ts): modes, bounds from the HPA, and failures recorded as decisions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RangeQuery } from '../adapters/prometheus/client.ts';
import type { DenseSeries } from '../forecast/series.ts';
import type { HpaPort, HpaView } from './hpa.ts';
import { registry } from '../metrics/registry.ts';
import { Prescaler } from './prescaler.ts';
import type { HpaRef, ScalingDecision, ScalingPolicy } from '../domain/scaling.ts';
import type { Placement } from '../domain/types.ts';

const DAY = 1440;
const END = 1_700_000_040; // step-aligned "now"

// Daily load with a sharp evening peak; `now` sits just before the peak.
function history(q: RangeQuery): { series: DenseSeries; samples: number } {
  const n = Math.floor((q.end - q.start) / q.step) + 1;
  const offset = DAY - 5 - ((n - 1) % DAY); // the last point is 5 minutes before the daily peak
  const values = Float64Array.from({ length: n }, (_, i) => ((i + offset) % DAY < 120 ? 400 : 100));
  return { series: { start: q.start, step: q.step, values }, samples: n };
}

/** Policies and decisions in memory: only what the pre-scaler and these tests use of Store.scaling. */
class MemoryScaling {
  private readonly policies = new Map<string, ScalingPolicy>();
  private readonly log: ScalingDecision[] = [];
  async putPolicy(p: ScalingPolicy) { this.policies.set(`${p.tenant}/${p.environment}`, structuredClone(p)); return p; }
  async enabledPolicies() { return [...this.policies.values()].filter((p) => p.mode !== 'off').map((p) => structuredClone(p)); }
  async record(d: ScalingDecision) { const saved = { ...structuredClone(d), id: String(this.log.length + 1) }; this.log.push(saved); return saved; }
  async decisions(tenant: string, environment: string) { return { items: this.log.filter((d) => d.tenant === tenant && d.environment === environment).reverse() }; }
  async latest(tenant: string, environment: string) { return (await this.decisions(tenant, environment)).items[0] ?? null; }
}

class FakeHpa implements HpaPort {
  patches: number[] = [];
  constructor(public view: HpaView | null) {}
  async get(_ref: HpaRef) { return this.view ? { ...this.view } : null; }
  async setMinReplicas(_ref: HpaRef, n: number) { this.patches.push(n); this.view = { ...this.view!, minReplicas: n }; return this.view; }
}

const policy = (mode: ScalingPolicy['mode']): ScalingPolicy => ({
  tenant: 'acme', environment: 'prod', mode, hpa: { cluster: 'c1', namespace: 'ns', name: 'web' }, query: 'sum(load)',
  floor: 2, ceiling: 20, capacityPerPod: 50, leadTimeSeconds: 600, cooldownMinutes: 15, hysteresis: 0.1, quantile: 0.9, historyDays: 7, stepSeconds: 60,
});

/** Where each environment runs: acme/prod in c1/ns, another tenant's in c1/victim-prod. */
const PLACEMENTS = new Map<string, Placement>([['acme/prod', { cluster: 'c1', namespace: 'ns' }], ['victim/prod', { cluster: 'c1', namespace: 'victim-prod' }]]);

function setup(mode: ScalingPolicy['mode'], view: HpaView | null, src = { history: async (q: RangeQuery) => history(q) }) {
  const store = new MemoryScaling();
  const hpa = new FakeHpa(view);
  const queries: string[] = [];
  const recording = { history: async (q: RangeQuery) => { queries.push(q.query); return src.history(q); } };
  const p = new Prescaler({ history: recording, hpa, store, now: () => new Date(END * 1000), placement: async (t, e) => PLACEMENTS.get(`${t}/${e}`) ?? null });
  return { store, hpa, p, queries };
}

const HPA_VIEW: HpaView = { minReplicas: 2, maxReplicas: 6, currentReplicas: 2, desiredReplicas: 2 };

describe('pre-scaler', () => {
  it('active: raises minReplicas ahead of a recurring peak, capped by the HPA maxReplicas', async () => {
    const { p, hpa, store } = setup('active', HPA_VIEW);
    await store.putPolicy(policy('active'));
    const [d] = await p.runOnce();
    assert.equal(d!.action, 'raise', d!.reason);
    assert.ok(d!.forecast!.upper > 300, `upper ${d!.forecast!.upper}`);
    assert.equal(d!.minReplicas, 6); // 400/50 = 8 wanted, HPA maxReplicas 6
    assert.deepEqual(hpa.patches, [6]);
    assert.equal(d!.applied, true);
    const text = await registry.metrics();
    assert.match(text, /fleetplane_prescale_decisions_total\{action="raise",mode="active"\} [1-9]/);
    assert.match(text, /fleetplane_prescale_min_replicas\{tenant="acme",environment="prod"\} 6/);
  });

  it('dry-run: records the same decision without touching the HPA', async () => {
    const { p, hpa, store } = setup('dry-run', HPA_VIEW);
    await store.putPolicy(policy('dry-run'));
    const [d] = await p.runOnce();
    assert.equal(d!.action, 'raise');
    assert.equal(d!.applied, false);
    assert.match(d!.reason, /^dry-run/);
    assert.deepEqual(hpa.patches, []);
    assert.equal((await store.decisions('acme', 'prod')).items.length, 1);
  });

  it('off: not in the work list', async () => {
    const { p, store } = setup('off', HPA_VIEW);
    await store.putPolicy(policy('off'));
    assert.deepEqual(await p.runOnce(), []);
  });

  it('a missing HPA or a failing Prometheus becomes a recorded error decision, not a crash', async () => {
    const a = setup('active', null);
    const d1 = await a.p.decideFor(policy('active'));
    assert.equal(d1.action, 'error');
    assert.match(d1.reason, /HPA ns\/web not found/);
    const b = setup('active', HPA_VIEW, { history: async () => { throw new Error('connection refused'); } });
    const d2 = await b.p.decideFor(policy('active'));
    assert.equal(d2.action, 'error');
    assert.equal(d2.minReplicas, 2);
    assert.deepEqual(b.hpa.patches, []);
    assert.equal((await b.store.latest('acme', 'prod'))!.reason, 'connection refused');
  });

  it('stale data (last sample long before now) is refused', async () => {
    const { p } = setup('active', HPA_VIEW, {
      history: async (q) => {
        const h = history({ ...q, end: q.end - 3600 });
        return h;
      },
    });
    const d = await p.decideFor(policy('active'));
    assert.equal(d.action, 'error');
    assert.match(d.reason, /stale data/);
  });

  it('reads only its own namespace: the query Prometheus gets carries the environment namespace', async () => {
    const { p, queries } = setup('dry-run', HPA_VIEW);
    await p.decideFor(policy('dry-run'));
    assert.deepEqual(queries, ['sum(load{namespace="ns"})']);
  });

  it('cross-tenant: a stored policy aimed at another tenant\'s HPA or namespace is refused, nothing read or patched', async () => {
    for (const hpaRef of [{ cluster: 'c1', namespace: 'victim-prod', name: 'web' }, { cluster: 'c1', namespace: 'kube-system', name: 'web' }, { cluster: 'c2', namespace: 'ns', name: 'web' }]) {
      const { p, hpa, queries, store } = setup('active', HPA_VIEW);
      const d = await p.decideFor({ ...policy('active'), hpa: hpaRef });
      assert.equal(d.action, 'error');
      assert.match(d.reason, /outside the environment/);
      assert.deepEqual(hpa.patches, []);
      assert.deepEqual(queries, []);
      assert.equal((await store.latest('acme', 'prod'))!.applied, false);
    }
    const { p, hpa, queries } = setup('active', HPA_VIEW);
    const d = await p.decideFor({ ...policy('active'), query: 'sum(load{namespace="victim-prod"})' });
    assert.match(d.reason, /refused query/);
    assert.deepEqual([hpa.patches, queries], [[], []]);
  });
});

describe('pre-scaler and scale to zero (docs/ai-workloads.md)', () => {
  it('stands down on an HPA KEDA made for a ScaledObject: its floor is 0 and stays KEDA\'s', async () => {
    const { p, hpa, store } = setup('active', { ...HPA_VIEW, minReplicas: 1, scaledObject: 'web' });
    await store.putPolicy(policy('active'));
    const [d] = await p.runOnce();
    assert.equal(d!.action, 'noop');
    assert.equal(d!.applied, false);
    assert.match(d!.reason, /scale to zero: KEDA owns this HPA for ScaledObject web/);
    assert.deepEqual(hpa.patches, []);
  });

  it('stands down while the environment is hibernated', async () => {
    const store = new MemoryScaling();
    const hpa = new FakeHpa(HPA_VIEW);
    const p = new Prescaler({ history: { history: async (q: RangeQuery) => history(q) }, hpa, store, now: () => new Date(END * 1000), placement: async (t, e) => PLACEMENTS.get(`${t}/${e}`) ?? null, hibernated: async () => true });
    await store.putPolicy(policy('active'));
    const [d] = await p.runOnce();
    assert.equal(d!.action, 'noop');
    assert.match(d!.reason, /hibernated/);
    assert.deepEqual(hpa.patches, []);
  });
});
