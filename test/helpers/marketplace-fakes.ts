// Stand-ins for the marketplaces' servers (not their clients): they answer the requests that the real
// clients serialise (the AWS SDK, googleapis, our Azure REST client) with the documented semantics,
// so tests can check the exact bytes sent and what a retry or a duplicate does. Only the SDKs'
// request handlers are replaced; no network is used (except the HTTP form, on 127.0.0.1).
import { createServer, type Server } from 'node:http';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;
const H = 3_600_000;

export interface AwsCall { headers: Record<string, string>; body: { ProductCode?: string; UsageRecords: Array<Record<string, unknown>> } }

/**
 * AWS Marketplace Metering BatchMeterUsage as documented: <= 25 records; a record older than the
 * allowed delay fails the whole call (TimestampOutOfBoundsException); the same customer, dimension
 * and hour with the same quantity answers Success with the first MeteringRecordId, with another
 * quantity DuplicateRecord; an unsubscribed customer CustomerNotSubscribed.
 */
export class FakeAwsMetering {
  readonly calls: AwsCall[] = [];
  /** Billed records: customer|dimension|hour -> quantity and id. */
  readonly billed = new Map<string, { quantity: number; id: string }>();
  /** Customers whose next call is throttled (ThrottlingException), with how many calls. */
  readonly throttle = new Map<string, number>();
  notSubscribed = new Set<string>();
  private seq = 0;

  constructor(private readonly now: () => Date, public maxDelayMs = 6 * H) {}

  handle(headers: Record<string, string>, raw: string): { status: number; headers: Record<string, string>; body: string } {
    const body = JSON.parse(raw) as AwsCall['body'];
    this.calls.push({ headers, body });
    const reqId = `aws-req-${this.calls.length}`;
    const err = (type: string, message: string) => ({ status: 400, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': reqId }, body: JSON.stringify({ __type: type, message }) });
    if (headers['x-amz-target'] !== 'AWSMPMeteringService.BatchMeterUsage') return err('UnknownOperationException', String(headers['x-amz-target']));
    const throttled = body.UsageRecords?.map((r) => String(r.CustomerAWSAccountId ?? r.CustomerIdentifier)).find((c) => (this.throttle.get(c) ?? 0) > 0);
    if (throttled) {
      this.throttle.set(throttled, this.throttle.get(throttled)! - 1);
      return err('ThrottlingException', 'Rate exceeded');
    }
    if (!Array.isArray(body.UsageRecords) || body.UsageRecords.length < 1 || body.UsageRecords.length > 25) return err('ValidationException', 'UsageRecords must hold 1 to 25 records');
    const tooOld = body.UsageRecords.find((r) => Number(r.Timestamp) * 1000 < this.now().getTime() - this.maxDelayMs);
    if (tooOld) return err('TimestampOutOfBoundsException', 'Timestamp is out of the allowed range');
    const Results = body.UsageRecords.map((r) => {
      const customer = String(r.CustomerAWSAccountId ?? r.CustomerIdentifier);
      if (this.notSubscribed.has(customer)) return { UsageRecord: r, Status: 'CustomerNotSubscribed' };
      const key = `${customer}|${r.Dimension}|${Math.floor(Number(r.Timestamp) * 1000 / H)}`;
      const prior = this.billed.get(key);
      if (prior && prior.quantity !== r.Quantity) return { UsageRecord: r, MeteringRecordId: prior.id, Status: 'DuplicateRecord' };
      const id = prior?.id ?? `mrid-${++this.seq}`;
      if (!prior) this.billed.set(key, { quantity: Number(r.Quantity), id });
      return { UsageRecord: r, MeteringRecordId: id, Status: 'Success' };
    });
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': reqId }, body: JSON.stringify({ Results, UnprocessedRecords: [] }) };
  }

  /** An AWS SDK v3 requestHandler answering from this fake: the SDK's own serialiser made the request. */
  requestHandler() {
    return {
      handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
        const lower = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
        const r = this.handle(lower, typeof request.body === 'string' ? request.body : Buffer.from(request.body as Uint8Array).toString('utf8'));
        return { response: { statusCode: r.status, headers: r.headers, body: Buffer.from(r.body) } };
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
    };
  }
}

/**
 * Azure Marketplace metering's usage event and batch usage event as published (OpenAPI of the
 * metering API, api-version 2018-08-31, and its docs), transcribed into JSON Schema; every request
 * body is validated against it. One event per resource x dimension x hour; a repeat answers 409 (or
 * "Duplicate" in a batch) with the accepted event; older than 24 h: Expired.
 */
export const AZURE_USAGE_EVENT_SCHEMA = {
  $id: 'azure-usage-event',
  type: 'object',
  additionalProperties: false,
  required: ['quantity', 'dimension', 'effectiveStartTime', 'planId'],
  oneOf: [{ required: ['resourceId'] }, { required: ['resourceUri'] }],
  properties: {
    resourceId: { type: 'string', format: 'uuid' },
    resourceUri: { type: 'string', minLength: 1 },
    quantity: { type: 'number', exclusiveMinimum: 0 },
    dimension: { type: 'string', minLength: 1 },
    effectiveStartTime: { type: 'string', format: 'date-time' },
    planId: { type: 'string', minLength: 1 },
  },
} as const;
export const AZURE_BATCH_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['request'],
  properties: { request: { type: 'array', minItems: 1, maxItems: 25, items: { $ref: 'azure-usage-event' } } },
} as const;

export interface AzureCall { path: string; query: string; headers: Record<string, string>; body: unknown }

export class FakeAzureMetering {
  readonly calls: AzureCall[] = [];
  readonly accepted = new Map<string, { quantity: number; usageEventId: string }>();
  failNext = 0;
  private seq = 0;
  private readonly validateEvent;
  private readonly validateBatch;

