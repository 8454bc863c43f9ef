// Serving forms chosen by ./choice.ts: a KServe InferenceService (serving.kserve.io/v1beta1, the
// CRD of KServe v0.17.0), a Knative Service (serving.knative.dev/v1, Knative Serving v0.51.0) that
// scales to zero, and a KEDA ScaledObject (keda.sh/v1alpha1, KEDA v2.21.0) with minReplicaCount 0
// on the component's request rate. Same security, placement and model as the plain Deployment.
import type { KubeObject } from '../../domain/types.ts';
import { SERVICE_METRICS } from '../monitoring/types.ts';
import { componentLabels, meta, obj, podLabels } from '../meta.ts';
import { needsToken } from '../rbac.ts';
import type { RenderContext, ResolvedComponent } from '../types.ts';
import { CONTAINER_SECURITY, POD_SECURITY, container, podSpec, template } from '../workloads.ts';
import { activeMax, DEFAULT_IDLE_SECONDS } from './choice.ts';
import { gpuPodClaims, storageUri } from './model.ts';

export const KSERVE_API_VERSION = 'serving.kserve.io/v1beta1';
export const KNATIVE_API_VERSION = 'serving.knative.dev/v1';
export const KEDA_API_VERSION = 'keda.sh/v1alpha1';
const DEFAULT_CPU_TARGET = 70;

const idleOf = (c: ResolvedComponent): number => c.spec.scaleToZero?.idleSeconds ?? DEFAULT_IDLE_SECONDS;

/**
 * The image's own tag, as `runtimeVersion`: without one KServe rewrites the tag of a GPU model's
 * image when the chosen runtime is upstream's kserve-torchserve (or TF Serving, Hugging Face):
 * `ranker-server:1.0.0` would run as `ranker-server:1.0.0-gpu` (utils.UpdateImageTag), an image
 * the blueprint never named. A digest KServe leaves alone (undefined: no field).
 */
export function imageTag(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  return /:([\w.-]+)$/.exec(image.slice(image.lastIndexOf('/') + 1))?.[1];
}

/**
 * The predictor runs the component's image as KServe's model container; KServe mounts the model
 * (pvc://<the environment's claim>/<path> read-only, or the object-store URI through its storage
 * initializer) at /mnt/models. Standard (formerly RawDeployment: a Deployment and Service per
 * predictor) unless it scales to zero on Knative (mode Knative, formerly Serverless).
 */
