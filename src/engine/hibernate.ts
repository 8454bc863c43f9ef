// The hibernate and wake steps (docs/ai-workloads.md). hibernate records what the environment runs
// (live replicas, GPUs) and opens a hibernation period; the deliver step then delivers the revision
// in its hibernated form (plan/hibernation.ts) and verify sees every workload at zero. wake closes
// the period and hands the current revision to deliver (as rendered) and verify (Ready at it).
import { PermanentError } from '../domain/errors.ts';
import type { Revision } from '../domain/types.ts';
import { footprint, hibernatedRevision } from '../plan/hibernation.ts';
import { setCondition } from '../plan/conditions.ts';
import { driverContext, loadEnvironment, type StepEnv } from './context.ts';

type StepOutput = Record<string, unknown>;

function currentRevision(env: { desiredRevision?: string | null; appliedRevision?: string | null; lastGoodRevision?: string | null }): string {
  const id = env.desiredRevision ?? env.appliedRevision ?? env.lastGoodRevision;
  if (!id) throw new PermanentError('nothing has been delivered to this environment yet');
  return id;
}

export async function hibernateStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const id = currentRevision(env);
  const rev = await s.deps.store.revisions.get(env.tenant, env.name, id);
  if (!rev) throw new PermanentError(`revision ${id} of ${env.tenant}/${env.name} is not stored`);
  // What it runs now: the live replica count of each Deployment (an HPA may have moved it).
  const ctx = await driverContext(s, env);
  const live = new Map<string, number>();
  for (const d of await ctx.kube.list({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: env.placement.namespace })) {
    const r = (d as { spec?: { replicas?: number } }).spec?.replicas;
    if (typeof r === 'number') live.set(`Deployment/${d.metadata.name}`, r);
  }
  const fp = footprint(rev.objects.map((o) => o.object), live);
  const reason = typeof s.op.params.reason === 'string' ? s.op.params.reason : 'manual';
  const rec = await s.deps.store.ai.hibernate({ tenant: env.tenant, environment: env.name, startedAt: s.deps.now().toISOString(), replicas: fp.replicas, gpus: fp.gpus, revision: id, reason });
  return { revision: id, replicas: fp.replicas, gpus: fp.gpus, since: rec.since, reason };
}

export async function wakeStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const id = currentRevision(env);
  await s.deps.store.ai.wake(env.tenant, env.name, s.deps.now().toISOString());
  return { revision: id };
}

/** The revision as deliver and verify see it: held at zero while the environment is hibernated. */
export async function asDelivered(s: StepEnv, rev: Revision): Promise<{ revision: Revision; hibernated: boolean }> {
  const h = await s.deps.store.ai.hibernation(rev.tenant, rev.environment);
  return h?.state === 'hibernated' ? { revision: hibernatedRevision(rev), hibernated: true } : { revision: rev, hibernated: false };
}

/** The Hibernated condition the record step writes. */
export function hibernatedCondition(s: StepEnv, conditions: Parameters<typeof setCondition>[0], hibernated: boolean, revision: string) {
  return setCondition(conditions, hibernated
    ? { type: 'Hibernated', status: 'True', reason: 'Hibernated', message: `every workload at zero; revision ${revision} is delivered and waits for the wake` }
    : { type: 'Hibernated', status: 'False', reason: 'Awake', message: `running revision ${revision}` }, s.deps.now());
}
