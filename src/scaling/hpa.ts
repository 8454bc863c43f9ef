// Moves one field of an HPA: spec.minReplicas, by server-side apply under its own field manager
// (fleetplane-prescaler). The HPA's metrics, maxReplicas and behavior stay with whoever owns them, so the
// reactive autoscaling keeps working and the cluster takes the max of both. See docs/adr/0801.
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { HpaRef } from './types.ts';

export const PRESCALER_FIELD_MANAGER = 'fleetplane-prescaler';

export interface HpaView {
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number | null;
  desiredReplicas: number | null;
}

export interface HpaPort {
  get(ref: HpaRef): Promise<HpaView | null>;
  setMinReplicas(ref: HpaRef, minReplicas: number): Promise<HpaView>;
}

interface HpaObject extends KubernetesObject {
  spec?: { minReplicas?: number; maxReplicas?: number };
  status?: { currentReplicas?: number; desiredReplicas?: number };
}

function view(o: HpaObject): HpaView {
  return {
    minReplicas: o.spec?.minReplicas ?? 1,
    maxReplicas: o.spec?.maxReplicas ?? 1,
    currentReplicas: o.status?.currentReplicas ?? null,
    desiredReplicas: o.status?.desiredReplicas ?? null,
  };
}

/** HPA access through @kubernetes/client-node, one KubeConfig per registered cluster name. */
export class KubeHpaPort implements HpaPort {
  private readonly apis = new Map<string, KubernetesObjectApi>();

  constructor(private readonly configFor: (cluster: string) => KubeConfig | Promise<KubeConfig>) {}

  static fromKubeconfigFiles(files: Record<string, string>): KubeHpaPort {
    return new KubeHpaPort((cluster) => {
      const file = files[cluster];
      if (!file) throw new Error(`no kubeconfig for cluster "${cluster}"`);
      const kc = new KubeConfig();
      kc.loadFromFile(file);
      return kc;
    });
  }

  private async api(cluster: string): Promise<KubernetesObjectApi> {
    let a = this.apis.get(cluster);
    if (!a) {
      a = KubernetesObjectApi.makeApiClient(await this.configFor(cluster));
      this.apis.set(cluster, a);
    }
    return a;
  }

  async get(ref: HpaRef): Promise<HpaView | null> {
    const api = await this.api(ref.cluster);
    try {
      const o = await api.read<HpaObject>({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: ref.name, namespace: ref.namespace } });
      return view(o);
    } catch (err) {
      if ((err as { code?: number }).code === 404) return null;
      throw err;
    }
  }

  async setMinReplicas(ref: HpaRef, minReplicas: number): Promise<HpaView> {
    const api = await this.api(ref.cluster);
    // Only the field we own: apply with force so the pre-scaler takes spec.minReplicas even when the
    // renderer set it first (it is the pre-scaler's field while the environment is opted in).
    const patch: HpaObject = {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
      metadata: { name: ref.name, namespace: ref.namespace },
      spec: { minReplicas },
    };
    const o = await api.patch<HpaObject>(patch, undefined, undefined, PRESCALER_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    return view(o);
  }
}
