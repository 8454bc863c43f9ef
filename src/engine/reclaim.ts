// Reclaiming a lost cluster (docs/clusters.md "Failover"): a failover move cannot stop its
// singletons on, or remove its objects from, a cluster that does not answer (engine/move.ts skips
// those steps and the evacuation records `leftOn`). When that cluster answers again, whatever ran
// there would run beside the copy on the new cluster, so each such environment gets a `reclaim`
// Operation (key `reclaim:<evacuation>:<tenant>/<env>`, so repeated passes and processes create one):
//   reclaim-remove  singletons scaled to zero first, then the objects the move recorded on the
//                   source deleted (namespace last), through the lease-fenced client; GitOps: the
//                   source's Application, directory and out-of-band objects removed as move-remove
//                   would have (parks until Argo CD has deleted the Application); nothing is
//                   touched when the environment is placed on that cluster again meanwhile
//   reclaim-record  audited
// Like Karmada's graceful eviction, the old copy is removed only once the new one is Ready (it is:
// the move finished); unlike it, the old copy is also fenced while the cluster is away (cordoned by
// the failover, no new placements). The window between the cluster answering and the reclaim
// running is one heartbeat plus one evacuation pass.
import { PermanentError, StepWaitingError } from '../domain/errors.ts';
import type { Evacuation, EvacuationMove } from '../domain/evacuation.ts';
import type { Environment, ObjectRef } from '../domain/types.ts';
import { recheckDelayMs, stepsFor } from '../plan/workflows.ts';
import { audit } from './audit.ts';
import { driverContext, driverFor, loadEnvironment, type EngineDeps, type StepEnv } from './context.ts';
import { copyMover, scaleToZero } from './move.ts';

type StepOutput = Record<string, unknown>;

export const reclaimKey = (evacuation: string, m: Pick<EvacuationMove, 'tenant' | 'environment'>): string => `reclaim:${evacuation}:${m.tenant}/${m.environment}`;

interface MovePrepared { sourceObjects?: ObjectRef[]; singletons?: ObjectRef[] }

const cluster = (s: StepEnv): string => {
  const v = s.op.params.cluster;
  if (typeof v !== 'string' || v === '') throw new PermanentError(`reclaim ${s.op.id} has no cluster`);
  return v;
};

/** What the failover move recorded as running on the lost source (its move-prepare output). */
async function leftovers(s: StepEnv): Promise<Required<MovePrepared>> {
  const id = s.op.params.move;
  const op = typeof id === 'string' ? await s.deps.store.operations.get(id) : null;
  if (!op) throw new PermanentError(`reclaim ${s.op.id}: its move operation ${String(id)} is not stored`);
  const p = op.steps.find((x) => x.name === 'move-prepare')?.output as MovePrepared | undefined;
  return { sourceObjects: p?.sourceObjects ?? [], singletons: p?.singletons ?? [] };
}

const on = (env: Environment, name: string): Environment => ({ ...env, placement: { ...env.placement, cluster: name } });

export async function reclaimRemoveStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const from = cluster(s);
  if (env.placement.cluster === from) return { cluster: from, removed: 0, skipped: `${env.tenant}/${env.name} is placed on ${from} again: nothing to reclaim` };
  const { sourceObjects, singletons } = await leftovers(s);
  const ctx = await driverContext(s, on(env, from));
  // Singletons first, so the old copy stops before the rest is deleted (deletion cascades in the
  // background). GitOps: the failover held them at zero in Git too, so Argo CD's selfHeal keeps zero.
  let stopped = 0;
  for (const ref of singletons) {
    if (!(await ctx.kube.get(ref))) continue;
    await scaleToZero(ctx, ref);
    stopped += 1;
  }
  const mover = copyMover(s, env);
  if (mover) {
    // What the skipped move-remove would have done (ADR 1030 §3): the lost source's Application goes
    // (Argo CD prunes the cluster, which answers again), then its out-of-band objects and directory.
    const res = await mover.removeSource(ctx, sourceObjects);
    if (res.pending.length > 0) throw new StepWaitingError(`${from}: Argo CD has not deleted ${res.pending.join(', ')} yet`, recheckDelayMs((s.waiting?.waits ?? 0) + 1));
    return { cluster: from, removed: res.removed.length, stoppedSingletons: stopped, removedAt: s.deps.now().toISOString(), ...(res.detail?.commit ? { commit: res.detail.commit } : {}) };
  }
  const res = await driverFor(s.deps, env).remove(ctx, sourceObjects);
  return { cluster: from, removed: res.removed.length, stoppedSingletons: stopped, removedAt: s.deps.now().toISOString() };
}

export async function reclaimRecordStep(s: StepEnv): Promise<StepOutput> {
  const removed = s.outputs['reclaim-remove'] ?? {};
  await audit(s, 'environment.reclaim', { cluster: cluster(s), move: s.op.params.move, evacuation: s.op.params.evacuation, ...removed });
  return { cluster: cluster(s) };
}

/**
 * One pass: for every finished failover evacuation with moves whose lost source still holds their
 * objects, once that cluster answers again (health Available), creates each move's reclaim
 * Operation and records it on the move (compare-and-set on the evacuation's version; a lost race
 * is retried on the next pass and finds the same operation by its key). Returns the operations created.
 */
export async function reclaimPass(deps: Pick<EngineDeps, 'store' | 'now'>): Promise<string[]> {
  const created: string[] = [];
  for (const e of await deps.store.evacuations.withLeftovers()) created.push(...await reclaimFor(deps, e));
  return created;
}

async function reclaimFor(deps: Pick<EngineDeps, 'store' | 'now'>, e: Evacuation): Promise<string[]> {
  const back = new Map<string, boolean>();
  const answers = async (name: string): Promise<boolean> => {
    if (!back.has(name)) back.set(name, (await deps.store.clusters.get(name))?.health?.state === 'Available');
    return back.get(name)!;
  };
  const moves = [...e.moves];
  const created: string[] = [];
  for (const [i, m] of moves.entries()) {
    if (!m.leftOn || m.reclaimOperation || !(await answers(m.leftOn))) continue;
    const { operation, created: fresh } = await deps.store.operations.create({
      kind: 'reclaim', tenant: m.tenant, environment: m.environment, steps: stepsFor('reclaim'), idempotencyKey: reclaimKey(e.id, m),
      params: { cluster: m.leftOn, move: m.operation ?? null, evacuation: e.id, reason: `${m.leftOn} answers again after the failover of ${e.lostAt ?? 'an outage'}` },
    });
    moves[i] = { ...m, reclaimOperation: operation.id };
    if (fresh) created.push(operation.id);
  }
  if (created.length > 0 || moves.some((m, i) => m !== e.moves[i])) await deps.store.evacuations.update(e.id, e.version, { moves });
  return created;
}
