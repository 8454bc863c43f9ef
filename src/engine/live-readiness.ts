// Live readiness of the environments placed on a cluster, for the cluster-upgrade checks (pre-flight
// and the post-cluster wait, engine/cluster-upgrades.ts): rather than trust the stored health (the
// last reconcile's word, possibly minutes old), read the workloads of each environment's applied
// revision from the cluster now and judge them by verify's rules (drivers/direct-verify.ts judge:
// observedGeneration, updated/available replicas, the revision label, the Ready condition of an
// InferenceService and its predictor Deployment). Self-managed environments (the customer runs them),
// hibernated ones (every workload held at zero) and deleted ones are skipped, with the reason.
//
// The decision is pure (liveQueries, judgeLive: data in, verdicts out); readLiveReadiness is the thin
// I/O around it: the store's environments, tenants, revisions and hibernation records, and one list
// call per (apiVersion, kind, namespace) through the cluster's connection, read-only.
import type { Connection } from '../adapters/kube/index.ts';
import { coerceError } from '../domain/errors.ts';
import type { Store } from '../domain/ports/store.ts';
import type { Channel, Environment, KubeObject, Revision } from '../domain/types.ts';
import { readOnlyClient } from './clusters.ts';
import { awaited, judge, keyOf, predictorDeployment } from './drivers/direct-verify.ts';

/** What the pure decision needs to know of one environment (no I/O). */
export interface EnvironmentFacts {
  env: Pick<Environment, 'tenant' | 'name' | 'health' | 'placement' | 'appliedRevision' | 'conditions'>;
  channel: Channel;
  /** Its hibernation record says hibernated. */
  hibernated: boolean;
  /** The stored applied revision (null: none named, or not found in the store). */
  revision: Revision | null;
}

export interface LiveVerdict {
  tenant: string;
  environment: string;
  state: 'ready' | 'not-ready' | 'skipped';
  /** Why (not ready: the first failing objects; skipped: why it is not checked; ready: "ready"). */
  reason: string;
}

export interface ListQuery {
  apiVersion: string;
  kind: string;
  namespace: string;
}

/** What was read: objects by liveKey, and the queries that failed (by queryKey) with the error. */
export interface LiveObjects {
  objects: ReadonlyMap<string, KubeObject>;
  failed: ReadonlyMap<string, string>;
}

const queryKey = (q: ListQuery): string => `${q.apiVersion}|${q.kind}|${q.namespace}`;
/** An object's key among several namespaces' (keyOf is one environment's, without the namespace). */
export const liveKey = (o: KubeObject, namespace: string): string => `${o.metadata.namespace ?? namespace}|${keyOf(o)}`;

/** Why an environment is not checked at all; null when it is. */
export function skipReason(f: EnvironmentFacts): string | null {
  if (f.env.health === 'Deleted') return 'deleted';
  if (f.channel === 'self-managed') return 'self-managed (the customer runs it)';
  const condition = f.env.conditions.find((c) => c.type === 'Hibernated')?.status === 'True';
  if (f.hibernated || condition) return 'hibernated (every workload held at zero)';
  return null;
}

/** The objects of the applied revision the check reads: its workloads and served models, and each model's predictor Deployment. */
function wanted(f: EnvironmentFacts): Array<{ want: KubeObject; predictor: KubeObject | null }> {
  return (f.revision?.objects ?? []).map((r) => r.object).filter(awaited).map((want) => ({ want, predictor: predictorDeployment(want) }));
}

/** The list calls that read every checked environment's objects: one per (apiVersion, kind, namespace). */
export function liveQueries(facts: readonly EnvironmentFacts[]): ListQuery[] {
  const out = new Map<string, ListQuery>();
  for (const f of facts) {
    if (skipReason(f) !== null) continue;
    for (const { want, predictor } of wanted(f)) {
      for (const o of predictor ? [want, predictor] : [want]) {
        const q = { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? f.env.placement.namespace };
        out.set(queryKey(q), q);
      }
    }
  }
  return [...out.values()];
}

