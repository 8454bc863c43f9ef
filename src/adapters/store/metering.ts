// Usage metering on SQL (migration 300_metering.sql, docs/metering.md): samples and API counts go
// into per-environment-hour integrals in the same statement that stores them; records are
// recomputed from those integrals, so re-running, a crash or two replicas never count twice.
import { DIMENSIONS, UNITS, closedBefore, hourOf, HOUR_MS, type Dimension } from '../../domain/metering-dimensions.ts';
import type { ApiCount, Correction, MeteringRepo as MeteringStore, RecordQuery, RefreshResult, Sample, UsageRecord } from '../../domain/ports/metering.ts';
import type { Page } from '../../domain/ports/store.ts';
import type { Db, Queryable } from './db.ts';
import { iso, pageQuery, toPage, type Row } from './sql.ts';

/** "fp-meter" in ASCII: one record refresh at a time across processes (PostgreSQL). */
export const METERING_LOCK_KEY = 0x66702d6d65746572n;

/** Each dimension's quantity from an hour's integral, rounded to 6 decimals in SQL (exact, deterministic). */
const QUANTITIES = `(VALUES
  ('environment-hours', round(i.env_seconds / 3600.0, 6)),
  ('cpu-core-hours', round(i.cpu_milli_seconds / 3600000.0, 6)),
  ('memory-gib-hours', round(i.memory_byte_seconds / 3865470566400.0, 6)),
  ('gpu-hours', round(i.gpu_seconds / 3600.0, 6)),
  ('api-requests', i.api_requests::numeric),
  ('saved-replica-hours', round(i.saved_replica_seconds / 3600.0, 6)),
  ('saved-gpu-hours', round(i.saved_gpu_seconds / 3600.0, 6))
) AS d(dimension, quantity)`;
/**
 * api-requests belongs to the tenant row (environment ''), the others to environment rows; the
 * savings dimensions only to hours that saved something (an integral never shrinks, so a record once
 * made is never left without its input).
 */
const DIMENSION_FITS = `(i.environment = '') = (d.dimension = 'api-requests')
  AND (d.dimension NOT IN ('saved-replica-hours', 'saved-gpu-hours') OR d.quantity > 0)`;

const envOrNull = (e: unknown): string | null => (e === '' || e === null || e === undefined ? null : String(e));

function recordOf(r: Row): UsageRecord {
  const hour = iso(r.hour);
  return {
    tenant: String(r.tenant), environment: envOrNull(r.environment), dimension: r.dimension as Dimension, unit: UNITS[r.dimension as Dimension] ?? '',
    hour, hourEnd: new Date(Date.parse(hour) + HOUR_MS).toISOString(), quantity: Number(r.quantity), state: r.state as 'open' | 'final',
    version: Number(r.version), samples: Number(r.samples), finalizedAt: r.finalized_at ? iso(r.finalized_at) : null,
  };
}

function correctionOf(r: Row): Correction {
  return {
    seq: Number(r.seq), tenant: String(r.tenant), environment: envOrNull(r.environment), dimension: r.dimension as Dimension, hour: iso(r.hour),
    version: Number(r.version), previousQuantity: Number(r.previous_quantity), quantity: Number(r.quantity), delta: Number(r.delta), detectedAt: iso(r.detected_at),
  };
}

