// Health read-back for GitOps environments from the environment's Deployments in the cluster: they
// must carry the delivered revision (Argo CD has synced it) and be rolled out; a stuck Deployment
// yields the cluster's reason. Argo CD's own verdict (the Application) is gitops-argo.ts argoSnapshot.
import { refOf } from '../../domain/kinds.ts';
import type { KubeObject, Revision } from '../../domain/types.ts';
import { LABELS } from '../../domain/types.ts';
import type { FailingObject, ClusterClient } from './types.ts';

export interface HealthSnapshot {
  ready: boolean;
  reason?: string;
  message?: string;
  failing?: FailingObject[];
  /** true when the reason cannot fix itself by waiting (e.g. ProgressDeadlineExceeded). */
  terminal?: boolean;
}

type Status = Record<string, unknown> & { conditions?: Array<Record<string, string>> };

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

type Problem = Omit<FailingObject, 'ref'> & { terminal?: boolean };

function syncProblem(desired: KubeObject, live: KubeObject | null): Problem | null {
  if (!live) return { reason: 'NotSynced', message: `Deployment ${desired.metadata.name} not in the cluster yet` };
  const want = desired.metadata.labels?.[LABELS.revision];
  const have = live.metadata.labels?.[LABELS.revision];
  if (want && have !== want) return { reason: 'NotSynced', message: `Deployment ${desired.metadata.name} is at revision ${have ?? 'none'}, want ${want}` };
  return null;
}

function rolloutProblem(live: KubeObject): Problem | null {
  const status = (live.status ?? {}) as Status;
  const spec = (live.spec ?? {}) as Record<string, unknown>;
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const stuck = status.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  if (stuck) return { reason: 'ProgressDeadlineExceeded', message: stuck.message ?? 'progress deadline exceeded', terminal: true };
  if (num(status.observedGeneration) < num(live.metadata.generation)) return { reason: 'Progressing', message: 'waiting for the controller to observe the new generation' };
  const updated = num(status.updatedReplicas);
  const available = num(status.availableReplicas);
  if (updated < replicas || available < replicas || num(status.replicas) > updated) {
    return { reason: 'PodsNotReady', message: `${available}/${replicas} available, ${updated} updated` };
  }
  return null;
}

/** Why one live Deployment is not (yet) the desired one, rolled out; null when it is. */
export function deploymentProblem(desired: KubeObject, live: KubeObject | null): Problem | null {
  return syncProblem(desired, live) ?? (live ? rolloutProblem(live) : null);
}

/** The failing pods' own words (Ready condition or container waiting reason) for one Deployment. */
async function podDetail(kube: ClusterClient, live: KubeObject): Promise<string | null> {
  const match = ((live.spec as Record<string, unknown> | undefined)?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
  if (!match || !live.metadata.namespace) return null;
  const selector = Object.entries(match).map(([k, v]) => `${k}=${v}`).join(',');
  const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: live.metadata.namespace, labelSelector: selector });
  for (const pod of pods) {
    const why = podProblem(pod);
    if (why) return `pod ${pod.metadata.name}: ${why}`;
  }
  return null;
}

function podProblem(pod: KubeObject): string | null {
  const st = (pod.status ?? {}) as Status & { containerStatuses?: Array<{ state?: { waiting?: { reason?: string; message?: string } } }> };
  const waiting = st.containerStatuses?.map((c) => c.state?.waiting).find((w) => w?.reason);
  if (waiting) return [waiting.reason, waiting.message].filter(Boolean).join(': ');
  const ready = st.conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
  if (ready) return [ready.reason ?? 'NotReady', ready.message].filter(Boolean).join(': ');
  return null;
}

export async function deploymentsHealth(kube: ClusterClient, revision: Revision): Promise<HealthSnapshot> {
  const desired = revision.objects.map((r) => r.object).filter((o) => o.kind === 'Deployment');
  const failing: FailingObject[] = [];
  let terminal = false;
  for (const d of desired) {
    const live = await kube.get(refOf(d));
    const problem = deploymentProblem(d, live);
    if (!problem) continue;
    terminal ||= problem.terminal === true;
    const pods = live && problem.reason !== 'NotSynced' ? await podDetail(kube, live) : null;
    failing.push({ ref: refOf(d), reason: problem.reason, message: pods ? `${problem.message}; ${pods}` : problem.message });
  }
  if (failing.length === 0) return { ready: true };
  const first = failing[0]!;
  return { ready: false, reason: first.reason, message: `${first.ref.name}: ${first.message}`, failing, terminal };
}
