// Steps (b) and (c): publish blueprint releases, onboard tenants with one call each (an
// Idempotency-Key retry, a refused request), and follow the operations to Ready.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { ApiError, type ApiClient } from '../src/cli/client.ts';
import { table } from '../src/cli/output.ts';
import type { OperationView } from '../src/cli/commands/ops.ts';
import { ROOT } from './server.ts';
import { bar, block, LiveLine, note, retrying, secondsSince, sleep } from './ui.ts';

export type Doc = Record<string, unknown> & { metadata: { name: string; version: string } };

export async function loadRelease(version: string): Promise<Doc> {
  return YAML.parse(await readFile(join(ROOT, 'blueprints/default', `${version}.yaml`), 'utf8')) as Doc;
}

export async function publish(client: ApiClient, doc: Doc): Promise<{ name: string; version: string; digest: string }> {
  const { body } = await client.request<{ name: string; version: string; digest: string }>('POST', '/v1/blueprints', {
    body: { name: doc.metadata.name, version: doc.metadata.version, spec: doc },
  });
  return body;
}

export interface TenantPlan {
  slug: string; name: string; tier: 'shared' | 'dedicated' | 'hybrid'; labels: Record<string, string>; channel?: 'saas' | 'self-managed';
  environments: Array<{ name: string; type: 'prod' | 'staging' | 'dev'; blueprint: string; version: string; values?: Record<string, unknown>; delivery?: 'direct' | 'gitops'; selfHeal?: boolean }>;
}

export function demoTenants(blueprint: string, version: string): TenantPlan[] {
  const env = (name: string, type: 'prod' | 'staging' | 'dev', extra: Partial<TenantPlan['environments'][number]> = {}) => ({ name, type, blueprint, version, ...extra });
  return [
    { slug: 'acme', name: 'Acme Corp', tier: 'shared', labels: { plan: 'enterprise' }, environments: [env('prod', 'prod', { values: { logLevel: 'warn' } }), env('staging', 'staging')] },
    { slug: 'globex', name: 'Globex', tier: 'dedicated', labels: { plan: 'enterprise' }, environments: [env('prod', 'prod'), env('staging', 'staging')] },
    { slug: 'initech', name: 'Initech', tier: 'hybrid', labels: { plan: 'team' }, environments: [env('prod', 'prod', { values: { maxUploadMb: 200 } }), env('dev', 'dev')] },
    // GitOps: Fleetplane commits to the tenant's repo; the testbed's real Argo CD syncs it.
    { slug: 'umbrella', name: 'Umbrella', tier: 'shared', labels: { plan: 'team' }, environments: [env('prod', 'prod', { delivery: 'gitops', selfHeal: false })] },
  ];
}

type Onboarded = { tenant: { slug: string }; operations: OperationView[] };

/** One POST /v1/tenants per tenant; the first is retried with the same Idempotency-Key. */
export async function onboard(client: ApiClient, tenants: TenantPlan[]): Promise<OperationView[]> {
  const ops: OperationView[] = [];
  const rows = [];
  for (const [i, t] of tenants.entries()) {
    const key = `demo-${t.slug}-${randomBytes(4).toString('hex')}`;
    const r = await client.request<Onboarded>('POST', '/v1/tenants', { body: t, headers: { 'idempotency-key': key } });
    ops.push(...r.body.operations);
    rows.push({ t, status: r.status, ops: r.body.operations.length });
    if (i === 0) {
      const again = await client.request<Onboarded>('POST', '/v1/tenants', { body: t, headers: { 'idempotency-key': key } });
      const same = again.body.operations.map((o) => o.id).join() === r.body.operations.map((o) => o.id).join();
      note(`retry of ${t.slug} with the same Idempotency-Key: HTTP ${again.status}, ${same ? 'the same operations, nothing created twice' : 'DIFFERENT operations (unexpected)'}`);
      if (!same) throw new Error('an idempotent retry created new operations');
    }
  }
  block(table(rows, [
    ['TENANT', (r) => r.t.slug], ['TIER', (r) => r.t.tier], ['HTTP', (r) => r.status],
    ['ENVIRONMENTS', (r) => r.t.environments.map((e) => `${e.name}${e.delivery === 'gitops' ? ' (gitops)' : ''}`).join(', ')], ['OPERATIONS', (r) => r.ops],
  ]));
  return ops;
}

/** A request with a bad slug: problem+json names the field. */
export async function badRequest(client: ApiClient, blueprint: string, version: string): Promise<void> {
  const body = { slug: 'Bad Slug!', name: 'x', tier: 'shared', environments: [{ name: 'prod', type: 'prod', blueprint, version, values: { logLevel: 'loud' } }] };
  note(`POST /v1/tenants ${JSON.stringify(body)}`);
  try {
    await client.request('POST', '/v1/tenants', { body });
    throw new Error('the bad request was accepted');
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const p = err.problem as ApiError['problem'] & { type?: string };
    note(`HTTP ${err.status} application/problem+json  type=${p.type}`);
    note(`title: ${p.title}  detail: ${p.detail}`);
    block(table(p.errors ?? [], [['FIELD', (e) => e.field], ['MESSAGE', (e) => e.message]]));
  }
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Polls the operations with one live progress line until all end (or the time is up). */
export async function follow(client: ApiClient, ids: string[], label: string, seconds: number): Promise<OperationView[]> {
  const t0 = Date.now();
  const line = new LiveLine();
  for (;;) {
    const ops = await Promise.all(ids.map(async (id) => (await retrying(() => client.get<OperationView>(`/v1/operations/${id}`))).body));
    const ok = ops.filter((o) => o.state === 'succeeded').length;
    const failed = ops.filter((o) => o.state === 'failed' || o.state === 'cancelled').length;
    const running = ops.filter((o) => o.state === 'running').length;
    line.update(`${label} ${bar(ok + failed, ops.length)} ${ok}/${ops.length} succeeded${failed ? `, ${failed} failed` : ''}${running ? `, ${running} running` : ''}  ${secondsSince(t0)}`);
    if (ops.every((o) => FINAL.has(o.state)) || Date.now() - t0 > seconds * 1000) {
      line.done();
      return ops;
    }
    await sleep(1000);
  }
}

export interface EnvView {
  tenant: string; name: string; type: string; version: string; health: string; delivery: string;
  appliedRevision?: string | null; lastGoodRevision?: string | null;
  placement: { cluster: string; namespace: string };
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
}

export async function environments(client: ApiClient, tenants: string[]): Promise<EnvView[]> {
  const lists = await Promise.all(tenants.map(async (t) => (await client.get<{ items: EnvView[] }>(`/v1/tenants/${t}/environments`)).body.items));
  return lists.flat();
}

export function envTable(envs: EnvView[]): string {
  return table(envs, [
    ['ENVIRONMENT', (e) => `${e.tenant}/${e.name}`], ['TYPE', (e) => e.type], ['DELIVERY', (e) => e.delivery], ['VERSION', (e) => e.version],
    ['CLUSTER', (e) => e.placement.cluster], ['NAMESPACE', (e) => e.placement.namespace], ['REVISION', (e) => e.appliedRevision?.slice(0, 12)], ['HEALTH', (e) => e.health],
  ]);
}
