// Bearer-token auth. Admin tokens see everything; tenant tokens (tenant-admin, tenant-viewer) see
// only their own tenant. Another tenant's resource is always answered 404 exactly as if it did not
// exist, so a tenant token learns nothing about other tenants. Admin-only routes (clusters, tokens,
// events, blueprint publishing, tenant creation) answer 403 to tenant tokens: those routes exist
// for everyone (they are in /openapi.json), so 403 reveals nothing about any tenant.
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../domain/errors.ts';
import type { Store, TokenMatch, TokenRecord } from '../domain/ports/store.ts';
import { generateTokenSecret } from '../adapters/store/tokens.ts';

export type AuthMode = 'public' | 'authenticated' | 'admin';

export type Principal =
  | { kind: 'admin'; tokenId: string; name: string }
  | { kind: 'tenant'; tokenId: string; name: string; tenant: string; role: 'tenant-admin' | 'tenant-viewer' };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call this route; default 'authenticated'. */
    auth?: AuthMode;
  }
}

/** Only the admin role is admin: a tenant role without a tenant is refused, never widened. */
export function principalOf(t: TokenRecord): Principal | null {
  if (t.role === 'admin') return { kind: 'admin', tokenId: t.id, name: t.name };
  if (!t.tenant) return null;
  return { kind: 'tenant', tokenId: t.id, name: t.name, tenant: t.tenant, role: t.role };
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/**
 * Why a matched secret no longer authenticates at `now`, or null when it does: the token expired, or
 * the secret is a rotated-away one past its grace period. The clock is the caller's (ApiDeps.now).
 */
export function tokenRefusal(m: TokenMatch, now: Date): string | null {
  const t = now.getTime();
  if (m.previousValidUntil !== null && t >= Date.parse(m.previousValidUntil)) {
    return `token expired: this secret was rotated and its grace period ended at ${m.previousValidUntil}; use the new secret`;
  }
  if (m.token.expiresAt !== null && t >= Date.parse(m.token.expiresAt)) return `token expired at ${m.token.expiresAt}`;
  return null;
}

/** onRequest hook: resolves the principal and enforces the route's auth mode. */
export function authHook(store: Store, now: () => Date) {
  return async (req: FastifyRequest): Promise<void> => {
    const mode = req.routeOptions.config?.auth ?? 'authenticated';
    if (mode === 'public') return;
    const secret = bearerToken(req.headers.authorization);
    if (!secret) throw new UnauthorizedError('missing bearer token: send Authorization: Bearer <token>');
    const match = await store.tokens.match(secret);
    const who = match ? principalOf(match.token) : null;
    if (!match || !who) throw new UnauthorizedError('invalid or revoked token');
    const refusal = tokenRefusal(match, now());
    if (refusal) throw new UnauthorizedError(refusal);
    req.principal = who;
    if (mode === 'admin') requireAdmin(req);
  };
}

export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new UnauthorizedError('missing bearer token');
  return req.principal;
}

export function requireAdmin(req: FastifyRequest): void {
  if (principal(req).kind !== 'admin') throw new ForbiddenError('this route needs an admin token');
}

export function notFound(what: string): NotFoundError {
  return new NotFoundError(`${what} not found`);
}

/** Throws the same 404 a missing tenant gets when the caller may not see `tenant`. */
export function assertCanSee(req: FastifyRequest, tenant: string, what = `tenant "${tenant}"`): void {
  const p = principal(req);
  if (p.kind === 'tenant' && p.tenant !== tenant) throw notFound(what);
}

/** Visibility first (404), then the role (403): a viewer can read but not act. */
export function assertCanAct(req: FastifyRequest, tenant: string, what = `tenant "${tenant}"`): void {
  assertCanSee(req, tenant, what);
  const p = principal(req);
  if (p.kind === 'tenant' && p.role !== 'tenant-admin') throw new ForbiddenError('a tenant-viewer token can only read');
}

/** The tenant filter a list route must apply: the caller's own tenant, or the requested one for admins. */
export function tenantFilter(req: FastifyRequest, requested?: string): string | undefined {
  const p = principal(req);
  return p.kind === 'tenant' ? p.tenant : requested;
}

/** A fresh token secret, in the store's format (ADR 0201: fp_ + 32 random bytes). */
export function newTokenSecret(): string {
  return generateTokenSecret();
}

/**
 * First start: when no token exists, create an admin token from FLEETPLANE_ADMIN_TOKEN or a fresh
 * secret. A generated secret is written once to `print` (stderr), never through the logger.
 * A preset token is also ensured on later starts so the env var keeps working, unless it was revoked.
 */
export async function bootstrapAdminToken(store: Store, opts: { preset?: string | undefined; print: (line: string) => void }): Promise<'created' | 'present' | 'revoked'> {
  if (opts.preset) {
    if (await store.tokens.verify(opts.preset)) return 'present';
    // Revoked through the API: it stays revoked, and the server still starts (it used to fail on
    // the duplicate key). The variable is then ignored; say so once.
    if (await store.tokens.wasRevoked(opts.preset)) {
      opts.print('fleetplane: FLEETPLANE_ADMIN_TOKEN names a revoked or rotated-away token; it stays revoked (unset the variable or create a new admin token)');
      return 'revoked';
    }
    await store.tokens.create({ name: 'bootstrap-admin', tenant: null, role: 'admin' }, opts.preset);
    return 'created';
  }
  if ((await store.tokens.count()) > 0) return 'present';
  const secret = newTokenSecret();
  await store.tokens.create({ name: 'bootstrap-admin', tenant: null, role: 'admin' }, secret);
  opts.print(`fleetplane: created the bootstrap admin token (shown once, store it now): ${secret}`);
  return 'created';
}
