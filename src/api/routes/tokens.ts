// API tokens (admin only). The secret is returned on creation; the store keeps only a hash. With an
// Idempotency-Key the creation's response (secret included) is also kept, sealed with the store's
// secret key, for TOKEN_REPLAY_SECONDS, so a client whose answer was lost gets the same token
// again (docs/adr/0304-idempotency-records-and-token-replay.md).
import { Type } from '@sinclair/typebox';
import type { Store, TokenRecord } from '../../domain/ports/store.ts';
import { tokenTarget } from '../../adapters/store/tokens.ts';
import { ConflictError } from '../../domain/errors.ts';
import { IssueList } from '../../domain/validation.ts';
import { newTokenSecret, notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { keyedRequest, markReplayed, type KeyedRequest } from '../http.ts';
import { assertKeyStartedNoOperation, assertSameRequest } from '../services/idempotency.ts';
import { IdempotencyHeaders, TokenCreate } from '../schemas.ts';
import { audit } from '../audit.ts';

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
    throw new ConflictError(`token "${id}" created under this Idempotency-Key was revoked; send a new key to create another token`, [
      { field: 'header:idempotency-key', message: `its token "${id}" was revoked` },
    ]);
  }
  return rec.response as Created;
}

/** Creates the token and, when keyed, its idempotency record in one transaction. */
async function create(store: Store, t: Omit<TokenRecord, 'id' | 'createdAt'>, keyed: KeyedRequest | undefined): Promise<Created & { fresh: boolean }> {
  const secret = newTokenSecret();
  try {
    return await store.tx(async (tx) => {
      const token = await tx.tokens.create(t, secret);
      const created = { token, secret };
      if (keyed) {
        const rec = { ...keyed, status: 201, target: tokenTarget(token.id), location: `/v1/tokens/${token.id}`, response: created, ttlSeconds: TOKEN_REPLAY_SECONDS };
        // Lost the race to a concurrent request with the same key: roll this token back.
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

/** Replays are checked before validation: the answer to the first request stands as it was. */
async function replayOrCreate(store: Store, body: TokenCreate, keyed: KeyedRequest | undefined): Promise<Created & { fresh: boolean }> {
  const prior = keyed ? await replay(store, keyed) : null;
  if (prior) return { ...prior, fresh: false };
  await validate(store, body);
  return create(store, { name: body.name, role: body.role, tenant: body.tenant ?? null }, keyed);
}

const routes: RouteModule = (app, { store }) => {
  app.post('/v1/tokens', {
    config: { auth: 'admin' },
    schema: {
      tags, body: TokenCreate, headers: IdempotencyHeaders,
      summary: 'Create a token; the response carries the secret (a retry with the same Idempotency-Key within 24 h gets the same token and secret)',
    },
  }, async (req, reply) => {
    const { token, secret, fresh } = await replayOrCreate(store, req.body, keyedRequest(req));
    if (fresh) await audit(store, req, { action: 'token.create', tenant: token.tenant, target: `token/${token.id}`, detail: { role: token.role } });
    markReplayed(reply, !fresh);
    return reply.status(201).header('location', `/v1/tokens/${token.id}`).header('cache-control', 'no-store').send({ token, secret });
  });

  app.get('/v1/tokens', { config: { auth: 'admin' }, schema: { tags, summary: 'List tokens (never their secrets)' } }, async () => ({ items: await store.tokens.list() }));

  app.delete('/v1/tokens/:id', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Revoke a token (a kept idempotent response with its secret is destroyed too)', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }) },
  }, async (req, reply) => {
    const known = (await store.tokens.list()).some((t) => t.id === req.params.id);
    if (!known) throw notFound(`token "${req.params.id}"`);
    await store.tokens.revoke(req.params.id);
    await audit(store, req, { action: 'token.revoke', target: `token/${req.params.id}` });
    return reply.status(204).send();
  });
};

export default routes;