/** One environment's verdict from what was read. */
export function judgeLive(f: EnvironmentFacts, live: LiveObjects): LiveVerdict {
  const base = { tenant: f.env.tenant, environment: f.env.name };
  const skip = skipReason(f);
  if (skip !== null) return { ...base, state: 'skipped', reason: skip };
  if (!f.env.appliedRevision) return { ...base, state: 'not-ready', reason: 'no revision applied yet' };
  if (!f.revision) return { ...base, state: 'not-ready', reason: `its applied revision ${f.env.appliedRevision} is not in the store` };
  const revisionId = f.revision.id;
  const problems = wanted(f).map(({ want, predictor }) => objectProblem(want, predictor, f.env.placement.namespace, revisionId, live)).filter((p): p is string => p !== null);
  if (problems.length === 0) return { ...base, state: 'ready', reason: 'ready' };
  const more = problems.length > 3 ? ` and ${problems.length - 3} more` : '';
  return { ...base, state: 'not-ready', reason: `${problems.slice(0, 3).join('; ')}${more}` };
}

/** Why one rendered object (and its predictor Deployment) is not ready live; null when it is. */
function objectProblem(want: KubeObject, predictor: KubeObject | null, namespace: string, revision: string, live: LiveObjects): string | null {
  const ns = want.metadata.namespace ?? namespace;
  const label = `${want.kind} ${want.metadata.name}`;
  const unread = [want, ...(predictor ? [predictor] : [])].map((o) => live.failed.get(queryKey({ apiVersion: o.apiVersion, kind: o.kind, namespace: ns }))).find((e) => e !== undefined);
  if (unread !== undefined) return `${label}: could not be read (${unread})`;
  const got = live.objects.get(liveKey(want, ns)) ?? null;
  if (!got) return `${label}: object missing`;
  const verdict = judge(want, got, predictor ? live.objects.get(liveKey(predictor, ns)) ?? null : undefined, revision);
  return verdict.message === null ? null : `${label}: ${verdict.message}`;
}

/** Every environment's verdict. */
export function judgeAll(facts: readonly EnvironmentFacts[], live: LiveObjects): LiveVerdict[] {
  return facts.map((f) => judgeLive(f, live));
}

export interface LiveReadinessDeps {
  store: Pick<Store, 'environments' | 'tenants' | 'revisions' | 'ai'>;
  connections: { get(name: string): Promise<Connection> };
}

/** The environments placed on the cluster (every page), with what the decision needs. */
async function factsOn(store: LiveReadinessDeps['store'], cluster: string): Promise<EnvironmentFacts[]> {
  const facts: EnvironmentFacts[] = [];
  const channels = new Map<string, Channel>();
  let cursor: string | undefined;
  do {
    const page = await store.environments.list({ cluster, limit: 200, ...(cursor ? { cursor } : {}) });
    for (const env of page.items) if (!channels.has(env.tenant)) channels.set(env.tenant, (await store.tenants.get(env.tenant))?.channel ?? 'saas');
    // A page's hibernation records and revisions are read at once (the store's pool bounds it).
    facts.push(...await Promise.all(page.items.map(async (env): Promise<EnvironmentFacts> => {
      const [hibernation, revision] = await Promise.all([
        store.ai.hibernation(env.tenant, env.name),
        env.appliedRevision ? store.revisions.get(env.tenant, env.name, env.appliedRevision) : null,
      ]);
      return { env, channel: channels.get(env.tenant)!, hibernated: hibernation?.state === 'hibernated', revision };
    })));
    cursor = page.next;
  } while (cursor);
  return facts;
}

/** Reads the cluster's environments live and judges each (skipped ones included, with why). */
export async function readLiveReadiness(deps: LiveReadinessDeps, cluster: string, signal?: AbortSignal): Promise<LiveVerdict[]> {
  const facts = await factsOn(deps.store, cluster);
  const queries = liveQueries(facts);
  const objects = new Map<string, KubeObject>();
  const failed = new Map<string, string>();
  if (queries.length > 0) {
    let client: ReturnType<typeof readOnlyClient> | null = null;
    try {
      const conn = await deps.connections.get(cluster);
      client = readOnlyClient(conn.cluster.name, conn.kube, signal);
    } catch (err) {
      for (const q of queries) failed.set(queryKey(q), `no connection: ${coerceError(err).message.split('\n')[0]}`);
    }
    for (const q of client ? queries : []) {
      try {
        for (const o of await client!.list(q)) objects.set(liveKey(o, q.namespace), o);
      } catch (err) {
        failed.set(queryKey(q), coerceError(err).message.split('\n')[0]!);
      }
    }
  }
  return judgeAll(facts, { objects, failed });
}
