// Operations: durable workflow records. create() is idempotent on idempotency_key through the
// unique index and INSERT … ON CONFLICT DO NOTHING: concurrent creates with one key yield one row,
// and every caller gets that row back (created=false for all but the first).
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../domain/errors.ts';
import type { Operation, OperationKind, OperationState, OperationStep } from '../../domain/types.ts';
import type { Queryable } from './db.ts';
import type { NewOperation, OperationRepo, Page, PageRequest } from '../../domain/ports/store.ts';
import { iso, isoOrNull, json, jsonParam, pageQuery, strOrNull, toPage, type Row } from './sql.ts';

const COLUMNS = `seq::text AS seq_key, id, kind, tenant, environment, state, idempotency_key, params, steps, attempts, result, error,
  request_id, created_at, updated_at, finished_at`;

export function toOperation(r: Row): Operation {
  return {
    id: String(r.id),
    kind: r.kind as OperationKind,
    tenant: String(r.tenant),
    environment: strOrNull(r.environment),
    state: r.state as OperationState,
    idempotencyKey: strOrNull(r.idempotency_key),
    params: json(r.params, {}),
    steps: json<OperationStep[]>(r.steps, []),
    attempts: Number(r.attempts),
    result: json(r.result, null),
    error: strOrNull(r.error),
    requestId: strOrNull(r.request_id),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    finishedAt: isoOrNull(r.finished_at),
  };
}

export type OperationListFilter = PageRequest & { tenant?: string; state?: string; environment?: string; kind?: string };

export function operationRepo(q: Queryable): OperationRepo {
  return {
    create: (op) => createOperation(q, op),
    get: async (id) => first(await q.query<Row>(`SELECT ${COLUMNS} FROM operations WHERE id = $1`, [id])),
    findByIdempotencyKey: (key) => findByKey(q, key),
    findByIdempotencyKeys: async (keys) => (keys.length === 0 ? [] : (await q.query<Row>(`SELECT ${COLUMNS} FROM operations WHERE idempotency_key = ANY($1::text[])`, [[...keys]])).rows.map(toOperation)),
    list: (f) => listOperations(q, f),
  };
}

const first = (r: { rows: Row[] }): Operation | null => (r.rows[0] ? toOperation(r.rows[0]) : null);

const findByKey = async (q: Queryable, key: string) => first(await q.query<Row>(`SELECT ${COLUMNS} FROM operations WHERE idempotency_key = $1`, [key]));

async function createOperation(q: Queryable, op: NewOperation): Promise<{ operation: Operation; created: boolean }> {
  const steps: OperationStep[] = op.steps.map((name) => ({ name, state: 'pending', attempts: 0 }));
  const sql = `INSERT INTO operations (id, kind, tenant, environment, idempotency_key, params, steps, request_id)
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${COLUMNS}`;
  const params = [randomUUID(), op.kind, op.tenant, op.environment ?? null, op.idempotencyKey ?? null, jsonParam(op.params ?? {}), jsonParam(steps), op.requestId ?? null];
  const inserted = first(await q.query<Row>(sql, params));
  if (inserted) return { operation: inserted, created: true };
  // The key was taken: ON CONFLICT waited for the other writer to commit, so its row is visible now.
  const existing = await findByKey(q, op.idempotencyKey!);
  if (!existing) throw new ConflictError(`idempotency key "${op.idempotencyKey}" is in use by a concurrent request; retry`);
  if (existing.kind !== op.kind || existing.tenant !== op.tenant || (existing.environment ?? null) !== (op.environment ?? null)) {
    throw new ConflictError(`idempotency key "${op.idempotencyKey}" was already used for a different request (operation ${existing.id})`, [
      { field: 'Idempotency-Key', message: 'reused for a different request' },
    ]);
  }
  return { operation: existing, created: false };
}

/** Newest first. */
async function listOperations(q: Queryable, f: OperationListFilter): Promise<Page<Operation>> {
  const { limit, after } = pageQuery(f, 1);
  const params = [after?.[0] ?? null, f.tenant ?? null, f.state ?? null, f.environment ?? null, f.kind ?? null, limit + 1];
  const sql = `SELECT ${COLUMNS} FROM operations
    WHERE ($1::text IS NULL OR seq < $1::bigint) AND ($2::text IS NULL OR tenant = $2) AND ($3::text IS NULL OR state = $3)
      AND ($4::text IS NULL OR environment = $4) AND ($5::text IS NULL OR kind = $5)
    ORDER BY seq DESC LIMIT $6`;
  const { rows } = await q.query<Row>(sql, params);
  return toPage(rows, limit, toOperation, (r) => [String(r.seq_key)]);
}
