// VerticalPodAutoscaler objects (autoscaling.k8s.io/v1, the CRD of k8s.io/autoscaler/vertical-pod-autoscaler
// v1.8.1 that the testbed installs) for one workload of an environment, the recommendation Fleetplane
// computed (src/forecast/vpa.ts) in the object's status, and the rule that keeps HPA and VPA apart:
// both acting on the CPU (or memory) of one workload fight each other (the VPA raises requests, which
// lowers the HPA's utilisation, which removes pods ...), so such a pair is refused. Pure.
import type { FieldIssue } from '../../domain/errors.ts';
import { LABELS, MANAGED_BY, type KubeObject } from '../../domain/types.ts';
import type { Resources, VpaRecommendation } from '../../forecast/vpa.ts';

export const VPA_API_VERSION = 'autoscaling.k8s.io/v1';
export const VPA_KIND = 'VerticalPodAutoscaler';

/** Only modes in which nothing evicts pods: Off (recommend only) and Initial (requests set at pod creation). */
export type VpaMode = 'Off' | 'Initial';
export type VpaResource = 'cpu' | 'memory';
export type WorkloadKind = 'Deployment' | 'StatefulSet';

export interface WorkloadRef { kind: WorkloadKind; name: string }

export interface VpaSpecInput {
  tenant: string;
  environment: string;
  namespace: string;
  workload: WorkloadRef;
  mode: VpaMode;
  controlledResources: readonly VpaResource[];
}

/** The object's name: the workload's, so one VPA per workload (a second apply replaces the first). */
export function vpaName(w: WorkloadRef): string {
  return w.name;
}

export function renderVpa(i: VpaSpecInput): KubeObject {
  return {
    apiVersion: VPA_API_VERSION,
    kind: VPA_KIND,
    metadata: {
      name: vpaName(i.workload),
      namespace: i.namespace,
      labels: {
        'app.kubernetes.io/component': 'vpa',
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.environment]: i.environment,
        [LABELS.tenant]: i.tenant,
      },
    },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: i.workload.kind, name: i.workload.name },
      updatePolicy: { updateMode: i.mode },
      resourcePolicy: {
        containerPolicies: [{ containerName: '*', controlledResources: [...i.controlledResources].sort(), controlledValues: 'RequestsOnly' }],
      },
    },
  };
}

/** Kubernetes quantities: millicores (at least 1m) and whole bytes, rounded up so a bound is never lowered. */
export function cpuQuantity(cores: number): string {
  return `${Math.max(1, Math.ceil(cores * 1000 - 1e-9))}m`;
}
export function memoryQuantity(bytes: number): string {
  return String(Math.max(1, Math.ceil(bytes - 1e-6)));
}

function quantities(r: Resources, only: readonly VpaResource[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (only.includes('cpu')) out.cpu = cpuQuantity(r.cpuCores);
  // An unbounded upper bound (no history) is left out rather than written as a huge number.
  if (only.includes('memory') && Number.isFinite(r.memoryBytes)) out.memory = memoryQuantity(r.memoryBytes);
  return out;
}

export interface ContainerRecommendation { container: string; recommendation: VpaRecommendation }

/**
 * The status subresource body the upstream recommender would write: one containerRecommendation per
 * container, only for the resources the VPA controls. The admission controller reads `target` in Initial mode.
 */
export function renderVpaStatus(vpa: KubeObject, recs: readonly ContainerRecommendation[], controlled: readonly VpaResource[]): KubeObject {
  const finite = (r: Resources): Resources => ({ cpuCores: Number.isFinite(r.cpuCores) ? r.cpuCores : 1000, memoryBytes: r.memoryBytes });
  return {
    apiVersion: vpa.apiVersion,
    kind: vpa.kind,
    metadata: { name: vpa.metadata.name, ...(vpa.metadata.namespace ? { namespace: vpa.metadata.namespace } : {}) },
    status: {
      recommendation: {
        containerRecommendations: recs.map(({ container, recommendation: r }) => ({
          containerName: container,
          target: quantities(r.target, controlled),
          lowerBound: quantities(r.lowerBound, controlled),
          upperBound: quantities(finite(r.upperBound), controlled),
          uncappedTarget: quantities(r.target, controlled),
        })),
      },
    },
  };
}

interface HpaMetric {
  type?: string;
  resource?: { name?: string };
  containerResource?: { name?: string };
}

export interface HpaLike extends KubeObject {
  spec?: { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string }; metrics?: HpaMetric[] };
}

function metricResource(m: HpaMetric): string | undefined {
  if (m.type === 'Resource') return m.resource?.name;
  return m.type === 'ContainerResource' ? m.containerResource?.name : undefined;
}

/** The resources an HPA scales this workload on (an HPA without metrics defaults to CPU, as upstream). */
export function hpaResourcesFor(hpa: HpaLike, w: WorkloadRef): VpaResource[] {
  const t = hpa.spec?.scaleTargetRef;
  if (!t || t.kind !== w.kind || t.name !== w.name) return [];
  const metrics = hpa.spec?.metrics;
  if (!metrics || metrics.length === 0) return ['cpu'];
  const names = new Set(metrics.map(metricResource).filter((n): n is VpaResource => n === 'cpu' || n === 'memory'));
  return [...names].sort();
}

/**
 * Field issues when an HPA already acts on a resource the VPA would control (empty = no conflict).
 * `field` is where the request named the resources.
 */
export function hpaVpaConflicts(hpas: readonly HpaLike[], w: WorkloadRef, controlled: readonly VpaResource[], field = '/controlledResources'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const hpa of hpas) {
    const both = hpaResourcesFor(hpa, w).filter((r) => controlled.includes(r));
    if (both.length) {
      const left = (['cpu', 'memory'] as const).filter((r) => !hpaResourcesFor(hpa, w).includes(r));
      const advice = left.length ? `a VPA may control only ${left.join(', ')} here` : 'a VPA may control neither cpu nor memory here';
      issues.push({ field, message: `HorizontalPodAutoscaler ${hpa.metadata.name} already scales ${w.kind} ${w.name} on ${both.join(' and ')}; ${advice}` });
    }
  }
  return issues;
}
