// Waiting for what an install applied to roll out (customer side), as `kubectl rollout status` judges
// it: a Deployment, StatefulSet or DaemonSet is rolled out when its controller has observed the
// newest spec and every replica runs that spec and is ready/available. The judgement is pure
// (rolloutState); waitForRollouts polls the cluster until all are rolled out or the bound passes.
import type { KubeClient } from '../adapters/kube/index.ts';
import type { KubeObject } from '../domain/types.ts';

export const ROLLOUT_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export interface RolloutCheck {
  kind: string;
  name: string;
  namespace: string;
  ready: boolean;
  message: string;
}

type Status = Record<string, number | string | undefined>;

type State = { ready: boolean; message: string };
type Spec = { replicas?: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } } };
const num = (st: Status) => (k: string): number => Number(st[k] ?? 0);

function daemonSet(st: Status): State {
  const n = num(st);
  const want = n('desiredNumberScheduled');
  if (n('updatedNumberScheduled') < want) return { ready: false, message: `${n('updatedNumberScheduled')} of ${want} updated pods scheduled` };
  if (n('numberAvailable') < want) return { ready: false, message: `${n('numberAvailable')} of ${want} updated pods available` };
  return { ready: true, message: `${want} pods rolled out` };
}

function statefulSet(st: Status, spec: Spec): State {
  const n = num(st);
  const want = spec.replicas ?? 1;
  if (spec.updateStrategy?.type === 'OnDelete') return { ready: true, message: 'OnDelete: not waited for' };
  if (n('readyReplicas') < want) return { ready: false, message: `${n('readyReplicas')} of ${want} pods ready` };
  const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (partition === 0 && st.updateRevision !== st.currentRevision) return { ready: false, message: `waiting for pods to run revision ${String(st.updateRevision)}` };
  return { ready: true, message: `${want} pods rolled out` };
}

function deployment(st: Status, spec: Spec): State {
  const n = num(st);
  const want = spec.replicas ?? 1;
  if (n('updatedReplicas') < want) return { ready: false, message: `${n('updatedReplicas')} of ${want} replicas updated` };
  if (n('replicas') > n('updatedReplicas')) return { ready: false, message: `${n('replicas') - n('updatedReplicas')} old replicas pending termination` };
  if (n('availableReplicas') < n('updatedReplicas')) return { ready: false, message: `${n('availableReplicas')} of ${n('updatedReplicas')} updated replicas available` };
  return { ready: true, message: `${want} replicas rolled out` };
}

/** kubectl's rollout status of one object as read from the cluster (null: it is not there). */
export function rolloutState(o: KubeObject | null, kind: string): State {
  if (!o) return { ready: false, message: 'not found' };
  const st = ((o as { status?: Status }).status ?? {}) as Status;
  const spec = (o.spec ?? {}) as Spec;
  if (Number((o.metadata as { generation?: number }).generation ?? 0) > num(st)('observedGeneration')) return { ready: false, message: 'waiting for the controller to observe the new spec' };
  if (kind === 'DaemonSet') return daemonSet(st);
  return kind === 'StatefulSet' ? statefulSet(st, spec) : deployment(st, spec);
}

export interface WaitOptions {
  /** Stop waiting after this long (the unfinished ones are reported with their last state). */
  timeoutMs: number;
  pollMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** Polls every rollout until all are rolled out or `timeoutMs` has passed; the last state of each. */
export async function waitForRollouts(kube: KubeClient, objects: KubeObject[], o: WaitOptions): Promise<RolloutCheck[]> {
  const targets = objects.filter((x) => ROLLOUT_KINDS.has(x.kind));
  const deadline = o.now() + o.timeoutMs;
  for (;;) {
    const checks: RolloutCheck[] = [];
    for (const t of targets) {
      const namespace = t.metadata.namespace ?? '';
      const live = await kube.get({ apiVersion: t.apiVersion, kind: t.kind, namespace, name: t.metadata.name });
      checks.push({ kind: t.kind, name: t.metadata.name, namespace, ...rolloutState(live, t.kind) });
    }
    if (checks.every((c) => c.ready) || o.now() >= deadline) return checks;
    await o.sleep(o.pollMs);
  }
}
