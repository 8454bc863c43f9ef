// The applied-object inventory per environment: what the last delivery applied, so the next one
// knows what to prune. Writes come from workers and are always fenced by their lease.
import type { Queryable } from '../db.ts';
import type { Inventory } from '../../../domain/ports/queue.ts';
import { json } from '../sql.ts';
import { leaseHeld, type LeaseRef, type Row } from './rows.ts';

export async function getInventory(q: Queryable, tenant: string, environment: string): Promise<Inventory> {
  const { rows } = await q.query<Row>('SELECT revision, objects FROM environment_inventory WHERE tenant = $1 AND environment = $2', [tenant, environment]);
  const r = rows[0];
  if (!r) return { revision: null, objects: [] };
  return { revision: (r.revision as string | null) ?? null, objects: json<Inventory['objects']>(r.objects, []) };
}

export async function saveInventory(q: Queryable, key: { tenant: string; environment: string }, inv: Inventory, lease: LeaseRef): Promise<boolean> {
  const { rows } = await q.query(
    `INSERT INTO environment_inventory (tenant, environment, revision, objects, updated_at)
     SELECT $1, $2, $3, $4::jsonb, now() WHERE ${leaseHeld(5, 6)}
     ON CONFLICT (tenant, environment) DO UPDATE SET revision = EXCLUDED.revision, objects = EXCLUDED.objects, updated_at = now()
     RETURNING 1`,
    [key.tenant, key.environment, inv.revision, JSON.stringify(inv.objects), lease.id, lease.token],
  );
  return rows.length > 0;
}