export function inferenceService(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const serverless = c.choice.scaler === 'Knative';
  const main = container(ctx, c) as Record<string, unknown> & { volumeMounts: Array<{ name: string }>; env: unknown[] };
  // No container name: KServe's validating webhook refuses one on `predictor.model` ("the 'name'
  // field is not allowed in standard predictor"); its defaulter names the container kserve-container.
  const { name: _name, ...unnamed } = main;
  const model = {
    ...unnamed,
    modelFormat: { name: c.spec.model!.format! },
    runtimeVersion: imageTag(String(main.image)),
    storageUri: storageUri(c),
    // KServe adds the model's own volume and mount; ours keeps only /tmp.
    volumeMounts: main.volumeMounts.filter((m) => m.name !== 'model'),
  };
  const max = serverless ? activeMax(c.spec, c) : c.scaling?.max ?? c.choice.minReplicas;
  const autoscaling = serverless
    ? { annotations: { 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': `${idleOf(c)}s`, 'fleetplane.io/config-hash': c.configHash } }
    : { annotations: { 'fleetplane.io/config-hash': c.configHash } };
  const predictor: Record<string, unknown> = {
    affinity: c.affinity,
    ...autoscaling,
    automountServiceAccountToken: needsToken(c),
    enableServiceLinks: false,
    labels: podLabels(ctx, c),
    maxReplicas: Math.max(1, max),
    minReplicas: c.choice.minReplicas,
    model,
    nodeSelector: Object.keys(c.nodeSelector).length > 0 ? c.nodeSelector : undefined,
    resourceClaims: gpuPodClaims(c),
    scaleMetric: c.choice.scaler === 'HorizontalPodAutoscaler' ? 'cpu' : undefined,
    scaleTarget: c.choice.scaler === 'HorizontalPodAutoscaler' ? c.scaling?.targetCPUUtilization ?? DEFAULT_CPU_TARGET : undefined,
    securityContext: POD_SECURITY,
    serviceAccountName: c.spec.name,
    terminationGracePeriodSeconds: 30,
    tolerations: c.tolerations.length > 0 ? c.tolerations : undefined,
    volumes: [{ emptyDir: { sizeLimit: '256Mi' }, name: 'tmp' }],
  };
  const annotations: Record<string, string> = {
    'serving.kserve.io/autoscalerClass': serverless ? 'kpa.autoscaling.knative.dev' : c.choice.scaler === 'HorizontalPodAutoscaler' ? 'hpa' : 'none',
    // KServe 0.17's names (RawDeployment and Serverless are deprecated; its defaulting webhook rewrites
    // them, so the delivered object would differ from the rendered one on every delivery).
    'serving.kserve.io/deploymentMode': serverless ? 'Knative' : 'Standard',
  };
  return obj(KSERVE_API_VERSION, 'InferenceService', meta(ctx, c.spec.name, componentLabels(ctx, c), annotations), { spec: { predictor } });
}

/**
 * A Knative Service in place of the Deployment and Service: Knative's activator holds requests while
 * it scales from zero. Knative keeps pod-level securityContext behind a feature flag, so the
 * restricted settings go on the container (Pod Security accepts either).
 */
export function knativeService(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const pod = podSpec(ctx, c) as Record<string, unknown> & { containers: Array<Record<string, unknown>> };
  const containers = pod.containers.map((x) => ({ ...x, securityContext: { ...CONTAINER_SECURITY, runAsGroup: POD_SECURITY.runAsGroup, runAsUser: POD_SECURITY.runAsUser, seccompProfile: POD_SECURITY.seccompProfile } }));
  const initContainers = (pod.initContainers as Array<Record<string, unknown>> | undefined)?.map((x) => ({ ...x, securityContext: { ...CONTAINER_SECURITY, runAsGroup: POD_SECURITY.runAsGroup, runAsUser: POD_SECURITY.runAsUser, seccompProfile: POD_SECURITY.seccompProfile } }));
  const tmpl = template(ctx, c) as { annotations: Record<string, string>; labels: Record<string, string> };
  const annotations = {
    'autoscaling.knative.dev/max-scale': String(activeMax(c.spec, c)),
    'autoscaling.knative.dev/min-scale': '0',
    'autoscaling.knative.dev/scale-to-zero-pod-retention-period': `${idleOf(c)}s`,
    ...tmpl.annotations,
  };
  const spec = {
    affinity: pod.affinity,
    automountServiceAccountToken: pod.automountServiceAccountToken,
    containers,
    enableServiceLinks: false,
    initContainers,
    nodeSelector: pod.nodeSelector,
    serviceAccountName: pod.serviceAccountName,
    tolerations: pod.tolerations,
    volumes: pod.volumes,
  };
  return obj(KNATIVE_API_VERSION, 'Service', meta(ctx, c.spec.name, componentLabels(ctx, c)), {
    spec: { template: { metadata: { annotations, labels: tmpl.labels }, spec } },
  });
}

/** The component's request rate, the same series the SLO rules read (src/render/monitoring/rules.ts). */
export function requestRateQuery(ctx: RenderContext, c: ResolvedComponent): string {
  return `sum(rate(${SERVICE_METRICS.requests}{namespace="${ctx.namespace}",service="${c.spec.name}"}[2m]))`;
}

/** KEDA scales the Deployment between 0 and its ceiling on the request rate (it owns the HPA it creates). */
export function scaledObject(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  return obj(KEDA_API_VERSION, 'ScaledObject', meta(ctx, c.spec.name, componentLabels(ctx, c)), {
    spec: {
      cooldownPeriod: idleOf(c),
      maxReplicaCount: activeMax(c.spec, c),
      minReplicaCount: 0,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: c.spec.name },
      triggers: [{
        metadata: { activationThreshold: '0', query: requestRateQuery(ctx, c), serverAddress: ctx.platform.scaleToZeroPrometheus, threshold: '10' },
        name: 'requests',
        type: 'prometheus',
      }],
    },
  });
}
