import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { createLogger, fastifyLoggingOptions, forOperation, redact, requestIdFrom, requestIdPlugin, resolveLevel } from './logging.ts';

function memory(): { stream: Writable; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { chunks.push(String(chunk)); cb(); } });
  const text = () => chunks.join('');
  return { stream, text, lines: () => text().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const TOKEN = 'fpt_s3cr3tT0k3nValue';
const KUBECONFIG = `apiVersion: v1\nusers:\n- name: admin\n  user:\n    token: ${TOKEN}\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVk=\n`;

test('secrets never reach the log output', () => {
  const mem = memory();
  const log = createLogger({ level: 'debug', destination: mem.stream });
  const op = forOperation(log, { operationId: 'op-1', tenant: 'acme', environment: 'prod', cluster: 'east-1', requestId: 'req-9' });
  op.info({ headers: { authorization: `Bearer ${TOKEN}`, 'x-api-key': TOKEN }, cluster: { name: 'east-1', kubeconfig: KUBECONFIG, credentials: { password: 'hunter2' } } }, 'registering cluster');
  op.warn(`retrying with Authorization: Bearer ${TOKEN}`);
  op.info({ note: `cluster file:\n${KUBECONFIG}`, url: 'postgres://fleet:hunter2@db:5432/x' }, 'raw text');
  const err = Object.assign(new Error(`apply failed, token: ${TOKEN}`), { apiToken: TOKEN });
  op.error({ err }, 'step failed');
  log.child({ secretKey: TOKEN }).info('child bindings');
  const out = mem.text();
  assert.ok(!out.includes(TOKEN), `token leaked: ${out}`);
  assert.ok(!out.includes('hunter2'), 'password leaked');
  assert.ok(!out.includes('LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVk='), 'client key leaked');
  const lines = mem.lines();
  assert.equal(lines.length, 5);
  assert.equal((lines[0]!.headers as Record<string, unknown>).authorization, '[REDACTED]');
  assert.equal((lines[3]!.err as Record<string, unknown>).type, 'Error');
});

test('every line of work carries operation, tenant, environment, cluster and request ids', () => {
  const mem = memory();
  const op = forOperation(createLogger({ destination: mem.stream }), { operationId: 'op-1', tenant: 'acme', environment: 'prod', cluster: 'east-1', requestId: 'req-9', kind: null });
  op.info('claimed');
  op.child({ step: 'apply' }).info('applied');
  for (const line of mem.lines()) {
    assert.deepEqual([line.operationId, line.tenant, line.environment, line.cluster, line.requestId], ['op-1', 'acme', 'prod', 'east-1', 'req-9']);
    assert.equal('kind' in line, false, 'null ids are left out');
    assert.equal(typeof line.time, 'string');
    assert.equal(line.level, 'info');
  }
});

test('redact keeps non-secret data and masks by key at any depth', () => {
  assert.deepEqual(redact({ a: 1, list: [{ password: 'x', ok: 'y' }], nested: { deeper: { clientSecret: 's' } } }),
    { a: 1, list: [{ password: '[REDACTED]', ok: 'y' }], nested: { deeper: { clientSecret: '[REDACTED]' } } });
});

test('log level comes from the option (serve passes FLEETPLANE_LOG_LEVEL), and bad values fall back to info', () => {
  assert.equal(resolveLevel('DEBUG'), 'debug');
  assert.equal(resolveLevel('loud'), 'info');
  const prev = process.env.FLEETPLANE_LOG_LEVEL;
  process.env.FLEETPLANE_LOG_LEVEL = 'warn';
  try {
    assert.equal(resolveLevel(undefined), 'info', 'the environment is read by src/config.ts, not here');
  } finally {
    if (prev === undefined) delete process.env.FLEETPLANE_LOG_LEVEL;
    else process.env.FLEETPLANE_LOG_LEVEL = prev;
  }
});

test('request ids: sane x-request-id is kept, junk is replaced, echoed back and logged as requestId', async () => {
  assert.equal(requestIdFrom('abc-123'), 'abc-123');
  assert.match(requestIdFrom('bad id with spaces\n'), /^[0-9a-f-]{36}$/);
  assert.match(requestIdFrom(undefined), /^[0-9a-f-]{36}$/);
  const mem = memory();
  const app = Fastify({ ...fastifyLoggingOptions(createLogger({ destination: mem.stream })) });
  await app.register(requestIdPlugin);
  app.get('/x', async (req) => {
    req.log.info('handling');
    return { id: req.id };
  });
  try {
    const given = await app.inject({ url: '/x', headers: { 'x-request-id': 'trace-42' } });
    assert.equal(given.headers['x-request-id'], 'trace-42');
    assert.deepEqual(given.json(), { id: 'trace-42' });
    const minted = await app.inject({ url: '/x' });
    assert.match(String(minted.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.ok(mem.lines().some((l) => l.requestId === 'trace-42' && l.msg === 'handling'));
  } finally {
    await app.close();
  }
});

test('HTTP request lines keep method, url and status, never headers or query secrets', async () => {
  const mem = memory();
  const app = Fastify({ ...fastifyLoggingOptions(createLogger({ destination: mem.stream })) });
  app.get('/y', async () => ({}));
  try {
    await app.inject({ url: `/y?access_token=${TOKEN}&page=2`, headers: { authorization: `Bearer ${TOKEN}`, cookie: `s=${TOKEN}` } });
    const lines = mem.lines();
    const incoming = lines.find((l) => l.msg === 'incoming request')!;
    const done = lines.find((l) => l.msg === 'request completed')!;
    assert.deepEqual((incoming.req as Record<string, unknown>).method, 'GET');
    assert.match(String((incoming.req as Record<string, unknown>).url), /^\/y\?access_token=\[REDACTED\]&page=2$/);
    assert.equal((done.res as Record<string, unknown>).statusCode, 200);
    assert.ok(!mem.text().includes(TOKEN));
  } finally {
    await app.close();
  }
});
