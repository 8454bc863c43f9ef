// API tokens (admin only). The secret is returned on creation; the store keeps only a hash. With an
// Idempotency-Key the creation's response (secret included) is also kept, sealed with the store's
// secret key, for TOKEN_REPLAY_SECONDS, so a client whose answer was lost gets the same token
// again (docs/adr/0304-idempotency-records-and-token-replay.md). A token may expire (ttlSeconds, capped
// by FLEETPLANE_TOKEN_MAX_TTL) and be rotated: POST /v1/tokens/{id}:rotate gives the same token a new
// secret, the old one working for an optional grace period. Times come from ApiDeps.now.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { NewToken, Store, StoreTx, TokenRecord } from '../../domain/ports/store.ts';
import { tokenTarget } from '../../adapters/store/tokens.ts';
import { ConflictError } from '../../domain/errors.ts';
import { IssueList } from '../../domain/validation.ts';
import { assertCanAct, newTokenSecret, notFound, principal } from '../auth.ts';
import type { ApiDeps, RouteModule } from '../context.ts';
import { keyedRequest, markReplayed, type KeyedRequest } from '../http.ts';
import { assertKeyStartedNoOperation, assertSameRequest } from '../services/idempotency.ts';
import { IdempotencyHeaders, NoContent, TokenCreate, TokenRotate } from '../schemas.ts';
import { audit } from '../audit.ts';
import { ListOf, TokenSchema, TokenWithSecretSchema } from '../responses.ts';

const tags = ['tokens'];

/** How long a keyed creation can be replayed (and its sealed secret kept): one day. */
export const TOKEN_REPLAY_SECONDS = 24 * 3600;

interface Created {
  token: TokenRecord;
  secret: string;
}

