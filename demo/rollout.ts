// Steps (f) and (g): drift healed by the reconciler; a fleet rollout in waves (canary first); a bad
// release on one environment rolled back automatically to its last good revision.
import { LABELS, type KubeObject } from '../src/domain/types.ts';
import type { ApiClient } from '../src/cli/client.ts';
import { table } from '../src/cli/output.ts';
import type { OperationView } from '../src/cli/commands/ops.ts';
import { describeRollout, watchRollout, type RolloutView } from '../src/cli/commands/rollouts.ts';
import type { DemoCluster } from './clusters.ts';
import { follow, publish, type Doc, type EnvView } from './tenants.ts';
import { block, LiveLine, note, secondsSince, sleep } from './ui.ts';

function clusterOf(clusters: DemoCluster[], e: EnvView): DemoCluster {
  const c = clusters.find((x) => x.name === e.placement.cluster);
  if (!c) throw new Error(`${e.tenant}/${e.name} is on unknown cluster "${e.placement.cluster}"`);
  return c;
}

async function getEnv(client: ApiClient, tenant: string, env: string): Promise<EnvView> {
  return (await client.get<EnvView>(`/v1/environments/${tenant}/${env}`)).body;
}

interface Victim { c: DemoCluster; ns: string; name: string; uid: string | undefined }

async function deleteOne(client: ApiClient, clusters: DemoCluster[], tenant: string, envName: string): Promise<Victim> {
  const env = await getEnv(client, tenant, envName);
  const c = clusterOf(clusters, env);
  const ns = env.placement.namespace;
  const deploys = await c.kube.list('apps/v1', 'Deployment', { namespace: ns, labelSelector: { [LABELS.tenant]: tenant } });
  const victim = deploys.find((d) => d.metadata.name === 'api') ?? deploys[0];
  if (!victim) throw new Error(`no Deployment in ${ns} on ${c.name}`);
  await c.kube.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: victim.metadata.name });
  note(`deleted Deployment ${ns}/${victim.metadata.name} on ${c.name} by hand (like a stray kubectl delete)`);
  return { c, ns, name: victim.metadata.name, uid: victim.metadata.uid as string | undefined };
}

/** The Drifted condition's entry for the deleted Deployment, when it names it. */
function driftItem(cond: { reason: string; message: string } | undefined, name: string, t0: number): string {
  const item = cond?.message.split('; ').find((m) => m.includes(`Deployment/${name}`));
  return item ? `${secondsSince(t0)}: condition Drifted=True (${cond!.reason}: ${item})` : '';
}

/** Deletes a Deployment by hand and waits for the reconcile loop to notice and re-apply it. */
export async function drift(client: ApiClient, clusters: DemoCluster[], tenant: string, envName: string, timeoutS = 90): Promise<void> {
  const v = await deleteOne(client, clusters, tenant, envName);
  const t0 = Date.now();
  const line = new LiveLine();
  let sawDrift = '';
  while (Date.now() - t0 < timeoutS * 1000) {
    const now = await v.c.kube.get<KubeObject>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: v.ns, name: v.name });
    const e = await getEnv(client, tenant, envName);
    const drifted = e.conditions?.find((k) => k.type === 'Drifted' && k.status === 'True');
    sawDrift ||= driftItem(drifted, v.name, t0);
    const back = now !== null && now.metadata.uid !== v.uid;
    line.update(`${secondsSince(t0)}  Deployment ${v.name}: ${back ? 'recreated' : 'missing'}  environment ${e.health}${drifted ? ', Drifted' : ''}`);
    if (back) {
      line.done();
      if (sawDrift) note(sawDrift);
      note(`healed after ${secondsSince(t0)}: Deployment ${v.name} re-applied at revision ${now.metadata.labels?.[LABELS.revision] ?? '?'}`);
      return;
    }
    await sleep(1000);
  }
  line.done();
  throw new Error(`Deployment ${v.name} not recreated within ${timeoutS}s (reconcile interval: FLEETPLANE_RECONCILE_INTERVAL)`);
}

