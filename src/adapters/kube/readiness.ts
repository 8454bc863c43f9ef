// Readiness of workloads, evaluated from status the way `kubectl rollout status` does, plus
// readCapacity(): the schedulable resources of a cluster's nodes. The evaluators are pure functions
// of an object; the `read*` functions fetch through a KubeClient.
import type { ClusterCapacity, KubeObject } from '../../domain/types.ts';
import type { KubeClient } from './client.ts';
import { cpuMillis, parseQuantity } from '../../domain/quantity.ts';

export type ReadinessState = 'Ready' | 'Progressing' | 'Failed' | 'Missing';

export interface Readiness {
  state: ReadinessState;
  message: string;
}

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const conditions = (o: Obj): Cond[] => (Array.isArray(o.status?.conditions) ? (o.status.conditions as Cond[]) : []);

export function deploymentReadiness(o: Obj): Readiness {
  const st = o.status ?? {};
  const generation = num(o.metadata.generation);
  if (generation > num(st.observedGeneration)) return { state: 'Progressing', message: 'waiting for the controller to observe the new generation' };
  const progressing = conditions(o).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { state: 'Failed', message: progressing.message ?? 'progress deadline exceeded' };
  const want = o.spec?.replicas === undefined ? 1 : num(o.spec.replicas);
  const updated = num(st.updatedReplicas);
  if (updated < want) return { state: 'Progressing', message: `${updated} of ${want} updated replicas` };
  if (num(st.replicas) > updated) return { state: 'Progressing', message: `${num(st.replicas) - updated} old replicas pending termination` };
  if (num(st.availableReplicas) < updated) return { state: 'Progressing', message: `${num(st.availableReplicas)} of ${updated} updated replicas available` };
  return { state: 'Ready', message: `${updated} replicas ready` };
}

export function statefulSetReadiness(o: Obj): Readiness {
  const st = o.status ?? {};
  if (num(o.metadata.generation) > num(st.observedGeneration)) return { state: 'Progressing', message: 'waiting for the controller to observe the new generation' };
  const want = o.spec?.replicas === undefined ? 1 : num(o.spec.replicas);
  if (num(st.readyReplicas) < want) return { state: 'Progressing', message: `${num(st.readyReplicas)} of ${want} replicas ready` };
  if (st.updateRevision && st.currentRevision !== st.updateRevision) return { state: 'Progressing', message: 'rolling update in progress' };
  return { state: 'Ready', message: `${want} replicas ready` };
}

export function podReadiness(o: Obj): Readiness {
  const phase = String(o.status?.phase ?? 'Pending');
  if (phase === 'Failed') return { state: 'Failed', message: `pod failed: ${String(o.status?.reason ?? '')}`.trim() };
  if (phase === 'Succeeded') return { state: 'Ready', message: 'pod completed' };
  const ready = conditions(o).find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { state: 'Ready', message: 'pod ready' };
  return { state: 'Progressing', message: ready?.message ?? `pod ${phase}, not ready` };
}

export function isPodReady(o: KubeObject): boolean {
  return podReadiness(o as Obj).state === 'Ready';
}

/**
 * API groups whose objects report readiness by a `Ready` condition at the observed generation, as
 * Knative's and KServe's controllers do (their duck-typed status): a KServe InferenceService, a
 * Knative Service (a KServe InferenceService without the generation rule: inferenceServiceReadiness).
 * Ready False is not final there (a predictor still loading its model says False), so it stays
 * Progressing until the verify deadline.
 */
export const READY_CONDITION_GROUPS: ReadonlySet<string> = new Set(['serving.kserve.io', 'serving.knative.dev']);

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

export function readyConditionReadiness(o: Obj): Readiness {
  const st = o.status ?? {};
  if (num(o.metadata.generation) > num(st.observedGeneration)) return { state: 'Progressing', message: 'waiting for its controller to observe the new generation' };
  const ready = conditions(o).find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { state: 'Ready', message: 'Ready' };
  const why = [ready?.reason, ready?.message].filter(Boolean).join(': ');
  return { state: 'Progressing', message: ready ? `Ready ${ready.status}${why ? ` (${why})` : ''}` : 'no Ready condition yet' };
}

/** KServe stops an InferenceService (deletes its predictor, keeps the object, says Stopped) while "true". */
export const KSERVE_STOP_ANNOTATION = 'serving.kserve.io/stop';