/** The kept answer to an earlier request with this key, or null when the key is new. */
async function replay(store: Store, keyed: KeyedRequest): Promise<Created | null> {
  const rec = await store.idempotency.get(keyed.key);
  if (!rec) {
    // The key already started an Operation (another route): not this request.
    await assertKeyStartedNoOperation(store, keyed.key);
    return null;
  }
  assertSameRequest(rec.requestHash, keyed.requestHash);
  if (rec.response === null) {
    const id = rec.target.replace(/^token\//, '');
    throw new ConflictError(`token "${id}" issued under this Idempotency-Key was revoked or rotated (its kept secret is gone); send a new key`, [
      { field: 'header:idempotency-key', message: `its token "${id}" was revoked or rotated` },
    ]);
  }
  return rec.response as Created;
}

interface Issue {
  status: number;
  /** Writes the token (inside the transaction) and returns it. */
  write(tx: StoreTx, secret: string): Promise<TokenRecord>;
}

/** Writes a token with a fresh secret and, when keyed, its idempotency record in one transaction. */
async function issue(store: Store, op: Issue, keyed: KeyedRequest | undefined): Promise<Created & { fresh: boolean }> {
  const secret = newTokenSecret();
  try {
    return await store.tx(async (tx) => {
      const token = await op.write(tx, secret);
      const created = { token, secret };
      if (keyed) {
        const rec = { ...keyed, status: op.status, target: tokenTarget(token.id), location: `/v1/tokens/${token.id}`, response: created, ttlSeconds: TOKEN_REPLAY_SECONDS };
        // Lost the race to a concurrent request with the same key: roll this write back.
        if (!(await tx.idempotency.put(rec))) throw new ConflictError('a concurrent request holds this Idempotency-Key; retry');
      }
      return { ...created, fresh: true };
    });
  } catch (err) {
    const late = err instanceof ConflictError && keyed ? await replay(store, keyed) : null;
    if (late) return { ...late, fresh: false };
    throw err;
  }
}

/** When a token given ttlSeconds now expires: at most the configured maximum, which is also the default. */
export function tokenExpiry(now: Date, ttlSeconds: number | undefined, maxTtlSeconds: number | undefined): string | null {
  if (ttlSeconds !== undefined && maxTtlSeconds !== undefined && ttlSeconds > maxTtlSeconds) {
    new IssueList().check('/ttlSeconds', `must be at most ${maxTtlSeconds} (FLEETPLANE_TOKEN_MAX_TTL)`).throwIfAny();
  }
  const ttl = ttlSeconds ?? maxTtlSeconds;
  return ttl === undefined ? null : new Date(now.getTime() + ttl * 1000).toISOString();
}

async function validate(store: Store, body: TokenCreate): Promise<void> {
  const { role, tenant } = body;
  const issues = new IssueList();
  if (role === 'admin' && tenant) issues.check('/tenant', 'an admin token has no tenant');
  if (role !== 'admin' && !tenant) issues.check('/tenant', `is required for a ${role} token`);
  issues.throwIfAny();
  if (tenant) {
    const found = await store.tenants.get(tenant);
    if (!found || found.deletedAt) new IssueList().check('/tenant', `tenant "${tenant}" does not exist`).throwIfAny();
  }
}

/**
 * Revoking the last admin token that still works would lock every admin out for good: a revoked
 * bootstrap token (FLEETPLANE_ADMIN_TOKEN) stays revoked across restarts. 409 until another exists.
 * (A check before the write: two revocations of the last two admin tokens at once can both pass.)
 */
function assertNotLastAdmin(target: TokenRecord, tokens: readonly TokenRecord[], now: Date): void {
  if (target.role !== 'admin') return;
  const live = (t: TokenRecord) => t.role === 'admin' && (t.expiresAt === null || Date.parse(t.expiresAt) > now.getTime());
  if (!tokens.some((t) => t.id !== target.id && live(t))) {
    throw new ConflictError(`token "${target.id}" is the last admin token that works: revoking it would lock every admin out; create another admin token first`, [
      { field: 'id', message: 'the last working admin token' },
    ]);
  }
}

/** Replays are checked before validation: the answer to the first request stands as it was. */
async function replayOrCreate(deps: ApiDeps, body: TokenCreate, keyed: KeyedRequest | undefined): Promise<Created & { fresh: boolean }> {
  const { store } = deps;
  const prior = keyed ? await replay(store, keyed) : null;
  if (prior) return { ...prior, fresh: false };
  const expiresAt = tokenExpiry(deps.now(), body.ttlSeconds, deps.tokenMaxTtlSeconds);
  await validate(store, body);
  const t: NewToken = { name: body.name, role: body.role, tenant: body.tenant ?? null, expiresAt };
  return issue(store, { status: 201, write: (tx, secret) => tx.tokens.create(t, secret) }, keyed);
}

/** The token the caller may rotate: another tenant's (or an admin's) is a 404, a viewer's own tenant a 403. */
async function rotatable(store: Store, req: FastifyRequest, id: string): Promise<TokenRecord> {
  const token = await store.tokens.get(id);
  const what = `token "${id}"`;
  if (!token) throw notFound(what);
  if (token.tenant === null) {
    if (principal(req).kind !== 'admin') throw notFound(what);
  } else {
    assertCanAct(req, token.tenant, what);
  }
  return token;
}

/** A new secret for the token; the old one works until the grace ends (never past its own expiry). */
async function replayOrRotate(deps: ApiDeps, req: FastifyRequest, id: string, body: TokenRotate, keyed: KeyedRequest | undefined): Promise<Created & { fresh: boolean }> {
  const { store } = deps;
  const prior = keyed ? await replay(store, keyed) : null;
  if (prior) return { ...prior, fresh: false };
  const token = await rotatable(store, req, id);
  const now = deps.now();
  const expiresAt = tokenExpiry(now, body.ttlSeconds, deps.tokenMaxTtlSeconds);
  const grace = body.graceSeconds ?? 0;
  const graceEnd = grace > 0 ? Math.min(now.getTime() + grace * 1000, token.expiresAt ? Date.parse(token.expiresAt) : Infinity) : null;
  const previousValidUntil = graceEnd !== null && graceEnd > now.getTime() ? new Date(graceEnd).toISOString() : null;
  return issue(store, {
    status: 200,
    async write(tx, secret) {
      // The kept answers carrying the old secret (creation or an earlier rotation) are destroyed.
      await tx.idempotency.forget(tokenTarget(id));
      const rotated = await tx.tokens.rotate(id, secret, { at: now.toISOString(), expiresAt, previousValidUntil });
      if (!rotated) throw notFound(`token "${id}"`);
      return rotated;
    },
  }, keyed);
}

const routes: RouteModule = (app, deps) => {
  const { store } = deps;
  app.post('/v1/tokens', {
    config: { auth: 'admin' },
    schema: {
      tags, body: TokenCreate, headers: IdempotencyHeaders, response: { 201: TokenWithSecretSchema },
      summary: 'Create a token; the response carries the secret (a retry with the same Idempotency-Key within 24 h gets the same token and secret)',
    },
  }, async (req, reply) => {
    const { token, secret, fresh } = await replayOrCreate(deps, req.body, keyedRequest(req));
    if (fresh) await audit(store, req, { action: 'token.create', tenant: token.tenant, target: `token/${token.id}`, detail: { role: token.role } });
    markReplayed(reply, !fresh);
    return reply.status(201).header('location', `/v1/tokens/${token.id}`).header('cache-control', 'no-store').send({ token, secret });
  });

  app.post('/v1/tokens/:id(^[A-Za-z0-9_-]+)::rotate', {
    schema: {
      tags, body: TokenRotate, headers: IdempotencyHeaders, params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }), response: { 200: TokenWithSecretSchema },
      summary: 'Rotate a token: a new secret for the same token (role, tenant); the old secret works for graceSeconds, then answers 401. Admins rotate any token, a tenant-admin its own tenant\'s',
    },
  }, async (req, reply) => {
    const { token, secret, fresh } = await replayOrRotate(deps, req, req.params.id, req.body, keyedRequest(req));
    if (fresh) await audit(store, req, { action: 'token.rotate', tenant: token.tenant, target: `token/${token.id}`, detail: { graceSeconds: req.body.graceSeconds ?? 0 } });
    markReplayed(reply, !fresh);
    return reply.status(200).header('cache-control', 'no-store').send({ token, secret });
  });

  app.get('/v1/tokens', { config: { auth: 'admin' }, schema: { tags, summary: 'List tokens (never their secrets)', response: { 200: ListOf(TokenSchema, 'Every token') } } }, async () => ({ items: await store.tokens.list() }));

  app.delete('/v1/tokens/:id', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Revoke a token (a kept idempotent response with its secret is destroyed too)', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }), response: { 204: NoContent } },
  }, async (req, reply) => {
    const tokens = await store.tokens.list();
    const target = tokens.find((t) => t.id === req.params.id);
    if (!target) throw notFound(`token "${req.params.id}"`);
    assertNotLastAdmin(target, tokens, deps.now());
    await store.tokens.revoke(req.params.id);
    await audit(store, req, { action: 'token.revoke', target: `token/${req.params.id}` });
    return reply.status(204).send(null);
  });
};

export default routes;
