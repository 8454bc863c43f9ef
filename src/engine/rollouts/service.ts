// Rollout commands (create, pause, resume, abort) and reads, shared by the HTTP API and the CLI.
// Creation plans the waves once (pure planner) and freezes them as target rows; the controller
// (./controller.ts) executes them.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Page, PageRequest, Store } from '../../domain/ports/store.ts';
import { ConflictError, IdempotencyKeyReusedError, InputError, NotFoundError, type FieldIssue } from '../../domain/errors.ts';
import { ROLLOUT_FINAL } from '../../domain/rollout-state.ts';
import { rejectedError } from '../../domain/release-rejection.ts';
import type { Rollout, RolloutSelector, RolloutStrategy } from '../../domain/rollouts.ts';
import { DEFAULT_STRATEGY, planWaves } from '../../plan/rollout-waves.ts';
import { eligibleForRollout } from '../../plan/rollout-preview.ts';
import { loadCandidates } from './candidates.ts';
import { releaseKubernetesRange } from '../place.ts';
import type { RolloutView } from './types.ts';
import { rolloutView } from './view.ts';

export interface StrategyInput {
  canary?: { count?: number; percent?: number };
  waves?: number[];
  maxParallel?: number;
  maxUnavailable?: number;
  maxFailures?: number;
  gates?: { health?: boolean; bakeSeconds?: number; metric?: RolloutStrategy['gates']['metric']; slo?: { severities?: Array<'page' | 'ticket'> } };
  respectMaintenanceWindows?: boolean;
  onGateFailure?: 'pause' | 'rollback';
}

export interface CreateRolloutInput {
  blueprint: string;
  version: string;
  selector?: RolloutSelector;
  strategy?: StrategyInput;
}

export interface RequestMeta {
  actor: string;
  idempotencyKey?: string;
  requestHash?: string;
}

export interface RolloutServiceDeps {
  store: Store;
  now?: () => Date;
  logger?: Logger;
}

