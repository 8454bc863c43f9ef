// The durable rollout controller. Every tick it claims active rollouts (lease in the rollouts row,
// so one `serve` process drives each) and reconciles them from the store: refresh running targets
// from their Operations, stop on a failed health gate, launch upgrades up to maxParallel within
// the current wave (maintenance windows respected), then bake and check the metric gate before the
// next wave. All state lives in the store; a restarted process picks up where the last one stopped.
import type { Logger } from 'pino';
import type { Store } from '../../domain/ports/store.ts';
import { Ticker, type Clock } from '../../clock.ts';
import { coerceError } from '../../domain/errors.ts';
import { windowOpen } from '../../plan/rollout-waves.ts';
import { stepsFor } from '../../plan/workflows.ts';
import { prometheusInstant } from '../../adapters/prometheus/instant.ts';
import { evaluateSloGate, type SloGate, type SloGateResult, type SloTarget } from './slo-gate.ts';
import { evaluateMetricGate } from './metric-gate.ts';
import { continueFleetRollback, startFleetRollback, type FleetRollbackDecision } from './fleet-rollback.ts';
import { ROLLOUT_FINAL } from '../../domain/rollout-state.ts';
import { TARGET_DONE, type Rollout, type RolloutStatus, type RolloutTarget, type TargetState } from '../../domain/rollouts.ts';

export interface RolloutControllerOptions {
  store: Store;
  workerId: string;
  now?: () => Date;
  logger?: Logger;
  /** Tick period (default 2s). */
  intervalMs?: number;
  /** Timers of the tick loop (tests pass a manual clock). */
  clock?: Clock;
  /** Controller lease per rollout (default 30s); must exceed the tick period. */
  leaseMs?: number;
  /** Prometheus base URL for metric gates (serve: FLEETPLANE_PROMETHEUS_URL). */
  prometheusUrl?: string;
  fetchImpl?: typeof fetch;
}

/** What one reconcile decided, for logs and tests. */
export type Decision =
  | { kind: 'idle'; state: string }
  | { kind: 'waiting'; wave: number; running: number; launched: number }
  | { kind: 'baking'; wave: number; until: string }
  | { kind: 'paused'; reason: string }
  | { kind: 'advanced'; to: number }
  | { kind: 'succeeded' }
  | FleetRollbackDecision;

