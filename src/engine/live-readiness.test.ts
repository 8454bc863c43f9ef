// The pure decision of the cluster-upgrade checks' live readiness (live-readiness.ts): which
// objects are read, and what counts as ready (verify's rules), on injected data; no I/O.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeLive, liveKey, liveQueries, type EnvironmentFacts, type LiveObjects } from './live-readiness.ts';
import { LABELS, type KubeObject, type Revision } from '../domain/types.ts';
import { storedReadiness } from './cluster-upgrades.ts';

const NS = 'acme-prod';
const REV = 'r1';

const deployment = (name: string, replicas = 2): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS, labels: { [LABELS.revision]: REV } },
  spec: { replicas, selector: { matchLabels: { app: name } } },
});
const statefulSet = (name: string): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: NS, labels: { [LABELS.revision]: REV } }, spec: { replicas: 1 },
});
const isvc = (name: string, annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: NS, labels: { [LABELS.revision]: REV }, annotations },
});
const configMap: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: NS } };

const revision = (...objects: KubeObject[]): Revision => ({
  id: REV, tenant: 'acme', environment: 'prod', blueprint: 'demo', version: '1.0.0', helmValues: [], objects: objects.map((object, i) => ({ object, hash: `h${i}` })),
});
const facts = (rev: Revision | null, over: Partial<EnvironmentFacts> = {}, env: Partial<EnvironmentFacts['env']> = {}): EnvironmentFacts => ({
  env: { tenant: 'acme', name: 'prod', health: 'Ready', placement: { cluster: 'c1', namespace: NS }, appliedRevision: rev?.id ?? null, conditions: [], ...env },
  channel: 'saas', hibernated: false, revision: rev, ...over,
});
/** The live copy of a rendered object, with a status (and generation 1 unless told). */
const live = (o: KubeObject, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject => ({ ...o, metadata: { ...o.metadata, generation: 1, ...meta }, status });
const read = (...objects: KubeObject[]): LiveObjects => ({ objects: new Map(objects.map((o) => [liveKey(o, NS), o])), failed: new Map() });

const availableDeployment = (name: string, replicas = 2) => live(deployment(name, replicas), { observedGeneration: 1, replicas, updatedReplicas: replicas, availableReplicas: replicas });

test('a Deployment is ready when observed, updated and available at its revision; otherwise the reason names it', () => {
  const rev = revision(deployment('web'), configMap);
  assert.deepEqual(judgeLive(facts(rev), read(availableDeployment('web'))), { tenant: 'acme', environment: 'prod', state: 'ready', reason: 'ready' });
  const partial = live(deployment('web'), { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 });
  assert.deepEqual(judgeLive(facts(rev), read(partial)), { tenant: 'acme', environment: 'prod', state: 'not-ready', reason: 'Deployment web: 1 of 2 updated replicas available' });
});

test('a stale generation, an old revision label and a missing object are not ready', () => {
  const rev = revision(deployment('web'));
  const stale = live(deployment('web'), { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }, { generation: 2 });
  assert.equal(judgeLive(facts(rev), read(stale)).reason, 'Deployment web: waiting for the controller to observe the new generation');
  const old = availableDeployment('web');
  old.metadata.labels = { [LABELS.revision]: 'r0' };
  assert.equal(judgeLive(facts(rev), read(old)).reason, 'Deployment web: not yet at this revision');
  assert.deepEqual(judgeLive(facts(rev), read()), { tenant: 'acme', environment: 'prod', state: 'not-ready', reason: 'Deployment web: object missing' });
  // The same name in another namespace is not this environment's object.
  const elsewhere = { ...availableDeployment('web'), metadata: { ...availableDeployment('web').metadata, namespace: 'other' } };
  assert.equal(judgeLive(facts(rev), { objects: new Map([[liveKey(elsewhere, NS), elsewhere]]), failed: new Map() }).reason, 'Deployment web: object missing');
});

test('a StatefulSet is not ready while its revision is not rolled out or replicas are not ready', () => {
  const rev = revision(statefulSet('db'));
  const rolling = live(statefulSet('db'), { observedGeneration: 1, readyReplicas: 1, currentRevision: 'db-1', updateRevision: 'db-2' });
  assert.equal(judgeLive(facts(rev), read(rolling)).reason, 'StatefulSet db: rolling update in progress');
  const down = live(statefulSet('db'), { observedGeneration: 1, readyReplicas: 0 });
  assert.equal(judgeLive(facts(rev), read(down)).reason, 'StatefulSet db: 0 of 1 replicas ready');
  const ok = live(statefulSet('db'), { observedGeneration: 1, readyReplicas: 1, currentRevision: 'db-2', updateRevision: 'db-2' });
  assert.equal(judgeLive(facts(rev), read(ok)).state, 'ready');
});

test('an InferenceService by its Ready condition; in RawDeployment mode its predictor Deployment too', () => {
  const serverless = revision(isvc('m'));
  const loading = live(isvc('m'), { conditions: [{ type: 'Ready', status: 'False', reason: 'PredictorNotReady', message: 'model loading' }] });
  assert.equal(judgeLive(facts(serverless), read(loading)).reason, 'InferenceService m: Ready False (PredictorNotReady: model loading)');
  const ready = live(isvc('m'), { conditions: [{ type: 'Ready', status: 'True' }] });
  assert.equal(judgeLive(facts(serverless), read(ready)).state, 'ready');
  const raw = isvc('m', { 'serving.kserve.io/deploymentMode': 'RawDeployment' });
  const rawReady = live(raw, { conditions: [{ type: 'Ready', status: 'True' }] });
  assert.deepEqual(liveQueries([facts(revision(raw))]).map((q) => `${q.kind}/${q.namespace}`), ['InferenceService/acme-prod', 'Deployment/acme-prod']);
  assert.equal(judgeLive(facts(revision(raw)), read(rawReady)).reason, 'InferenceService m: waiting for KServe to create its predictor Deployment m-predictor');
  const predictor = live({ ...deployment('m-predictor', 1) }, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0 });
  assert.equal(judgeLive(facts(revision(raw)), read(rawReady, predictor)).reason, 'InferenceService m: its predictor Deployment: 0 of 1 updated replicas available');
  assert.equal(judgeLive(facts(revision(raw)), read(rawReady, availableDeployment('m-predictor', 1))).state, 'ready');
});