function strategyIssues(s: StrategyInput, waves: number[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (waves.length === 0 || waves.some((p, i) => p <= 0 || p > 100 || (i > 0 && p <= waves[i - 1]!))) {
    issues.push({ field: '/strategy/waves', message: 'must be ascending cumulative percentages in (0, 100]' });
  }
  if (s.canary?.count !== undefined && s.canary?.percent !== undefined) issues.push({ field: '/strategy/canary', message: 'give count or percent, not both' });
  return issues;
}

function gatesOf(g: StrategyInput['gates'] = {}): RolloutStrategy['gates'] {
  return { health: g.health ?? true, bakeSeconds: g.bakeSeconds ?? 0, ...(g.metric ? { metric: g.metric } : {}), ...(g.slo ? { slo: { severities: g.slo.severities ?? ['page'] } } : {}) };
}

/** Fills defaults; maxUnavailable caps maxParallel (an upgrading environment counts as unavailable). */
export function normalizeStrategy(s: StrategyInput = {}): RolloutStrategy {
  const d = DEFAULT_STRATEGY;
  const waves = s.waves ?? d.waves;
  const issues = strategyIssues(s, waves);
  if (issues.length > 0) throw new InputError('invalid rollout strategy', issues);
  const maxParallel = Math.min(s.maxParallel ?? d.maxParallel, s.maxUnavailable ?? Number.MAX_SAFE_INTEGER);
  return {
    canary: s.canary ?? d.canary,
    waves,
    maxParallel: Math.max(1, maxParallel),
    maxFailures: s.maxFailures ?? 0,
    gates: gatesOf(s.gates),
    respectMaintenanceWindows: s.respectMaintenanceWindows ?? true,
    ...(s.onGateFailure === 'rollback' ? { onGateFailure: 'rollback' as const } : {}),
  };
}

export class RolloutService {
  private readonly now: () => Date;

  constructor(private readonly deps: RolloutServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async create(input: CreateRolloutInput, meta: RequestMeta): Promise<{ rollout: RolloutView; created: boolean }> {
    const { store } = this.deps;
    if (meta.idempotencyKey) {
      const prior = await this.byKey(meta.idempotencyKey);
      if (prior) return this.replay(prior, meta);
    }
    const strategy = normalizeStrategy(input.strategy);
    const release = await store.blueprints.get(input.blueprint, input.version);
    if (!release) {
      throw new InputError(`blueprint release ${input.blueprint}@${input.version} is not published`, [{ field: '/version', message: 'no such blueprint release' }]);
    }
    if (release.rejected) throw rejectedError(release.name, release.version, release.rejected);
    const selector = input.selector ?? {};
    const candidates = await loadCandidates(store, input.blueprint);
    // Pinned environments (and those on clusters outside the release's Kubernetes range) are skipped
    // here exactly as the preview reports them; self-managed ones get their bundle published.
    const { eligible, skipped } = eligibleForRollout(candidates, selector, input.version, releaseKubernetesRange(release.spec));
    const planned = planWaves(eligible, selector, strategy, input.version);
    const plan = { waves: planned.waves, skipped: [...skipped, ...planned.skipped] };
    const versions = new Map(candidates.map((c) => [`${c.tenant}/${c.environment}`, c.version]));
    const targets = plan.waves.flatMap((w) => w.targets.map((t, position) => ({ ...t, wave: w.index, position, fromVersion: versions.get(`${t.tenant}/${t.environment}`) ?? null })));
    const { rollout: record, created } = await store.rollouts.create({
      id: `ro-${randomUUID()}`, blueprint: input.blueprint, version: input.version,
      spec: { selector, strategy, waveNames: plan.waves.map((w) => w.name), skipped: plan.skipped },
      status: { waves: plan.waves.map(() => ({ gate: 'pending' })) },
      targets, idempotencyKey: meta.idempotencyKey ?? null, requestHash: meta.requestHash ?? null, createdBy: meta.actor,
    });
    if (!created) return this.replay(record, meta);
    await store.audit.append({ actor: meta.actor, action: 'rollout.create', target: record.id, detail: { blueprint: input.blueprint, version: input.version, targets: targets.length, waves: plan.waves.length } });
    this.deps.logger?.info({ rollout: record.id, targets: targets.length, waves: plan.waves.length }, 'rollout created');
    return { rollout: await this.get(record.id), created: true };
  }

  async get(id: string): Promise<RolloutView> {
    const r = await this.mustGet(id);
    return rolloutView(r, await this.deps.store.rollouts.targets(id));
  }

  /** Newest first; a cursor not returned by this API is an InputError (400). */
  async list(page: PageRequest): Promise<Page<RolloutView>> {
    const rollouts = this.deps.store.rollouts;
    const res = await rollouts.list(page);
    const items = await Promise.all(res.items.map(async (r) => rolloutView(r, await rollouts.targets(r.id))));
    return res.next ? { items, next: res.next } : { items };
  }

  async pause(id: string, actor: string, reason?: string): Promise<RolloutView> {
    return this.move(id, 'paused', reason ?? `paused by ${actor}`, actor);
  }

  /** Continues a paused rollout; failures in the current wave are acknowledged (no longer gate it). */
  async resume(id: string, actor: string): Promise<RolloutView> {
    const r = await this.mustGet(id);
    // Already running: a retried resume (lost response) is a no-op, as pause and abort are.
    if (r.state === 'running') return this.get(id);
    if (r.state !== 'paused') throw new ConflictError(`rollout "${id}" is ${r.state}; only a paused rollout can resume`);
    await this.deps.store.tx(async ({ rollouts }) => {
      await rollouts.acknowledgeFailures(id, r.currentWave);
      const status = { waves: r.status.waves.map((w, i) => (i === r.currentWave && w.gate === 'failed' ? { ...w, gate: 'pending' as const, gateReason: undefined } : w)) };
      await rollouts.saveProgress(id, { status, currentWave: r.currentWave });
      if (!(await rollouts.transition(id, 'running', null))) throw new ConflictError(`rollout "${id}" changed state; retry`);
    });
    await this.deps.store.audit.append({ actor, action: 'rollout.resume', target: id });
    return this.get(id);
  }

  /** Stops the rollout: pending targets are cancelled, queued upgrades not yet started are cancelled. */
  async abort(id: string, actor: string): Promise<RolloutView> {
    const r = await this.mustGet(id);
    if (r.state === 'aborted') return this.get(id);
    if (ROLLOUT_FINAL.has(r.state)) throw new ConflictError(`rollout "${id}" is already ${r.state}; it cannot be aborted`);
    if (r.state === 'rolling-back') throw new ConflictError(`rollout "${id}" is rolling the fleet back; it cannot be aborted (that would leave environments on the rejected release)`);
    await this.deps.store.tx(async ({ rollouts }) => {
      if (!(await rollouts.transition(id, 'aborted', `aborted by ${actor}`))) throw new ConflictError(`rollout "${id}" changed state; retry`);
      await rollouts.cancelPendingTargets(id, 'RolloutAborted');
      const running = (await rollouts.targets(id)).filter((t) => t.state === 'running' && t.operationId);
      const cancelled = new Set(await rollouts.cancelQueuedOperations(running.map((t) => t.operationId!)));
      for (const t of running.filter((x) => cancelled.has(x.operationId!))) {
        await rollouts.updateTarget({ id, tenant: t.tenant, environment: t.environment }, { state: 'cancelled', reason: 'RolloutAborted' }, 'running');
      }
      await rollouts.release(id);
    });
    await this.deps.store.audit.append({ actor, action: 'rollout.abort', target: id });
    return this.get(id);
  }

  private async move(id: string, to: 'paused', reason: string, actor: string): Promise<RolloutView> {
    const r = await this.mustGet(id);
    if (r.state === to) return this.get(id);
    if (!(await this.deps.store.rollouts.transition(id, to, reason))) throw new ConflictError(`rollout "${id}" is ${r.state}; cannot ${to === 'paused' ? 'pause' : to}`);
    await this.deps.store.audit.append({ actor, action: `rollout.${to === 'paused' ? 'pause' : to}`, target: id, detail: { reason } });
    return this.get(id);
  }

  private async mustGet(id: string): Promise<Rollout> {
    const r = await this.deps.store.rollouts.get(id);
    if (!r) throw new NotFoundError(`rollout "${id}" not found`);
    return r;
  }

  private byKey(key: string): Promise<Rollout | null> {
    return this.deps.store.rollouts.findByIdempotencyKey(key);
  }

  private async replay(prior: Rollout, meta: RequestMeta) {
    if (meta.requestHash && prior.requestHash && prior.requestHash !== meta.requestHash) {
      throw new IdempotencyKeyReusedError();
    }
    return { rollout: await this.get(prior.id), created: false };
  }
}
