// Verify a delivered revision: its workloads available at the new generation (observedGeneration,
// updated and available replicas, as `kubectl rollout status` judges) and carrying the revision
// label. Polls with one list call per workload kind and namespace (not per object), so hundreds of
// environments verifying at once stay cheap. On failure, reads back the failing pods' conditions.
import { setTimeout as sleep } from 'node:timers/promises';
import { KSERVE_STOP_ANNOTATION, objectReadiness, READY_CONDITION_GROUPS } from '../../adapters/kube/index.ts';
import { LABELS, type KubeObject, type Revision } from '../../domain/types.ts';
import { refOf } from '../../domain/kinds.ts';
import type { DriverContext, FailingObject, VerifyOptions, VerifyResult } from './types.ts';

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet']);
/** A delivered object verify waits for: a workload, or a served model (InferenceService, Knative Service) by its Ready condition. */
export const awaited = (o: KubeObject): boolean => (WORKLOAD_KINDS.has(o.kind) && o.apiVersion === 'apps/v1') || READY_CONDITION_GROUPS.has(o.apiVersion.split('/')[0]!);
/** The key a listed object is matched to its rendered one by. */
export const keyOf = (o: KubeObject): string => `${o.apiVersion}|${o.kind}/${o.metadata.name}`;

interface Snapshot {
  ready: boolean;
  failed: boolean;
  waiting: Array<{ want: KubeObject; live: KubeObject | null; message: string }>;
}

/**
 * The Deployment KServe serves a running InferenceService with in RawDeployment ("Standard") mode:
 * `<name>-predictor`, carrying the InferenceService's labels (so the revision label too). Its
 * status, not the InferenceService's, says whether KServe has rolled out this revision.
 */
export function predictorDeployment(want: KubeObject): KubeObject | null {
  if (want.kind !== 'InferenceService' || !want.apiVersion.startsWith('serving.kserve.io/')) return null;
  const mode = want.metadata.annotations?.['serving.kserve.io/deploymentMode'];
  if ((mode !== 'RawDeployment' && mode !== 'Standard') || want.metadata.annotations?.[KSERVE_STOP_ANNOTATION] === 'true') return null;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `${want.metadata.name}-predictor`, ...(want.metadata.namespace ? { namespace: want.metadata.namespace } : {}) } };
}

/** What verify waits on for one delivered object (null: nothing), with its predictor Deployment when it has one (undefined: none expected). */
export function judge(want: KubeObject, got: KubeObject | null, predictor: KubeObject | null | undefined, revision: string): { message: string | null; failed: boolean } {
  const r = objectReadiness(got);
  if (got && got.metadata.labels?.[LABELS.revision] !== revision) return { message: 'not yet at this revision', failed: false };
  if (r.state !== 'Ready') return { message: r.message, failed: r.state === 'Failed' };
  if (predictor === undefined) return { message: null, failed: false };
  if (!predictor) return { message: `waiting for KServe to create its predictor Deployment ${want.metadata.name}-predictor`, failed: false };
  if (predictor.metadata.labels?.[LABELS.revision] !== revision) return { message: 'its predictor Deployment is not yet at this revision', failed: false };
  const p = objectReadiness(predictor);
  return p.state === 'Ready' ? { message: null, failed: false } : { message: `its predictor Deployment: ${p.message}`, failed: p.state === 'Failed' };
}

async function snapshot(ctx: DriverContext, revision: Revision, workloads: KubeObject[]): Promise<Snapshot> {
  const live = new Map<string, KubeObject>();
  const predictors = new Map(workloads.map((w) => [w, predictorDeployment(w)] as const).filter((e): e is readonly [KubeObject, KubeObject] => e[1] !== null));
  for (const [apiVersion, kind, namespace] of distinct([...workloads, ...predictors.values()])) {
    const items = await ctx.kube.list({ apiVersion, kind, ...(namespace ? { namespace } : {}) });
    for (const o of items) live.set(keyOf(o), o);
  }
  const waiting: Snapshot['waiting'] = [];
  let failed = false;
  for (const want of workloads) {
    const got = live.get(keyOf(want)) ?? null;
    const p = predictors.get(want);
    const verdict = judge(want, got, p ? live.get(keyOf(p)) ?? null : undefined, revision.id);
    if (verdict.message !== null) waiting.push({ want, live: got, message: verdict.message });
    if (verdict.failed) failed = true;
  }
  return { ready: waiting.length === 0, failed, waiting };
}

