// In-memory Store for fast unit tests of the API's own logic (routing, validation, problem+json).
// NOT a backend: integration tests run on the real store (embedded PGlite and PostgreSQL).
import { createHash, randomUUID } from 'node:crypto';
import type { Page, PageRequest, Store, StoreTx, TokenRecord, BlueprintRelease } from '../../adapters/store/port.ts';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../domain/errors.ts';
import type { Cluster, Environment, Operation, Tenant } from '../../domain/types.ts';

function page<T>(all: T[], req: PageRequest): Page<T> {
  const start = req.cursor ? Number(req.cursor) : 0;
  const limit = req.limit ?? 50;
  const items = all.slice(start, start + limit);
  return start + limit < all.length ? { items, next: String(start + limit) } : { items };
}

const now = () => new Date().toISOString();
const clone = <T>(v: T): T => structuredClone(v);

export function memoryStore(): Store {
  const tenants = new Map<string, Tenant>();
  const envs = new Map<string, Environment>();
  const ops = new Map<string, Operation>();
  const clusters = new Map<string, Cluster>();
  const releases = new Map<string, BlueprintRelease>();
  const tokens = new Map<string, TokenRecord & { hash: string; revoked: boolean }>();
  const events = new Set<string>();
  const hash = (s: string) => createHash('sha256').update(s).digest('hex');

  const tx: StoreTx = {
    tenants: {
      async create(t) {
        if (tenants.has(t.slug)) throw new ConflictError(`tenant ${t.slug} exists`);
        const row: Tenant = { ...clone(t), resourceVersion: 1, createdAt: now(), updatedAt: now() };
        tenants.set(t.slug, row);
        return clone(row);
      },
      async get(slug) {
        return clone(tenants.get(slug) ?? null);
      },
      async list(req) {
        return page([...tenants.values()].filter((t) => !req.tenant || t.slug === req.tenant).map(clone), req);
      },
      async update(slug, patch, expected) {
        const t = tenants.get(slug);
        if (!t) throw new NotFoundError(slug);
        if (expected !== undefined && expected !== t.resourceVersion) throw new PreconditionFailedError('stale');
        const row = { ...t, ...clone(patch), slug, resourceVersion: t.resourceVersion + 1, updatedAt: now() };
        tenants.set(slug, row);
        return clone(row);
      },
      async markDeleted(slug) {
        const t = tenants.get(slug);
        if (t) t.deletedAt = now();
      },
    },
    environments: {
      async create(e) {
        const k = `${e.tenant}/${e.name}`;
        if (envs.has(k)) throw new ConflictError(`env ${k} exists`);
        const row: Environment = { ...clone(e), resourceVersion: 1, createdAt: now(), updatedAt: now() };
        envs.set(k, row);
        return clone(row);
      },
      async get(t, n) {
        return clone(envs.get(`${t}/${n}`) ?? null);
      },
      async list(f) {
        return page([...envs.values()].filter((e) => (!f.tenant || e.tenant === f.tenant) && (!f.cluster || e.placement.cluster === f.cluster)).map(clone), f);
      },
      async update(t, n, patch, expected) {
        const e = envs.get(`${t}/${n}`);
        if (!e) throw new NotFoundError(n);
        if (expected !== undefined && expected !== e.resourceVersion) throw new PreconditionFailedError('stale');
        const row = { ...e, ...clone(patch), resourceVersion: e.resourceVersion + 1 };
        envs.set(`${t}/${n}`, row);
        return clone(row);
      },
      async delete(t, n) {
        envs.delete(`${t}/${n}`);
      },
    },
    operations: {
      async create(op) {
        const prior = op.idempotencyKey ? [...ops.values()].find((o) => o.idempotencyKey === op.idempotencyKey) : undefined;
        if (prior) return { operation: clone(prior), created: false };
        const row: Operation = {
          id: randomUUID(), kind: op.kind, tenant: op.tenant, environment: op.environment ?? null, state: 'pending',
          idempotencyKey: op.idempotencyKey ?? null, params: clone(op.params), attempts: 0, requestId: op.requestId ?? null,
          steps: op.steps.map((name) => ({ name, state: 'pending', attempts: 0 })), createdAt: now(), updatedAt: now(),
        };
        ops.set(row.id, row);
        return { operation: clone(row), created: true };
      },
      async get(id) {
        return clone(ops.get(id) ?? null);
      },
      async findByIdempotencyKey(key) {
        return clone([...ops.values()].find((o) => o.idempotencyKey === key) ?? null);
      },
      async list(f) {
        const all = [...ops.values()].filter((o) => (!f.tenant || o.tenant === f.tenant) && (!f.state || o.state === f.state) && (!f.environment || o.environment === f.environment));
        return page(all.reverse().map(clone), f);
      },
    },
  };

  const unsupported = () => {
    throw new Error('not supported by the memory store');
  };

  return {
    kind: 'embedded',
    ...tx,
    async migrate() {},
    async close() {},
    async ping() {},
    // Single-threaded JS: a callback runs without interleaving only between awaits; good enough here.
    async tx(fn) {
      return fn(tx);
    },
    clusters: {
      async upsert(c) {
        const { credentials: _c, ...rest } = c;
        const prev = clusters.get(c.name);
        const row: Cluster = { ...clone(rest), createdAt: prev?.createdAt ?? now(), updatedAt: now() };
        clusters.set(c.name, row);
        return clone(row);
      },
      async get(n) {
        return clone(clusters.get(n) ?? null);
      },
      async list(req) {
        return page([...clusters.values()].map(clone), req);
      },
      async credentials() {
        return null;
      },
      async delete(n) {
        clusters.delete(n);
      },
    },
    blueprints: {
      async publish(b) {
        const k = `${b.name}@${b.version}`;
        const prev = releases.get(k);
        if (prev && prev.digest !== b.digest) throw new ConflictError(`${k} is immutable`);
        if (prev) return { release: clone(prev), created: false };
        const row = { ...clone(b), createdAt: now() };
        releases.set(k, row);
        return { release: clone(row), created: true };
      },
      async get(n, v) {
        return clone(releases.get(`${n}@${v}`) ?? null);
      },
      async list(req) {
        return page([...releases.values()].filter((r) => !req.name || r.name === req.name).map(clone), req);
      },
    },
    revisions: { save: unsupported, async get() { return null; }, async list() { return []; } },
    tokens: {
      async create(t, secret) {
        const row = { ...t, id: randomUUID(), createdAt: now(), hash: hash(secret), revoked: false };
        tokens.set(row.id, row);
        const { hash: _h, revoked: _r, ...rec } = row;
        return rec;
      },
      async verify(secret) {
        const h = hash(secret);
        const t = [...tokens.values()].find((x) => x.hash === h && !x.revoked);
        if (!t) return null;
        const { hash: _h, revoked: _r, ...rec } = t;
        return rec;
      },
      async list() {
        return [...tokens.values()].filter((t) => !t.revoked).map(({ hash: _h, revoked: _r, ...rec }) => rec);
      },
      async revoke(id) {
        const t = tokens.get(id);
        if (t) t.revoked = true;
      },
      async count() {
        return [...tokens.values()].filter((t) => !t.revoked).length;
      },
    },
    rollouts: new Proxy({}, { get: () => unsupported }) as Store['rollouts'],
    queue: new Proxy({}, { get: () => unsupported }) as Store['queue'],
    events: {
      async recordOnce(source, id) {
        const k = `${source}\u0000${id}`;
        if (events.has(k)) return false;
        events.add(k);
        return true;
      },
    },
    audit: { async append() {} },
  };
}
