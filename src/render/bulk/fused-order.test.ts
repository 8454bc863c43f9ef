// The fused targets' order (./fused.ts sortTargets) is render/index.ts's (kind rank, then
// kind\0apiVersion\0namespace\0name, stable), also when the order remembered for a shape is wrong
// for the next environment of it: names whose slots come first sort differently per environment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindRank } from '../../domain/kinds.ts';
import type { KubeObject } from '../../domain/types.ts';
import { sortTargets } from './fused.ts';

const obj = (kind: string, name: string, namespace?: string, apiVersion = 'v1'): KubeObject => ({ apiVersion, kind, metadata: namespace === undefined ? { name } : { name, namespace } });

/** render/index.ts's comparison, with its joined keys, and a stable sort. */
function reference(xs: readonly KubeObject[]): KubeObject[] {
  const key = (o: KubeObject) => `${o.kind}\u0000${o.apiVersion}\u0000${o.metadata.namespace ?? ''}\u0000${o.metadata.name}`;
  return [...xs].sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function environment(slug: string, early = false): KubeObject[] {
  return [
    obj('Deployment', `${slug}-api`, `${slug}-prod`), obj('ConfigMap', 'api-config', `${slug}-prod`), obj('ConfigMap', `${slug}-settings`, `${slug}-prod`),
    obj('ConfigMap', 'dashboard', 'monitoring'), obj('Namespace', `${slug}-prod`), obj('ConfigMap', 'm-config', `${slug}-prod`),
    obj('Service', 'api', `${slug}-prod`), obj('ConfigMap', 'api-config', `${slug}-prod`, 'v2'), obj('ConfigMap', early ? `${slug}-early` : `${slug}-settings`, `${slug}-prod`),
  ];
}

test('fused targets sort as the renderer sorts, whatever order the shape last had', () => {
  const shape = {};
  const monitoring = {};
  const orders = new Set<string>();
  // Slugs on both sides of 'api-config', 'dashboard's namespace and each other, in one shape.
  // Every other environment's last ConfigMap sorts before its twin, so the remembered order has the
  // twins reversed when the next environment's are equal.
  for (const [k, slug] of ['zz', 'aa', 'mon', 'a', 'zzz', 'b', 'n', 'a'].entries()) {
    const early = k % 2 === 0;
    const xs = environment(slug, early);
    const want = reference(xs);
    const got = sortTargets(xs, shape, monitoring);
    assert.deepEqual(got, want, slug);
    // Equal keys (the duplicate settings ConfigMap) keep their input order, as the stable sort does.
    if (!early) {
      const dupes = got.filter((o) => o.metadata.name === `${slug}-settings`);
      assert.equal(dupes[0], xs[2]);
      assert.equal(dupes[1], xs[8]);
    }
    orders.add(got.map((o) => xs.indexOf(o)).join(','));
  }
  assert.ok(orders.size > 2, `the environments sort to different orders (${orders.size})`);
  // Without a shape to remember, the same.
  assert.deepEqual(sortTargets(environment('q'), null, null), reference(environment('q')));
});
