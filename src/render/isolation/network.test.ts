// The network story as a tested property (issue #12): over a spread of rendered environments (every
// release, tier and type; with and without a waypoint), the NetworkPolicy simulator (./netpol.ts)
// finds every pod-to-pod edge of the blueprint open on its app port and on HBONE 15008, every other
// pair closed on every port, and no pod of one tenant able to reach any pod of another.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spread, type SpreadEnv } from '../../../test/helpers/render-spread.ts';
import type { KubeObject } from '../../domain/types.ts';
import { allowed, HBONE, inCidr, reachMesh, selects } from './netpol.ts';
import { platformPod, podsOf, type SimPod } from './pods.ts';

const plain = spread();
const withWaypoint = spread({ waypoint: 'waypoint' });

function policiesOf(envs: readonly SpreadEnv[]): KubeObject[] {
  return envs.flatMap((e) => e.result.objects.map((o) => o.object)).filter((o) => o.kind === 'NetworkPolicy');
}

function portsOf(e: SpreadEnv, component: string): number[] {
  return (e.input.blueprint.spec.components.find((c) => c.name === component)?.ports ?? []).map((p) => p.port);
}

function talksTo(e: SpreadEnv, from: string, to: string): boolean {
  return e.input.blueprint.spec.components.find((c) => c.name === from)?.talksTo?.includes(to) ?? false;
}

const pods = plain.map((e, i) => podsOf(e.result, i));
const policies = policiesOf(plain);

describe('NetworkPolicy simulator (semantics it relies on)', () => {
  it('label selectors, CIDRs and default-open pods behave as the API documents', () => {
    assert.ok(selects({ matchLabels: { a: '1' } }, { a: '1', b: '2' }));
    assert.ok(!selects({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, { a: '1' }));
    assert.ok(selects({}, {}));
    assert.ok(inCidr('10.20.3.4', '10.20.0.0/16') && !inCidr('10.21.0.1', '10.20.0.0/16') && inCidr('1.2.3.4', '0.0.0.0/0'));
    const a = platformPod('x', {}, '10.1.0.1');
    const b = platformPod('y', {}, '10.1.0.2');
    assert.ok(allowed([], a, b, 80), 'no policy: open');
    const deny = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'd', namespace: 'y' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } };
    assert.ok(!allowed([deny], a, b, 80), 'default-deny ingress closes the destination');
    assert.ok(allowed([deny], b, a, 80), 'a policy in y does not close x');
  });
});