const OP_TO_TARGET: Record<string, TargetState | undefined> = { succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled' };

export class RolloutController {
  private readonly now: () => Date;
  private readonly ticker: Ticker;

  constructor(private readonly o: RolloutControllerOptions) {
    this.now = o.now ?? (() => new Date());
    this.ticker = new Ticker(() => this.tick(), {
      intervalMs: o.intervalMs ?? 2000, ...(o.clock ? { clock: o.clock } : {}), onError: (err) => o.logger?.error({ err }, 'rollout tick failed'),
    });
  }

  start(): void {
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** Claims and reconciles every active rollout once. */
  async tick(): Promise<Decision[]> {
    const ids = await this.o.store.rollouts.claimActive(this.o.workerId, this.o.leaseMs ?? 30_000);
    const out: Decision[] = [];
    for (const id of ids) {
      try {
        out.push(await this.reconcile(id));
      } catch (err) {
        this.o.logger?.error({ rollout: id, err: coerceError(err) }, 'rollout reconcile failed');
      }
    }
    return out;
  }

  async reconcile(id: string): Promise<Decision> {
    let r = await this.o.store.rollouts.get(id);
    if (!r) return { kind: 'idle', state: 'missing' };
    const targets = await this.o.store.rollouts.targets(id);
    if (r.state === 'paused' || r.state === 'aborted') {
      // No new work; upgrades already running still report their outcome (and release holds).
      await this.refreshRunning(r, targets);
      return { kind: 'idle', state: r.state };
    }
    if (ROLLOUT_FINAL.has(r.state)) return { kind: 'idle', state: r.state };
    if (r.state === 'rolling-back') return continueFleetRollback(this.rollbackDeps(), r, targets);
    if (r.state === 'pending') {
      r = await this.o.store.rollouts.transition(id, 'running', null);
      if (!r) return { kind: 'idle', state: 'changed' };
      await this.holdAll(r, targets);
    }
    await this.refreshRunning(r, targets);
    return this.advance(r, targets);
  }

  private async advance(r: Rollout, targets: RolloutTarget[]): Promise<Decision> {
    const w = r.currentWave;
    if (w >= r.spec.waveNames.length) return this.succeed(r);
    const status: RolloutStatus = structuredClone(r.status);
    const ws = (status.waves[w] ??= { gate: 'pending' });
    ws.startedAt ??= this.now().toISOString();
    const wave = targets.filter((t) => t.wave === w);
    const failed = wave.filter((t) => t.state === 'failed' && !t.acknowledged);
    if (r.spec.strategy.gates.health && failed.length > (r.spec.strategy.maxFailures ?? 0)) {
      const reason = `health gate failed in ${r.spec.waveNames[w]}: ${failed.map((t) => `${t.tenant}/${t.environment}: ${t.reason ?? 'upgrade failed'}`).join('; ')}`;
      return this.pause(r, status, reason);
    }
    const launched = await this.launch(r, targets, wave);
    if (!wave.every((t) => TARGET_DONE.has(t.state))) {
      await this.o.store.rollouts.saveProgress(r.id, { status, currentWave: w });
      return { kind: 'waiting', wave: w, running: targets.filter((t) => t.state === 'running').length, launched };
    }
    return this.gate(r, status, wave);
  }

  /** The wave is finished: bake, then the metric gate, then move on. */
  private async gate(r: Rollout, status: RolloutStatus, wave: RolloutTarget[]): Promise<Decision> {
    const w = r.currentWave;
    const ws = status.waves[w]!;
    const now = this.now();
    ws.completedAt ??= now.toISOString();
    const until = new Date(new Date(ws.completedAt).getTime() + r.spec.strategy.gates.bakeSeconds * 1000);
    if (now < until) {
      ws.gate = 'baking';
      await this.o.store.rollouts.saveProgress(r.id, { status, currentWave: w });
      return { kind: 'baking', wave: w, until: until.toISOString() };
    }
    const metric = r.spec.strategy.gates.metric;
    if (metric) {
      const url = this.o.prometheusUrl;
      const res = url
        ? await evaluateMetricGate(metric, { url, targets: wave.filter((t) => t.state === 'succeeded'), now, fetchImpl: this.o.fetchImpl })
            .catch((err: unknown) => ({ pass: false, value: null, reason: `metric query failed: ${coerceError(err).message}` }))
        : { pass: false, value: null, reason: 'metric gate configured but no Prometheus URL (FLEETPLANE_PROMETHEUS_URL)' };
      ws.metric = { value: res.value, at: now.toISOString() };
      if (!res.pass) return this.gateFailed(r, status, res.reason ?? 'metric gate failed');
    }
    const slo = r.spec.strategy.gates.slo;
    if (slo) {
      const res = await this.sloGate(r, slo);
      if (!res.pass) return this.gateFailed(r, status, res.reason ?? 'SLO gate failed');
    }
    ws.gate = 'passed';
    delete ws.gateReason;
    await this.o.store.rollouts.saveProgress(r.id, { status, currentWave: w + 1 });
    this.o.logger?.info({ rollout: r.id, wave: r.spec.waveNames[w] }, 'rollout wave passed its gates');
    if (w + 1 >= r.spec.waveNames.length) return this.succeed({ ...r, currentWave: w + 1, status });
    return { kind: 'advanced', to: w + 1 };
  }

  /** Every environment this rollout has upgraded so far (all waves), each against its own tier's SLO. */
  private async sloGate(r: Rollout, gate: SloGate): Promise<SloGateResult> {
    const url = this.o.prometheusUrl;
    if (!url) return { pass: false, breaches: [], reason: 'SLO gate configured but no Prometheus URL (FLEETPLANE_PROMETHEUS_URL)' };
    const done = (await this.o.store.rollouts.targets(r.id)).filter((t) => t.state === 'succeeded');
    const targets: SloTarget[] = [];
    for (const t of done) {
      const tenant = await this.o.store.tenants.get(t.tenant);
      // A self-managed environment runs on the customer's cluster: no telemetry here to judge it by.
      if (tenant && tenant.channel !== 'self-managed') targets.push({ tenant: t.tenant, environment: t.environment, tier: tenant.tier });
    }
    return evaluateSloGate(gate, targets, prometheusInstant(url, this.now(), this.o.fetchImpl))
      .catch((err: unknown) => ({ pass: false, breaches: [], reason: `SLO gate query failed: ${coerceError(err).message}` }));
  }

  /** A metric or SLO gate failed: pause, or (onGateFailure: rollback) roll every changed environment back. */
  private async gateFailed(r: Rollout, status: RolloutStatus, reason: string): Promise<Decision> {
    if (r.spec.strategy.onGateFailure !== 'rollback') return this.pause(r, status, reason);
    const ws = status.waves[r.currentWave]!;
    ws.gate = 'failed';
    ws.gateReason = reason;
    return startFleetRollback(this.rollbackDeps(), r, status, reason);
  }

  private rollbackDeps() {
    return { store: this.o.store, workerId: this.o.workerId, now: this.now, ...(this.o.logger ? { logger: this.o.logger } : {}) };
  }

  private async pause(r: Rollout, status: RolloutStatus, reason: string): Promise<Decision> {
    const ws = status.waves[r.currentWave]!;
    ws.gate = 'failed';
    ws.gateReason = reason;
    await this.o.store.tx(async (tx) => {
      await tx.rollouts.saveProgress(r.id, { status, currentWave: r.currentWave });
      await tx.rollouts.transition(r.id, 'paused', reason);
    });
    await this.o.store.audit.append({ actor: `rollout-controller:${this.o.workerId}`, action: 'rollout.pause', target: r.id, detail: { reason } });
    this.o.logger?.warn({ rollout: r.id, reason }, 'rollout paused by a failed gate');
    return { kind: 'paused', reason };
  }

  private async succeed(r: Rollout): Promise<Decision> {
    await this.o.store.tx(async (tx) => {
      await tx.rollouts.transition(r.id, 'succeeded', null);
      await tx.rollouts.release(r.id);
    });
    this.o.logger?.info({ rollout: r.id }, 'rollout succeeded');
    return { kind: 'succeeded' };
  }

  private async holdAll(r: Rollout, targets: RolloutTarget[]): Promise<void> {
    for (const t of targets.filter((x) => x.state === 'pending')) {
      const held = await this.o.store.rollouts.hold(r.id, t.tenant, t.environment);
      if (held === 'held') continue;
      const reason = held === 'taken' ? 'HeldByAnotherRollout' : 'EnvironmentGone';
      await this.o.store.rollouts.updateTarget({ id: r.id, tenant: t.tenant, environment: t.environment }, { state: 'skipped', reason }, 'pending');
      t.state = 'skipped';
      t.reason = reason;
    }
  }

  /** Running targets take their Operation's outcome; a crash between marking and queueing re-queues. */
  private async refreshRunning(r: Rollout, targets: RolloutTarget[]): Promise<void> {
    for (const t of targets.filter((x) => x.state === 'running')) {
      if (!t.operationId && r.state !== 'running') continue;
      if (!t.operationId) {
        await this.queueUpgrade(r, t);
        continue;
      }
      const op = await this.o.store.operations.get(t.operationId);
      const next = op ? OP_TO_TARGET[op.state] : 'failed';
      if (!next) continue;
      // A self-managed environment's upgrade publishes its bundle: the wave reports it as Published.
      const published = op?.state === 'succeeded' && op.steps.some((st) => st.name === 'record' && st.output?.health === 'Published');
      const reason = published ? 'Published' : op ? (op.error ?? null) : 'OperationMissing';
      await this.o.store.rollouts.updateTarget({ id: r.id, tenant: t.tenant, environment: t.environment }, { state: next, reason }, 'running');
      await this.o.store.rollouts.release(r.id, t);
      t.state = next;
      t.reason = reason;
    }
  }

  private async launch(r: Rollout, all: RolloutTarget[], wave: RolloutTarget[]): Promise<number> {
    let slots = r.spec.strategy.maxParallel - all.filter((t) => t.state === 'running').length;
    let launched = 0;
    for (const t of wave.filter((x) => x.state === 'pending')) {
      if (slots <= 0) break;
      if (!(await this.ready(r, t))) continue;
      if (!(await this.o.store.rollouts.startTarget(r.id, t.tenant, t.environment))) break; // paused/aborted meanwhile
      t.state = 'running';
      await this.queueUpgrade(r, t);
      slots--;
      launched++;
    }
    return launched;
  }

  /** Checks a pending target can start now; settles it when it cannot ever (gone, already there). */
  private async ready(r: Rollout, t: RolloutTarget): Promise<boolean> {
    const key = { id: r.id, tenant: t.tenant, environment: t.environment };
    const env = await this.o.store.environments.get(t.tenant, t.environment);
    const settle = async (state: TargetState, reason: string) => {
      await this.o.store.rollouts.updateTarget(key, { state, reason }, 'pending');
      await this.o.store.rollouts.release(r.id, t);
      t.state = state;
      t.reason = reason;
      return false;
    };
    if (!env || env.health === 'Deleting' || env.health === 'Deleted') return settle('skipped', 'EnvironmentGone');
    if (env.version === r.version && env.blueprint === r.blueprint) return settle('succeeded', 'AlreadyAtVersion');
    if (r.spec.strategy.respectMaintenanceWindows) {
      const tenant = await this.o.store.tenants.get(t.tenant);
      if (!windowOpen(tenant?.maintenanceWindow, this.now())) {
        if (t.reason !== 'OutsideMaintenanceWindow') await this.o.store.rollouts.updateTarget(key, { reason: 'OutsideMaintenanceWindow' }, 'pending');
        t.reason = 'OutsideMaintenanceWindow';
        return false;
      }
    }
    return true;
  }

  private async queueUpgrade(r: Rollout, t: RolloutTarget): Promise<void> {
    const { operation } = await this.o.store.operations.create({
      kind: 'upgrade', tenant: t.tenant, environment: t.environment,
      params: { version: r.version, fromVersion: t.fromVersion, rollout: r.id },
      steps: stepsFor('upgrade'),
      // Same key on a re-run after a crash: the queue hands back the same Operation.
      idempotencyKey: `rollout:${r.id}:${t.tenant}/${t.environment}`,
    });
    await this.o.store.rollouts.updateTarget({ id: r.id, tenant: t.tenant, environment: t.environment }, { operationId: operation.id });
    t.operationId = operation.id;
    this.o.logger?.info({ rollout: r.id, tenant: t.tenant, environment: t.environment, operation: operation.id }, 'rollout: upgrade queued');
  }
}
