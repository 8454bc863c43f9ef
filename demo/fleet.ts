// The big tour (`npm run demo`): the product at the scale it is built for, through its real API.
// Registers the testbed clusters with differing providers, regions, residency and prices; publishes
// two releases of blueprints/default and of its CPU-only variant; onboards 60 customers x 5
// environments (demo/fleet-plan.ts) with one POST /v1/tenants each; rolls 1.5.0 out in canary waves
// with the health gate and a metric gate on the demo's own Prometheus; shows one automatic rollback;
// downloads a self-managed customer's signed bundle; then prints where to look.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimit } from '../src/adapters/kube/index.ts';
import { ApiError, type ApiClient } from '../src/cli/client.ts';
import { table } from '../src/cli/output.ts';
import type { OperationView } from '../src/cli/commands/ops.ts';
import { describeRollout, type RolloutView } from '../src/cli/commands/rollouts.ts';
import { controlPlaneDashboard } from '../src/observability/control-plane.ts';
import { bundle } from './bundle.ts';
import { capacityOf, type DemoCluster } from './clusters.ts';
import { clusterTerms, cpuVariant, CUSTOMERS, fleetPlan, RESIDENCY, type FleetPlan } from './fleet-plan.ts';
import { instant } from './prometheus.ts';
import { ProgressDisplay } from './progress.ts';
import { brokenUpgrade } from './rollout.ts';
import { loadRelease, publish, type Doc, type EnvView, type TenantPlan } from './tenants.ts';
import { block, note, retrying, sleep } from './ui.ts';

export const FLEET_BLUEPRINTS = { gpu: 'default', cpu: 'default-cpu' };
const FROM = '1.4.0';
const TO = '1.5.0';
const PROVIDERS = new Set(['aws', 'gcp', 'azure', 'onprem', 'local']);
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export interface FleetContext {
  client: ApiClient;
  clusters: DemoCluster[];
  url: string;
  token: string;
  dataDir: string;
  /** The demo's Prometheus (the metric gate reads it); null when none could be started. */
  prometheusUrl: string | null;
  /** GitOps tenants' bare repos (what the testbed's Argo CD reads) and the URL it reads them at. */
  gitRepos: Map<string, { path: string; url: string }>;
  /** Step timings for the summary. */
  timings: Record<string, number>;
}

/** The plan of this tour (the same every run); FLEETPLANE_DEMO_CUSTOMERS (9..60) makes it smaller for a quick look. */
export function thePlan(): FleetPlan {
  const n = Number(process.env.FLEETPLANE_DEMO_CUSTOMERS ?? CUSTOMERS.length);
  if (!Number.isInteger(n) || n < 9 || n > CUSTOMERS.length) throw new Error(`FLEETPLANE_DEMO_CUSTOMERS must be an integer from 9 to ${CUSTOMERS.length}`);
  return fleetPlan(FLEET_BLUEPRINTS, FROM, n);
}

// ---- a. clusters ----

