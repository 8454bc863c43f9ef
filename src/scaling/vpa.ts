// Vertical right-sizing of one workload of an environment: read each container's CPU and memory usage
// from Prometheus (cAdvisor's container_cpu_usage_seconds_total / container_memory_working_set_bytes, the
// series the upstream VPA recommender reads), compute the recommendation (src/forecast/vpa.ts), and on
// request write a VerticalPodAutoscaler (src/render/components/vpa.ts) in Off or Initial mode with the
// recommendation in its status, after refusing a VPA that would act on a resource an HPA already scales
// the workload on. The namespace is always the environment's own placement: a caller names only the
// workload, so no request can aim at another tenant's namespace.
import type { PrometheusClient } from '../adapters/prometheus/client.ts';
import type { ClusterConnections } from '../adapters/kube/index.ts';
import { ConflictError, FleetplaneError, InputError, NotFoundError } from '../domain/errors.ts';
import { VPA_FIELD_MANAGER, type Environment, type KubeObject } from '../domain/types.ts';
import { recommendResources, type UsageSample, type VpaRecommendation } from '../forecast/vpa.ts';
import {
  hpaVpaConflicts, renderVpa, renderVpaStatus, type ContainerRecommendation, type HpaLike, type VpaMode, type VpaResource, type WorkloadRef,
} from '../render/components/vpa.ts';

export interface UsageWindow { start: number; end: number; step: number }

/** Per-container usage samples of a workload's pods (time order). */
export interface UsageSource {
  usage(namespace: string, w: WorkloadRef, window: UsageWindow): Promise<Map<string, UsageSample[]>>;
}

/** Pods of a Deployment are NAME-<hash>-<5>, of a StatefulSet NAME-<ordinal>. Names are DNS labels (no regex metacharacters). */
export function podPattern(w: WorkloadRef): string {
  return w.kind === 'StatefulSet' ? `${w.name}-[0-9]+` : `${w.name}-[a-z0-9]{1,10}-[a-z0-9]{5}`;
}

export function usageQueries(namespace: string, w: WorkloadRef): { cpu: string; memory: string } {
  const sel = `namespace="${namespace}",pod=~"${podPattern(w)}",container!="",container!="POD"`;
  // The busiest pod per container and minute: a conservative stand-in for upstream's per-pod samples.
  return {
    cpu: `max by (container) (rate(container_cpu_usage_seconds_total{${sel}}[5m]))`,
    memory: `max by (container) (container_memory_working_set_bytes{${sel}})`,
  };
}

export class PrometheusUsage implements UsageSource {
  constructor(private readonly client: Pick<PrometheusClient, 'range'>) {}

  async usage(namespace: string, w: WorkloadRef, win: UsageWindow): Promise<Map<string, UsageSample[]>> {
    const q = usageQueries(namespace, w);
    const [cpu, mem] = await Promise.all([this.client.range({ query: q.cpu, ...win }), this.client.range({ query: q.memory, ...win })]);
    const byContainer = new Map<string, Map<number, UsageSample>>();
    const at = (c: string, ts: number): UsageSample => {
      const m = byContainer.get(c) ?? new Map<number, UsageSample>();
      byContainer.set(c, m);
      const s = m.get(ts) ?? { ts };
      m.set(ts, s);
      return s;
    };
    for (const s of cpu) for (const p of s.samples) if (Number.isFinite(p.value)) at(s.metric.container ?? 'app', p.ts).cpuCores = p.value;
    for (const s of mem) for (const p of s.samples) if (Number.isFinite(p.value)) at(s.metric.container ?? 'app', p.ts).memoryBytes = p.value;
    return new Map([...byContainer].sort(([a], [b]) => a.localeCompare(b)).map(([c, m]) => [c, [...m.values()].sort((a, b) => a.ts - b.ts)]));
  }
}

export interface VpaRecommendationView {
  tenant: string;
  environment: string;
  cluster: string;
  namespace: string;
  workload: WorkloadRef;
  historyDays: number;
  containers: Array<{ container: string; recommendation: VpaRecommendation }>;
}

export interface ApplyVpaRequest {
  workload: WorkloadRef;
  mode: VpaMode;
  controlledResources: VpaResource[];
  historyDays: number;
  dryRun: boolean;
}

