// What a registered cluster's kubeconfig may contain. Only inline data is accepted: a server URL,
// CA/client certificate data, a bearer token or basic auth. An `exec` credential plugin or an
// `auth-provider` would run a program (or a provider's code path) as the control plane's user, and a
// file reference (token-file, client-key, certificate-authority...) reads the control plane's own
// disk, so both are refused, the way Argo CD and Rancher restrict cluster secrets (issue #14). The
// check is an allowlist: a field it does not know is refused too, naming it.
import YAML from 'yaml';

export interface CredentialIssue {
  /** JSON pointer into the kubeconfig, e.g. /users/0/user/exec. */
  field: string;
  message: string;
}

const TOP = new Set(['apiVersion', 'kind', 'clusters', 'users', 'contexts', 'current-context', 'preferences']);
const CLUSTER = new Set(['server', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name']);
const USER = new Set(['token', 'client-certificate-data', 'client-key-data', 'username', 'password']);
const CONTEXT = new Set(['cluster', 'user', 'namespace']);

/** Why each refused key is refused: the ones an attacker reaches for get a precise reason. */
const REFUSED: Record<string, string> = {
  exec: 'exec credential plugins would run a program on the control plane; use an inline token or client certificate',
  'auth-provider': 'auth providers run on the control plane; use an inline token or client certificate',
  'token-file': 'file references read the control plane\'s disk; send the token inline (token)',
  tokenFile: 'file references read the control plane\'s disk; send the token inline (token)',
  'client-certificate': 'file references read the control plane\'s disk; use client-certificate-data',
  'client-key': 'file references read the control plane\'s disk; use client-key-data',
  'certificate-authority': 'file references read the control plane\'s disk; use certificate-authority-data',
  'proxy-url': 'a proxy would route the control plane\'s cluster traffic elsewhere',
  as: 'impersonation is not accepted in stored credentials',
  'as-groups': 'impersonation is not accepted in stored credentials',
  'as-uid': 'impersonation is not accepted in stored credentials',
  'as-user-extra': 'impersonation is not accepted in stored credentials',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(o: unknown, allowed: Set<string>, at: string, out: CredentialIssue[]): void {
  if (!isObj(o)) {
    out.push({ field: at, message: 'must be a mapping' });
    return;
  }
  for (const key of Object.keys(o)) {
    if (allowed.has(key)) continue;
    if (key === 'extensions') continue; // metadata for tools, never read by the client
    out.push({ field: `${at}/${key}`, message: REFUSED[key] ?? `"${key}" is not accepted in stored cluster credentials` });
  }
}

function checkList(doc: Obj, list: string, inner: string, allowed: Set<string>, out: CredentialIssue[]): void {
  const items = doc[list];
  if (items === undefined || items === null) return;
  if (!Array.isArray(items)) {
    out.push({ field: `/${list}`, message: 'must be a list' });
    return;
  }
  items.forEach((item, i) => {
    if (!isObj(item)) return void out.push({ field: `/${list}/${i}`, message: 'must be a mapping' });
    checkKeys(item, new Set(['name', inner, 'extensions']), `/${list}/${i}`, out);
    if (item[inner] !== undefined) checkKeys(item[inner], allowed, `/${list}/${i}/${inner}`, out);
  });
}

/** Every reason `kubeconfig` may not be stored; empty when it is inline-only. */
export function kubeconfigIssues(kubeconfig: string): CredentialIssue[] {
  let doc: unknown;
  try {
    doc = YAML.parse(kubeconfig, { uniqueKeys: true, maxAliasCount: 0 });
  } catch (err) {
    return [{ field: '', message: `not a kubeconfig: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}` }];
  }
  if (!isObj(doc)) return [{ field: '', message: 'not a kubeconfig: expected a mapping' }];
  const out: CredentialIssue[] = [];
  checkKeys(doc, TOP, '', out);
  checkList(doc, 'clusters', 'cluster', CLUSTER, out);
  checkList(doc, 'users', 'user', USER, out);
  checkList(doc, 'contexts', 'context', CONTEXT, out);
  return out;
}

export class CredentialPolicyError extends Error {
  constructor(readonly issues: CredentialIssue[]) {
    super(`cluster credentials refused: ${issues.map((i) => `${i.field || '/'}: ${i.message}`).join('; ')}`);
  }
}

/** Throws CredentialPolicyError unless `kubeconfig` carries inline credentials only. */
export function assertInlineKubeconfig(kubeconfig: string): void {
  const issues = kubeconfigIssues(kubeconfig);
  if (issues.length > 0) throw new CredentialPolicyError(issues);
}
