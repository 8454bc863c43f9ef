// Onboards one tenant per slug (the five ENVS each, demo-app 1.0.0) through the API, 16 at a time,
// and waits until every environment is Ready (any Failed or Degraded one fails the bench): the
// start of the rollout and rollback benches.
import { mapLimit } from '../../src/adapters/kube/index.ts';
import type { SqlStore } from '../../src/adapters/store/index.ts';
import type { Api, waitFor as WaitFor } from '../../test/integration/engine.fixture.ts';
import { ENVS } from './raw-apply.ts';

export async function onboardFleet(o: {
  client: Api; db: SqlStore['db']; waitFor: typeof WaitFor; slugs: readonly string[]; labelsOf?: (slug: string) => Record<string, string>;
}): Promise<{ total: number; seconds: number }> {
  const t0 = performance.now();
  const res = await mapLimit([...o.slugs], 16, async (slug) => {
    const r = await o.client.call('POST', '/v1/tenants', {
      slug, name: slug, tier: 'shared', labels: o.labelsOf?.(slug) ?? {},
      environments: ENVS.map(([name, type]) => ({ name, type, blueprint: 'demo-app', version: '1.0.0' })),
    });
    if (r.status !== 202) throw new Error(`${slug}: ${r.status} ${JSON.stringify(r.body)}`);
  });
  const bad = res.find((r) => !r.ok);
  if (bad && !bad.ok) throw bad.error;
  const total = o.slugs.length * ENVS.length;
  await o.waitFor('all environments Ready', async () => {
    const { rows } = await o.db.query<{ n: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE health = 'Ready')::int AS n, count(*) FILTER (WHERE health IN ('Failed', 'Degraded'))::int AS failed FROM environments`);
    if (rows[0]!.failed > 0) throw new Error(`${rows[0]!.failed} environments failed onboarding`);
    return rows[0]!.n >= total;
  }, 1_800_000, 500);
  return { total, seconds: (performance.now() - t0) / 1000 };
}
