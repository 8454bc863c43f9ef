// GET /v1/events/stream: server-sent events of what changes in the fleet (environments, operations,
// rollouts and their targets), for the console's live views and the CLI's watch commands. Authenticated
// by the Authorization header like every route (browsers read it with fetch streaming, since
// EventSource cannot send headers). A tenant token gets its tenant's events only, never fleet-wide
// ones. Last-Event-ID (header, or ?lastEventId=) resumes after that id; an id older than the kept
// feed (one day) gets an `event: reset` first, telling the client to re-read its state.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Ticker } from '../../clock.ts';
import { CHANGE_TOPICS, type ChangeEvent, type ChangeScope, type ChangeTopic } from '../../domain/change-feed.ts';
import { InputError } from '../../domain/errors.ts';
import type { Store } from '../../domain/ports/store.ts';
import { bearerToken, principal } from '../auth.ts';
import type { ApiDeps, RouteModule } from '../context.ts';
import { DnsLabel } from '../schemas.ts';

const HEARTBEAT_MS = 15_000;
const REPLAY_BATCH = 1_000;

const StreamQuery = Type.Object({
  topics: Type.Optional(Type.String({ maxLength: 200, pattern: '^[a-z-]+(,[a-z-]+)*$', description: `comma-separated: ${CHANGE_TOPICS.join(', ')} (default all)` })),
  tenant: Type.Optional(DnsLabel),
  environment: Type.Optional(DnsLabel),
  rollout: Type.Optional(Type.String({ pattern: '^ro-[a-f0-9-]+$', maxLength: 64 })),
  lastEventId: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'resume after this id (same as the Last-Event-ID header)' })),
  follow: Type.Optional(Type.Boolean({ default: true, description: 'false: send the kept events after Last-Event-ID (default 0) and end' })),
}, { additionalProperties: false });

const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{0,18}$' })),
});

interface Filter {
  scope: ChangeScope;
  topics: Set<ChangeTopic>;
  tenant?: string | undefined;
  environment?: string | undefined;
  rollout?: string | undefined;
}

export function matches(f: Filter, e: ChangeEvent): boolean {
  if (f.scope.kind === 'tenant' && e.tenant !== f.scope.tenant) return false;
  if (!f.topics.has(e.topic)) return false;
  if (f.tenant && e.tenant !== f.tenant) return false;
  if (f.environment && e.data.environment !== f.environment) return false;
  if (f.rollout && e.data.rolloutId !== f.rollout && !(e.topic === 'rollout' && e.subject === f.rollout)) return false;
  return true;
}

function topicsOf(raw: string | undefined): Set<ChangeTopic> {
  if (!raw) return new Set(CHANGE_TOPICS);
  const asked = raw.split(',');
  const bad = asked.filter((t) => !(CHANGE_TOPICS as readonly string[]).includes(t));
  if (bad.length > 0) throw new InputError(`unknown topic "${bad[0]}"; use ${CHANGE_TOPICS.join(', ')}`, [{ field: 'query:/topics', message: `unknown topic "${bad[0]}"` }]);
  return new Set(asked as ChangeTopic[]);
}

export function sseFrame(e: ChangeEvent): string {
  return `id: ${e.seq}\nevent: ${e.topic}\ndata: ${JSON.stringify({ seq: e.seq, at: e.at, topic: e.topic, tenant: e.tenant, subject: e.subject, data: e.data })}\n\n`;
}

interface Stream {
  write(chunk: string): boolean;
  closed: boolean;
}

async function replay(store: Store, f: Filter, from: number, upTo: number, out: Stream): Promise<void> {
  let at = from;
  while (at < upTo && !out.closed) {
    const rows = await store.changes.after(at, f.scope, REPLAY_BATCH);
    for (const e of rows) if (e.seq <= upTo && matches(f, e)) out.write(sseFrame(e));
    if (rows.length < REPLAY_BATCH) return;
    at = rows[rows.length - 1]!.seq;
  }
}

function open(req: FastifyRequest, reply: FastifyReply): Stream {
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-store', connection: 'keep-alive',
    'x-accel-buffering': 'no', 'x-request-id': String(req.id),
  });
  return { write: (s) => reply.raw.write(s), closed: false };
}