/**
 * A KServe InferenceService: Ready by its Ready condition, but not "at the observed generation":
 * KServe copies its predictor Deployment's (or Knative Service's) observedGeneration into the
 * InferenceService's status, not its own, so after a stop and start (a new Deployment, generation 1)
 * an InferenceService at generation 2 never looked observed. Verify checks the predictor Deployment
 * itself in RawDeployment mode (direct-verify.ts). Stopped (serving.kserve.io/stop "true") it is
 * ready once KServe says Stopped; started again, not before KServe has dropped Stopped.
 */
export function inferenceServiceReadiness(o: Obj): Readiness {
  const cs = conditions(o);
  const stopped = cs.find((c) => c.type === 'Stopped')?.status === 'True';
  if (o.metadata.annotations?.[KSERVE_STOP_ANNOTATION] === 'true') {
    return stopped ? { state: 'Ready', message: 'Stopped' } : { state: 'Progressing', message: 'waiting for KServe to stop it' };
  }
  if (stopped) return { state: 'Progressing', message: 'Stopped; waiting for KServe to start it' };
  const ready = cs.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { state: 'Ready', message: 'Ready' };
  const why = [ready?.reason, ready?.message].filter(Boolean).join(': ');
  return { state: 'Progressing', message: ready ? `Ready ${ready.status}${why ? ` (${why})` : ''}` : 'no Ready condition yet' };
}

/** Readiness of any object: workloads by their status, other kinds count as ready once they exist. */
export function objectReadiness(o: KubeObject | null): Readiness {
  if (!o) return { state: 'Missing', message: 'object does not exist' };
  if (o.kind === 'InferenceService' && groupOf(o.apiVersion) === 'serving.kserve.io') return inferenceServiceReadiness(o as Obj);
  if (READY_CONDITION_GROUPS.has(groupOf(o.apiVersion))) return readyConditionReadiness(o as Obj);
  switch (o.kind) {
    case 'Deployment':
      return deploymentReadiness(o as Obj);
    case 'StatefulSet':
      return statefulSetReadiness(o as Obj);
    case 'Pod':
      return podReadiness(o as Obj);
    default:
      return { state: 'Ready', message: 'exists' };
  }
}

/** Pods matched by a workload's `spec.selector.matchLabels`. */
export async function podsOf(client: KubeClient, workload: KubeObject): Promise<KubeObject[]> {
  const sel = (workload as Obj).spec?.selector as { matchLabels?: Record<string, string> } | undefined;
  if (!sel?.matchLabels) return [];
  return client.list('v1', 'Pod', { ...(workload.metadata.namespace ? { namespace: workload.metadata.namespace } : {}), labelSelector: sel.matchLabels });
}

interface NodeObj extends KubeObject {
  spec?: { unschedulable?: boolean };
  status?: { allocatable?: Record<string, string>; conditions?: Cond[] };
}

/** Sums allocatable cpu, memory and `nvidia.com/gpu` over Ready, schedulable nodes. */
export function sumCapacity(nodes: KubeObject[]): ClusterCapacity {
  const total: ClusterCapacity = { cpuMillis: 0, memoryBytes: 0, gpus: 0, nodes: 0 };
  for (const n of nodes as NodeObj[]) {
    const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready || n.spec?.unschedulable) continue;
    const a = n.status?.allocatable ?? {};
    total.nodes += 1;
    total.cpuMillis += a.cpu ? cpuMillis(a.cpu) : 0;
    total.memoryBytes += a.memory ? parseQuantity(a.memory) : 0;
    total.gpus += a['nvidia.com/gpu'] ? parseQuantity(a['nvidia.com/gpu']) : 0;
  }
  return total;
}

export async function readCapacity(client: KubeClient): Promise<ClusterCapacity> {
  return sumCapacity(await client.list('v1', 'Node'));
}

interface QuotaObj extends KubeObject {
  spec?: { hard?: Record<string, string> };
}

/**
 * What ResourceQuotas reserve: their hard `requests.cpu` / `requests.memory` (or bare `cpu` /
 * `memory`), summed. Fleetplane gives every environment a quota, so over its own quotas this is the
 * share of the cluster its environments may claim.
 */
export function sumQuotaRequests(quotas: KubeObject[]): { cpuMillis: number; memoryBytes: number } {
  let cpu = 0;
  let memory = 0;
  for (const q of quotas as QuotaObj[]) {
    const hard = q.spec?.hard ?? {};
    const c = hard['requests.cpu'] ?? hard.cpu;
    const m = hard['requests.memory'] ?? hard.memory;
    cpu += c ? cpuMillis(c) : 0;
    memory += m ? parseQuantity(m) : 0;
  }
  return { cpuMillis: cpu, memoryBytes: memory };
}
