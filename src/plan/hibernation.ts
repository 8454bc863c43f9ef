// What hibernation does to an environment's objects (docs/ai-workloads.md). Pure: the engine applies
// the result through the environment's driver, so a hibernated environment is simply delivered in
// its hibernated form (direct: server-side apply; GitOps: committed, Argo CD syncs it) and a rollout
// meeting it updates its revision without waking it. Waking delivers the revision as rendered.
import { parseQuantity } from '../domain/quantity.ts';
import type { KubeObject, RenderedObject, Revision } from '../domain/types.ts';

/** KEDA holds a ScaledObject's target at this many replicas while the annotation is there. */
export const KEDA_PAUSED_REPLICAS = 'autoscaling.keda.sh/paused-replicas';
/** KServe stops an InferenceService's predictor (deletes its pods, keeps the object) while "true". */
export const KSERVE_STOP = 'serving.kserve.io/stop';
export const HIBERNATED_ANNOTATION = 'fleetplane.io/hibernated';

type Obj = KubeObject & { spec?: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

const annotate = (o: KubeObject, extra: Record<string, string>): KubeObject['metadata'] => ({ ...o.metadata, annotations: { ...o.metadata.annotations, ...extra } });

/**
 * One object in its hibernated form: Deployments and StatefulSets at 0 replicas, CronJobs
 * suspended, KEDA ScaledObjects paused at 0, InferenceServices stopped; a Knative Service already
 * scales to zero when idle, and the rest is unchanged. Every changed object says so in an annotation.
 */
export function hibernatedObject(o: KubeObject): KubeObject {
  const mark = { [HIBERNATED_ANNOTATION]: 'true' };
  const x = o as Obj;
  switch (o.kind) {
    case 'Deployment':
    case 'StatefulSet':
      return { ...o, metadata: annotate(o, mark), spec: { ...x.spec, replicas: 0 } };
    case 'CronJob':
      return { ...o, metadata: annotate(o, mark), spec: { ...x.spec, suspend: true } };
    case 'ScaledObject':
      return { ...o, metadata: annotate(o, { ...mark, [KEDA_PAUSED_REPLICAS]: '0' }) };
    case 'InferenceService':
      return { ...o, metadata: annotate(o, { ...mark, [KSERVE_STOP]: 'true' }) };
    default:
      return o;
  }
}

/** The revision as delivered while hibernated (same id: it is the same revision, held at zero). */
export function hibernatedRevision(rev: Revision): Revision {
  return { ...rev, hibernated: true, objects: rev.objects.map((r): RenderedObject => ({ object: hibernatedObject(r.object), hash: r.hash })) };
}

function gpusPerPod(pod: Record<string, any> | undefined): number { // eslint-disable-line @typescript-eslint/no-explicit-any
  let n = 0;
  for (const c of (pod?.containers ?? []) as Array<{ resources?: { limits?: Record<string, string> } }>) {
    for (const [k, v] of Object.entries(c.resources?.limits ?? {})) if (/(^|\.)(nvidia\.com|amd\.com)\/gpu$/.test(k) || k.endsWith('/gpu')) n += parseQuantity(v);
  }
  return n;
}

export interface Footprint {
  replicas: number;
  gpus: number;
  workloads: Array<{ kind: string; name: string; replicas: number; gpusPerReplica: number }>;
}

/**
 * What the environment runs: each workload's replicas (the live count when known, e.g. what an HPA
 * set; else the revision's, else its autoscaler's floor) and GPUs. What hibernation saves per hour.
 */
export function footprint(objects: readonly KubeObject[], live: ReadonlyMap<string, number> = new Map()): Footprint {
  const floors = new Map<string, number>();
  for (const o of objects as Obj[]) {
    if (o.kind === 'HorizontalPodAutoscaler') floors.set(`Deployment/${o.spec?.scaleTargetRef?.name}`, Number(o.spec?.minReplicas ?? 1));
    if (o.kind === 'ScaledObject') floors.set(`Deployment/${o.spec?.scaleTargetRef?.name}`, Number(o.spec?.minReplicaCount ?? 0));
  }
  const workloads: Footprint['workloads'] = [];
  for (const o of objects as Obj[]) {
    let replicas: number | undefined;
    let pod: Record<string, unknown> | undefined;
    const key = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet') {
      replicas = live.get(key) ?? (o.spec?.replicas as number | undefined) ?? floors.get(key) ?? 1;
      pod = o.spec?.template?.spec;
    } else if (o.kind === 'InferenceService') {
      replicas = live.get(key) ?? Number(o.spec?.predictor?.minReplicas ?? 1);
      const m = o.spec?.predictor?.model;
      pod = m ? { containers: [m] } : undefined;
    }
    if (replicas === undefined) continue;
    workloads.push({ kind: o.kind, name: o.metadata.name, replicas, gpusPerReplica: gpusPerPod(pod) });
  }
  return {
    replicas: workloads.reduce((s, w) => s + w.replicas, 0),
    gpus: workloads.reduce((s, w) => s + w.replicas * w.gpusPerReplica, 0),
    workloads,
  };
}