  constructor(private readonly now: () => Date) {
    // strictRequired off: the oneOf branches name properties declared at the top level.
    const ajv = addFormats(new Ajv({ strict: true, strictRequired: false, allErrors: true }));
    ajv.addSchema(AZURE_USAGE_EVENT_SCHEMA);
    this.validateEvent = ajv.getSchema('azure-usage-event')!;
    this.validateBatch = ajv.compile(AZURE_BATCH_SCHEMA);
  }

  private one(e: Record<string, unknown>): Record<string, unknown> {
    const start = Date.parse(String(e.effectiveStartTime));
    const base = { ...e, messageTime: this.now().toISOString() };
    if (start < this.now().getTime() - 24 * H) return { ...base, status: 'Expired', error: { code: 'Expired', message: 'Usage event is older than 24 hours' } };
    const key = `${e.resourceId ?? e.resourceUri}|${e.dimension}|${Math.floor(start / H)}`;
    const prior = this.accepted.get(key);
    if (prior) return { ...base, status: 'Duplicate', error: { code: 'Conflict', message: 'This usage event already exist.', additionalInfo: { acceptedMessage: { ...e, quantity: prior.quantity, usageEventId: prior.usageEventId, status: 'Duplicate' } } } };
    const usageEventId = `00000000-0000-4000-8000-${String(++this.seq).padStart(12, '0')}`;
    this.accepted.set(key, { quantity: Number(e.quantity), usageEventId });
    return { ...base, usageEventId, status: 'Accepted' };
  }

