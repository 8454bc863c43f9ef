// AI workloads through the API (docs/ai-workloads.md): an environment's hibernation (state, schedule,
// saved replica-hours and GPU-hours), and training runs (start one per call as a TrainJob or a Job on
// the environment's cluster, list them with their state read back from the cluster and GPU-hours).
// Every lookup is by the caller's tenant and environment: nothing here can name another tenant's.
import type { ClusterConnections } from '../../adapters/kube/index.ts';
import { isNotFound } from '../../adapters/kube/index.ts';
import { blueprintFromRelease, type Quota } from '../../domain/blueprint.ts';
import type { ClusterCapability } from '../../domain/capabilities.ts';
import { ConflictError, InputError, NotFoundError } from '../../domain/errors.ts';
import { assertSchedule, isOffAt, nextChange, savings, trainingGpuHours, type HibernationSchedule, type TrainingRun } from '../../domain/hibernation.ts';
import type { Store } from '../../domain/ports/store.ts';
import type { Environment, KubeObject } from '../../domain/types.ts';
import { environmentRenderInput, renderTrainingRun, TRAINER_API_VERSION } from '../../render/index.ts';

export const TRAINING_FIELD_MANAGER = 'fleetplane-training';
/**
 * How long after its start a run's missing object still counts as being created (the start records
 * the run, then creates it). Regression: a second start or a list in between read the new run's
 * object as gone and ended the run, freeing its GPU while its Job ran.
 */
export const TRAINING_START_GRACE_MS = 120_000;

export interface AiDeps {
  store: Store;
  connections: ClusterConnections;
  now: () => Date;
}

async function environment(store: Store, tenant: string, env: string): Promise<Environment> {
  const e = await store.environments.get(tenant, env);
  if (!e || e.health === 'Deleted') throw new NotFoundError(`environment "${tenant}/${env}" not found`);
  return e;
}

async function typeSchedule(store: Store, env: Environment): Promise<HibernationSchedule | null> {
  const release = await store.blueprints.get(env.blueprint, env.version);
  const types = (release?.spec as { environmentTypes?: Record<string, { hibernation?: HibernationSchedule }> } | undefined)?.environmentTypes;
  return types?.[env.type]?.hibernation ?? null;
}

export async function hibernationStatus(d: AiDeps, tenant: string, envName: string) {
  const env = await environment(d.store, tenant, envName);
  const now = d.now();
  const [rec, periods, ofType] = await Promise.all([d.store.ai.hibernation(tenant, envName), d.store.ai.periods(tenant, envName), typeSchedule(d.store, env)]);
  const schedule = rec?.schedule ?? ofType;
  return {
    tenant, environment: envName,
    state: rec?.state ?? 'awake',
    since: rec?.since ?? null,
    revision: env.appliedRevision ?? null,
    schedule,
    scheduleSource: rec?.schedule ? 'environment' : ofType ? 'environment-type' : null,
    scheduleWantsOffNow: schedule ? isOffAt(schedule, now) : null,
    nextScheduledChange: schedule ? nextChange(schedule, now)?.toISOString() ?? null : null,
    saved: savings(periods, now),
    periods: periods.map(({ tenant: _t, environment: _e, ...p }) => p),
  };
}

export async function setHibernationSchedule(d: AiDeps, tenant: string, envName: string, schedule: HibernationSchedule | null) {
  await environment(d.store, tenant, envName);
  if (schedule) assertSchedule(schedule);
  await d.store.ai.setSchedule(tenant, envName, schedule);
  return hibernationStatus(d, tenant, envName);
}

/** Saved hours per environment of a tenant and in total, optionally within [from, to). */
export async function tenantSavings(d: AiDeps, tenant: string, window: { from?: Date; to?: Date }) {
  const periods = await d.store.ai.periods(tenant);
  const now = d.now();
  const byEnv = new Map<string, typeof periods>();
  for (const p of periods) byEnv.set(p.environment, [...(byEnv.get(p.environment) ?? []), p]);
  return {
    tenant,
    from: window.from?.toISOString() ?? null,
    to: window.to?.toISOString() ?? null,
    total: savings(periods, now, window),
    environments: [...byEnv].map(([environment, ps]) => ({ environment, ...savings(ps, now, window) })),
  };
}

export interface StartTrainingRequest {
  component: string;
  id?: string | undefined;
  args?: string[] | undefined;
}

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string; message?: string }>; succeeded?: number; failed?: number } };

/** A Job's or TrainJob's end: Complete/Failed conditions (batch/v1 and Trainer both set them). */
function finished(o: Conditioned | null): { state: 'succeeded' | 'failed'; message: string | null } | null {
  const c = o?.status?.conditions ?? [];
  const done = c.find((x) => (x.type === 'Complete' || x.type === 'SuccessCriteriaMet') && x.status === 'True');
  if (done) return { state: 'succeeded', message: done.message ?? null };
  const failed = c.find((x) => x.type === 'Failed' && x.status === 'True');
  return failed ? { state: 'failed', message: failed.message ?? null } : null;
}

/**
 * What a run is rendered for: the form the environment's delivered revision chose, not a fresh probe
 * of the cluster. A TrainJob names the TrainingRuntime its revision carries, so it is the form only
 * when that revision has one for the component; a revision rendered without Kubeflow Trainer (no CRD
 * then, or the engine's capabilities override where the CRD has no controller) runs batch Jobs even
 * though the cluster's discovery now lists TrainJob.
 */
async function runCapabilities(store: Store, env: Environment, component: string): Promise<ClusterCapability[]> {
  const rev = env.appliedRevision ? await store.revisions.get(env.tenant, env.name, env.appliedRevision) : null;
  if (!rev) throw new ConflictError(`environment "${env.tenant}/${env.name}" has no stored revision to run its training job from`);
  const runtime = rev.objects.some(({ object: o }) => o.apiVersion === TRAINER_API_VERSION && o.kind === 'TrainingRuntime' && o.metadata.name === component);
  return runtime ? ['kubeflow-trainer'] : [];
}

