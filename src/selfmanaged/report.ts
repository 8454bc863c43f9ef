// Install reports: what a self-managed customer's install did (version, preflight results, outcome),
// signed with the bundle-scoped report key that ships in the bundle (report.key). The same key is the
// bearer token of the one upload route, for that tenant and environment only (docs/self-managed.md).
// The server holds no table of keys: it derives each one again from its signer (Ed25519 signatures
// are deterministic), so only a Fleetplane holding the signing key can make or check one.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../domain/canonical.ts';
import type { Signer } from '../domain/ports/signer.ts';
import type { RolloutCheck } from './rollout.ts';

export interface PreflightCheck {
  name: string;
  ok: boolean;
  message: string;
}

export interface InstallReportBody {
  apiVersion: 'fleetplane.io/v1alpha1';
  kind: 'InstallReport';
  /** Unique per install attempt (the customer side makes it): importing the same report twice stores it once. */
  id: string;
  tenant: string;
  environment: string;
  revision: string;
  blueprint: string;
  version: string;
  /** installed: applied; refused: a check failed and nothing was applied; failed: applying failed. */
  result: 'installed' | 'refused' | 'failed';
  message: string;
  preflight: PreflightCheck[];
  kubernetesVersion: string | null;
  pruned: number;
  /** What the install waited for after applying (Deployments, StatefulSets, DaemonSets), as last seen; absent: nothing applied or an older CLI. */
  rollout?: RolloutCheck[];
  reportedAt: string;
}

export interface InstallReport extends InstallReportBody {
  /** HMAC-SHA256 (hex) of the canonical JSON of the body, with the report key. */
  signature: string;
}

const TOKEN = /^fpr1\.([a-z0-9][a-z0-9-]*)\.([a-z0-9][a-z0-9-]*)\.([0-9a-f]{64})$/;

function keyFor(signer: Signer, tenant: string, environment: string): string {
  return createHash('sha256').update(signer.sign(`fleetplane install-report key v1 ${tenant}/${environment}`)).digest('hex');
}

/** The report token shipped in a bundle: fpr1.<tenant>.<environment>.<key>. */
export function reportToken(signer: Signer, tenant: string, environment: string): string {
  return `fpr1.${tenant}.${environment}.${keyFor(signer, tenant, environment)}`;
}

export function parseReportToken(token: string): { tenant: string; environment: string; key: string } | null {
  const m = TOKEN.exec(token.trim());
  return m ? { tenant: m[1]!, environment: m[2]!, key: m[3]! } : null;
}

const mac = (key: string, body: InstallReportBody): string => createHmac('sha256', Buffer.from(key, 'hex')).update(canonicalJson(body)).digest('hex');

export function signReport(token: string, body: InstallReportBody): InstallReport {
  const t = parseReportToken(token);
  if (!t) throw new Error('report.key is not a Fleetplane report token');
  return { ...body, signature: mac(t.key, body) };
}

const same = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Server side: is `token` the report token of tenant/environment? */
export function tokenHolds(signer: Signer, token: string, tenant: string, environment: string): boolean {
  const t = parseReportToken(token);
  return !!t && t.tenant === tenant && t.environment === environment && same(t.key, keyFor(signer, tenant, environment));
}

/** Server side: was the report signed with its environment's report key? */
export function reportSignatureHolds(signer: Signer, report: InstallReport): boolean {
  const { signature, ...body } = report;
  return typeof signature === 'string' && same(signature, mac(keyFor(signer, report.tenant, report.environment), body));
}
