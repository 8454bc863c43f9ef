// What each component renders as on the target cluster, and why: the one decision the AI kinds and
// scale to zero take from the cluster's capabilities (docs/ai-workloads.md, ADR 2001). Pure; the
// builders read the decision from the resolved component (ResolvedComponent.choice), and the render
// result lists every decision with its reason (RenderResult.choices).
import type { Component, Scaling } from '../../domain/blueprint.ts';
import type { ClusterCapability } from '../../domain/capabilities.ts';
import type { RenderChoice } from '../types.ts';

interface Sizing {
  replicas: number;
  scaling: Scaling | null;
  /** The environment set a replica count by hand: no autoscaling of any kind. */
  manual: boolean;
}

/** Replica ceiling while a scale-to-zero component is active. */
export function activeMax(c: Component, s: Pick<Sizing, 'replicas' | 'scaling'>): number {
  return c.scaleToZero?.maxReplicas ?? s.scaling?.max ?? Math.max(1, s.replicas);
}

export const DEFAULT_IDLE_SECONDS = 300;

const choice = (c: Component, form: RenderChoice['form'], scaler: RenderChoice['scaler'], minReplicas: number, reason: string): RenderChoice =>
  ({ component: c.name, kind: c.kind, form, scaler, minReplicas, reason });

function plainScaling(c: Component, s: Sizing, form: 'Deployment' | 'InferenceService', prefix: string): RenderChoice {
  if (s.scaling) return choice(c, form, 'HorizontalPodAutoscaler', s.scaling.min, `${prefix}HorizontalPodAutoscaler on CPU between ${s.scaling.min} and ${s.scaling.max} replicas`);
  return choice(c, form, 'none', s.replicas, `${prefix}${s.replicas} replica(s)${s.manual ? ', set by hand for this environment' : ''}`);
}

function servingForm(c: Component, s: Sizing, caps: ReadonlySet<ClusterCapability>): RenderChoice {
  const kserve = c.kind === 'inference-service' && caps.has('kserve');
  const prefix = kserve ? 'KServe InferenceService; ' : c.kind === 'inference-service' ? 'KServe is not installed on this cluster: a Deployment with the same model, GPU and readiness; ' : '';
  const form = kserve ? 'InferenceService' : 'Deployment';
  if (!c.scaleToZero) return plainScaling(c, s, form, prefix);
  if (s.manual) return plainScaling(c, s, form, `${prefix}scaleToZero is off while the replica count is set by hand; `);
  if (kserve) {
    if (caps.has('knative-serving')) return choice(c, 'InferenceService', 'Knative', 0, `${prefix}Serverless mode: Knative Serving scales the predictor to zero after ${c.scaleToZero.idleSeconds ?? DEFAULT_IDLE_SECONDS} s idle and back on the first request`);
    return plainScaling(c, { ...s, replicas: Math.max(1, s.replicas) }, form, `${prefix}scaleToZero asked, but KServe scales to zero only in Serverless mode, which needs Knative Serving (not installed): at least one replica stays; `);
  }
  const ports = c.ports?.length ?? 0;
  if (caps.has('keda') && c.metrics) {
    return choice(c, 'Deployment', 'ScaledObject', 0, `${prefix}KEDA ScaledObject (keeps the Deployment, Service and policies as they are): zero replicas after ${c.scaleToZero.idleSeconds ?? DEFAULT_IDLE_SECONDS} s without requests, scaled on the request rate from Prometheus`);
  }
  if (caps.has('knative-serving') && ports === 1 && c.kind !== 'worker') {
    const why = caps.has('keda') ? 'KEDA is installed but the component declares no metrics to wake it by; ' : '';
    return choice(c, 'KnativeService', 'Knative', 0, `${prefix}${why}Knative Service: its activator holds the first request while a pod starts, zero pods after ${c.scaleToZero.idleSeconds ?? DEFAULT_IDLE_SECONDS} s idle`);
  }
  const missing = !caps.has('keda') && !caps.has('knative-serving')
    ? 'neither KEDA nor Knative Serving is installed on this cluster'
    : caps.has('keda') ? 'KEDA needs the component\'s request metrics (metrics) to wake it, and Knative a single-port HTTP component' : 'Knative Serving needs a single-port HTTP component (not a worker)';
  return plainScaling(c, { ...s, replicas: Math.max(1, s.replicas) }, 'Deployment', `${prefix}scaleToZero asked, but ${missing}: at least one replica stays; `);
}

export function chooseForm(c: Component, s: Sizing, caps: ReadonlySet<ClusterCapability>): RenderChoice {
  switch (c.kind) {
    case 'helm-chart':
      return choice(c, 'HelmChart', 'none', 0, 'Helm chart delivered with its values; the chart owns its workloads');
    case 'cron-job':
      return choice(c, 'CronJob', 'none', 0, `CronJob on "${c.schedule ?? ''}" (UTC)`);
    case 'training-job':
      return caps.has('kubeflow-trainer')
        ? choice(c, 'TrainingRuntime', 'none', 0, 'Kubeflow Trainer is installed: a TrainingRuntime in the revision, and each run started through the API is a TrainJob of it')
        : choice(c, 'Job', 'none', 0, 'Kubeflow Trainer is not installed on this cluster: each run started through the API is a batch/v1 Job');
    default:
      return servingForm(c, s, caps);
  }
}

const PLAIN_FORMS = new Set<RenderChoice['form']>(['Deployment', 'CronJob', 'HelmChart']);

/**
 * The choices a render reports (the engine's render step output): every one where the cluster's
 * capabilities decided something: a form other than the plain one, a scale-to-zero answer, and an
 * inference-service whichever form it took (as a Deployment, because KServe is not installed, is the
 * very decision its owner needs explained). A plain component's "a Deployment" is left out.
 */
export function explainedChoices(choices: readonly RenderChoice[]): RenderChoice[] {
  return choices.filter((c) => c.kind === 'inference-service' || !PLAIN_FORMS.has(c.form) || c.scaler === 'ScaledObject' || c.reason.includes('scaleToZero'));
}
