// ConfigMaps from component config, and secrets strictly by reference: ExternalSecret objects that
// tell external-secrets which remote key to sync, or nothing at all when the customer provides the
// Secret. No Secret object and no secret value ever leaves the renderer.
import type { KubeObject } from '../domain/types.ts';
import { canonicalJson, sha256Hex } from '../domain/canonical.ts';
import { componentLabels, envLabels, meta, obj } from './meta.ts';
import type { RenderContext, ResolvedComponent } from './types.ts';

export function configMapName(c: ResolvedComponent): string {
  return `${c.spec.name}-config`;
}

export function hasConfig(c: ResolvedComponent): boolean {
  return Object.keys(c.config).length > 0;
}

/** Pod-template annotation value: changes whenever the component's config changes, so pods roll. */
export function configHash(config: Record<string, string>): string {
  return sha256Hex(canonicalJson(config)).slice(0, 16);
}

function externalSecrets(ctx: RenderContext): KubeObject[] {
  const seen = new Set<string>();
  const out: KubeObject[] = [];
  for (const c of ctx.components) {
    for (const s of c.secrets) {
      if (!s.external || seen.has(s.secretName)) continue;
      seen.add(s.secretName);
      const { store, storeKind, key, properties } = s.external;
      const source = properties.length > 0
        ? { data: properties.map((p) => ({ remoteRef: { key, property: p }, secretKey: p })) }
        : { dataFrom: [{ extract: { key } }] };
      out.push(obj(ctx.platform.externalSecretsApiVersion, 'ExternalSecret', meta(ctx, s.secretName, envLabels(ctx)), {
        spec: { ...source, refreshInterval: '1h', secretStoreRef: { kind: storeKind, name: store }, target: { creationPolicy: 'Owner', name: s.secretName } },
      }));
    }
  }
  return out;
}

export function renderConfig(ctx: RenderContext): KubeObject[] {
  const out: KubeObject[] = [];
  for (const c of ctx.components) {
    if (c.spec.kind === 'helm-chart' || !hasConfig(c)) continue;
    out.push(obj('v1', 'ConfigMap', meta(ctx, configMapName(c), componentLabels(ctx, c)), { data: { ...c.config } }));
  }
  return [...out, ...externalSecrets(ctx)];
}