export interface ApplyVpaResult {
  dryRun: boolean;
  object: KubeObject;
  recommendation: VpaRecommendationView;
}

export interface VpaServiceDeps {
  connections: Pick<ClusterConnections, 'client'>;
  /** Null without a configured Prometheus: recommendations answer 503-like errors naming the setting. */
  usage: UsageSource | null;
  now: () => Date;
}

export class PrometheusNotConfiguredError extends FleetplaneError {
  override readonly type = 'not-ready';
  override readonly status = 503;
  constructor() {
    super('no Prometheus is configured (FLEETPLANE_PROMETHEUS_URL): VPA recommendations need usage history');
  }
}

const WORKLOAD_API = 'apps/v1';

export class VpaService {
  constructor(private readonly deps: VpaServiceDeps) {}

  async recommend(env: Environment, workload: WorkloadRef, historyDays: number): Promise<VpaRecommendationView> {
    if (!this.deps.usage) throw new PrometheusNotConfiguredError();
    await this.assertWorkload(env, workload);
    const end = Math.floor(this.deps.now().getTime() / 60_000) * 60;
    const usage = await this.deps.usage.usage(env.placement.namespace, workload, { start: end - historyDays * 86_400, end, step: 60 });
    if (usage.size === 0) {
      throw new NotFoundError(`no usage history for ${workload.kind} ${workload.name} in ${env.placement.namespace} over ${historyDays} days`, [{ field: '/workload', message: 'no container_cpu_usage_seconds_total or container_memory_working_set_bytes samples' }]);
    }
    const containers = [...usage].map(([container, samples]) => ({ container, recommendation: recommendResources(samples, { containersPerPod: usage.size }) }));
    return { tenant: env.tenant, environment: env.name, cluster: env.placement.cluster, namespace: env.placement.namespace, workload, historyDays, containers };
  }

  /** Writes (or with dryRun validates on the server) the VPA and its recommendation; refuses an HPA overlap first. */
  async apply(env: Environment, req: ApplyVpaRequest): Promise<ApplyVpaResult> {
    const recommendation = await this.recommend(env, req.workload, req.historyDays);
    const client = await this.deps.connections.client(env.placement.cluster);
    const hpas = await client.list<HpaLike>('autoscaling/v2', 'HorizontalPodAutoscaler', { namespace: env.placement.namespace });
    const issues = hpaVpaConflicts(hpas, req.workload, req.controlledResources);
    if (issues.length) throw new ConflictError(`HPA and VPA would both act on ${req.workload.kind} ${req.workload.name}`, issues);
    const vpa = renderVpa({ tenant: env.tenant, environment: env.name, namespace: env.placement.namespace, workload: req.workload, mode: req.mode, controlledResources: req.controlledResources });
    const object = await client.apply(vpa, { fieldManager: VPA_FIELD_MANAGER, dryRun: req.dryRun });
    if (!req.dryRun) {
      const recs: ContainerRecommendation[] = recommendation.containers;
      const status = renderVpaStatus(vpa, recs, req.controlledResources);
      // The status subresource, as the upstream recommender writes it (the admission controller reads it in Initial mode).
      await client.transport.request({
        method: 'PATCH', path: `/apis/autoscaling.k8s.io/v1/namespaces/${encodeURIComponent(env.placement.namespace)}/verticalpodautoscalers/${encodeURIComponent(vpa.metadata.name)}/status`,
        contentType: 'application/apply-patch+yaml', body: status, query: { fieldManager: VPA_FIELD_MANAGER, fieldValidation: 'Strict', force: true },
      });
    }
    return { dryRun: req.dryRun, object, recommendation };
  }

  private async assertWorkload(env: Environment, w: WorkloadRef): Promise<void> {
    if (w.kind !== 'Deployment' && w.kind !== 'StatefulSet') throw new InputError(`kind ${String(w.kind)} is not Deployment or StatefulSet`, [{ field: '/workload/kind', message: 'Deployment | StatefulSet' }]);
    const client = await this.deps.connections.client(env.placement.cluster);
    const found = await client.get({ apiVersion: WORKLOAD_API, kind: w.kind, namespace: env.placement.namespace, name: w.name });
    if (!found) throw new NotFoundError(`${w.kind} ${w.name} not found in environment ${env.tenant}/${env.name}`, [{ field: '/workload/name', message: 'no such workload in this environment' }]);
  }
}