function distinct(objs: KubeObject[]): Array<[string, string, string | undefined]> {
  const seen = new Map<string, [string, string, string | undefined]>();
  for (const o of objs) seen.set(`${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`, [o.apiVersion, o.kind, o.metadata.namespace]);
  return [...seen.values()];
}

export async function verifyWorkloads(ctx: DriverContext, revision: Revision, opts: VerifyOptions): Promise<VerifyResult> {
  const workloads = revision.objects.map((r) => r.object).filter(awaited);
  const began = ctx.now().getTime();
  const deadline = (opts.startedAt ?? began) + opts.timeoutMs;
  let interval = Math.min(opts.pollIntervalMs ?? 500, 500);
  for (;;) {
    ctx.signal.throwIfAborted();
    const snap = await snapshot(ctx, revision, workloads);
    if (snap.ready) return { ready: true };
    const now = ctx.now().getTime();
    if (snap.failed || now >= deadline) {
      return diagnose(ctx, snap, snap.failed ? 'ProgressDeadlineExceeded' : 'Timeout', opts.timeoutMs);
    }
    if (opts.holdMs !== undefined && now + interval - began > opts.holdMs) return stillWaiting(snap);
    await sleep(interval, undefined, { signal: ctx.signal });
    interval = Math.min(interval * 1.5, opts.pollIntervalMs ?? 3000);
  }
}

function stillWaiting(snap: Snapshot): VerifyResult {
  const first = snap.waiting[0];
  const message = first ? `${first.want.kind} ${first.want.metadata.name}: ${first.message}` : 'progressing';
  return { ready: false, waiting: true, reason: 'Progressing', message };
}

/** Why it is not ready, in the cluster's own words: the first unready pod's conditions. */
async function diagnose(ctx: DriverContext, snap: Snapshot, reason: string, timeoutMs: number): Promise<VerifyResult> {
  const failing: FailingObject[] = [];
  for (const w of snap.waiting) {
    const podMsg = w.live ? await podMessage(ctx, w.live) : null;
    failing.push({ ref: refOf(w.want), reason: podMsg ? 'PodsNotReady' : reason, message: podMsg ?? w.message });
  }
  const first = failing[0];
  const head = reason === 'Timeout' ? `not ready after ${Math.round(timeoutMs / 1000)}s` : 'rollout failed';
  const message = first ? `${head}: ${first.ref.kind} ${first.ref.name}: ${first.message}` : head;
  return { ready: false, reason: first?.reason === 'PodsNotReady' ? 'PodsNotReady' : reason, message, failing };
}

type Cond = { type?: string; status?: string; reason?: string; message?: string };
type PodStatus = { conditions?: Cond[]; containerStatuses?: Array<{ state?: { waiting?: { reason?: string; message?: string } } }> };

function selectorOf(workload: KubeObject): string {
  const spec = workload.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined;
  return Object.entries(spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}

/** "pod NAME: Reason: message: WaitingReason message" for an unready pod, null for a ready one. */
export function unreadyPodMessage(pod: KubeObject): string | null {
  const status = (pod.status ?? {}) as PodStatus;
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return null;
  const waiting = status.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  const parts = [ready?.reason, ready?.message, waiting ? `${waiting.reason ?? ''} ${waiting.message ?? ''}`.trim() : undefined].filter(Boolean);
  return `pod ${pod.metadata.name}: ${parts.length > 0 ? parts.join(': ') : 'not ready'}`;
}

async function podMessage(ctx: DriverContext, workload: KubeObject): Promise<string | null> {
  const selector = selectorOf(workload);
  if (!selector) return null;
  const ns = workload.metadata.namespace;
  const pods = await ctx.kube.list({ apiVersion: 'v1', kind: 'Pod', ...(ns ? { namespace: ns } : {}), labelSelector: selector });
  for (const pod of pods) {
    const msg = unreadyPodMessage(pod);
    if (msg) return msg;
  }
  return null;
}
