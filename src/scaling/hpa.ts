// Moves one field of an HPA: spec.minReplicas, by server-side apply under its own field manager
// (fleetplane-prescaler), through the kube adapter. The HPA's metrics, maxReplicas and behavior stay with
// whoever owns them, so reactive autoscaling keeps working and the HPA takes the max. See docs/adr/0801.
import type { KubeClient } from '../adapters/kube/index.ts';
import { PRESCALER_FIELD_MANAGER, type KubeObject } from '../domain/types.ts';
import type { HpaRef } from '../domain/scaling.ts';

export interface HpaView {
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number | null;
  desiredReplicas: number | null;
  /** Set when KEDA made this HPA for a ScaledObject (scale to zero): KEDA owns its floor. */
  scaledObject?: string;
}

export interface HpaPort {
  get(ref: HpaRef): Promise<HpaView | null>;
  setMinReplicas(ref: HpaRef, minReplicas: number): Promise<HpaView>;
}

type HpaObject = KubeObject & {
  spec?: { minReplicas?: number; maxReplicas?: number };
  status?: { currentReplicas?: number; desiredReplicas?: number };
};

/** The label KEDA puts on the HPA it creates for a ScaledObject. */
export const KEDA_SCALED_OBJECT_LABEL = 'scaledobject.keda.sh/name';

function view(o: HpaObject): HpaView {
  const so = o.metadata.labels?.[KEDA_SCALED_OBJECT_LABEL];
  return {
    ...(so ? { scaledObject: so } : {}),
    minReplicas: o.spec?.minReplicas ?? 1,
    maxReplicas: o.spec?.maxReplicas ?? 1,
    currentReplicas: o.status?.currentReplicas ?? null,
    desiredReplicas: o.status?.desiredReplicas ?? null,
  };
}

const HPA = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' } as const;

/** HPA access through the kube adapter, one KubeClient per registered cluster name (the process's ClusterConnections). */
export class KubeHpaPort implements HpaPort {
  constructor(private readonly clientFor: (cluster: string) => KubeClient | Promise<KubeClient>) {}

  async get(ref: HpaRef): Promise<HpaView | null> {
    const o = await (await this.clientFor(ref.cluster)).get<HpaObject>({ ...HPA, namespace: ref.namespace, name: ref.name });
    return o ? view(o) : null;
  }

  async setMinReplicas(ref: HpaRef, minReplicas: number): Promise<HpaView> {
    const client = await this.clientFor(ref.cluster);
    // Only the field we own. force: the pre-scaler takes spec.minReplicas even when the renderer set it
    // first; while an environment is opted in, that field is the pre-scaler's (ADR 0801).
    const patch = { ...HPA, metadata: { name: ref.name, namespace: ref.namespace }, spec: { minReplicas } } as HpaObject;
    return view(await client.apply<HpaObject>(patch, { fieldManager: PRESCALER_FIELD_MANAGER, force: true }));
  }
}