export async function registerFleetClusters(c: FleetContext, dedicated: string): Promise<void> {
  const rows = [];
  for (const [i, k] of c.clusters.entries()) {
    const cap = await capacityOf(k);
    const provider = PROVIDERS.has(cap.provider) ? cap.provider : 'local';
    const terms = clusterTerms(i + 1, provider);
    const role = i === c.clusters.length - 1 && c.clusters.length >= 3 ? `dedicated:${dedicated}` : 'shared';
    const credentials = await readFile(k.kubeconfig, 'utf8');
    await c.client.request('POST', '/v1/clusters', {
      body: { name: k.name, provider, region: cap.region, apiServer: k.apiServer, role, credentials, labels: terms.labels, pricePerCpuHour: terms.pricePerCpuHour, pricePerGbHour: terms.pricePerGbHour, pricePerGpuHour: terms.pricePerGpuHour },
    });
    rows.push({ name: k.name, provider, region: cap.region, role, terms, cap });
  }
  note('POST /v1/clusters for each: provider and region from the nodes, residency and prices per provider (placement\'s cost score)');
  block(table(rows, [
    ['CLUSTER', (r) => r.name], ['PROVIDER', (r) => r.provider], ['REGION', (r) => r.region], ['RESIDENCY', (r) => r.terms.labels[RESIDENCY]],
    ['ROLE', (r) => r.role], ['$/CPU-H', (r) => r.terms.pricePerCpuHour], ['$/GIB-H', (r) => r.terms.pricePerGbHour], ['$/GPU-H', (r) => r.terms.pricePerGpuHour],
    ['NODES', (r) => `${r.cap.nodes} (${r.cap.gpuNodes} GPU)`], ['CPU', (r) => r.cap.cpu.toFixed(0)], ['GPUS', (r) => r.cap.gpus],
  ]));
  // Placement checks capacity only once the engine's inventory has observed it.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { body } = await c.client.get<{ items: Array<{ name: string; capacity?: { cpuMillis: number; gpus: number } | null }> }>('/v1/clusters', { limit: 100 });
    const seen = body.items.filter((x) => x.capacity);
    if (seen.length >= c.clusters.length) {
      note(`capacity observed by the engine's cluster inventory: ${seen.map((x) => `${x.name} ${Math.round(x.capacity!.cpuMillis / 1000)} CPU, ${x.capacity!.gpus} GPU`).join('; ')}`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`the engine has not observed the capacity of ${c.clusters.length - seen.length} cluster(s) after 120 s`);
    await sleep(2000);
  }
}

// ---- b. releases ----

export async function publishFleetReleases(c: FleetContext): Promise<Record<string, Doc>> {
  const docs: Record<string, Doc> = {};
  for (const v of [FROM, TO]) {
    const full = await loadRelease(v);
    for (const doc of [full, cpuVariant(full, FLEET_BLUEPRINTS.cpu) as Doc]) {
      const r = await publish(c.client, doc);
      docs[`${doc.metadata.name}@${v}`] = doc;
      note(`POST /v1/blueprints ${r.name}@${r.version}  digest ${r.digest.slice(0, 16)}  (${String((doc.metadata as { description?: string }).description ?? '')})`);
    }
  }
  return docs;
}

// ---- c/d. onboarding ----

interface Tracked { id: string; tenant: string; environment: string; delivery: 'direct' | 'gitops' }

export interface Onboarding { ops: Tracked[]; final: Map<string, OperationView>; postSeconds: number; readySeconds: number }

/** Every operation of `ids` as the API lists them (newest first, 500 a page): one or two requests a poll. */
async function operationsById(client: ApiClient, ids: Set<string>): Promise<Map<string, OperationView>> {
  const out = new Map<string, OperationView>();
  let cursor: string | undefined;
  do {
    const page = cursor;
    const { body } = await retrying(() => client.get<{ items: OperationView[]; next?: string }>('/v1/operations', { limit: 500, ...(page ? { cursor: page } : {}) }));
    for (const o of body.items) if (ids.has(o.id)) out.set(o.id, o);
    cursor = body.next;
  } while (cursor && out.size < ids.size);
  return out;
}

function counts(ops: Iterable<OperationView>): { ok: number; failed: number; running: number; done: number } {
  let ok = 0; let failed = 0; let running = 0;
  for (const o of ops) {
    if (o.state === 'succeeded') ok++;
    else if (FINAL.has(o.state)) failed++;
    else if (o.state === 'running') running++;
  }
  return { ok, failed, running, done: ok + failed };
}

const info = (k: ReturnType<typeof counts>) => [k.running ? `${k.running} running` : '', k.failed ? `${k.failed} failed` : ''].filter(Boolean).join(', ');

/**
 * One POST /v1/tenants per customer (an Idempotency-Key each; `parallel` requests at a time), then
 * follows the 300 onboard operations to the end with one progress display (requests, direct, GitOps).
 */
