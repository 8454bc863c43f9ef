// Response conformance for the API tests: every answer below 400 that a route sends is judged against
// the response schema the route declares (the same schema /openapi.json publishes), by Ajv in strict
// mode, with every object closed unless its schema says it is open (additionalProperties, a record,
// Type.Unknown). A status the route does not declare, a content type it does not declare, a missing or
// mistyped field and a field the schema does not list all fail the request: it becomes a 500 naming
// the mismatch, and the failure is recorded (Harness.close() throws on any). The app sends exactly what
// the handler returned (plain JSON.stringify, ADR 0320), so what is judged is what the client reads.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ValidateFunction } from 'ajv';
import { ajvWithFormats } from '../../src/domain/validation.ts';
import type { Api } from '../../src/api/context.ts';

/** Every mismatch seen in this process (method, route, status, what was wrong). */
export const nonConforming: string[] = [];

type Json = Record<string, unknown>;

/** A copy of the schema where an object with listed properties and no word on others takes no others. */
export function closedByDefault(schema: unknown, inComposition = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => closedByDefault(s, inComposition));
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as Json;
  const out: Json = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, closedChild(k, v)]));
  const saysNothing = s.additionalProperties === undefined && s.patternProperties === undefined && s.unevaluatedProperties === undefined;
  if (!inComposition && s.properties && saysNothing) out.additionalProperties = false;
  return out;
}

const MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions']);

function closedChild(key: string, value: unknown): unknown {
  if (MAPS.has(key)) return Object.fromEntries(Object.entries(value as Json).map(([name, sub]) => [name, closedByDefault(sub)]));
  // allOf members see only their own properties: closing them would refuse each other's.
  if (key === 'allOf') return closedByDefault(value, true);
  return typeof value === 'object' ? closedByDefault(value) : value;
}

interface Media { type: string; validate: ValidateFunction | null }

const ajv = ajvWithFormats({ strict: true, allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false });

function declared(req: FastifyRequest, status: number): { media: Media[]; empty: boolean } | 'undeclared' {
  const cache = declaredCache(req);
  const hit = cache.get(status);
  if (hit) return hit;
  const responses = (req.routeOptions.schema?.response ?? {}) as Record<string, Json>;
  const entry = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses[`${String(status)[0]}xx`];
  if (!entry) return 'undeclared';
  let result: { media: Media[]; empty: boolean };
  if (entry.type === 'null') result = { media: [], empty: true };
  else if (entry.content && typeof entry.content === 'object') {
    const media = Object.entries(entry.content as Record<string, { schema?: unknown }>).map(([type, m]) => ({
      type, validate: type.endsWith('json') && m.schema ? ajv.compile(closedByDefault(m.schema) as object) : null,
    }));
    result = { media, empty: false };
  } else result = { media: [{ type: 'application/json', validate: ajv.compile(closedByDefault(entry) as object) }], empty: false };
  cache.set(status, result);
  return result;
}

const caches = new WeakMap<object, Map<number, { media: Media[]; empty: boolean }>>();
function declaredCache(req: FastifyRequest): Map<number, { media: Media[]; empty: boolean }> {
  const key = req.routeOptions.schema ?? req.routeOptions;
  let c = caches.get(key);
  if (!c) caches.set(key, (c = new Map()));
  return c;
}

/** What is wrong with this answer, or null when it is what the route declares. */
export function mismatch(req: FastifyRequest, reply: FastifyReply, payload: unknown): string | null {
  const status = reply.statusCode;
  const d = declared(req, status);
  if (d === 'undeclared') return `status ${status} is not declared`;
  const text = typeof payload === 'string' ? payload : null;
  // Fastify strips the body of a 204 and a 304 whatever the handler sent.
  if (d.empty) return status === 204 || status === 304 || !text ? null : `status ${status} is declared without a body, the answer has ${text.length} characters`;
  const type = String(reply.getHeader('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const media = mediaFor(d.media, type);
  if (!media) return `content type ${type || '(none)'} is not declared for ${status} (declared: ${d.media.map((m) => m.type).join(', ')})`;
  // Not JSON, a Buffer or a stream: its type is what can be judged.
  return media.validate && text !== null ? bodyMismatch(status, type, media.validate, text) : null;
}

function mediaFor(media: Media[], type: string): Media | undefined {
  return media.find((m) => m.type === type) ?? media.find((m) => m.type === '*/*' || (m.type.endsWith('/*') && type.startsWith(m.type.slice(0, -1))));
}

function bodyMismatch(status: number, type: string, validate: ValidateFunction, text: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} ${type} body is not JSON`;
  }
  if (validate(body)) return null;
  return `${status} body does not match its schema: ${ajv.errorsText(validate.errors, { separator: '; ' })}`;
}

/** Adds the check to an app before it is ready (the API test harness does, for every suite). */
export function checkResponses(app: Api): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400) return payload;
    const wrong = mismatch(req, reply, payload);
    if (!wrong) return payload;
    const what = `${req.method} ${req.routeOptions.url ?? req.url}: ${wrong}`;
    nonConforming.push(what);
    throw new Error(`response conformance: ${what}`);
  });
}
