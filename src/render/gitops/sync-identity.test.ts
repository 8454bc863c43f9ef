// The sync identity covers exactly what Argo CD applies from a tenant repo: every namespaced kind any
// shipped blueprint renders (every tier, type and cluster capability) except the guard rails, which
// the driver applies out of band, and nothing cluster-wide.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseBlueprint } from '../../domain/blueprint.ts';
import { CLUSTER_CAPABILITIES } from '../../domain/capabilities.ts';
import { ENVIRONMENT_TYPES, TIERS, type KubeObject } from '../../domain/types.ts';
import { renderEnvironments } from '../index.ts';
import { CHART_KINDS } from './argocd.ts';
import { GUARD_RAIL_KINDS, isGuardRail } from './layout.ts';
import { SYNC_KIND_RESOURCES, SYNC_RESOURCES, SYNC_SERVICE_ACCOUNT, syncClusterRoleName, syncIdentityObjects } from './sync-identity.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

test('every namespaced kind a shipped blueprint renders, and every chart kind, is in the sync account\'s Role; no guard rail is', () => {
  const seen = new Set<string>();
  const blueprints = readdirSync(join(root, 'blueprints')).filter((dir) => dir !== 'charts').flatMap((dir) => readdirSync(join(root, 'blueprints', dir)).map((file) => parseBlueprint(readFileSync(join(root, 'blueprints', dir, file), 'utf8'))));
  const capabilitySets = [[], CLUSTER_CAPABILITIES.filter((c) => c !== 'knative-serving'), ['knative-serving' as const]];
  const inputs = blueprints.flatMap((blueprint) => TIERS.flatMap((tier) => ENVIRONMENT_TYPES.flatMap((type) => capabilitySets.map((capabilities) => (
    { tenant: { slug: 'a', name: 'A', tier }, environment: { name: type, type, values: {} }, blueprint, placement: { cluster: 'c' }, capabilities }
  )))));
  for (const r of renderEnvironments(inputs)) {
    for (const { object } of r.objects) if (object.metadata.namespace && object.kind !== 'Secret' && !isGuardRail(object)) seen.add(`${groupOf(object.apiVersion)}/${object.kind}`);
  }
  for (const k of CHART_KINDS) seen.add(`${k.group}/${k.kind}`);
  assert.ok(seen.size >= 20, `rendered kinds found: ${seen.size}`);
  for (const gk of seen) {
    const [group, kind] = gk.split('/') as [string, string];
    const resource = SYNC_KIND_RESOURCES[kind];
    assert.ok(resource, `no resource known for ${gk}`);
    assert.ok(SYNC_RESOURCES[group]?.includes(resource), `${gk} (${resource}) is not in the Role`);
  }
  const role = JSON.stringify(syncIdentityObjects('a', 'a-prod')[1]);
  for (const g of GUARD_RAIL_KINDS) assert.ok(!role.includes(`"${g.kind.toLowerCase()}s"`) && !role.includes('"namespaces"'), `${g.kind} is written out of band only`);
  for (const k of CHART_KINDS) assert.ok(!isGuardRail({ apiVersion: k.group ? `${k.group}/v1` : 'v1', kind: k.kind }), `a chart may not bring a ${k.kind}`);
});

test('the identity: namespaced rights in its namespace only, nothing cluster-scoped (not even its Namespace)', () => {
  const objs = syncIdentityObjects('acme', 'acme-prod-1a2b3c4d');
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`), [
    `ServiceAccount/acme-prod-1a2b3c4d/${SYNC_SERVICE_ACCOUNT}`, `Role/acme-prod-1a2b3c4d/${SYNC_SERVICE_ACCOUNT}`, `RoleBinding/acme-prod-1a2b3c4d/${SYNC_SERVICE_ACCOUNT}`,
  ]);
  const rules = (o: KubeObject) => (o as unknown as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }> }).rules;
  const role = rules(objs[1]!);
  assert.ok(role.every((r) => !r.resources.includes('secrets')), 'Secrets stay out of band');
  assert.ok(role.every((r) => !r.resources.includes('*') && !r.verbs.includes('*')));
  assert.ok(role.every((r) => !r.resources.some((res) => ['namespaces', 'resourcequotas', 'limitranges', 'networkpolicies'].includes(res))), 'the guard rails are not its to write');
  assert.equal(syncClusterRoleName('x'), 'fleetplane-sync:x', 'the legacy pair the driver deletes');
  for (const o of objs) assert.equal(o.metadata.labels?.['fleetplane.io/tenant'], 'acme');
});
