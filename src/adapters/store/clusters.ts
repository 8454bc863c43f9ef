// Clusters: upsert by name. Credentials (kubeconfig) are sealed with the SecretBox before they reach
// SQL and only credentials() opens them; no other read path selects the column.
import type { ClusterCapability } from '../../domain/capabilities.ts';
import type { Cluster, ClusterCapacity, ClusterCordon, ClusterHealth, Provider } from '../../domain/types.ts';
import type { SecretBox } from './crypto.ts';
import type { Queryable } from './db.ts';
import type { Page, PageRequest, Store } from '../../domain/ports/store.ts';
import { iso, json, jsonParam, pageQuery, toPage, type Row } from './sql.ts';

const COLUMNS = 'name, provider, region, labels, role, api_server, kubernetes_version, capacity, price_per_cpu_hour, price_per_gb_hour, price_per_gpu_hour, capabilities, health, cordon, created_at, updated_at';

export function toCluster(r: Row): Cluster {
  const c: Cluster = {
    name: String(r.name),
    provider: r.provider as Provider,
    region: String(r.region),
    labels: json(r.labels, {}),
    role: String(r.role),
    apiServer: String(r.api_server),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
  if (r.kubernetes_version != null) c.kubernetesVersion = String(r.kubernetes_version);
  if (r.capacity != null) c.capacity = json<ClusterCapacity>(r.capacity, { cpuMillis: 0, memoryBytes: 0, gpus: 0, nodes: 0 });
  if (r.price_per_cpu_hour != null) c.pricePerCpuHour = Number(r.price_per_cpu_hour);
  if (r.price_per_gb_hour != null) c.pricePerGbHour = Number(r.price_per_gb_hour);
  if (r.price_per_gpu_hour != null) c.pricePerGpuHour = Number(r.price_per_gpu_hour);
  if (r.capabilities != null) c.capabilities = json<ClusterCapability[]>(r.capabilities, []);
  if (r.health != null) c.health = json<ClusterHealth>(r.health, {} as ClusterHealth);
  if (r.cordon != null) c.cordon = json<ClusterCordon>(r.cordon, { reason: '', at: '' });
  return c;
}

/** AAD binds a sealed value to its cluster: swapping ciphertexts between rows fails to decrypt. */
const aad = (name: string) => `cluster:${name}`;

export function clusterRepo(q: Queryable, box: SecretBox): Store['clusters'] {
  return {
    upsert: (c) => upsertCluster(q, box, c),
    get: async (name) => {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM clusters WHERE name = $1`, [name]);
      return rows[0] ? toCluster(rows[0]) : null;
    },
    list: (page) => listClusters(q, page),
    credentials: async (name) => {
      const { rows } = await q.query<{ credentials_enc: string | null }>('SELECT credentials_enc FROM clusters WHERE name = $1', [name]);
      const sealed = rows[0]?.credentials_enc;
      return sealed ? box.open(sealed, aad(name)) : null;
    },
    delete: async (name) => {
      await q.query('DELETE FROM clusters WHERE name = $1', [name]);
    },
    setCapacity: async (name, capacity) => {
      const { rows } = await q.query('UPDATE clusters SET capacity = $2::jsonb WHERE name = $1 RETURNING 1', [name, JSON.stringify(capacity)]);
      return rows.length > 0;
    },
    setHealth: async (name, health) => {
      const { rows } = await q.query('UPDATE clusters SET health = $2::jsonb WHERE name = $1 RETURNING 1', [name, JSON.stringify(health)]);
      return rows.length > 0;
    },
    setCordon: async (name, cordon) => {
      const { rows } = await q.query(`SELECT ${COLUMNS} FROM clusters WHERE name = $1`, [name]);
      if (!rows[0]) return null;
      const upd = await q.query<Row>(`UPDATE clusters SET cordon = $2::jsonb, updated_at = now() WHERE name = $1 RETURNING ${COLUMNS}`, [name, cordon ? JSON.stringify(cordon) : null]);
      return toCluster(upd.rows[0]!);
    },
  };
}

/** Credentials or capacity left undefined keep the stored ones (re-registering must not wipe what the engine observed). */
async function upsertCluster(q: Queryable, box: SecretBox, c: Omit<Cluster, 'createdAt' | 'updatedAt'> & { credentials?: string }): Promise<Cluster> {
  const sealed = c.credentials === undefined ? null : box.seal(c.credentials, aad(c.name));
  const sql = `INSERT INTO clusters (name, provider, region, labels, role, api_server, kubernetes_version, capacity, price_per_cpu_hour, credentials_enc, price_per_gb_hour, price_per_gpu_hour, capabilities)
    VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13::jsonb)
    ON CONFLICT (name) DO UPDATE SET provider = EXCLUDED.provider, region = EXCLUDED.region, labels = EXCLUDED.labels,
      role = EXCLUDED.role, api_server = EXCLUDED.api_server, kubernetes_version = EXCLUDED.kubernetes_version,
      capacity = COALESCE(EXCLUDED.capacity, clusters.capacity), price_per_cpu_hour = EXCLUDED.price_per_cpu_hour,
      credentials_enc = COALESCE(EXCLUDED.credentials_enc, clusters.credentials_enc),
      price_per_gb_hour = EXCLUDED.price_per_gb_hour, price_per_gpu_hour = EXCLUDED.price_per_gpu_hour,
      capabilities = EXCLUDED.capabilities, updated_at = now()
    RETURNING ${COLUMNS}`;
  const params = [
    c.name, c.provider, c.region, jsonParam(c.labels ?? {}), c.role, c.apiServer, c.kubernetesVersion ?? null,
    jsonParam(c.capacity), c.pricePerCpuHour ?? null, sealed, c.pricePerGbHour ?? null, c.pricePerGpuHour ?? null, jsonParam(c.capabilities),
  ];
  const { rows } = await q.query<Row>(sql, params);
  return toCluster(rows[0]!);
}

async function listClusters(q: Queryable, req: PageRequest): Promise<Page<Cluster>> {
  const { limit, after } = pageQuery(req, 1);
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM clusters WHERE ($1::text IS NULL OR name > $1) ORDER BY name LIMIT $2`,
    [after?.[0] ?? null, limit + 1],
  );
  return toPage(rows, limit, toCluster, (r) => [String(r.name)]);
}