async function recordSamples(q: Queryable, samples: Sample[], sampler: string, now: Date): Promise<number> {
  if (samples.length === 0) return 0;
  const rows = samples.map((s) => ({
    tenant: s.tenant, environment: s.environment, at: s.at.toISOString(), hour: hourOf(s.at).toISOString(), seconds: s.seconds,
    cluster: s.cluster, namespace: s.namespace, pods: s.pods, cpu_millis: s.cpuMillis, memory_bytes: s.memoryBytes, gpus: s.gpus,
    saved_replicas: s.savedReplicas ?? 0, saved_gpus: s.savedGpus ?? 0,
  }));
  const { rows: out } = await q.query<{ n: number }>(
    `WITH v AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(tenant text, environment text, at timestamptz, hour timestamptz, seconds integer,
         cluster text, namespace text, pods integer, cpu_millis bigint, memory_bytes bigint, gpus integer, saved_replicas integer, saved_gpus integer)
     ), ins AS (
       INSERT INTO metering_samples (tenant, environment, at, hour, seconds, cluster, namespace, pods, cpu_millis, memory_bytes, gpus, saved_replicas, saved_gpus, sampler, recorded_at)
       SELECT tenant, environment, at, hour, seconds, cluster, namespace, pods, cpu_millis, memory_bytes, gpus, saved_replicas, saved_gpus, $2, $3 FROM v
       ON CONFLICT (tenant, environment, at) DO NOTHING
       RETURNING tenant, environment, hour, seconds, cpu_millis, memory_bytes, gpus, saved_replicas, saved_gpus
     ), agg AS (
       SELECT tenant, environment, hour, count(*)::integer AS samples, sum(seconds)::bigint AS env_seconds,
         sum(cpu_millis::numeric * seconds) AS cpu, sum(memory_bytes::numeric * seconds) AS mem, sum(gpus::bigint * seconds)::bigint AS gpu,
         sum(saved_replicas::bigint * seconds)::bigint AS saved_replica, sum(saved_gpus::bigint * seconds)::bigint AS saved_gpu
       FROM ins GROUP BY tenant, environment, hour
     ), up AS (
       INSERT INTO metering_hour_inputs AS i (tenant, environment, hour, samples, env_seconds, cpu_milli_seconds, memory_byte_seconds, gpu_seconds,
         saved_replica_seconds, saved_gpu_seconds, revision, dirty, updated_at)
       SELECT tenant, environment, hour, samples, env_seconds, cpu, mem, gpu, saved_replica, saved_gpu, 1, true, $3 FROM agg
       ON CONFLICT (tenant, environment, hour) DO UPDATE SET
         samples = i.samples + EXCLUDED.samples, env_seconds = i.env_seconds + EXCLUDED.env_seconds,
         cpu_milli_seconds = i.cpu_milli_seconds + EXCLUDED.cpu_milli_seconds, memory_byte_seconds = i.memory_byte_seconds + EXCLUDED.memory_byte_seconds,
         gpu_seconds = i.gpu_seconds + EXCLUDED.gpu_seconds, saved_replica_seconds = i.saved_replica_seconds + EXCLUDED.saved_replica_seconds,
         saved_gpu_seconds = i.saved_gpu_seconds + EXCLUDED.saved_gpu_seconds, revision = i.revision + 1, dirty = true, updated_at = EXCLUDED.updated_at
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM ins)::integer AS n`,
    [JSON.stringify(rows), sampler, now.toISOString()],
  );
  return Number(out[0]?.n ?? 0);
}

async function addApiRequests(q: Queryable, flushId: string, counts: ApiCount[], now: Date): Promise<boolean> {
  const rows = counts.filter((c) => c.requests > 0).map((c) => ({ tenant: c.tenant, hour: hourOf(c.hour).toISOString(), n: c.requests }));
  const { rows: out } = await q.query<{ applied: boolean }>(
    `WITH f AS (
       INSERT INTO metering_api_flushes (id, at) VALUES ($1, $3) ON CONFLICT (id) DO NOTHING RETURNING id
     ), v AS (
       SELECT tenant, hour, sum(n)::bigint AS n FROM jsonb_to_recordset($2::jsonb) AS x(tenant text, hour timestamptz, n bigint) GROUP BY tenant, hour
     ), up AS (
       INSERT INTO metering_hour_inputs AS i (tenant, environment, hour, api_requests, revision, dirty, updated_at)
       SELECT v.tenant, '', v.hour, v.n, 1, true, $3 FROM v WHERE EXISTS (SELECT 1 FROM f)
       ON CONFLICT (tenant, environment, hour) DO UPDATE SET
         api_requests = i.api_requests + EXCLUDED.api_requests, revision = i.revision + 1, dirty = true, updated_at = EXCLUDED.updated_at
       RETURNING 1
     )
     SELECT EXISTS (SELECT 1 FROM f) AS applied`,
    [flushId, JSON.stringify(rows), now.toISOString()],
  );
  return Boolean(out[0]?.applied);
}

async function closedUntil(q: Queryable): Promise<Date | null> {
  const { rows } = await q.query<{ value: unknown }>(`SELECT value FROM metering_state WHERE key = 'closed_until'`);
  return rows[0] ? new Date(iso(rows[0].value)) : null;
}