describe('rendered NetworkPolicies in the ambient mesh', () => {
  it('every blueprint edge is open on the app port and on HBONE 15008 (in the mesh: ztunnel to 15008)', () => {
    let edges = 0;
    plain.forEach((e, i) => {
      for (const src of pods[i]!) {
        for (const dst of pods[i]!) {
          if (!talksTo(e, src.component, dst.component)) continue;
          for (const port of portsOf(e, dst.component)) assert.ok(allowed(policies, src, dst, port), `${e.result.namespace}: ${src.component} -> ${dst.component}:${port}`);
          assert.ok(allowed(policies, src, dst, HBONE), `${e.result.namespace}: ${src.component} -> ${dst.component}:15008`);
          assert.ok(reachMesh(policies, src, dst), `${e.result.namespace}: ${src.component} -> ${dst.component} through ztunnel`);
          edges++;
        }
      }
    });
    // web->api, api->cache, api->model, worker->cache, worker->api, reports->api in 18 environments.
    assert.equal(edges, 6 * plain.length);
  });

  it('nothing else: every non-edge pair of pods is closed on every port of the destination and on 15008', () => {
    plain.forEach((e, i) => {
      for (const src of pods[i]!) {
        for (const dst of pods[i]!) {
          if (src === dst || talksTo(e, src.component, dst.component)) continue;
          for (const port of [...portsOf(e, dst.component), HBONE]) assert.ok(!allowed(policies, src, dst, port), `${e.result.namespace}: ${src.component} -> ${dst.component}:${port} must be closed`);
        }
      }
    });
  });

  it('cross-tenant: no pod of one environment reaches any pod of another, on any port or through the mesh', () => {
    const all = pods.flat();
    const ports = [6379, 8000, 8080, 9090, HBONE, 5432, 443];
    let pairs = 0;
    for (const src of all) {
      for (const dst of all) {
        if (src.namespace === dst.namespace) continue;
        for (const port of ports) assert.ok(!allowed(policies, src, dst, port), `${src.namespace}/${src.component} -> ${dst.namespace}/${dst.component}:${port}`);
        pairs++;
      }
    }
    assert.ok(pairs > 1000);
  });

  it('another tenant cannot reach this tenant\'s cache even from a namespace without policies', () => {
    const cache = pods[0]!.find((p) => p.component === 'cache')!;
    const stranger = platformPod('other-team', {}, '10.244.200.1');
    assert.ok(!allowed(policies, stranger, cache, 6379));
    assert.ok(!reachMesh(policies, stranger, cache));
    const api = pods[0]!.find((p) => p.component === 'api')!;
    assert.ok(allowed(policies, api, cache, 6379) && reachMesh(policies, api, cache), 'the tenant\'s own api still can');
  });

  it('the gateway reaches exposed components on their port and 15008, Prometheus the metrics ports; neither the cache', () => {
    const gw = platformPod('gateway-system', {}, '10.244.250.1');
    const prom = platformPod('monitoring', {}, '10.244.250.2');
    const byName = (name: string) => pods[0]!.find((p) => p.component === name)!;
    for (const name of ['web', 'api']) for (const port of [8080, HBONE]) assert.ok(allowed(policies, gw, byName(name), port), `gateway -> ${name}:${port}`);
    assert.ok(!allowed(policies, gw, byName('model'), 8000) && !allowed(policies, gw, byName('cache'), 6379));
    assert.ok(allowed(policies, prom, byName('worker'), 9090) && allowed(policies, prom, byName('model'), 8000));
    assert.ok(!allowed(policies, prom, byName('cache'), 6379));
  });

  it('egress is narrow: DNS (kube-dns and NodeLocal DNSCache), the declared targets, the API server; no rule to anywhere', () => {
    const byName = (name: string) => pods[0]!.find((p) => p.component === name)!;
    const dns = platformPod('kube-system', {}, '10.96.0.10');
    dns.labels['k8s-app'] = 'kube-dns';
    const nodeLocal = platformPod('kube-system', {}, '169.254.20.10');
    for (const p of pods[0]!) {
      assert.ok(allowed(policies, p, dns, 53, 'UDP') && allowed(policies, p, { ...nodeLocal, labels: {} }, 53, 'UDP'), `${p.component}: DNS`);
    }
    const db = platformPod('outside', {}, '10.20.1.5');
    const elsewhere = platformPod('outside', {}, '10.30.1.5');
    const metadata = platformPod('outside', {}, '169.254.169.254');
    assert.ok(allowed(policies, byName('api'), db, 5432) && !allowed(policies, byName('api'), elsewhere, 5432), 'database CIDR only, not all of 10/8');
    assert.ok(!allowed(policies, byName('api'), metadata, 443) && !allowed(policies, byName('api'), metadata, 80), 'no cloud metadata endpoint');
    const apiServer = platformPod('default', {}, '10.96.0.1');
    assert.ok(allowed(policies, byName('worker'), apiServer, 443), 'kubeAccess: the API server');
    assert.ok(!allowed(policies, byName('worker'), platformPod('outside', {}, '8.8.8.8'), 443), 'kubeAccess is not 443 to the internet');
    for (const p of policies) for (const r of ((p.spec as { egress?: Array<{ to?: unknown[] }> }).egress ?? [])) assert.ok(r.to && r.to.length > 0, `${p.metadata.namespace}/${p.metadata.name}: an egress rule without destinations`);
  });
});

describe('with a waypoint (ambient L7)', () => {
  const wpPolicies = policiesOf(withWaypoint);
  const wpPods = withWaypoint.map((e, i) => podsOf(e.result, i));
  const waypointOf = (e: SpreadEnv, i: number): SimPod => ({
    component: 'waypoint', namespace: e.result.namespace, nsLabels: wpPods[i]![0]!.nsLabels,
    labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' }, ip: `10.244.${i}.200`,
  });

  it('renders the waypoint Gateway and enrolls the namespace; every edge goes src -> waypoint -> dst on 15008', () => {
    withWaypoint.forEach((e, i) => {
      const objects = e.result.objects.map((o) => o.object);
      assert.equal(objects.find((o) => o.kind === 'Gateway')?.metadata.name, 'waypoint');
      assert.equal(objects[0]!.metadata.labels?.['istio.io/use-waypoint'], 'waypoint');
      const wp = waypointOf(e, i);
      for (const src of wpPods[i]!) {
        for (const dst of wpPods[i]!) {
          if (talksTo(e, src.component, dst.component)) assert.ok(reachMesh(wpPolicies, src, dst, wp), `${src.component} -> waypoint -> ${dst.component}`);
        }
      }
    });
  });

  it('another tenant cannot use this tenant\'s waypoint to reach its pods', () => {
    const wp = waypointOf(withWaypoint[0]!, 0);
    const cache = wpPods[0]!.find((p) => p.component === 'cache')!;
    for (const src of wpPods[1]!) {
      assert.ok(!allowed(wpPolicies, src, wp, HBONE), `${src.namespace}/${src.component} -> foreign waypoint`);
      assert.ok(!reachMesh(wpPolicies, src, cache, wp));
    }
  });
});
