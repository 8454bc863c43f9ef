// The applied-object inventory per environment: what the last delivery applied, so the next one
// knows what to prune. Writes from workers are fenced by their lease.
import type { Queryable } from '../db.ts';
import type { Inventory, Lease } from './types.ts';
import type { Row } from './rows.ts';

export async function getInventory(q: Queryable, tenant: string, environment: string): Promise<Inventory> {
  const { rows } = await q.query<Row>('SELECT revision, objects FROM environment_inventory WHERE tenant = $1 AND environment = $2', [tenant, environment]);
  const r = rows[0];
  if (!r) return { revision: null, objects: [] };
  const objects = typeof r.objects === 'string' ? JSON.parse(r.objects) : r.objects;
  return { revision: (r.revision as string | null) ?? null, objects: objects as Inventory['objects'] };
}

const FENCE = `EXISTS (SELECT 1 FROM operations WHERE id = $5 AND lease_token = $6 AND state = 'running')`;

export async function saveInventory(q: Queryable, key: { tenant: string; environment: string }, inv: Inventory, lease?: Pick<Lease, 'operationId' | 'leaseToken'>): Promise<boolean> {
  const fenced = lease !== undefined;
  const { rows } = await q.query(
    `INSERT INTO environment_inventory (tenant, environment, revision, objects, updated_at)
     SELECT $1, $2, $3, $4::jsonb, now() WHERE ${fenced ? FENCE : '$5::text IS NULL AND $6::text IS NULL'}
     ON CONFLICT (tenant, environment) DO UPDATE SET revision = EXCLUDED.revision, objects = EXCLUDED.objects, updated_at = now()
     RETURNING 1`,
    [key.tenant, key.environment, inv.revision, JSON.stringify(inv.objects), lease?.operationId ?? null, lease?.leaseToken ?? null],
  );
  return rows.length > 0;
}