export async function onboardFleet(c: FleetContext, plan: FleetPlan, o: { parallel: number; timeoutS: number }): Promise<Onboarding> {
  const display = new ProgressDisplay((l) => process.stdout.write(`${l}\n`));
  const total = plan.tenants.reduce((n, t) => n + t.environments.length, 0);
  const gitopsTotal = plan.tenants.flatMap((t) => t.environments).filter((e) => e.delivery === 'gitops').length;
  const posts = display.bar('POST /v1/tenants      ', plan.tenants.length);
  const direct = display.bar('direct environments   ', total - gitopsTotal);
  const gitops = display.bar('GitOps (Argo CD)      ', gitopsTotal);
  const t0 = Date.now();
  const ops: Tracked[] = [];
  let posted = 0;
  const results = await mapLimit(plan.tenants, o.parallel, async (t: TenantPlan) => {
    const key = `demo-${t.slug}-${randomBytes(6).toString('hex')}`;
    const r = await c.client.request<{ operations: OperationView[] }>('POST', '/v1/tenants', { body: t, headers: { 'idempotency-key': key } });
    for (const op of r.body.operations) {
      const env = t.environments.find((e) => e.name === op.environment);
      ops.push({ id: op.id, tenant: t.slug, environment: op.environment ?? '', delivery: env?.delivery === 'gitops' ? 'gitops' : 'direct' });
    }
    posts.update(++posted);
  });
  const postSeconds = (Date.now() - t0) / 1000;
  const refused = results.flatMap((r, i) => (r.ok ? [] : [`${plan.tenants[i]!.slug}: ${r.error.message}`]));
  const ids = new Set(ops.map((x) => x.id));
  const deadline = Date.now() + o.timeoutS * 1000;
  let final = new Map<string, OperationView>();
  for (;;) {
    final = await operationsById(c.client, ids);
    const of = (d: Tracked['delivery']) => counts(ops.filter((x) => x.delivery === d).map((x) => final.get(x.id)).filter((v): v is OperationView => Boolean(v)));
    const [kd, kg] = [of('direct'), of('gitops')];
    direct.update(kd.done, info(kd));
    gitops.update(kg.done, info(kg));
    if ((kd.done + kg.done >= ops.length) || Date.now() > deadline) break;
    await sleep(2000);
  }
  display.stop();
  for (const r of refused) note(`✗ refused: ${r}`);
  if (refused.length) throw new Error(`${refused.length} POST /v1/tenants were refused`);
  return { ops, final, postSeconds, readySeconds: (Date.now() - t0) / 1000 };
}

/** The outcome for one delivery mode: a line, the failures grouped by their error, an Error when any failed. */
export function reportOnboarding(ob: Onboarding, delivery: Tracked['delivery']): void {
  const mine = ob.ops.filter((x) => x.delivery === delivery);
  const views = mine.map((x) => ({ x, v: ob.final.get(x.id) }));
  const ok = views.filter(({ v }) => v?.state === 'succeeded');
  note(`${delivery}: ${ok.length}/${mine.length} environments onboarded (requests sent in ${ob.postSeconds.toFixed(1)} s; all settled ${ob.readySeconds.toFixed(1)} s after the first)`);
  const bad = views.filter(({ v }) => v?.state !== 'succeeded');
  if (bad.length === 0) return;
  const byReason = new Map<string, string[]>();
  for (const { x, v } of bad) {
    const step = v?.steps.find((s) => s.state === 'failed');
    const reason = v ? `${v.state}${step ? ` at ${step.name}` : ''}: ${(v.error ?? step?.error ?? '').split('\n')[0]!.slice(0, 140)}` : 'not finished in time';
    byReason.set(reason, [...(byReason.get(reason) ?? []), `${x.tenant}/${x.environment}`]);
  }
  for (const [reason, envs] of byReason) note(`✗ ${envs.length}: ${reason}  (${envs.slice(0, 6).join(', ')}${envs.length > 6 ? ', …' : ''})`);
  throw new Error(`${bad.length} of ${mine.length} ${delivery} onboardings did not succeed`);
}

// ---- e. where it landed ----

async function allEnvironments(client: ApiClient): Promise<EnvView[]> {
  const tenants: string[] = [];
  let cursor: string | undefined;
  do {
    const { body } = await client.get<{ items: Array<{ slug: string }>; next?: string }>('/v1/tenants', { limit: 500, ...(cursor ? { cursor } : {}) });
    tenants.push(...body.items.map((t) => t.slug));
    cursor = body.next;
  } while (cursor);
  const lists = await mapLimit(tenants, 4, async (t) => (await client.get<{ items: EnvView[] }>(`/v1/tenants/${t}/environments`, { limit: 50 })).body.items);
  return lists.flatMap((r) => (r.ok ? r.value : []));
}

