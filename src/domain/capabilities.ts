// What a cluster can run beyond core Kubernetes: the custom-resource APIs the AI component kinds and
// scale to zero render to. The renderer takes the list as input (it reads no cluster); the engine
// and the API discover it from the cluster's CustomResourceDefinitions (capabilitiesFromCrds).
export const CLUSTER_CAPABILITIES = ['kserve', 'knative-serving', 'keda', 'kubeflow-trainer'] as const;
export type ClusterCapability = (typeof CLUSTER_CAPABILITIES)[number];

/** The CRD whose presence grants each capability (the testbed installs all four, docs/testbed.md). */
export const CAPABILITY_CRDS: Readonly<Record<ClusterCapability, string>> = {
  kserve: 'inferenceservices.serving.kserve.io',
  'knative-serving': 'services.serving.knative.dev',
  keda: 'scaledobjects.keda.sh',
  'kubeflow-trainer': 'trainjobs.trainer.kubeflow.org',
};

/** Capabilities granted by a set of CRD names, in the one order of CLUSTER_CAPABILITIES. */
export function capabilitiesFromCrds(crdNames: Iterable<string>): ClusterCapability[] {
  const have = new Set(crdNames);
  return CLUSTER_CAPABILITIES.filter((c) => have.has(CAPABILITY_CRDS[c]));
}

export function isCapability(v: unknown): v is ClusterCapability {
  return typeof v === 'string' && (CLUSTER_CAPABILITIES as readonly string[]).includes(v);
}