/** Open (and about-to-close) hours: upsert records from their integrals; finalized records are left alone. */
async function upsertOpen(q: Queryable, from: Date, now: Date): Promise<number> {
  const { rows } = await q.query(
    `INSERT INTO metering_records AS r (tenant, environment, dimension, hour, quantity, state, version, samples, input_revision, updated_at)
     SELECT i.tenant, i.environment, d.dimension, i.hour, d.quantity, 'open', 1, i.samples, i.revision, $2
     FROM metering_hour_inputs i CROSS JOIN LATERAL ${QUANTITIES}
     WHERE i.dirty AND i.hour >= $1 AND ${DIMENSION_FITS}
     ON CONFLICT (tenant, environment, dimension, hour) DO UPDATE SET
       quantity = EXCLUDED.quantity, samples = EXCLUDED.samples, input_revision = EXCLUDED.input_revision, updated_at = EXCLUDED.updated_at
     WHERE r.state = 'open' AND r.input_revision < EXCLUDED.input_revision
     RETURNING 1`,
    [from.toISOString(), now.toISOString()],
  );
  return rows.length;
}

/** Late data on hours closed in an earlier pass: recompute, bump the version, record the correction. */
async function correctLate(q: Queryable, before: Date, now: Date): Promise<Correction[]> {
  const { rows } = await q.query(
    `SELECT i.tenant, i.environment, d.dimension, i.hour, d.quantity::text AS quantity, i.samples, i.revision,
            r.quantity::text AS old_quantity, r.version
     FROM metering_hour_inputs i CROSS JOIN LATERAL ${QUANTITIES}
     LEFT JOIN metering_records r ON r.tenant = i.tenant AND r.environment = i.environment AND r.dimension = d.dimension AND r.hour = i.hour
     WHERE i.dirty AND i.hour < $1 AND ${DIMENSION_FITS} AND (r.tenant IS NULL OR r.input_revision < i.revision)
     ORDER BY i.hour, i.tenant, i.environment, d.dimension`,
    [before.toISOString()],
  );
  const out: Correction[] = [];
  for (const r of rows) {
    const key = [r.tenant, r.environment, r.dimension, r.hour];
    const fresh = r.old_quantity === null || r.old_quantity === undefined;
    const changed = fresh ? Number(r.quantity) !== 0 : Number(r.quantity) !== Number(r.old_quantity);
    const version = fresh ? 1 : Number(r.version) + (changed ? 1 : 0);
    await q.query(
      `INSERT INTO metering_records AS x (tenant, environment, dimension, hour, quantity, original_quantity, state, version, samples, input_revision, finalized_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::numeric, 0, 'final', $6, $7, $8, $9, $9)
       ON CONFLICT (tenant, environment, dimension, hour) DO UPDATE SET
         quantity = EXCLUDED.quantity, version = EXCLUDED.version, samples = EXCLUDED.samples, input_revision = EXCLUDED.input_revision, updated_at = EXCLUDED.updated_at`,
      [...key, r.quantity, version, r.samples, r.revision, now.toISOString()],
    );
    if (!changed) continue;
    const { rows: c } = await q.query(
      `INSERT INTO metering_corrections (tenant, environment, dimension, hour, version, previous_quantity, quantity, delta, detected_at)
       VALUES ($1, $2, $3, $4, $5, $6::numeric, $7::numeric, $7::numeric - $6::numeric, $8)
       ON CONFLICT (tenant, environment, dimension, hour, version) DO NOTHING RETURNING *`,
      [...key, version, fresh ? '0' : r.old_quantity, r.quantity, now.toISOString()],
    );
    if (c[0]) out.push(correctionOf(c[0]));
  }
  return out;
}

