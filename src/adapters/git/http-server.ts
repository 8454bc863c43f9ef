// Read-only git smart HTTP for Argo CD's repo server: a small Node HTTP server in front of
// `git http-backend` (CGI), serving the bare repos <root>/<name>.git at http://<host>:<port>/<name>.git.
// Only the fetch side of the protocol passes (`info/refs?service=git-upload-pack` and
// `POST git-upload-pack`); pushes, the dumb protocol and anything outside one top-level repo are
// refused. Every request needs HTTP Basic credentials that `authorize` accepts for exactly that
// repository, so one tenant's credentials cannot read another tenant's repo. Why this and not
// `git daemon`: docs/adr/0603-git-smart-http-for-argocd.md.
import { spawn } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';

/** Decides whether Basic credentials may read one repository (the name without `.git`). */
export type GitAuthorizer = (repo: string, username: string, password: string) => boolean | Promise<boolean>;

export interface GitHttpServerOptions {
  /** Directory holding the bare repositories `<name>.git`. */
  root: string;
  authorize: GitAuthorizer;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  logger?: Logger;
  /** Largest request body accepted (fetch negotiation is small; default 16 MiB). */
  maxRequestBytes?: number;
}

export interface GitHttpServer {
  /** e.g. http://127.0.0.1:16387 */
  url: string;
  port: number;
  /** Clone URL of one repository, e.g. http://127.0.0.1:16387/acme.git */
  repoURL(name: string): string;
  close(): Promise<void>;
}

/** Repository names: a DNS label, like tenants (src/render/gitops/layout.ts). */
const REPO = /^\/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\.git(\/info\/refs|\/git-upload-pack)$/;

export interface ParsedGitRequest {
  repo: string;
  /** Path below the repo for http-backend: /<repo>.git/... */
  pathInfo: string;
}

/** Accepts only the upload-pack (fetch/clone) endpoints of one top-level repository. */
export function parseGitRequest(method: string, rawUrl: string): ParsedGitRequest | { refuse: number; why: string } {
  // The raw path, not a normalised one: `/../x.git` or `%2e%2e` must not be rewritten into a match.
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const m = REPO.exec(rawPath);
  const u = new URL(rawUrl, 'http://git.invalid');
  if (!m) return { refuse: 404, why: 'not a repository endpoint' };
  const endpoint = m[3];
  if (endpoint === '/info/refs') {
    if (method !== 'GET') return { refuse: 405, why: 'method not allowed' };
    if (u.searchParams.get('service') !== 'git-upload-pack') return { refuse: 403, why: 'read-only: only git-upload-pack is served' };
  } else if (method !== 'POST') {
    return { refuse: 405, why: 'method not allowed' };
  }
  return { repo: m[1]!, pathInfo: rawPath };
}

export function parseBasicAuth(header: string | undefined): { username: string; password: string } | null {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison of a password with its stored sha256 (hex). */
export function passwordMatches(password: string, sha256Hex: string): boolean {
  const want = Buffer.from(sha256Hex, 'hex');
  const have = sha256(password);
  return want.length === have.length && timingSafeEqual(want, have);
}

export interface RepoCredential {
  username: string;
  /** sha256 of the password, hex: the file never holds the password itself. */
  passwordSha256: string;
}

/**
 * An authorizer over a JSON file `{ "<repo>": { "username": …, "passwordSha256": … } }`, re-read when
 * it changes, so repositories can be added while the server runs (the testbed's `argocd` fixtures).
 */
export function credentialsFileAuthorizer(file: string): GitAuthorizer {
  let cached: { mtimeMs: number; creds: Record<string, RepoCredential> } | undefined;
  const load = (): Record<string, RepoCredential> => {
    if (!existsSync(file)) return {};
    const mtimeMs = statSync(file).mtimeMs;
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, creds: JSON.parse(readFileSync(file, 'utf8')) as Record<string, RepoCredential> };
    return cached.creds;
  };
  return (repo, username, password) => {
    const c = Object.hasOwn(load(), repo) ? load()[repo] : undefined;
    return !!c && c.username === username && passwordMatches(password, c.passwordSha256);
  };
}

