// Store benchmark: list every operation of a busy fleet page by page (20,000 operations, pages of
// 100, newest first) through the store's keyset pagination, against the same walk done with
// LIMIT/OFFSET (the usual naive implementation) on the same database in the same run.
// Embedded PGlite by default; STORE_BENCH_BACKEND=postgres runs it in a throwaway database on the
// test server (FLEETPLANE_TEST_DATABASE_URL, see scripts/postgres.sh), dropped afterwards.
// ratio = OFFSET ms / keyset ms (higher is better).
import { openStore } from '../src/adapters/store/index.ts';
import type { Operation } from '../src/domain/types.ts';
import { emptyPostgres, freshEmbedded } from '../test/helpers/db.ts';

const ROWS = Number(process.env.STORE_BENCH_ROWS ?? 20_000);
const PAGE = 100;

const target = process.env.STORE_BENCH_BACKEND === 'postgres' ? await emptyPostgres() : await freshEmbedded();
const store = await openStore({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
try {
  await store.migrate();
  await store.db.query(
    `INSERT INTO operations (id, kind, tenant, environment, params, steps)
     SELECT 'bench-' || g, 'upgrade', 'tenant-' || (g % 300), 'prod', '{"version":"1.5.0"}'::jsonb, '[{"name":"apply","state":"pending","attempts":0}]'::jsonb
     FROM generate_series(1, $1::int) AS g`,
    [ROWS],
  );
  process.stderr.write(`store bench: ${ROWS} operations on ${store.kind}\n`);

  const keyset = async () => {
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await store.operations.list({ limit: PAGE, ...(cursor ? { cursor } : {}) });
      n += page.items.length;
      cursor = page.next;
    } while (cursor);
    return n;
  };
  const offset = async () => {
    let n = 0;
    for (let off = 0; ; off += PAGE) {
      const { rows } = await store.db.query<Operation>(
        `SELECT seq::text AS seq, id, kind, tenant, environment, state, idempotency_key, params, steps, attempts, result, error,
           request_id, created_at, updated_at, finished_at FROM operations ORDER BY seq DESC LIMIT $1 OFFSET $2`,
        [PAGE, off],
      );
      n += rows.length;
      if (rows.length < PAGE) return n;
    }
  };

  const time = async (fn: () => Promise<number>) => {
    const t0 = process.hrtime.bigint();
    const n = await fn();
    if (n < ROWS) throw new Error(`walk saw ${n} of ${ROWS} rows`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  // Warm up both paths, then take the best of three (shared, noisy machine).
  await time(keyset);
  await time(offset);
  const k = Math.min(await time(keyset), await time(keyset), await time(keyset));
  const o = Math.min(await time(offset), await time(offset), await time(offset));
  console.log(JSON.stringify({
    bench: 'store', metric: `list ${ROWS} operations in pages of ${PAGE} (${store.kind})`, value: Math.round(k), unit: 'ms',
    baseline: 'LIMIT/OFFSET pagination', baseline_value: Math.round(o), ratio: Number((o / k).toFixed(2)),
  }));
} finally {
  await store.close();
  await target.cleanup();
}