test('self-managed, hibernated (record or condition) and deleted environments are skipped with the reason, and not read', () => {
  const rev = revision(deployment('web'));
  const cases: Array<[EnvironmentFacts, string]> = [
    [facts(rev, { channel: 'self-managed' }), 'self-managed (the customer runs it)'],
    [facts(rev, { hibernated: true }), 'hibernated (every workload held at zero)'],
    [facts(rev, {}, { conditions: [{ type: 'Hibernated', status: 'True', reason: 'Hibernated', message: '', lastTransitionTime: '' }] }), 'hibernated (every workload held at zero)'],
    [facts(rev, {}, { health: 'Deleted' }), 'deleted'],
  ];
  for (const [f, reason] of cases) assert.deepEqual(judgeLive(f, read()), { tenant: 'acme', environment: 'prod', state: 'skipped', reason });
  assert.deepEqual(liveQueries(cases.map(([f]) => f)), []);
});

test('no applied revision, a revision missing from the store, and an unreadable list are not ready; the stored health says Healthy in vain', () => {
  assert.equal(judgeLive(facts(null), read()).reason, 'no revision applied yet');
  assert.equal(judgeLive(facts(null, {}, { appliedRevision: 'gone' }), read()).reason, 'its applied revision gone is not in the store');
  const rev = revision(deployment('web'), statefulSet('db'));
  const failed = new Map([['apps/v1|StatefulSet|acme-prod', 'connect ECONNREFUSED']]);
  assert.equal(judgeLive(facts(rev), { objects: read(availableDeployment('web')).objects, failed }).reason, 'StatefulSet db: could not be read (connect ECONNREFUSED)');
  // One list per (apiVersion, kind, namespace), whatever the number of objects and environments.
  const other = facts(revision(deployment('api'), deployment('web')), {}, { name: 'staging' });
  assert.deepEqual(liveQueries([facts(rev), other]).map((q) => `${q.kind}/${q.namespace}`), ['Deployment/acme-prod', 'StatefulSet/acme-prod']);
});

test('several failing objects: the first three named, then how many more', () => {
  const rev = revision(deployment('a'), deployment('b'), deployment('c'), deployment('d'));
  assert.equal(judgeLive(facts(rev), read()).reason, 'Deployment a: object missing; Deployment b: object missing; Deployment c: object missing and 1 more');
});

test('storedReadiness (the check without cluster connections) reads the stored health, skipping deleted environments', async () => {
  const items = [{ tenant: 't', name: 'a', health: 'Ready' }, { tenant: 't', name: 'b', health: 'Degraded' }, { tenant: 't', name: 'c', health: 'Deleted' }];
  const store = { environments: { list: async () => ({ items, next: undefined }) } } as never;
  assert.deepEqual(await storedReadiness(store, 'c1'), [
    { tenant: 't', environment: 'a', state: 'ready', reason: 'Ready' },
    { tenant: 't', environment: 'b', state: 'not-ready', reason: 'Degraded' },
    { tenant: 't', environment: 'c', state: 'skipped', reason: 'deleted' },
  ]);
});