export async function landing(c: FleetContext, plan: FleetPlan): Promise<void> {
  const envs = await allEnvironments(c.client);
  const tierOf = new Map(plan.tenants.map((t) => [t.slug, t.tier]));
  const rows = c.clusters.map((k) => {
    const here = envs.filter((e) => e.placement.cluster === k.name);
    const by = (f: (e: EnvView) => boolean) => here.filter(f).length;
    return {
      name: k.name, envs: here.length, tenants: new Set(here.map((e) => e.tenant)).size,
      tiers: ['shared', 'hybrid', 'dedicated'].map((t) => `${by((e) => tierOf.get(e.tenant) === t)} ${t}`).join(', '),
      gpu: by((e) => plan.gpu.includes(e.tenant)), eu: by((e) => plan.eu.includes(e.tenant)), gitops: by((e) => e.delivery === 'gitops'),
      ready: by((e) => e.health === 'Ready'),
    };
  });
  block(table(rows, [
    ['CLUSTER', (r) => r.name], ['ENVIRONMENTS', (r) => r.envs], ['TENANTS', (r) => r.tenants], ['TIERS', (r) => r.tiers],
    ['GPU (AI)', (r) => r.gpu], ['EU-ONLY', (r) => r.eu], ['GITOPS', (r) => r.gitops], ['READY', (r) => r.ready],
  ]));
  const unplaced = envs.filter((e) => !e.placement.cluster);
  if (unplaced.length) note(`${unplaced.length} environments have no cluster yet`);
  note(`placement: ${plan.dedicated} (dedicated) on its own cluster; EU-only tenants (${plan.eu.join(', ')}) only where residency is eu; GPU tenants where GPUs are free`);
  const summary = (await c.client.get<{ byHealth?: Record<string, number> }>('/v1/fleet/summary')).body;
  note(`GET /v1/fleet/summary by health: ${JSON.stringify(summary.byHealth ?? {})}`);
}

// ---- f. rollouts ----

interface RolloutPlan { label: string; body: Record<string, unknown> }

/** The metric gate: the control plane's own "environments unhealthy" alert expression, below its 10 % threshold. */
export const METRIC_GATE = {
  query: '(sum(fleetplane_environments{health=~"Degraded|Failed"}) or vector(0)) / sum(fleetplane_environments)',
  op: '<', threshold: 0.1,
} as const;

export function rolloutPlans(withMetricGate: boolean): RolloutPlan[] {
  const gates = { health: true, bakeSeconds: 5, ...(withMetricGate ? { metric: METRIC_GATE } : {}) };
  return [
    {
      label: `${FLEET_BLUEPRINTS.cpu}@${TO} direct`,
      body: { blueprint: FLEET_BLUEPRINTS.cpu, version: TO, selector: { labels: { delivery: 'direct' } }, strategy: { canary: { count: 3 }, waves: [10, 50, 100], maxParallel: 30, gates } },
    },
    {
      label: `${FLEET_BLUEPRINTS.gpu}@${TO} GPU     `,
      body: { blueprint: FLEET_BLUEPRINTS.gpu, version: TO, strategy: { canary: { count: 1 }, waves: [100], maxParallel: 5, gates: { health: true, bakeSeconds: 5 } } },
    },
    {
      label: `${FLEET_BLUEPRINTS.cpu}@${TO} GitOps`,
      body: { blueprint: FLEET_BLUEPRINTS.cpu, version: TO, selector: { labels: { delivery: 'gitops' } }, strategy: { canary: { count: 1 }, waves: [100], maxParallel: 5, gates: { health: true, bakeSeconds: 0 } } },
    },
  ];
}

export interface RolloutOutcome { label: string; view: RolloutView | null; seconds: number; error?: string }

