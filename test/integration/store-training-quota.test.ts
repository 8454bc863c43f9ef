// Store.ai.addTrainingRun decides the training GPU quota atomically (issue #20, docs/ai-workloads.md):
// many starts at once for an environment with one training GPU record exactly one run. Regression:
// the API checked the running runs' GPUs, then inserted, so concurrent starts all passed the check;
// on PostgreSQL (READ COMMITTED) even one INSERT … SELECT per start would let each miss the others.
// On the embedded store always, and on PostgreSQL when FLEETPLANE_TEST_DATABASE_URL is set.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TrainingRun } from '../../src/domain/hibernation.ts';
import { storeBackends, withTwoTenantStore } from './store.suite.ts';


const run = (t: string, id: string, gpus = 1): TrainingRun => ({
  tenant: t, environment: 'dev', component: 'finetune', id, form: 'Job',
  object: { apiVersion: 'batch/v1', kind: 'Job', namespace: `${t}-dev`, name: `finetune-${id}` },
  gpus, nodes: 1, state: 'running', message: null, startedAt: '2026-12-02T12:00:00.000Z', finishedAt: null,
});

for (const [name, fresh] of storeBackends) {
  describe(`${name}: training runs against the training GPU quota`, () => {
    test('concurrent starts take the last GPU once; ids are used once; a finished run frees its GPUs; another tenant\'s runs do not count', async () => {
      await withTwoTenantStore(fresh, async (store) => {
        const s = store;
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.ai.addTrainingRun(run('acme', `r${i}`), 1)));
        assert.deepEqual(results.filter((r) => r === 'added').length, 1, JSON.stringify(results));
        assert.deepEqual(results.filter((r) => r === 'over-quota').length, 7);
        const held = (await s.ai.trainingRuns('acme', 'dev')).filter((r) => r.state === 'running');
        assert.equal(held.length, 1);
        assert.equal(await s.ai.addTrainingRun(run('acme', held[0]!.id), 5), 'exists', 'the id is taken');
        assert.equal(await s.ai.addTrainingRun(run('other', 'r0'), 1), 'added', 'the other tenant\'s environment has its own GPU');
        await s.ai.finishTrainingRun(held[0]!, 'succeeded', null, '2026-12-02T13:00:00.000Z');
        assert.equal(await s.ai.addTrainingRun(run('acme', 'next', 2), 1), 'over-quota', 'one run alone over the limit');
        assert.equal(await s.ai.addTrainingRun(run('acme', 'next'), 1), 'added', 'the finished run freed its GPU');
        assert.equal(await s.ai.addTrainingRun(run('acme', 'free', 3)), 'added', 'no limit: no quota');
        assert.deepEqual((await s.ai.trainingRuns('acme', 'dev')).map((r) => [r.id, r.state]).sort(), [[held[0]!.id, 'succeeded'], ['free', 'running'], ['next', 'running']].sort());
      });
    });
  });
}