/** The CGI environment for one request: nothing of ours (no tokens, no HOME config) reaches git. */
function cgiEnv(o: GitHttpServerOptions, req: IncomingMessage, parsed: ParsedGitRequest, user: string): NodeJS.ProcessEnv {
  const u = new URL(req.url ?? '/', 'http://git.invalid');
  const h = req.headers;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: o.root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    // Argo CD fetches single commits by id; let upload-pack hand out any reachable one.
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'uploadpack.allowReachableSHA1InWant',
    GIT_CONFIG_VALUE_0: 'true',
    GIT_CONFIG_KEY_1: 'http.receivepack',
    GIT_CONFIG_VALUE_1: 'false',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: parsed.pathInfo,
    QUERY_STRING: u.search.slice(1),
    REMOTE_USER: user,
    REMOTE_ADDR: req.socket.remoteAddress ?? '',
    CONTENT_TYPE: h['content-type'] ?? '',
    ...(h['content-length'] ? { CONTENT_LENGTH: h['content-length'] } : {}),
    ...(h['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(h['content-encoding']) } : {}),
    ...(h['git-protocol'] ? { GIT_PROTOCOL: String(h['git-protocol']) } : {}),
  };
}

/** Splits CGI output into status, headers and the start of the body; null until the head is complete. */
export function parseCgiHead(buf: Buffer): { status: number; headers: Record<string, string>; rest: Buffer } | null {
  let end = buf.indexOf('\r\n\r\n');
  let sep = 4;
  if (end === -1) {
    end = buf.indexOf('\n\n');
    sep = 2;
  }
  if (end === -1) return null;
  const headers: Record<string, string> = {};
  let status = 200;
  for (const line of buf.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 500;
    else headers[key] = value;
  }
  return { status, headers, rest: buf.subarray(end + sep) };
}

function refuse(res: ServerResponse, status: number, why: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...extra }).end(`${why}\n`);
}

function runBackend(o: GitHttpServerOptions, req: IncomingMessage, res: ServerResponse, parsed: ParsedGitRequest, user: string): void {
  const cgi = spawn('git', ['http-backend'], { env: cgiEnv(o, req, parsed, user), stdio: ['pipe', 'pipe', 'pipe'] });
  const limit = o.maxRequestBytes ?? 16 * 1024 * 1024;
  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) {
      cgi.kill('SIGKILL');
      req.destroy();
    }
  });
  req.pipe(cgi.stdin).on('error', () => undefined);
  let head: Buffer | null = Buffer.alloc(0);
  let stderr = '';
  cgi.stderr.on('data', (c: Buffer) => { if (stderr.length < 4096) stderr += c.toString(); });
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (head === null) return void res.write(chunk);
    const parsedHead = parseCgiHead(Buffer.concat([head, chunk]));
    if (!parsedHead) return void (head = Buffer.concat([head, chunk]));
    head = null;
    res.writeHead(parsedHead.status, parsedHead.headers);
    res.write(parsedHead.rest);
  });
  cgi.on('error', (err) => {
    o.logger?.error({ err, repo: parsed.repo }, 'git http-backend failed to start');
    if (!res.headersSent) refuse(res, 500, 'git backend unavailable');
  });
  cgi.on('close', (code) => {
    if (code !== 0) o.logger?.warn({ repo: parsed.repo, code, stderr: stderr.trim().slice(0, 500) }, 'git http-backend exited non-zero');
    if (!res.headersSent) refuse(res, 502, 'git backend gave no response');
    else res.end();
  });
  res.on('close', () => { if (cgi.exitCode === null) cgi.kill('SIGKILL'); });
}

async function handle(o: GitHttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parsed = parseGitRequest(req.method ?? 'GET', req.url ?? '/');
  if ('refuse' in parsed) return refuse(res, parsed.refuse, parsed.why);
  const creds = parseBasicAuth(req.headers.authorization);
  // Same answer for a missing repo and wrong credentials: nothing tells which tenants exist.
  if (!creds || !(await o.authorize(parsed.repo, creds.username, creds.password))) {
    o.logger?.info({ repo: parsed.repo, user: creds?.username ?? null }, 'git http: credentials refused');
    return refuse(res, 401, 'authentication required', { 'www-authenticate': 'Basic realm="fleetplane git", charset="UTF-8"' });
  }
  if (!existsSync(join(o.root, `${parsed.repo}.git`))) return refuse(res, 404, 'no such repository');
  runBackend(o, req, res, parsed, creds.username);
}

export async function startGitHttpServer(o: GitHttpServerOptions): Promise<GitHttpServer> {
  const host = o.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    handle(o, req, res).catch((err: unknown) => {
      o.logger?.error({ err }, 'git http: request failed');
      if (!res.headersSent) refuse(res, 500, 'internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://${host}:${port}`;
  return {
    url,
    port,
    repoURL: (name) => `${url}/${name}.git`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
