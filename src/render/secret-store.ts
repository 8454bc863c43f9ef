// Each environment's own SecretStore (docs/isolation.md, "Secrets"). external-secrets reads remote
// secrets with the credentials of the store an ExternalSecret names; a cluster-wide store would let
// anything that can create an ExternalSecret in any tenant namespace read every tenant's keys. So the
// renderer gives every environment a namespaced SecretStore per store name its blueprint references,
// authenticating to Vault as the environment's own ServiceAccount through a Vault role named after
// the namespace, whose policy covers `tenants/<tenant>/<env>/*` only (the annotation tells the
// platform's Vault provisioning what to grant). The renderer also refuses remote keys outside that
// path (context.ts), so a wrong key fails at render time, not at sync.
import type { KubeObject } from '../domain/types.ts';
import { secretKeyPrefix } from './context.ts';
import { envLabels, meta, obj } from './meta.ts';
import type { RenderContext } from './types.ts';

/** The ServiceAccount each environment's SecretStore authenticates as. */
export const SECRET_READER = 'secret-reader';
export const VAULT_POLICY_ANNOTATION = 'fleetplane.io/vault-policy-path';

/** Store names the environment's ExternalSecrets reference, sorted, once each. */
export function storesOf(ctx: RenderContext): string[] {
  const names = new Set<string>();
  for (const c of ctx.components) for (const s of c.secrets) if (s.external) names.add(s.external.store);
  return [...names].sort();
}

export function renderSecretStores(ctx: RenderContext): KubeObject[] {
  const stores = storesOf(ctx);
  if (stores.length === 0) return [];
  const labels = envLabels(ctx);
  const st = ctx.platform.secretStore;
  const policyPath = `${st.kvMount}/data/${secretKeyPrefix(ctx.tenant.slug, ctx.env.name)}*`;
  const out: KubeObject[] = [obj('v1', 'ServiceAccount', meta(ctx, SECRET_READER, labels), { automountServiceAccountToken: false })];
  for (const name of stores) {
    const vault = {
      auth: { kubernetes: { mountPath: st.authMountPath, role: ctx.namespace, serviceAccountRef: { name: SECRET_READER } } },
      path: st.kvMount,
      server: st.server,
      version: 'v2',
    };
    out.push(obj(ctx.platform.externalSecretsApiVersion, 'SecretStore', meta(ctx, name, labels, { [VAULT_POLICY_ANNOTATION]: policyPath }), { spec: { provider: { vault } } }));
  }
  return out;
}
