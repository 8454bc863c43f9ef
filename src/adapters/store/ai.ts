// Hibernation and training runs (Store.ai), tables of migration 2000_ai_workloads.sql.
import type { HibernationRecord, HibernationSchedule, StoredHibernationPeriod, TrainingRun } from '../../domain/hibernation.ts';
import type { AiRepo, TrainingRunAdded } from '../../domain/ports/store.ts';
import type { Db, Queryable } from './db.ts';
import { iso, isoOrNull, json, jsonParam, strOrNull, type Row } from './sql.ts';

const recordOf = (r: Row): HibernationRecord => ({
  tenant: String(r.tenant),
  environment: String(r.environment),
  state: r.state === 'hibernated' ? 'hibernated' : 'awake',
  schedule: json<HibernationSchedule | null>(r.schedule, null),
  scheduleWants: r.schedule_wants === 'off' || r.schedule_wants === 'on' ? r.schedule_wants : null,
  since: isoOrNull(r.since),
});

const periodOf = (r: Row): StoredHibernationPeriod => ({
  tenant: String(r.tenant), environment: String(r.environment), startedAt: iso(r.started_at), endedAt: isoOrNull(r.ended_at),
  replicas: Number(r.replicas), gpus: Number(r.gpus), revision: strOrNull(r.revision), reason: String(r.reason),
});

const runOf = (r: Row): TrainingRun => ({
  tenant: String(r.tenant), environment: String(r.environment), component: String(r.component), id: String(r.id),
  form: r.form === 'TrainJob' ? 'TrainJob' : 'Job', object: json<TrainingRun['object']>(r.object, { apiVersion: '', kind: '', namespace: '', name: '' }),
  gpus: Number(r.gpus), nodes: Number(r.nodes), state: r.state === 'succeeded' || r.state === 'failed' ? r.state : 'running',
  message: strOrNull(r.message), startedAt: iso(r.started_at), finishedAt: isoOrNull(r.finished_at),
});

const COLUMNS = 'tenant, environment, state, schedule, schedule_wants, since';

export function aiRepo(db: Db): AiRepo {
  const q: Queryable = db;
  const get = async (tenant: string, environment: string): Promise<HibernationRecord | null> => {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM environment_hibernation WHERE tenant = $1 AND environment = $2`, [tenant, environment]);
    return rows[0] ? recordOf(rows[0]) : null;
  };
  const ensure = (tenant: string, environment: string) =>
    q.query('INSERT INTO environment_hibernation (tenant, environment) VALUES ($1, $2) ON CONFLICT DO NOTHING', [tenant, environment]);
  return {
    hibernation: get,
    async hibernations() {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM environment_hibernation ORDER BY tenant, environment`);
      return rows.map(recordOf);
    },
    async setSchedule(tenant, environment, schedule) {
      await ensure(tenant, environment);
      await q.query('UPDATE environment_hibernation SET schedule = $3::jsonb, schedule_wants = NULL, updated_at = now() WHERE tenant = $1 AND environment = $2', [tenant, environment, jsonParam(schedule)]);
      return (await get(tenant, environment))!;
    },
    async setScheduleWants(tenant, environment, wants) {
      await ensure(tenant, environment);
      await q.query('UPDATE environment_hibernation SET schedule_wants = $3, updated_at = now() WHERE tenant = $1 AND environment = $2', [tenant, environment, wants]);
    },
    async hibernate(p) {
      await ensure(p.tenant, p.environment);
      await q.query(
        `INSERT INTO hibernation_periods (tenant, environment, started_at, replicas, gpus, revision, reason)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE NOT EXISTS (SELECT 1 FROM hibernation_periods WHERE tenant = $1 AND environment = $2 AND ended_at IS NULL)`,
        [p.tenant, p.environment, p.startedAt, p.replicas, p.gpus, p.revision, p.reason],
      );
      await q.query(
        `UPDATE environment_hibernation SET state = 'hibernated', since = COALESCE(CASE WHEN state = 'hibernated' THEN since END, $3::timestamptz), updated_at = now()
         WHERE tenant = $1 AND environment = $2`,
        [p.tenant, p.environment, p.startedAt],
      );
      return (await get(p.tenant, p.environment))!;
    },
    async wake(tenant, environment, at) {
      await ensure(tenant, environment);
      await q.query('UPDATE hibernation_periods SET ended_at = GREATEST($3::timestamptz, started_at) WHERE tenant = $1 AND environment = $2 AND ended_at IS NULL', [tenant, environment, at]);
      await q.query(`UPDATE environment_hibernation SET state = 'awake', since = NULL, updated_at = now() WHERE tenant = $1 AND environment = $2`, [tenant, environment]);
      return (await get(tenant, environment))!;
    },
    async periods(tenant, environment) {
      const { rows } = await q.query<Row>(
        `SELECT * FROM hibernation_periods WHERE tenant = $1 AND ($2::text IS NULL OR environment = $2) ORDER BY environment, started_at`,
        [tenant, environment ?? null],
      );
      return rows.map(periodOf);
    },
    async addTrainingRun(r, gpuLimit) {
      // One statement decides: the id unused and, with a limit, the running runs' GPUs plus this one's
      // within it. On PostgreSQL two starts at once would each see the other's row missing (READ
      // COMMITTED), so a transaction-scoped advisory lock per environment orders them; PGlite is one
      // connection and runs one statement at a time.
      const insert = async (x: Queryable): Promise<TrainingRunAdded> => {
        if (db.kind === 'postgres') await x.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`fp-training:${r.tenant}/${r.environment}`]);
        const { rows } = await x.query<Row>(
          `INSERT INTO training_runs (tenant, environment, component, id, object, form, gpus, nodes, state, message, started_at, finished_at)
           SELECT $1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12
           WHERE $13::integer IS NULL
              OR (SELECT COALESCE(SUM(gpus), 0) FROM training_runs WHERE tenant = $1 AND environment = $2 AND state = 'running') + $7::integer <= $13::integer
           ON CONFLICT DO NOTHING RETURNING id`,
          [r.tenant, r.environment, r.component, r.id, jsonParam(r.object), r.form, r.gpus, r.nodes, r.state, r.message, r.startedAt, r.finishedAt, gpuLimit ?? null],
        );
        if (rows.length > 0) return 'added';
        const dup = await x.query<Row>('SELECT 1 FROM training_runs WHERE tenant = $1 AND environment = $2 AND component = $3 AND id = $4', [r.tenant, r.environment, r.component, r.id]);
        return dup.rows.length > 0 ? 'exists' : 'over-quota';
      };
      return db.kind === 'postgres' ? db.transaction(insert) : insert(db);
    },
    async trainingRuns(tenant, environment) {
      const { rows } = await q.query<Row>('SELECT * FROM training_runs WHERE tenant = $1 AND environment = $2 ORDER BY started_at, component, id', [tenant, environment]);
      return rows.map(runOf);
    },
    async finishTrainingRun(k, state, message, at) {
      await q.query(
        `UPDATE training_runs SET state = $5, message = $6, finished_at = $7 WHERE tenant = $1 AND environment = $2 AND component = $3 AND id = $4 AND state = 'running'`,
        [k.tenant, k.environment, k.component, k.id, state, message, at],
      );
    },
  };
}
