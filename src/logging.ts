// Structured JSON logs (pino). Every line of work carries operation/tenant/environment/cluster ids
// through child loggers; secrets are redacted by key name at any depth, not only at fixed paths,
// because callers log whole objects (cluster records, request headers, errors with context).
import { randomUUID } from 'node:crypto';
import { LogController, type FastifyInstance } from 'fastify';
import { pino, stdSerializers, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are never logged, wherever they appear. */
export const SECRET_KEY = /secret|token|password|passwd|credential|kubeconfig|authorization|api[-_]?key|private[-_]?key|cookie/i;
export const REDACTED = '[REDACTED]';

// Values that look like secrets even under an innocent key (e.g. a message or a URL).
const SECRET_VALUE_PATTERNS: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${REDACTED}@`], // user:password@ in URLs
  [/(client-key-data|client-certificate-data|token):\s*\S+/g, `$1: ${REDACTED}`], // kubeconfig YAML
];

const MAX_DEPTH = 8;

// Cheap pre-check: most strings contain none of the markers, so skip the replacements.
const MAYBE_SECRET = /Bearer|Basic|@|-data|token/;

export function redactString(s: string): string {
  if (!MAYBE_SECRET.test(s)) return s;
  let out = s;
  for (const [re, replacement] of SECRET_VALUE_PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** Deep copy of value with secret-named keys replaced and secret-looking strings masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return redactError(value, depth);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

function redactError(err: Error, depth: number): Record<string, unknown> {
  const serialized = stdSerializers.err(err) as unknown as Record<string, unknown>;
  return { ...(redact({ ...serialized }, depth + 1) as Record<string, unknown>), type: err.name };
}

// HTTP request/response objects (Fastify's `{req}` / `{res}` lines) are summarized before redaction:
// copying them whole would log headers (and lose the fields that matter).
function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function summarizeReq(r: Record<string, unknown>): Record<string, unknown> {
  const headers = (r.headers ?? {}) as Record<string, unknown>;
  const socket = r.socket as { remoteAddress?: string } | undefined;
  return {
    method: r.method,
    url: typeof r.url === 'string' ? redactString(r.url.replace(/([?&][^=&]*(?:token|secret|password|key)[^=&]*=)[^&]*/gi, `$1${REDACTED}`)) : undefined,
    host: r.host ?? headers.host,
    remoteAddress: r.ip ?? socket?.remoteAddress,
  };
}

function summarizeHttp(o: Record<string, unknown>): Record<string, unknown> {
  if (o.req === undefined && o.res === undefined) return o;
  const out = { ...o };
  if (out.req && typeof out.req === 'object' && !isPlain(out.req)) out.req = summarizeReq(out.req as Record<string, unknown>);
  if (out.res && typeof out.res === 'object' && !isPlain(out.res)) out.res = { statusCode: (out.res as { statusCode?: unknown }).statusCode };
  return out;
}

function errSerializer(e: unknown): unknown {
  return e instanceof Error ? redact(e) : e;
}

export interface CreateLoggerOptions {
  name?: string;
  /** Default 'info' (serve: FLEETPLANE_LOG_LEVEL). */
  level?: string;
  /** Extra bindings on every line (e.g. {component: 'worker'}). */
  base?: Record<string, unknown>;
  /** Destination stream (tests pass a memory stream); defaults to stdout. */
  destination?: DestinationStream;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LEVELS: ReadonlySet<string> = new Set(LOG_LEVELS);

/** A pino level (case-insensitive); unset or unknown: info. `serve` passes FLEETPLANE_LOG_LEVEL, checked by src/config.ts. */
export function resolveLevel(level: string | undefined): string {
  const l = (level ?? 'info').toLowerCase();
  return LEVELS.has(l) ? l : 'info';
}

export function loggerOptions(opts: CreateLoggerOptions = {}): LoggerOptions {
  return {
    name: opts.name ?? 'fleetplane',
    level: resolveLevel(opts.level),
    base: { pid: process.pid, ...(opts.base ?? {}) },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    // formatters.log runs before serializers and has already turned errors into redacted plain
    // objects; keep them as they are.
    serializers: { err: errSerializer, error: errSerializer },
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (b) => redact(b) as Record<string, unknown>,
      log: (o) => redact(summarizeHttp(o)) as Record<string, unknown>,
    },
    hooks: {
      // Mask secrets that slip into the message text itself.
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? redactString(a) : a));
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
}

export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const options = loggerOptions(opts);
  return redactChildBindings(opts.destination ? pino(options, opts.destination) : pino(options));
}

// pino applies formatters.bindings to the root's bindings only; child bindings go out as given.
// Children inherit from their parent (Object.create), so one override covers every descendant.
function redactChildBindings(root: Logger): Logger {
  const child = root.child;
  root.child = function redactingChild(this: Logger, bindings, options) {
    return child.call(this, redact(bindings) as typeof bindings, options);
  } as Logger['child'];
  return root;
}

/** Ids that identify one line of work; absent ones are left out. */
export interface WorkContext {
  operationId?: string | null;
  tenant?: string | null;
  environment?: string | null;
  cluster?: string | null;
  requestId?: string | null;
  rolloutId?: string | null;
  kind?: string | null;
}

export function workBindings(ctx: WorkContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out;
}

/** Child logger for an operation's work: every line carries its ids. */
export function forOperation(logger: Logger, ctx: WorkContext): Logger {
  return logger.child(workBindings(ctx));
}

// Request ids: accept a caller's id when it is sane, otherwise mint one.
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
export const REQUEST_ID_HEADER = 'x-request-id';

export function requestIdFrom(header: unknown): string {
  const v = Array.isArray(header) ? header[0] : header;
  return typeof v === 'string' && REQUEST_ID_RE.test(v) ? v : randomUUID();
}

/**
 * Options for the Fastify factory: our logger, request ids taken from x-request-id (validated) or
 * minted, and logged as `requestId` so request lines and operation lines share one key.
 * Usage: `Fastify({ ...fastifyLoggingOptions(logger), ... })`, then `app.register(requestIdPlugin)`.
 */
export function fastifyLoggingOptions(logger: Logger): {
  loggerInstance: Logger;
  requestIdHeader: false;
  logController: LogController;
  genReqId: (req: { headers: Record<string, unknown> }) => string;
} {
  return {
    loggerInstance: logger,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]),
  };
}

/** Echoes the request id on every response (x-request-id) so callers can quote it. */
async function requestIdPluginImpl(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id);
  });
}

export const requestIdPlugin = Object.assign(requestIdPluginImpl, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'fleetplane-request-id',
});