  handle(path: string, query: string, headers: Record<string, string>, raw: string): { status: number; body: unknown; headers: Record<string, string> } {
    const body = JSON.parse(raw) as Record<string, unknown>;
    this.calls.push({ path, query, headers, body });
    const h = { 'content-type': 'application/json', 'x-ms-requestid': headers['x-ms-requestid'] ?? '' };
    if (query !== 'api-version=2018-08-31' || !/^Bearer \S+$/.test(headers.authorization ?? '')) return { status: 403, body: { code: 'Forbidden' }, headers: h };
    if (this.failNext > 0) {
      this.failNext--;
      return { status: 503, body: { code: 'ServiceUnavailable', message: 'try again' }, headers: h };
    }
    if (path.endsWith('/batchUsageEvent')) {
      if (!this.validateBatch(body)) return { status: 400, body: { code: 'BadArgument', message: JSON.stringify(this.validateBatch.errors) }, headers: h };
      const result = (body.request as Array<Record<string, unknown>>).map((e) => this.one(e));
      return { status: 200, body: { count: result.length, result }, headers: h };
    }
    if (!this.validateEvent(body)) return { status: 400, body: { code: 'BadArgument', message: JSON.stringify(this.validateEvent.errors) }, headers: h };
    const r = this.one(body);
    if (r.status === 'Accepted') return { status: 200, body: r, headers: h };
    if (r.status === 'Duplicate') return { status: 409, body: { code: 'Conflict', message: 'This usage event already exist.', additionalInfo: (r.error as { additionalInfo: unknown }).additionalInfo }, headers: h };
    return { status: 400, body: { code: 'BadArgument', message: (r.error as { message: string }).message }, headers: h };
  }

  /** A fetch that answers from this fake. */
  fetch(): typeof fetch {
    return (async (input: string | URL | Request, init?: RequestInit) => {
      const u = new URL(String(input));
      const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
      const r = this.handle(u.pathname, u.search.slice(1), headers, String(init?.body ?? ''));
      return new Response(JSON.stringify(r.body), { status: r.status, headers: r.headers });
    }) as typeof fetch;
  }
}

export interface GcpCall { url: string; method: string; headers: Record<string, string>; body: { operations: Array<Record<string, unknown>> } }

/** Service Control services.report: deduplicates operations by operationId; can fail operations by consumer. */
export class FakeServiceControl {
  readonly calls: GcpCall[] = [];
  readonly reported = new Map<string, Record<string, unknown>>();
  invalidConsumers = new Set<string>();

  /** A gaxios adapter (per-request option): the googleapis client built the request. */
  adapter() {
    return async (opts: { url: URL | string; method?: string; headers?: Headers | Record<string, string>; body?: unknown; data?: unknown }) => {
      const headers = opts.headers instanceof Headers ? Object.fromEntries(opts.headers.entries()) : Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
      const raw = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.data ?? opts.body);
      const body = JSON.parse(raw) as GcpCall['body'];
      this.calls.push({ url: String(opts.url), method: opts.method ?? 'GET', headers, body });
      const reportErrors = [];
      for (const op of body.operations) {
        if (this.invalidConsumers.has(String(op.consumerId))) {
          reportErrors.push({ operationId: op.operationId, status: { code: 7, message: `Permission denied for consumer ${op.consumerId}` } });
        } else if (!this.reported.has(String(op.operationId))) this.reported.set(String(op.operationId), op);
      }
      const data = { reportErrors, serviceConfigId: '2026-11-01r0', serviceRolloutId: 'rollout-1' };
      return { data, status: 200, statusText: 'OK', headers: new Headers({ 'content-type': 'application/json' }), config: opts, request: { responseURL: String(opts.url) } };
    };
  }
}

/** An HTTP server on 127.0.0.1 serving the AWS and Azure fakes (for a client in another process). */
export async function serveFakes(aws: FakeAwsMetering, azure: FakeAzureMetering, hold?: (path: string) => Promise<void>): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const u = new URL(req.url ?? '/', 'http://fake');
      const r = u.pathname.startsWith('/azure/') ? azure.handle(u.pathname, u.search.slice(1), headers, raw) : aws.handle(headers, raw);
      // The request has been taken (the record is billed); hold the answer while the test kills the client.
      void (hold?.(u.pathname) ?? Promise.resolve()).then(() => {
        res.writeHead(r.status, r.headers);
        res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
      });
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server, close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }) };
}