/** follow=false: what is kept after lastId, then the end of the response (scripts, tests). */
async function dump(store: Store, req: FastifyRequest, reply: FastifyReply, f: Filter, lastId: number): Promise<void> {
  const upTo = await store.changes.latest();
  const out = open(req, reply);
  const oldest = await store.changes.oldest();
  if (oldest !== null && lastId < oldest - 1) out.write(`event: reset\ndata: {"reason":"Last-Event-ID ${lastId} is older than the kept feed"}\n\n`);
  else await replay(store, f, lastId, upTo, out);
  reply.raw.end();
}

async function stream(deps: Pick<ApiDeps, 'store' | 'changes'>, req: FastifyRequest, reply: FastifyReply, f: Filter, lastId: number | null): Promise<void> {
  const { store, changes: hub } = deps;
  const buffered: ChangeEvent[] = [];
  let out: Stream | null = null;
  let live = false;
  // Subscribed before the replay below reads, so nothing between the two is lost.
  const sub = await hub.subscribe((events) => {
    for (const e of events) {
      if (!matches(f, e)) continue;
      if (live && out) out.write(sseFrame(e));
      else buffered.push(e);
    }
  });
  const s = (out = open(req, reply));
  const close = () => {
    if (s.closed) return;
    s.closed = true;
    void beat.stop();
    void sub.unsubscribe();
    reply.raw.end();
  };
  // A revoked token ends its streams at the next heartbeat.
  const secret = bearerToken(req.headers.authorization);
  const beat = new Ticker(async () => {
    const ok = secret ? await store.tokens.verify(secret) : null;
    if (ok) s.write(': keep-alive\n\n');
    else close();
  }, { intervalMs: HEARTBEAT_MS, clock: hub.clock, immediate: false, waitOnStop: false, onError: () => undefined });
  beat.start();
  reply.raw.on('close', close);
  s.write(`retry: 3000\n: connected at ${sub.cursor}\n\n`);
  try {
    await catchUp(store, f, { lastId, cursor: sub.cursor }, s);
  } catch (err) {
    req.log.warn({ err }, 'event stream replay failed');
    close();
    return;
  }
  for (const e of buffered) s.write(sseFrame(e));
  live = true;
}

/** What the client missed after Last-Event-ID, up to where the live tail starts; or `reset`. */
async function catchUp(store: Store, f: Filter, at: { lastId: number | null; cursor: number }, s: Stream): Promise<void> {
  const { lastId, cursor } = at;
  if (lastId === null || lastId === cursor) return;
  if (lastId > cursor) {
    s.write(`event: reset\ndata: {"reason":"Last-Event-ID ${lastId} is not an id of this feed"}\n\n`);
    return;
  }
  const oldest = await store.changes.oldest();
  if (oldest === null || lastId < oldest - 1) s.write(`event: reset\ndata: {"reason":"Last-Event-ID ${lastId} is older than the kept feed"}\n\n`);
  else await replay(store, f, lastId, cursor, s);
}

const routes: RouteModule = (app, deps) => {
  const { store } = deps;
  app.get('/v1/events/stream', {
    schema: {
      tags: ['events'],
      summary: 'Server-sent events of changes (environment, operation, rollout, rollout-target); a tenant token sees its tenant only; Last-Event-ID resumes',
      querystring: StreamQuery, headers: StreamHeaders,
      response: { 200: { description: 'text/event-stream: `id: <seq>`, `event: <topic>`, `data: {seq, at, topic, tenant, subject, data}`', content: { 'text/event-stream': { schema: Type.String() } } } },
    },
  }, async (req, reply) => {
    const p = principal(req);
    const q = req.query;
    const scope: ChangeScope = p.kind === 'tenant' ? { kind: 'tenant', tenant: p.tenant } : { kind: 'fleet' };
    const filter: Filter = { scope, topics: topicsOf(q.topics), tenant: q.tenant, environment: q.environment, rollout: q.rollout };
    // Fleet-wide rollout events are the platform team's; a tenant asking for them gets its own targets only.
    if (scope.kind === 'tenant') filter.topics.delete('rollout');
    const header = req.headers['last-event-id'];
    const rawId = q.lastEventId ?? (typeof header === 'string' && header !== '' ? header : undefined);
    const lastId = rawId === undefined ? null : Number(rawId);
    if (q.follow === false) await dump(store, req, reply, filter, lastId ?? 0);
    else await stream(deps, req, reply, filter, lastId);
  });
};

export default routes;
