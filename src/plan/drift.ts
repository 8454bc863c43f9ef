// Drift: compare the fields Fleetplane owns in a desired object with the live object. Only fields
// we set and the API server does not normalize are compared (labels, ConfigMap data, workload
// replicas and images), so server defaulting never shows up as drift. Replicas of a workload that
// an HPA scales are left to the HPA.
import type { KubeObject } from '../domain/types.ts';
import { canonicalJson } from '../domain/canonical.ts';

type Obj = Record<string, unknown>;

const get = (o: unknown, path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Obj)[k] : undefined), o);

// Key order carries no meaning (jsonb in the store reorders keys), so compare canonical JSON.
const eq = (a: unknown, b: unknown): boolean => canonicalJson(a ?? null) === canonicalJson(b ?? null);

function images(o: unknown): Record<string, unknown> {
  const containers = get(o, ['spec', 'template', 'spec', 'containers']);
  const out: Record<string, unknown> = {};
  if (Array.isArray(containers)) for (const c of containers as Obj[]) out[String(c.name)] = c.image;
  return out;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export interface DriftOptions {
  /** Names of workloads an HPA in the same revision targets (their replicas belong to the HPA). */
  hpaTargets: ReadonlySet<string>;
}

/** Dotted paths of owned fields that differ; empty when in sync. */
export function driftedFields(desired: KubeObject, live: KubeObject, opts: DriftOptions): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(desired.metadata.labels ?? {})) {
    if (live.metadata.labels?.[k] !== v) out.push(`metadata.labels.${k}`);
  }
  if (desired.kind === 'ConfigMap' && !eq(desired.data, live.data)) out.push('data');
  if (WORKLOADS.has(desired.kind)) out.push(...workloadDrift(desired, live, opts));
  return out;
}

function workloadDrift(desired: KubeObject, live: KubeObject, opts: DriftOptions): string[] {
  const out: string[] = [];
  const want = get(desired, ['spec', 'replicas']);
  if (want !== undefined && !opts.hpaTargets.has(desired.metadata.name) && !eq(want, get(live, ['spec', 'replicas']))) out.push('spec.replicas');
  const wi = images(desired);
  const li = images(live);
  for (const name of Object.keys(wi)) if (wi[name] !== li[name]) out.push(`spec.template.spec.containers[${name}].image`);
  return out;
}

/** Workload names targeted by HorizontalPodAutoscalers among the desired objects. */
export function hpaTargets(objects: readonly KubeObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'HorizontalPodAutoscaler') continue;
    const name = get(o, ['spec', 'scaleTargetRef', 'name']);
    if (typeof name === 'string') out.add(name);
  }
  return out;
}