/** Starts the three rollouts at once and follows them with one progress display (a bar each). */
export async function rollFleet(c: FleetContext, timeoutS: number): Promise<RolloutOutcome[]> {
  const plans = rolloutPlans(c.prometheusUrl !== null);
  const first = plans[0]!.body as { selector: unknown; strategy: unknown };
  note(`POST /v1/rollouts ${JSON.stringify({ ...plans[0]!.body, strategy: first.strategy })}`);
  if (c.prometheusUrl) note(`metric gate on the demo's Prometheus ${c.prometheusUrl}: ${METRIC_GATE.query} ${METRIC_GATE.op} ${METRIC_GATE.threshold} (now ${await instant(c.prometheusUrl, METRIC_GATE.query).catch(() => null) ?? 'no data'})`);
  else note('✗ no Prometheus: the metric gate is left out');
  note('and the same release for the GPU customers (blueprint default) and for the GitOps customers (through Argo CD)');
  const created: Array<{ p: RolloutPlan; id: string | null; error?: string; t0: number }> = [];
  for (const p of plans) {
    try {
      const { body } = await c.client.request<RolloutView>('POST', '/v1/rollouts', { body: p.body });
      created.push({ p, id: body.id, t0: Date.now() });
      note(`${p.label.trim()}: ${body.id}, ${body.totals.total} targets in ${body.waves.length} waves (${body.waves.map((w) => `${w.name} ${w.targets.length}`).join(', ')})${body.skipped.length ? `, ${body.skipped.length} skipped (${[...new Set(body.skipped.map((s) => s.reason))].join(', ')})` : ''}`);
    } catch (err) {
      created.push({ p, id: null, error: (err as Error).message, t0: Date.now() });
    }
  }
  const display = new ProgressDisplay((l) => process.stdout.write(`${l}\n`));
  const bars = created.map((x) => display.bar(x.p.label, 1));
  const views = new Map<string, RolloutView>();
  const ended = new Map<string, number>();
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    for (const [i, x] of created.entries()) {
      if (!x.id || ended.has(x.id)) continue;
      const { body: r } = await retrying(() => c.client.get<RolloutView>(`/v1/rollouts/${x.id}`));
      views.set(x.id, r);
      const t = r.totals;
      const wave = r.waves[r.currentWave];
      bars[i]!.update(t.succeeded + t.failed + t.cancelled + t.skipped, `${r.state}${wave && r.state === 'running' ? ` wave ${r.currentWave + 1}/${r.waves.length} ${wave.name}` : ''}${t.running ? `, ${t.running} running` : ''}${t.failed ? `, ${t.failed} failed` : ''}`, t.total);
      if (['succeeded', 'failed', 'aborted', 'paused'].includes(r.state)) ended.set(x.id, Date.now());
    }
    if (created.every((x) => !x.id || ended.has(x.id)) || Date.now() > deadline) break;
    await sleep(2000);
  }
  display.stop();
  return created.map((x) => ({
    label: x.p.label.trim(), view: x.id ? views.get(x.id) ?? null : null,
    seconds: ((x.id ? ended.get(x.id) : undefined) ?? Date.now()) / 1000 - x.t0 / 1000, ...(x.error ? { error: x.error } : {}),
  }));
}

/** One rollout's waves, gates and failures; throws unless it succeeded. */
export function reportRollout(o: RolloutOutcome): void {
  if (!o.view) throw new Error(o.error ?? 'the rollout was not created');
  block(describeRollout(o.view));
  const gates = o.view.waves.filter((w) => w.gateReason).map((w) => `${w.name}: ${w.gate} (${w.gateReason})`);
  if (gates.length) note(`gates: ${gates.join('; ')}`);
  note(`${o.label}: ${o.view.state} in ${o.seconds.toFixed(1)} s`);
  if (o.view.state !== 'succeeded') throw new Error(`rollout ${o.view.id} ended ${o.view.state}${o.view.reason ? `: ${o.view.reason}` : ''}`);
}

// ---- g. automatic rollback ----

export async function fleetRollback(c: FleetContext, docs: Record<string, Doc>, tenant: string): Promise<void> {
  const good = docs[`${FLEET_BLUEPRINTS.cpu}@${TO}`];
  if (!good) throw new Error(`${FLEET_BLUEPRINTS.cpu}@${TO} was not published`);
  await brokenUpgrade(c.client, good, '1.5.1', tenant, 'prod', 480);
}

