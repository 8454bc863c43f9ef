// /openapi.json is a valid OpenAPI 3.1 document that describes every registered route, and its
// schemas are the ones that validate requests (closed objects: unknown fields rejected).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { BACKENDS, harness, type Harness } from '../helpers/api-harness.ts';

/** Fastify route pattern → OpenAPI path ("{param}", literal ":"). */
function openapiPath(url: string): string {
  return url.replace(/::/g, '\u0000').replace(/:(\w+)(\([^)]*\))?/g, '{$1}').replace(/\u0000/g, ':');
}

/** What is wrong with one declared success response (nothing: []). */
function successIssues(where: string, status: string, r: { content?: Record<string, { schema?: object }> }, ajv: Ajv2020): string[] {
  // A wildcard says nothing a fuzzer can check: each status the route answers is listed.
  if (!/^\d{3}$/.test(status)) return [`${where} is not a status code`];
  if (status === '204' || status === '304') return r.content ? [`${where} declares a body`] : [];
  if (!r.content || Object.keys(r.content).length === 0) return [`${where} has no content`];
  const issues: string[] = [];
  for (const [type, media] of Object.entries(r.content)) {
    if (!media.schema || Object.keys(media.schema).filter((k) => k !== 'description').length === 0) issues.push(`${where} ${type} has no schema`);
    else assert.doesNotThrow(() => ajv.compile(media.schema!), `${where} ${type}`);
  }
  return issues;
}

describe('OpenAPI document', () => {
  let h: Harness;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let doc: any;
  before(async () => {
    h = await harness(BACKENDS[0]!);
    doc = (await h.req('GET', '/openapi.json', { token: null })).body;
  });
  after(async () => h?.close());

  test('is OpenAPI 3.1 with info, paths and bearer security', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(typeof doc.info.title, 'string');
    assert.equal(typeof doc.info.version, 'string');
    assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { responses?: unknown; parameters?: Array<{ name: string; in: string }> }>>)) {
      assert.match(path, /^\//);
      for (const [method, op] of Object.entries(item)) {
        assert.ok(['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(method), `${path} ${method}`);
        assert.ok(op.responses && typeof op.responses === 'object', `${method} ${path} has responses`);
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          assert.ok(op.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === name), `${method} ${path} declares ${name}`);
        }
      }
    }
  });

  test('lists every registered route', () => {
    const missing = h.app.fleetRoutes.filter((r) => !doc.paths[openapiPath(r.url)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(missing, []);
  });

  test('every operation declares its success statuses, each with a response schema (204/304: no body)', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const lacking: string[] = [];
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>)) {
      for (const [method, op] of Object.entries(item)) {
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        const success = Object.entries(op.responses).filter(([status]) => /^[123]/.test(status));
        if (success.length === 0) lacking.push(`${where}: no success status`);
        for (const [status, r] of success) lacking.push(...successIssues(`${where}: ${status}`, status, r, ajv));
        for (const status of ['4XX', '5XX']) assert.ok(op.responses[status]?.content?.['application/problem+json'], `${where}: ${status} problem+json`);
      }
    }
    assert.deepEqual(lacking, []);
    assert.ok(operations >= 100, `operations: ${operations}`);
  });

  test('every schema in it is valid JSON Schema 2020-12, and request bodies are closed', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    let bodies = 0;
    for (const item of Object.values(doc.paths as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object }> } }>>)) {
      for (const op of Object.values(item)) {
        for (const media of Object.values(op.requestBody?.content ?? {})) {
          assert.doesNotThrow(() => ajv.compile(media.schema));
          bodies++;
        }
      }
    }
    assert.ok(bodies >= 10);
    const tenant = doc.paths['/v1/tenants'].post.requestBody.content['application/json'].schema;
    assert.equal(tenant.additionalProperties, false);
    assert.equal(tenant.properties.environments.items.additionalProperties, false);
  });
});