export class TrainingService {
  constructor(private readonly d: AiDeps) {}

  /** Starts one run: rendered from the environment's release for its cluster, checked against its training quota, created there. */
  async start(tenant: string, envName: string, req: StartTrainingRequest): Promise<TrainingRun & { gpuHours: number; reason: string }> {
    const { store } = this.d;
    const env = await environment(store, tenant, envName);
    if (!env.appliedRevision) throw new ConflictError(`environment "${tenant}/${envName}" has not been delivered yet`);
    if ((await store.ai.hibernation(tenant, envName))?.state === 'hibernated') throw new ConflictError(`environment "${tenant}/${envName}" is hibernated; wake it first`);
    const [t, release] = await Promise.all([store.tenants.get(tenant), store.blueprints.get(env.blueprint, env.version)]);
    if (!t || !release) throw new NotFoundError(`environment "${tenant}/${envName}" has no published release`);
    const conn = await this.d.connections.get(env.placement.cluster);
    const capabilities = await runCapabilities(store, env, req.component);
    const now = this.d.now();
    const id = req.id ?? `r${now.getTime().toString(36)}`;
    const bp = blueprintFromRelease(release);
    const run = renderTrainingRun(environmentRenderInput(t, env, bp, { capabilities }), req.component, { id, revision: env.appliedRevision, ...(req.args ? { args: req.args } : {}) });
    // The environment's own training quota: GPUs of its running runs plus this one.
    const quota: Quota = bp.spec.environmentTypes[env.type].quota;
    const runs = await this.refresh(env);
    const held = runs.filter((r) => r.state === 'running').reduce((s, r) => s + r.gpus, 0);
    const limit = quota.trainingGpus;
    if (run.gpus > 0 && limit !== undefined && held + run.gpus > limit) {
      throw new ConflictError(`training quota: this run needs ${run.gpus} GPU(s), ${held} of ${limit} are held by running runs of ${tenant}/${envName}`);
    }
    if (runs.some((r) => r.component === req.component && r.id === id)) throw new ConflictError(`training run "${req.component}/${id}" exists in ${tenant}/${envName}`);
    const object = run.object;
    const record: TrainingRun = {
      tenant, environment: envName, component: req.component, id, form: object.kind === 'TrainJob' ? 'TrainJob' : 'Job',
      object: { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace!, name: object.metadata.name },
      gpus: run.gpus, nodes: run.nodes, state: 'running', message: null, startedAt: now.toISOString(), finishedAt: null,
    };
    await this.record(record, run.gpus > 0 ? limit : undefined);
    try {
      await conn.kube.apply(object, { fieldManager: TRAINING_FIELD_MANAGER, force: true });
    } catch (err) {
      // Not created: the run ends here and frees its GPUs at once.
      await store.ai.finishTrainingRun(record, 'failed', `not created on the cluster: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, this.d.now().toISOString());
      throw err;
    }
    return { ...record, gpuHours: 0, reason: run.reason };
  }

  /** Records the run, the store deciding the quota with the insert (another start may have taken the GPUs since the check). */
  private async record(r: TrainingRun, limit: number | undefined): Promise<void> {
    const added = await this.d.store.ai.addTrainingRun(r, limit);
    const where = `${r.tenant}/${r.environment}`;
    if (added === 'exists') throw new ConflictError(`training run "${r.component}/${r.id}" exists in ${where}`);
    if (added === 'over-quota') throw new ConflictError(`training quota: this run needs ${r.gpus} GPU(s); running runs of ${where} hold the rest of its ${limit}`);
  }

  /** The environment's runs, the running ones' state read back from the cluster first. */
  async list(tenant: string, envName: string) {
    const env = await environment(this.d.store, tenant, envName);
    const now = this.d.now();
    const runs = (await this.refresh(env)).map((r) => ({ ...r, gpuHours: trainingGpuHours(r, now) }));
    return { tenant, environment: envName, runs, gpuHours: Math.round(runs.reduce((s, r) => s + r.gpuHours, 0) * 1000) / 1000 };
  }

  private async refresh(env: Environment): Promise<TrainingRun[]> {
    const { store } = this.d;
    const runs = await store.ai.trainingRuns(env.tenant, env.name);
    const running = runs.filter((r) => r.state === 'running');
    if (running.length === 0) return runs;
    const conn = await this.d.connections.get(env.placement.cluster);
    for (const r of running) {
      let live: Conditioned | null;
      try {
        live = (await conn.kube.get({ apiVersion: r.object.apiVersion, kind: r.object.kind, namespace: r.object.namespace, name: r.object.name })) as Conditioned | null;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        live = null;
      }
      // A start records its run first and creates the object next: missing that soon is not gone.
      const starting = this.d.now().getTime() - Date.parse(r.startedAt) < TRAINING_START_GRACE_MS;
      const end = live ? finished(live) : starting ? null : { state: 'failed' as const, message: 'the run\'s object is gone from the cluster' };
      if (end) await store.ai.finishTrainingRun(r, end.state, end.message, this.d.now().toISOString());
    }
    return store.ai.trainingRuns(env.tenant, env.name);
  }
}

/** The start request's own checks (the renderer checks the rest, naming the field). */
export function checkStartRequest(b: StartTrainingRequest): void {
  if (typeof b.component !== 'string' || !/^[a-z]([-a-z0-9]{0,28}[a-z0-9])?$/.test(b.component)) throw new InputError('/component: must be a component name', [{ field: '/component', message: 'must be a component name' }]);
}
