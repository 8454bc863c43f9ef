// RFC 9457 problem+json: every error the API answers goes through toProblem() from the one error
// handler in app.ts, so status codes, `type` URIs and field pointers stay consistent across routes.
import type { FastifyError } from 'fastify';
import { FleetplaneError, type FieldIssue } from '../domain/errors.ts';
import { ajvIssues } from '../domain/validation.ts';

export const PROBLEM_BASE = 'https://fleetplane.io/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldIssue[];
  requestId?: string;
}

/** Stable problem slugs and their titles; the slug is part of the public contract. */
export const PROBLEM_TITLES: Record<string, string> = {
  'invalid-input': 'Invalid input',
  'malformed-body': 'Malformed request body',
  'unsupported-media-type': 'Unsupported media type',
  'body-too-large': 'Request body too large',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
  conflict: 'Conflict',
  'idempotency-key-reused': 'Idempotency key reused with a different request',
  'precondition-failed': 'Precondition failed',
  'not-ready': 'Not ready',
  'kube-api': 'A cluster API refused or failed the request',
  'rate-limited': 'Too many requests',
  'request-timeout': 'Request timeout',
  'headers-too-large': 'Request header fields too large',
  'uri-too-long': 'URI too long',
  'malformed-request': 'Malformed HTTP request',
  internal: 'Internal error',
};

/** Errors the API raises itself beyond the domain's set. */
export class ProblemError extends FleetplaneError {
  constructor(
    override readonly type: string,
    override readonly status: number,
    message: string,
    issues: FieldIssue[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message, issues);
  }
}

export function methodNotAllowed(method: string, allowed: string[]): ProblemError {
  return new ProblemError('method-not-allowed', 405, `${method} is not allowed here; use ${allowed.join(', ')}`, [], { allow: allowed.join(', ') });
}

const PART_PREFIX: Record<string, string> = { body: '', querystring: 'query:', params: 'path:', headers: 'header:' };

/** Maps anything thrown to a problem (status, type, field issues). */
export function toProblem(err: unknown, instance: string): Problem {
  if (err instanceof FleetplaneError) return build(err.type, err.status, err.message, instance, err.issues);
  const fe = err as Partial<FastifyError> & { validationContext?: string };
  if (fe && Array.isArray(fe.validation)) {
    const prefix = PART_PREFIX[fe.validationContext ?? 'body'] ?? '';
    const issues = ajvIssues(fe.validation as never).map((i) => ({ ...i, field: `${prefix}${i.field || '/'}` }));
    const first = issues[0];
    const detail = first ? `${first.field}: ${first.message}` : 'request does not match the schema';
    return build('invalid-input', 400, detail, instance, issues);
  }
  return fromFastifyCode(fe, instance);
}

// Fastify's own request errors, by code: [problem slug, status, detail, field message, field (default: the body, '')].
const FASTIFY_CODES: Record<string, [string, number, string, string | null, string?]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['body-too-large', 413, 'request body is larger than the limit', 'body too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported-media-type', 415, 'send application/json (or application/yaml where noted)', null],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['malformed-body', 400, 'Content-Length does not match the body', null],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['malformed-body', 400, 'body is empty but Content-Type is application/json', 'empty body'],
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: ['malformed-body', 400, 'a request with a body needs a Content-Type header (application/json)', 'missing', 'header:content-type'],
  // Raised by the router before any route runs (Fastify's frameworkErrors).
  FST_ERR_MAX_PARAM_LENGTH: ['uri-too-long', 414, 'a path segment is longer than 256 characters', 'a segment is longer than 256 characters', 'path'],
  FST_ERR_BAD_URL: ['invalid-input', 400, 'the path is not a valid URL (bad percent-encoding)', 'not a valid URL', 'path'],
};

function isParseError(fe: Partial<FastifyError>): boolean {
  return fe instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (fe.statusCode === 400 && /JSON|YAML/i.test(fe.message ?? ''));
}

function fromFastifyCode(err: Partial<FastifyError> | null | undefined, instance: string): Problem {
  const fe = err ?? {};
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) {
    const [type, status, detail, message, field = ''] = known;
    return build(type, status, detail, instance, message ? [{ field, message }] : []);
  }
  if (isParseError(fe)) {
    return build('malformed-body', 400, `malformed body: ${fe.message ?? 'cannot parse'}`, instance, [{ field: '', message: 'cannot parse the body' }]);
  }
  const status = clientStatus(fe.statusCode);
  if (status === 500) return build('internal', 500, 'internal error; see the server log with this request id', instance);
  return build('invalid-input', status, fe.message ?? 'bad request', instance);
}

function clientStatus(code: unknown): number {
  return typeof code === 'number' && code >= 400 && code < 500 ? code : 500;
}

function build(type: string, status: number, detail: string, instance: string, errors: FieldIssue[] = []): Problem {
  const p: Problem = { type: PROBLEM_BASE + type, title: PROBLEM_TITLES[type] ?? type, status, detail, instance };
  if (errors.length > 0) p.errors = errors;
  return p;
}
