// Kubernetes adapter: the only place Fleetplane talks to cluster APIs.
//
//   const kube = KubeClient.fromKubeconfig({ path: '/…/kubeconfig' })   // or { content: yamlText, context? }
//   await kube.apply(obj)                          // server-side apply, fieldManager "fleetplane",
//                                                  // fieldValidation=Strict; returns the live object
//   await kube.apply(obj, { force: true })         // take over fields owned by another manager
//   await kube.apply(obj, { dryRun: true })        // dryRun=All: validated by the server, not persisted
//   await kube.get(ref)                            // object or null
//   await kube.list('apps/v1', 'Deployment', { namespace, labelSelector: { 'fleetplane.io/tenant': 'acme' } })
//                                                  // paginated; relists from scratch on HTTP 410 Expired
//   await kube.delete(ref, { propagationPolicy: 'Foreground' })   // false when already gone
//   await kube.deleteAll(refs, { concurrency })
//   objectReadiness(obj) / deploymentReadiness / podReadiness / isPodReady   (pure, from status)
//   await podsOf(kube, deployment)                 // pods selected by the workload
//   await readCapacity(kube)                       // {cpuMillis, memoryBytes, gpus, nodes} of Ready nodes
//   const conns = new ClusterConnections(store.clusters, { timeCall })   // one cached client per registered
//   const { cluster, kube } = await conns.get('fp-1')                     // cluster, from stored credentials
//
// Errors: KubeApiError (upstreamStatus, reason, retryAfterMs, message and field causes from the API
// server's Status; never the request body; HTTP 502 if it reaches a client) with isNotFound /
// isConflict / isGone / isInvalid; KindNotServedError when discovery does not list a kind; InputError
// for local misuse. Resource plural and scope come from API discovery, cached per group/version and
// refreshed once on a miss (so freshly installed CRDs are found); `kube.discovery.reset()` clears it.
export { KubeClient, selectorString } from './client.ts';
export type { ApplyOptions, CallTimer, DeleteOptions, ListOptions } from './client.ts';
export { ClusterConnections, type ClusterCallTimer, type ClusterConnectionsOptions, type ClusterSource, type Connection } from './connections.ts';
export { KindNotServedError, KubeApiError, isConflict, isGone, isInvalid, isNotFound } from './errors.ts';
export { mapLimit, type Settled } from './concurrency.ts';
export { probeCapabilities, CAPABILITY_KINDS } from './capabilities.ts';
export { deploymentReadiness, inferenceServiceReadiness, isPodReady, KSERVE_STOP_ANNOTATION, objectReadiness, podReadiness, podsOf, readCapacity, READY_CONDITION_GROUPS, readyConditionReadiness, statefulSetReadiness, sumCapacity, sumQuotaRequests } from './readiness.ts';
export type { Readiness, ReadinessState } from './readiness.ts';
export type { KubeconfigSource } from './transport.ts';
