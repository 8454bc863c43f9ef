// HTTP client for the CLI: bearer token, JSON or YAML bodies, problem+json turned into ApiError.
import { coerceError } from '../domain/errors.ts';

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
}

/** An error the CLI prints as one line; exitCode follows the kind of failure. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export class ApiError extends CliError {
  constructor(readonly status: number, readonly problem: Problem) {
    super(ApiError.line(status, problem), 1);
  }

  static line(status: number, p: Problem): string {
    const first = p.errors?.[0];
    const field = first && first.field && !(p.detail ?? '').includes(first.field) ? ` (${first.field}: ${first.message})` : '';
    const more = p.errors && p.errors.length > 1 ? ` [+${p.errors.length - 1} more]` : '';
    return `${p.title ?? 'request failed'} (HTTP ${status}): ${p.detail ?? ''}${field}${more}`.trim();
  }
}

export interface ClientOptions {
  server: string;
  token?: string | undefined;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
}

export class ApiClient {
  constructor(readonly opts: ClientOptions) {}

  url(path: string, query?: RequestOptions['query']): string {
    const u = new URL(path, this.opts.server.endsWith('/') ? this.opts.server : `${this.opts.server}/`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    return u.toString();
  }

  async request<T = unknown>(method: string, path: string, ro: RequestOptions = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await this.send(method, path, ro);
    const body = parseBody(await res.text());
    return { status: res.status, body: body as T, headers: res.headers };
  }

  /** A binary GET (a bundle archive): the bytes as sent; errors as for request(). */
  async download(path: string, query?: RequestOptions['query']): Promise<{ bytes: Buffer; headers: Headers }> {
    const res = await this.send('GET', path, { query, headers: { accept: '*/*' } });
    return { bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
  }

  /** fetch with the token; unreachable server -> exit 3, a non-2xx answer -> ApiError with its problem. */
  private async send(method: string, path: string, ro: RequestOptions): Promise<Response> {
    const headers = this.headers(ro);
    let res: Response;
    try {
      res = await fetch(this.url(path, ro.query), { method, headers, body: ro.body === undefined ? undefined : JSON.stringify(ro.body) });
    } catch (err) {
      const c = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? coerceError(err).message;
      throw new CliError(`cannot reach the server at ${this.opts.server} (${cause}); is \`fleetplane serve\` running? (--server / FLEETPLANE_SERVER)`, 3);
    }
    if (!res.ok) {
      const text = await res.text();
      const body = parseBody(text);
      throw new ApiError(res.status, (typeof body === 'object' && body !== null ? body : { detail: text }) as Problem);
    }
    return res;
  }

  private headers(ro: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...(ro.headers ?? {}) };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    if (ro.body !== undefined) headers['content-type'] ??= 'application/json';
    return headers;
  }

  get<T = unknown>(path: string, query?: RequestOptions['query']) {
    return this.request<T>('GET', path, { query });
  }
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