// ---- h. self-managed ----

export async function selfManaged(c: FleetContext, plan: FleetPlan): Promise<void> {
  const tenant = plan.selfManaged[0];
  if (!tenant) throw new Error('the plan has no self-managed customer');
  const { body } = await c.client.get<{ items: Array<{ tenant: string; environment: string; available?: string | null; installed?: unknown }> }>('/v1/self-managed/environments');
  note(`GET /v1/self-managed/environments: ${body.items.length} environments of ${new Set(body.items.map((i) => i.tenant)).size} self-managed customers (${plan.selfManaged.join(', ')}); rollouts skip them, they install bundles`);
  await bundle(c.client, tenant, 'prod');
}

// ---- i. where to look ----

async function tenantToken(client: ApiClient, tenant: string): Promise<string | null> {
  try {
    return (await client.request<{ secret: string }>('POST', '/v1/tokens', { body: { name: `demo-${tenant}-admin`, role: 'tenant-admin', tenant } })).body.secret;
  } catch (err) {
    if (err instanceof ApiError) return null;
    throw err;
  }
}

/** Grafana dashboards as files: the control plane's and each prod environment's. */
async function writeDashboards(c: FleetContext, plan: FleetPlan): Promise<{ dir: string; files: number }> {
  const dir = join(c.dataDir, 'dashboards');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'fleetplane-control-plane.json'), `${JSON.stringify(controlPlaneDashboard(), null, 2)}\n`);
  const written = await mapLimit(plan.tenants, 4, async (t) => {
    const { body } = await c.client.get<unknown>(`/v1/tenants/${t.slug}/dashboards/prod`);
    await writeFile(join(dir, `${t.slug}-prod.json`), `${JSON.stringify(body, null, 2)}\n`);
  });
  return { dir, files: 1 + written.filter((r) => r.ok).length };
}

export async function whereToLook(c: FleetContext, plan: FleetPlan, started: number): Promise<void> {
  const summary = (await c.client.get<{ tenants?: number; environments?: number; byHealth?: Record<string, number>; byRelease?: Array<Record<string, unknown>>; operations?: Record<string, number> }>('/v1/fleet/summary')).body;
  const dash = await writeDashboards(c, plan);
  const scoped = await tenantToken(c.client, plan.tenants[0]!.slug);
  const releases = (summary.byRelease ?? []).map((r) => `${String(r.blueprint)}@${String(r.version)} ${String(r.environments)}`).join(', ');
  note(`fleet: ${summary.tenants ?? '?'} tenants, ${summary.environments ?? '?'} environments; by health ${JSON.stringify(summary.byHealth ?? {})}; by release ${releases}; operations ${JSON.stringify(summary.operations ?? {})}`);
  note(`timings: ${Object.entries(c.timings).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')}; tour so far ${((Date.now() - started) / 1000).toFixed(0)} s`);
  note('');
  note(`console:     ${c.url}/   sign in with a token (paste it into the form):`);
  note(`             platform admin   ${c.token}`);
  if (scoped) note(`             ${plan.tenants[0]!.slug} (tenant admin, sees only that tenant)   ${scoped}`);
  note(`API:         ${c.url}/v1/…  (OpenAPI: ${c.url}/openapi.json), e.g. curl -H "Authorization: Bearer $TOKEN" ${c.url}/v1/fleet/summary`);
  note(`CLI:         FLEETPLANE_SERVER=${c.url} FLEETPLANE_TOKEN=<admin token> npm run --silent fleetplane -- envs list ${plan.gpu[0]}`);
  for (const [t, r] of c.gitRepos) note(`Git repo:    ${t}: ${r.path}  (Argo CD reads ${r.url})`);
  note(`metrics:     ${c.url}/metrics${c.prometheusUrl ? `; Prometheus ${c.prometheusUrl} (scrapes it every 5 s, control-plane alerts loaded)` : ''}`);
  note(`dashboards:  ${dash.files} Grafana dashboards as files in ${dash.dir} (Dashboards → Import)`);
  note(`data:        ${c.dataDir} (embedded PGlite store, server logs beside it)`);
}