async function refresh(db: Db, now: Date, graceMs: number): Promise<RefreshResult> {
  return db.transaction(async (q) => {
    if (db.kind === 'postgres') await q.query('SELECT pg_advisory_xact_lock($1)', [METERING_LOCK_KEY.toString()]);
    const closed = await closedUntil(q);
    const target = closedBefore(now, graceMs);
    const next = closed && closed > target ? closed : target;
    const corrections = closed ? await correctLate(q, closed, now) : [];
    const open = await upsertOpen(q, closed ?? new Date(0), now);
    const { rows: fin } = await q.query(
      `UPDATE metering_records SET state = 'final', original_quantity = quantity, finalized_at = $2, updated_at = $2
       WHERE state = 'open' AND hour < $1 RETURNING 1`,
      [next.toISOString(), now.toISOString()],
    );
    await q.query(
      `INSERT INTO metering_state (key, value) VALUES ('closed_until', $1) ON CONFLICT (key) DO UPDATE SET value = GREATEST(metering_state.value, EXCLUDED.value)`,
      [next.toISOString()],
    );
    // Clean only rows whose records caught up with them; a sample that landed meanwhile keeps its row dirty.
    await q.query(
      `UPDATE metering_hour_inputs i SET dirty = false
       WHERE i.dirty AND EXISTS (SELECT 1 FROM metering_records r WHERE r.tenant = i.tenant AND r.environment = i.environment AND r.hour = i.hour AND r.input_revision >= i.revision)`,
    );
    return { open, finalized: fin.length, corrections, closedUntil: next.toISOString() };
  });
}

async function records(q: Queryable, rq: RecordQuery): Promise<Page<UsageRecord>> {
  const { limit, after } = pageQuery(rq, 3);
  const params: unknown[] = [rq.tenant];
  const where = ['tenant = $1'];
  const add = (cond: string, v: unknown) => {
    params.push(v);
    where.push(cond.replace('?', `$${params.length}`));
  };
  if (rq.from) add('hour >= ?', rq.from.toISOString());
  if (rq.to) add('hour < ?', rq.to.toISOString());
  if (rq.dimension) add('dimension = ?', rq.dimension);
  if (rq.environment !== undefined) add('environment = ?', rq.environment);
  if (rq.state) add('state = ?', rq.state);
  if (after) {
    params.push(after[0], after[1], after[2]);
    where.push(`(hour, environment, dimension) > ($${params.length - 2}::timestamptz, $${params.length - 1}, $${params.length})`);
  }
  params.push(limit + 1);
  const { rows } = await q.query(
    `SELECT tenant, environment, dimension, hour, quantity::text AS quantity, state, version, samples, finalized_at
     FROM metering_records WHERE ${where.join(' AND ')} ORDER BY hour, environment, dimension LIMIT $${params.length}`,
    params,
  );
  return toPage(rows, limit, recordOf, (r) => [iso(r.hour), String(r.environment), String(r.dimension)]);
}

async function corrections(q: Queryable, rq: { tenant: string; limit?: number | undefined; cursor?: string | undefined }): Promise<Page<Correction>> {
  const { limit, after } = pageQuery(rq, 1);
  const { rows } = await q.query(
    `SELECT seq, tenant, environment, dimension, hour, version, previous_quantity::text AS previous_quantity, quantity::text AS quantity,
            delta::text AS delta, detected_at
     FROM metering_corrections WHERE tenant = $1 AND ($2::bigint IS NULL OR seq > $2::bigint) ORDER BY seq LIMIT $3`,
    [rq.tenant, after ? Number(after[0]) : null, limit + 1],
  );
  return toPage(rows, limit, correctionOf, (r) => [Number(r.seq)]);
}

export function sqlMeteringStore(db: Db): MeteringStore {
  return {
    recordSamples: (samples, sampler, now) => recordSamples(db, samples, sampler, now),
    async sampledAt(at) {
      const { rows } = await db.query<{ tenant: string; environment: string }>('SELECT tenant, environment FROM metering_samples WHERE at = $1', [at.toISOString()]);
      return new Set(rows.map((r) => `${r.tenant}/${r.environment}`));
    },
    addApiRequests: (flushId, counts, now) => addApiRequests(db, flushId, counts, now),
    refresh: (now, graceMs) => refresh(db, now, graceMs),
    records: (rq) => records(db, rq),
    corrections: (rq) => corrections(db, rq),
    async sampleCount(tenant, environment, from, to) {
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::integer AS n FROM metering_samples WHERE tenant = $1 AND environment = $2 AND at >= $3 AND at < $4',
        [tenant, environment, from.toISOString(), to.toISOString()],
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}

export const ALL_DIMENSIONS = DIMENSIONS;
