// Install or upgrade a verified bundle on the customer's cluster (customer side): preflight first,
// then every manifest in apply order by server-side apply (field manager fleetplane), the pre-rendered
// charts after them (a chart the bundle does not pre-render is left to install.sh and helm), then prune
// what the previous install applied and this bundle no longer has, then the inventory ConfigMap
// (fleetplane-bundle in the environment's namespace) that the next upgrade prunes against, then wait
// for every Deployment, StatefulSet and DaemonSet applied to roll out (rollout.ts; the report lists
// each; one that does not within the bound makes the result `failed`).
// Nothing is applied when a check fails. Returns the install report's body (unsigned).
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { KubeClient } from '../adapters/kube/index.ts';
import { coerceError } from '../domain/errors.ts';
import type { KubeObject, ObjectRef } from '../domain/types.ts';
import { INVENTORY_LABEL, INVENTORY_NAME, preflight } from './preflight.ts';
import type { InstallReportBody } from './report.ts';
import type { VerifiedBundle } from './verify.ts';
import { waitForRollouts, type RolloutCheck, type WaitOptions } from './rollout.ts';

const refOf = (o: KubeObject): ObjectRef => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) });
const keyOf = (r: ObjectRef): string => `${r.apiVersion}/${r.kind}/${r.namespace ?? ''}/${r.name}`;

/**
 * The bundle's objects in apply order (revision.json lists the manifest files in that order), then
 * each chart's pre-rendered objects (charts/<component>/, the same order install.sh applies them).
 */
export function bundleObjects(b: VerifiedBundle): KubeObject[] {
  return [...b.index.manifests, ...b.index.helm.flatMap((h) => h.rendered ?? [])].map((m) => {
    const text = b.files.get(m.file);
    if (!text) throw new Error(`${m.file} is listed in revision.json but missing`);
    return parseYaml(text.toString('utf8')) as KubeObject;
  });
}

async function previousInventory(kube: KubeClient, namespace: string): Promise<ObjectRef[]> {
  const cm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: INVENTORY_NAME });
  const data = (cm as { data?: Record<string, string> } | null)?.data;
  return data?.objects ? (JSON.parse(data.objects) as ObjectRef[]) : [];
}

export interface InstallOptions {
  now: () => Date;
  /** Progress lines (the CLI prints them). */
  progress?: (line: string) => void;
  /** How long to wait for the rollouts (absent: not waited for, no `rollout` in the report). */
  rollout?: WaitOptions;
}

/** The result and message after the rollout wait (one progress line per rollout). */
function rolloutVerdict(rollout: RolloutCheck[], installed: string, o: InstallOptions): ['installed' | 'failed', string] {
  for (const r of rollout) o.progress?.(`${r.ready ? 'rolled out' : 'NOT rolled out'} ${r.kind.toLowerCase()}/${r.name}: ${r.message}`);
  const late = rollout.filter((r) => !r.ready);
  if (late.length === 0) return ['installed', `${installed}; ${rollout.length} rolled out`];
  return ['failed', `applied, but not rolled out within ${Math.round(o.rollout!.timeoutMs / 1000)}s: ${late.map((r) => `${r.kind.toLowerCase()}/${r.name} (${r.message})`).join(', ')}`];
}

export async function installBundle(kube: KubeClient, b: VerifiedBundle, o: InstallOptions): Promise<InstallReportBody> {
  const { index } = b;
  const namespace = index.placement.namespace;
  const base = {
    apiVersion: 'fleetplane.io/v1alpha1' as const, kind: 'InstallReport' as const, id: randomUUID(), tenant: index.tenant, environment: index.environment,
    revision: index.revision, blueprint: index.blueprint, version: index.version,
  };
  const pf = await preflight(kube, b.requirements, b.license, { tenant: index.tenant, environment: index.environment, namespace });
  for (const c of pf.checks) o.progress?.(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.message}`);
  const done = (result: InstallReportBody['result'], message: string, pruned = 0): InstallReportBody => ({
    ...base, result, message, preflight: pf.checks, kubernetesVersion: pf.kubernetesVersion, pruned, reportedAt: o.now().toISOString(),
  });
  if (!pf.ok) return done('refused', `preflight failed: ${pf.checks.filter((c) => !c.ok).map((c) => c.name).join(', ')}; nothing was applied`);
  try {
    const objects = bundleObjects(b);
    const before = await previousInventory(kube, namespace);
    for (const obj of objects) await kube.apply(obj);
    o.progress?.(`applied ${objects.length} objects (server-side apply)`);
    const keep = new Set(objects.map((x) => keyOf(refOf(x))));
    const gone = before.filter((r) => !keep.has(keyOf(r)));
    for (const r of gone) await kube.delete(r);
    if (gone.length > 0) o.progress?.(`pruned ${gone.length}: ${gone.map((r) => `${r.kind}/${r.name}`).join(', ')}`);
    await kube.apply({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: INVENTORY_NAME, namespace, labels: { [INVENTORY_LABEL]: 'true', 'fleetplane.io/tenant': index.tenant, 'fleetplane.io/environment': index.environment } },
      data: { revision: index.revision, blueprint: index.blueprint, version: index.version, objects: JSON.stringify(objects.map(refOf)) },
    });
    const installed = `installed ${index.blueprint}@${index.version} revision ${index.revision}`;
    if (!o.rollout) return done('installed', installed, gone.length);
    const rollout = await waitForRollouts(kube, objects, o.rollout);
    return { ...done(...rolloutVerdict(rollout, installed, o), gone.length), rollout };
  } catch (raw) {
    return done('failed', coerceError(raw).message.split('\n')[0]!);
  }
}
