// The metering store on both backends: samples and API counts become hourly records exactly once
// (re-runs and repeated flushes add nothing), hours close after the grace period, and late data on a
// closed hour bumps the record's version and records a correction with the delta.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, harness, type Harness } from '../helpers/api-harness.ts';
import type { MeteringStore, Sample } from '../../src/metering/types.ts';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const at = (min: number) => new Date(T0 + min * 60_000);
const GRACE = 5 * 60_000;

function sample(env: string, min: number, cpuMillis: number, o: Partial<Sample> = {}): Sample {
  return { tenant: 'acme', environment: env, at: at(min), seconds: 600, cluster: 'c1', namespace: `acme-${env}`, pods: 1, cpuMillis, memoryBytes: 2 ** 30, gpus: 0, ...o };
}

const quantities = async (m: MeteringStore, q: { dimension?: string; state?: 'open' | 'final' } = {}) =>
  Object.fromEntries((await m.records({ tenant: 'acme', limit: 500, ...q })).items.map((r) => [`${r.environment ?? '-'}/${r.dimension}/${r.hour.slice(11, 13)}`, [r.quantity, r.state, r.version]]));

for (const backend of BACKENDS) {
  describe(`metering store (${backend})`, () => {
    let h: Harness;
    let m: MeteringStore;
    before(async () => {
      h = await harness(backend);
      m = h.store.metering;
    });
    after(async () => h?.close());

    test('samples integrate into open records once, however often they are written', async () => {
      // prod: 500m for 10:00-10:30 (3 samples of 10 min), then 1500m at 10:30 and 10:40; staging: 250m at 10:00 only.
      const prod = [sample('prod', 0, 500), sample('prod', 10, 500), sample('prod', 20, 500), sample('prod', 30, 1500), sample('prod', 40, 1500)];
      assert.equal(await m.recordSamples([...prod, sample('staging', 0, 250)], 'w1', at(41)), 6);
      assert.equal(await m.recordSamples(prod, 'w2', at(41)), 0, 'a second replica writes nothing');
      assert.deepEqual([...(await m.sampledAt(at(10)))], ['acme/prod']);
      const r1 = await m.refresh(at(45), GRACE);
      assert.equal(r1.finalized, 0);
      const r2 = await m.refresh(at(45), GRACE);
      assert.equal(r2.open, 0, 'nothing changed, nothing rewritten');
      const q = await quantities(m);
      // 3 x 0.5 core x 10 min + 2 x 1.5 core x 10 min = 0.25 + 0.5 core-hours
      assert.deepEqual(q['prod/cpu-core-hours/10'], [0.75, 'open', 1]);
      assert.deepEqual(q['prod/environment-hours/10'], [0.833333, 'open', 1]);
      assert.deepEqual(q['prod/memory-gib-hours/10'], [0.833333, 'open', 1]);
      assert.deepEqual(q['staging/cpu-core-hours/10'], [0.041667, 'open', 1]);
      assert.deepEqual(q['prod/gpu-hours/10'], [0, 'open', 1]);
    });

    test('API request flushes count once per flush id', async () => {
      assert.equal(await m.addApiRequests('f1', [{ tenant: 'acme', hour: at(5), requests: 7 }, { tenant: 'acme', hour: at(50), requests: 3 }], at(51)), true);
      assert.equal(await m.addApiRequests('f1', [{ tenant: 'acme', hour: at(5), requests: 7 }], at(52)), false, 'a retried flush adds nothing');
      await m.refresh(at(52), GRACE);
      assert.deepEqual((await quantities(m, { dimension: 'api-requests' }))['-/api-requests/10'], [10, 'open', 1]);
    });

    test('the hour closes after the grace period; late data corrects it with a new version', async () => {
      await m.recordSamples([sample('prod', 50, 1500)], 'w1', at(60));
      assert.equal((await m.refresh(at(64), GRACE)).finalized, 0, 'still within the grace period');
      const closed = await m.refresh(at(65), GRACE);
      assert.equal(closed.finalized, 9, '4 dimensions x 2 environments + api-requests');
      assert.equal(closed.closedUntil, at(60).toISOString());
      assert.deepEqual((await quantities(m))['prod/cpu-core-hours/10'], [1, 'final', 1]);
      // A sample of 10:00 that a stalled replica writes only now, for an environment not sampled then.
      await m.recordSamples([sample('dev', 0, 600)], 'w3', at(70));
      await m.addApiRequests('f2', [{ tenant: 'acme', hour: at(59), requests: 5 }], at(70));
      const late = await m.refresh(at(71), GRACE);
      const deltas = Object.fromEntries(late.corrections.map((c) => [`${c.environment ?? '-'}/${c.dimension}`, [c.previousQuantity, c.quantity, c.delta, c.version]]));
      assert.deepEqual(deltas['dev/cpu-core-hours'], [0, 0.1, 0.1, 1]);
      assert.deepEqual(deltas['-/api-requests'], [10, 15, 5, 2]);
      assert.equal(deltas['dev/gpu-hours'], undefined, 'a zero quantity needs no correction');
      assert.deepEqual((await quantities(m))['-/api-requests/10'], [15, 'final', 2]);
      const again = await m.refresh(at(72), GRACE);
      assert.equal(again.corrections.length, 0, 'a correction is recorded once');
      const list = await m.corrections({ tenant: 'acme' });
      assert.equal(list.items.length, late.corrections.length);
    });

    test('records page through in hour, environment, dimension order', async () => {
      const first = await m.records({ tenant: 'acme', limit: 4 });
      assert.equal(first.items.length, 4);
      assert.ok(first.next);
      const rest = await m.records({ tenant: 'acme', limit: 500, cursor: first.next });
      const all = [...first.items, ...rest.items].map((r) => [r.environment ?? '', r.dimension] as const);
      const sorted = [...all].sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
      assert.deepEqual(all, sorted);
      assert.equal(all.length, 13, 'prod, staging, dev x 4 dimensions + api-requests');
      assert.equal(await m.sampleCount('acme', 'prod', at(0), at(60)), 6);
    });
  });
}
