// Where scaling policies and decisions live: SQL tables (migration 100_scaling.sql) through the store's
// Queryable when the store exposes one, or process memory (tests of pure wiring, a store without SQL).
import type { Queryable } from '../adapters/store/db.ts';
import type { ScalingDecision, ScalingPolicy } from './types.ts';

export interface DecisionPage { items: ScalingDecision[]; next?: string }

export interface ScalingStore {
  putPolicy(p: ScalingPolicy): Promise<ScalingPolicy>;
  getPolicy(tenant: string, environment: string): Promise<ScalingPolicy | null>;
  /** Policies that are not off (the pre-scaler's work list). */
  enabledPolicies(): Promise<ScalingPolicy[]>;
  record(d: ScalingDecision): Promise<ScalingDecision>;
  /** Newest first; `before` is the cursor from a previous page. */
  decisions(tenant: string, environment: string, page: { limit: number; before?: string }): Promise<DecisionPage>;
  latest(tenant: string, environment: string): Promise<ScalingDecision | null>;
}

export class SqlScalingStore implements ScalingStore {
  constructor(private readonly q: Queryable) {}

  async putPolicy(p: ScalingPolicy): Promise<ScalingPolicy> {
    await this.q.query(
      `INSERT INTO scaling_policies (tenant, environment, spec, mode) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant, environment) DO UPDATE SET spec = EXCLUDED.spec, mode = EXCLUDED.mode, updated_at = now()`,
      [p.tenant, p.environment, JSON.stringify(p), p.mode],
    );
    return p;
  }

  async getPolicy(tenant: string, environment: string): Promise<ScalingPolicy | null> {
    const r = await this.q.query<{ spec: ScalingPolicy }>('SELECT spec FROM scaling_policies WHERE tenant = $1 AND environment = $2', [tenant, environment]);
    return r.rows[0]?.spec ?? null;
  }

  async enabledPolicies(): Promise<ScalingPolicy[]> {
    const r = await this.q.query<{ spec: ScalingPolicy }>(`SELECT spec FROM scaling_policies WHERE mode <> 'off' ORDER BY tenant, environment`);
    return r.rows.map((x) => x.spec);
  }

  async record(d: ScalingDecision): Promise<ScalingDecision> {
    const r = await this.q.query<{ seq: string }>(
      `INSERT INTO scaling_decisions (tenant, environment, at, action, min_replicas, applied, decision)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`,
      [d.tenant, d.environment, d.at, d.action, d.minReplicas, d.applied, JSON.stringify(d)],
    );
    return { ...d, id: String(r.rows[0]!.seq) };
  }

  async decisions(tenant: string, environment: string, page: { limit: number; before?: string }): Promise<DecisionPage> {
    const before = page.before && /^\d+$/.test(page.before) ? page.before : null;
    const r = await this.q.query<{ seq: string; decision: ScalingDecision }>(
      `SELECT seq, decision FROM scaling_decisions WHERE tenant = $1 AND environment = $2 AND ($3::bigint IS NULL OR seq < $3::bigint)
       ORDER BY seq DESC LIMIT $4`,
      [tenant, environment, before, page.limit + 1],
    );
    const items = r.rows.slice(0, page.limit).map((x) => ({ ...x.decision, id: String(x.seq) }));
    return r.rows.length > page.limit ? { items, next: items[items.length - 1]!.id! } : { items };
  }

  async latest(tenant: string, environment: string): Promise<ScalingDecision | null> {
    return (await this.decisions(tenant, environment, { limit: 1 })).items[0] ?? null;
  }
}

export class MemoryScalingStore implements ScalingStore {
  private readonly policies = new Map<string, ScalingPolicy>();
  private readonly log: ScalingDecision[] = [];

  async putPolicy(p: ScalingPolicy): Promise<ScalingPolicy> {
    this.policies.set(`${p.tenant}/${p.environment}`, structuredClone(p));
    return p;
  }

  async getPolicy(tenant: string, environment: string): Promise<ScalingPolicy | null> {
    return structuredClone(this.policies.get(`${tenant}/${environment}`) ?? null);
  }

  async enabledPolicies(): Promise<ScalingPolicy[]> {
    return [...this.policies.values()].filter((p) => p.mode !== 'off').map((p) => structuredClone(p));
  }

  async record(d: ScalingDecision): Promise<ScalingDecision> {
    const saved = { ...structuredClone(d), id: String(this.log.length + 1) };
    this.log.push(saved);
    return saved;
  }

  async decisions(tenant: string, environment: string, page: { limit: number; before?: string }): Promise<DecisionPage> {
    const before = page.before ? Number(page.before) : Infinity;
    const all = this.log.filter((d) => d.tenant === tenant && d.environment === environment && Number(d.id) < before).reverse();
    const items = all.slice(0, page.limit).map((d) => structuredClone(d));
    return all.length > page.limit ? { items, next: items[items.length - 1]!.id! } : { items };
  }

  async latest(tenant: string, environment: string): Promise<ScalingDecision | null> {
    return (await this.decisions(tenant, environment, { limit: 1 })).items[0] ?? null;
  }
}

const attached = new WeakMap<object, ScalingStore>();

/**
 * The scaling store for a Fleetplane store: SQL when it exposes a Queryable as `db` (or is one),
 * otherwise one in-memory store per store object, so the API and the pre-scaler in one process agree.
 */
export function scalingStoreFor(store: object): ScalingStore {
  let s = attached.get(store);
  if (!s) {
    const db = (store as { db?: unknown }).db ?? store;
    s = isQueryable(db) ? new SqlScalingStore(db) : new MemoryScalingStore();
    attached.set(store, s);
  }
  return s;
}

function isQueryable(x: unknown): x is Queryable {
  return typeof x === 'object' && x !== null && typeof (x as Queryable).query === 'function' && typeof (x as Queryable).exec === 'function';
}
