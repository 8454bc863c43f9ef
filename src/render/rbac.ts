// Identity and access: one ServiceAccount per component (no token mounted unless the component
// declares kubeAccess), a Role + RoleBinding holding exactly the declared rules, and a namespaced
// `tenant-admin` Role bound to the tenant's admin group: read everything but Secrets, restart pods.
import { tenantAdminGroup } from '../domain/naming.ts';
import type { KubeObject } from '../domain/types.ts';
import { componentLabels, envLabels, meta, obj } from './meta.ts';
import type { RenderContext, ResolvedComponent } from './types.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';
const READ = ['get', 'list', 'watch'];

/** What a customer admin may do in their own namespace. No secrets, no writes but restarts. */
export const TENANT_ADMIN_RULES = [
  { apiGroups: [''], resources: ['pods', 'pods/log', 'services', 'endpoints', 'configmaps', 'events', 'persistentvolumeclaims', 'resourcequotas', 'limitranges', 'serviceaccounts'], verbs: READ },
  { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: READ },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: READ },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies', 'ingresses'], verbs: READ },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: READ },
  { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: READ },
  { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors', 'prometheusrules'], verbs: READ },
];

export function needsToken(c: ResolvedComponent): boolean {
  return (c.spec.kubeAccess?.length ?? 0) > 0;
}

function componentRbac(ctx: RenderContext, c: ResolvedComponent): KubeObject[] {
  const labels = componentLabels(ctx, c);
  const name = c.spec.name;
  const out = [obj('v1', 'ServiceAccount', meta(ctx, name, labels), { automountServiceAccountToken: needsToken(c) })];
  if (!needsToken(c)) return out;
  out.push(obj(RBAC, 'Role', meta(ctx, name, labels), { rules: c.spec.kubeAccess }));
  out.push(obj(RBAC, 'RoleBinding', meta(ctx, name, labels), {
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: ctx.namespace }],
  }));
  return out;
}

export function renderRbac(ctx: RenderContext): KubeObject[] {
  const labels = envLabels(ctx);
  const out: KubeObject[] = [
    obj(RBAC, 'Role', meta(ctx, 'tenant-admin', labels), { rules: TENANT_ADMIN_RULES }),
    obj(RBAC, 'RoleBinding', meta(ctx, 'tenant-admin', labels), {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tenant-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: tenantAdminGroup(ctx.tenant.slug) }],
    }),
  ];
  for (const c of ctx.components) if (c.spec.kind !== 'helm-chart') out.push(...componentRbac(ctx, c));
  return out;
}
