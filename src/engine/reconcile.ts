// Drift self-heal: every interval, compare each settled environment's live objects with its applied
// revision (driver.drift), record the report and a Drifted condition, and when the environment's
// selfHeal is on, enqueue a `reconfigure` operation that re-applies the revision. Healing goes
// through the queue so it is leased, serialized with other work on the environment, and audited.
import { hibernatedRevision } from '../plan/hibernation.ts';
import { mapLimit } from '../adapters/kube/index.ts';
import { Ticker } from '../clock.ts';
import type { Environment } from '../domain/types.ts';
import { coerceError } from '../domain/errors.ts';
import { setCondition } from '../plan/conditions.ts';
import { stepsFor } from '../plan/workflows.ts';
import { recordReconcile } from '../metrics/engine.ts';
import { readOnlyClient } from './clusters.ts';
import type { EngineDeps } from './context.ts';
import type { DriftReport } from './drivers/types.ts';

export interface ReconcileResult {
  checked: number;
  drifted: Array<{ tenant: string; environment: string; report: DriftReport; healing: boolean }>;
  errors: Array<{ tenant: string; environment: string; error: string }>;
}

const SETTLED = new Set(['Ready', 'Degraded']);

export class Reconciler {
  private readonly ticker: Ticker;

  constructor(private readonly deps: EngineDeps, private readonly onDrift?: (env: Environment, report: DriftReport) => void) {
    this.ticker = new Ticker((signal) => this.pass(signal), {
      intervalMs: deps.config.reconcileIntervalMs, clock: deps.clock, onError: (err) => deps.logger.error({ err }, 'reconcile pass failed'),
    });
  }

  start(): void {
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** One pass over every environment; per-environment errors are reported, not thrown. */
  async pass(signal?: AbortSignal): Promise<ReconcileResult> {
    const result: ReconcileResult = { checked: 0, drifted: [], errors: [] };
    let after: { tenant: string; name: string } | null = null;
    for (;;) {
      const page = await this.deps.store.queue.listEnvironments(after, 200);
      const due = page.filter((e) => SETTLED.has(e.health) && e.appliedRevision && this.deps.drivers[e.delivery]?.drift);
      await mapLimit(due, 8, (e) => this.check(e, result, signal));
      if (page.length < 200) break;
      after = page[page.length - 1]!;
    }
    return result;
  }

  private async check(env: Environment, result: ReconcileResult, signal?: AbortSignal): Promise<void> {
    const { deps } = this;
    const q = deps.store.queue;
    try {
      if (await q.busy(env.tenant, env.name)) return;
      const stored = await deps.store.revisions.get(env.tenant, env.name, env.appliedRevision!);
      if (!stored) return;
      // A hibernated environment is compared with its revision held at zero (plan/hibernation.ts).
      const rev = (await deps.store.ai.hibernation(env.tenant, env.name))?.state === 'hibernated' ? hibernatedRevision(stored) : stored;
      const conn = await deps.connections.get(env.placement.cluster);
      // No lease is held here: the drift check reads only, and its client refuses writes.
      const report = await deps.drivers[env.delivery]!.drift!({
        environment: env, cluster: conn.cluster, kube: readOnlyClient(conn.cluster.name, conn.kube, signal), logger: deps.logger,
        clientFor: async (name) => readOnlyClient(name, (await deps.connections.get(name)).kube, signal),
        signal: signal ?? new AbortController().signal, now: deps.now,
        operation: { id: 'reconcile', kind: 'reconcile', workerId: deps.config.workerId },
      }, rev);
      result.checked++;
      // The check takes a while: an operation may have started (or finished) meanwhile, and its
      // objects then differ from this revision on purpose. Record and heal only what still holds.
      const fresh = await this.unchanged(env);
      if (!fresh) return;
      await this.record(fresh, report);
      recordReconcile(env.placement.cluster, { result: 'ok', drifted: report.drifted ? 1 : 0, healed: report.drifted && env.selfHeal ? 1 : 0 });
      if (!report.drifted) return;
      this.onDrift?.(env, report);
      result.drifted.push({ tenant: env.tenant, environment: env.name, report, healing: env.selfHeal });
      if (env.selfHeal) await this.heal(env, report);
    } catch (raw) {
      const error = coerceError(raw).message;
      recordReconcile(env.placement.cluster, { result: 'error' });
      result.errors.push({ tenant: env.tenant, environment: env.name, error });
      deps.logger.warn({ tenant: env.tenant, environment: env.name, err: coerceError(raw) }, 'drift check failed');
    }
  }

  /** The environment as stored now, or null when an operation started or changed it since the listing. */
  private async unchanged(env: Environment): Promise<Environment | null> {
    if (await this.deps.store.queue.busy(env.tenant, env.name)) return null;
    const now = await this.deps.store.environments.get(env.tenant, env.name);
    return now && now.appliedRevision === env.appliedRevision && SETTLED.has(now.health) ? now : null;
  }

  private async record(env: Environment, report: DriftReport): Promise<void> {
    const drift = report.drifted ? { items: report.items } : null;
    const had = env.conditions.find((c) => c.type === 'Drifted');
    if (!report.drifted && (!had || had.status === 'False')) return this.deps.store.queue.recordDrift(env.tenant, env.name, drift);
    const message = report.drifted
      ? report.items.slice(0, 5).map((i) => `${i.ref.kind}/${i.ref.name} ${i.kind}${i.fields ? ` (${i.fields.join(', ')})` : ''}`).join('; ')
      : 'live state matches the applied revision';
    const conditions = setCondition(env.conditions, { type: 'Drifted', status: report.drifted ? 'True' : 'False', reason: report.drifted ? 'DriftDetected' : 'InSync', message }, this.deps.now());
    await this.deps.store.queue.recordDrift(env.tenant, env.name, drift, conditions);
  }

  private async heal(env: Environment, report: DriftReport): Promise<void> {
    const { operation, created } = await this.deps.store.operations.create({
      kind: 'reconfigure', tenant: env.tenant, environment: env.name, steps: stepsFor('reconfigure'),
      params: { trigger: 'drift', revision: env.appliedRevision, drift: report.items.length },
      // One heal per environment per applied revision and drift check time bucket.
      idempotencyKey: `drift:${env.tenant}/${env.name}:${env.appliedRevision}:${Math.floor(this.deps.now().getTime() / Math.max(1000, this.deps.config.reconcileIntervalMs))}`,
    });
    this.deps.logger.info({ tenant: env.tenant, environment: env.name, operationId: operation.id, created, items: report.items.length }, 'drift found; healing');
  }
}
