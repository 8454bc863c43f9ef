// Direct driver: server-side apply (field manager `fleetplane`) of a revision to the environment's
// cluster, in dependency phases with bounded concurrency inside a phase, then prune what the previous
// inventory had that this revision lacks (reverse order). `force` is an explicit choice: Fleetplane
// owns these objects, and taking fields back from a hand edit is how drift is healed. Every write
// goes through ctx.kube, which checks the lease and carries the abort signal (engine/clusters.ts).
import { mapLimit } from '../../adapters/kube/index.ts';
import { PRESCALER_FIELD_MANAGER, type KubeObject, type ObjectRef, type Revision } from '../../domain/types.ts';
import { refOf } from '../../domain/kinds.ts';
import { applyPhases, sortForPrune } from '../../plan/apply-order.ts';
import { diffInventory } from '../../plan/diff.ts';
import { driftedFields, hpaTargets } from '../../plan/drift.ts';
import { ownsField, withoutField } from '../../plan/field-ownership.ts';
import type { DeliverResult, DriftItem, DriftReport, Driver, DriverContext, PreviousDelivery, RemoveResult, VerifyOptions, VerifyResult } from './types.ts';
import { verifyWorkloads } from './direct-verify.ts';
import { asTerminatingWait } from './namespace-terminating.ts';

export interface DirectDriverOptions {
  /** Writes in flight at once per environment (default 8). */
  concurrency?: number;
}

export class DirectDriver implements Driver {
  readonly mode = 'direct' as const;
  private readonly concurrency: number;

  constructor(opts: DirectDriverOptions = {}) {
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
  }

  async deliver(ctx: DriverContext, revision: Revision, previous?: PreviousDelivery): Promise<DeliverResult> {
    const objects = revision.objects.map((r) => r.object);
    const diff = diffInventory(objects, previous?.inventory ?? []);
    const applied: ObjectRef[] = [];
    for (const phase of applyPhases(diff.apply.map((o) => ({ ...refOf(o), obj: o })))) {
      ctx.signal.throwIfAborted();
      const results = await mapLimit(phase, this.concurrency, async (r) => ctx.kube.apply(await yieldPrescaledFloor(ctx, r.obj), { force: true }));
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) throw asTerminatingWait(ctx, failed.error);
      applied.push(...phase.map(({ obj: _obj, ...ref }) => ref));
    }
    const pruned = await this.deleteAll(ctx, diff.prune);
    return { applied, pruned, inventory: applied };
  }

  verify(ctx: DriverContext, revision: Revision, opts: VerifyOptions): Promise<VerifyResult> {
    return verifyWorkloads(ctx, revision, opts);
  }

  rollback(ctx: DriverContext, toRevision: Revision, from: PreviousDelivery): Promise<DeliverResult> {
    return this.deliver(ctx, toRevision, from);
  }

  async remove(ctx: DriverContext, inventory: ObjectRef[]): Promise<RemoveResult> {
    const ns = ctx.environment.placement.namespace;
    const refs = [...inventory];
    if (ns && !refs.some((r) => r.kind === 'Namespace' && r.name === ns)) refs.push({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    // Namespaced objects first (reverse apply order), the namespace itself last.
    const removed = await this.deleteAll(ctx, sortForPrune(refs));
    return { removed };
  }

  async drift(ctx: DriverContext, revision: Revision): Promise<DriftReport> {
    const desired = revision.objects.map((r) => r.object);
    const hpa = hpaTargets(desired);
    const items: DriftItem[] = [];
    for (const group of groupByKind(desired)) {
      const ns = group[0]!.metadata.namespace;
      const live = await ctx.kube.list({ apiVersion: group[0]!.apiVersion, kind: group[0]!.kind, ...(ns ? { namespace: ns } : {}) });
      const byName = new Map(live.map((o) => [o.metadata.name, o]));
      for (const want of group) {
        const got = byName.get(want.metadata.name);
        if (!got) items.push({ ref: refOf(want), kind: 'missing' });
        else {
          const fields = driftedFields(want, got, { hpaTargets: hpa });
          if (fields.length > 0) items.push({ ref: refOf(want), kind: 'changed', fields });
        }
      }
    }
    return { drifted: items.length > 0, items };
  }

  private async deleteAll(ctx: DriverContext, refs: ObjectRef[]): Promise<ObjectRef[]> {
    const done: ObjectRef[] = [];
    // Sequential phases again, in the given (reverse) order, so the namespace goes last.
    for (const phase of groupRuns(refs)) {
      const results = await mapLimit(phase, this.concurrency, (r) => ctx.kube.delete(r, { propagationPolicy: 'Background' }));
      results.forEach((r, i) => { if (r.ok) done.push(phase[i]!); });
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) throw asTerminatingWait(ctx, failed.error);
    }
    return done;
  }
}

const MIN_REPLICAS = ['spec', 'minReplicas'] as const;

/**
 * An HPA whose spec.minReplicas the pre-scaler has taken (it raises the floor ahead of forecast load)
 * is applied without that field, so this delivery does not force the floor back down. One GET per HPA.
 */
async function yieldPrescaledFloor(ctx: DriverContext, obj: KubeObject): Promise<KubeObject> {
  if (obj.kind !== 'HorizontalPodAutoscaler') return obj;
  const live = await ctx.kube.get(refOf(obj));
  return ownsField(live, PRESCALER_FIELD_MANAGER, MIN_REPLICAS) ? withoutField(obj, MIN_REPLICAS) : obj;
}

/** Objects grouped by apiVersion+kind+namespace: one list call per group. */
function groupByKind(objects: KubeObject[]): KubeObject[][] {
  const groups = new Map<string, KubeObject[]>();
  for (const o of objects) {
    const k = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
    groups.set(k, [...(groups.get(k) ?? []), o]);
  }
  return [...groups.values()];
}

/** Consecutive refs of the same kind form one run (deleted concurrently). */
function groupRuns(refs: ObjectRef[]): ObjectRef[][] {
  const runs: ObjectRef[][] = [];
  for (const r of refs) {
    const last = runs[runs.length - 1];
    if (last && last[0]!.kind === r.kind) last.push(r);
    else runs.push([r]);
  }
  return runs;
}
