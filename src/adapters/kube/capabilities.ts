// Which of the capabilities the renderer knows (src/domain/capabilities.ts) a cluster has: each is the
// kind its CRD serves, found through the client's API discovery (cached per group version; a
// missing group is a cheap 404). Reads only.
import { CLUSTER_CAPABILITIES, type ClusterCapability } from '../../domain/capabilities.ts';
import type { KubeClient } from './client.ts';
import { KindNotServedError } from './errors.ts';

export const CAPABILITY_KINDS: Readonly<Record<ClusterCapability, { apiVersion: string; kind: string }>> = {
  kserve: { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' },
  'knative-serving': { apiVersion: 'serving.knative.dev/v1', kind: 'Service' },
  keda: { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject' },
  'kubeflow-trainer': { apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob' },
};

export async function probeCapabilities(kube: Pick<KubeClient, 'discovery'>): Promise<ClusterCapability[]> {
  const found = await Promise.all(CLUSTER_CAPABILITIES.map(async (c) => {
    const { apiVersion, kind } = CAPABILITY_KINDS[c];
    try {
      await kube.discovery.resolve(apiVersion, kind);
      return c;
    } catch (err) {
      if (err instanceof KindNotServedError) return null;
      throw err;
    }
  }));
  return found.filter((c): c is ClusterCapability => c !== null);
}