/** Rolls a release out to every environment on the blueprint: a canary, then two waves. */
export async function fleetRollout(client: ApiClient, blueprint: string, version: string, timeoutS = 300): Promise<void> {
  // Prod only: a staging/dev GPU model server cannot roll (its quota allows 1 GPU and the rolling
  // update surges a second pod), a known issue in the default blueprint's rendering.
  note('selector: every prod environment on default (staging/dev excluded: their GPU quota of 1 blocks the model server\'s surge pod, a known issue)');
  const body = { blueprint, version, selector: { envTypes: ['prod'] }, strategy: { canary: { count: 1 }, waves: [50, 100], maxParallel: 4, gates: { health: true, bakeSeconds: 3 } } };
  note(`POST /v1/rollouts ${JSON.stringify(body)}`);
  const { body: created } = await client.request<RolloutView>('POST', '/v1/rollouts', { body });
  block(table(created.waves, [['WAVE', (w) => `${w.index + 1} ${w.name}`], ['ENVIRONMENTS', (w) => w.targets.map((t) => `${t.tenant}/${t.environment}`).join(', ')]]));
  const line = new LiveLine();
  const t0 = Date.now();
  const r = await watchRollout(client, created.id, { timeoutMs: timeoutS * 1000, intervalMs: 1000, onLine: (l) => line.update(`${l}  ${secondsSince(t0)}`) });
  line.done();
  block(describeRollout(r));
  if (r.state !== 'succeeded') throw new Error(`rollout ${r.id} ended ${r.state}${r.reason ? `: ${r.reason}` : ''}`);
}

/** 1.5.1 = 1.5.0 with one image that never becomes Ready (the testbed keeps such pods unready). */
export function badRelease(good: Doc, version: string): Doc {
  const doc = structuredClone(good);
  doc.metadata = { ...doc.metadata, version, description: `${version}: a broken web image` } as Doc['metadata'];
  const spec = doc.spec as { product: { tag: string }; components: Array<{ name: string; image?: { repository: string; tag?: string } }> };
  spec.product.tag = version;
  const web = spec.components.find((c) => c.name === 'web');
  if (!web?.image) throw new Error('blueprint has no web component image to break');
  web.image = { ...web.image, tag: `${version}-never-ready` };
  return doc;
}

type OpWithResult = OperationView & { result?: { rolledBackTo?: string; rollbackReady?: boolean } | null };

export async function brokenUpgrade(client: ApiClient, good: Doc, version: string, tenant: string, envName: string, timeoutS = 180): Promise<void> {
  const rel = await publish(client, badRelease(good, version));
  note(`published ${rel.name}@${rel.version}: web image tag ${version}-never-ready`);
  const before = await getEnv(client, tenant, envName);
  note(`${tenant}/${envName} is at ${before.version}, revision ${before.appliedRevision?.slice(0, 12)} (last good ${before.lastGoodRevision?.slice(0, 12)})`);
  const { body: op } = await client.request<OperationView>('POST', `/v1/tenants/${tenant}/environments/${envName}:upgrade`, { body: { version } });
  note(`POST …/${tenant}/environments/${envName}:upgrade {"version":"${version}"} → operation ${op.id}`);
  const [done] = await follow(client, [op.id], `upgrade ${tenant}/${envName}`, timeoutS);
  const full = (await client.get<OpWithResult>(`/v1/operations/${done!.id}`)).body;
  await reportRollback(client, full, before, tenant, envName);
}

async function reportRollback(client: ApiClient, full: OpWithResult, before: EnvView, tenant: string, envName: string): Promise<void> {
  block(table(full.steps, [['STEP', (s) => s.name], ['STATE', (s) => s.state], ['ATTEMPTS', (s) => s.attempts], ['ERROR', (s) => s.error?.slice(0, 90)]]));
  note(`operation ${full.state}: ${full.error?.slice(0, 160) ?? '(no error)'}`);
  const after = await getEnv(client, tenant, envName);
  note(`rolled back to ${full.result?.rolledBackTo?.slice(0, 12) ?? '?'} (ready: ${full.result?.rollbackReady ?? '?'}); ${tenant}/${envName} now ${after.version}, revision ${after.appliedRevision?.slice(0, 12)}, ${after.health}`);
  if (full.state !== 'failed' || after.version !== before.version || after.health !== 'Ready') throw new Error(`expected a failed upgrade rolled back to ${before.version} and Ready, got ${full.state}, ${after.version}, ${after.health}`);
}
