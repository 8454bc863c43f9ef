// Fault (#14): the embedded store's disk full. The data directory lives on a small tmpfs (mounted by
// this test; it needs root and a kernel that allows it, which the CI machine has — elsewhere the test
// is skipped and says why). The disk is filled to a few KiB; tenants are created through the real API
// until the store runs out of room. Then: no 500 and no crash, a 503 store-unavailable problem+json
// with Retry-After, nothing written for the refused request; once there is room again writes go on,
// and a reopened store holds exactly the accepted tenants.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { buildApp } from '../../src/api/app.ts';
import type { Api } from '../../src/api/context.ts';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { apiDeps } from '../helpers/api-harness.ts';

const run = promisify(execFile);
const mountPoint = await mkdtemp(join(tmpdir(), 'fp-disk-full-'));
const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mountPoint]).then(() => true, (err: Error) => err.message.split('\n')[0]!);
const dataDir = join(mountPoint, 'data');
const filler = join(mountPoint, 'filler');
const secretKey = randomBytes(32).toString('hex');
const token = `fpt_diskfull_${randomBytes(10).toString('hex')}`;
let store: SqlStore;
let app: Api;

const free = () => { const s = statfsSync(mountPoint); return s.bavail * s.bsize; };
const open = async () => openStore({ dataDir, secretKey });
async function createTenant(slug: string) {
  const r = await app.inject({
    method: 'POST', url: '/v1/tenants', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ slug, name: `${slug} ${'n'.repeat(180)}`, tier: 'shared', labels: { note: 'x'.repeat(60) }, environments: [] }),
  });
  return { status: r.statusCode, type: String(r.headers['content-type'] ?? ''), retryAfter: r.headers['retry-after'], body: JSON.parse(r.body) as Record<string, unknown> };
}

before(async () => {
  if (mounted !== true) return;
  store = await open();
  await store.migrate();
  await store.tokens.create({ name: 'admin', tenant: null, role: 'admin' }, token);
  app = await buildApp(await apiDeps(store, dataDir), { logger: false });
  await app.ready();
});

after(async () => {
  await app?.close();
  await store?.close();
  if (mounted === true) await run('umount', [mountPoint]).catch(() => undefined);
  await rm(mountPoint, { recursive: true, force: true }).catch(() => rmdir(mountPoint));
});

test('disk full under the embedded store: 503 store-unavailable, nothing half-written, writes resume when there is room', { skip: mounted === true ? false : `cannot mount a tmpfs here: ${String(mounted)}` }, async () => {
  await writeFile(filler, Buffer.alloc(Math.max(0, free() - 16 * 1024)));
  const accepted: string[] = [];
  let refused: Awaited<ReturnType<typeof createTenant>> | null = null;
  let refusedSlug = '';
  for (let i = 0; i < 3000 && !refused; i++) {
    const slug = `full-${i}`;
    const r = await createTenant(slug);
    if (r.status === 201) accepted.push(slug);
    else {
      refused = r;
      refusedSlug = slug;
    }
  }
  assert.ok(refused, `the disk filled up (accepted ${accepted.length})`);
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.match(refused.type, /application\/problem\+json/);
  assert.equal(refused.body.type, 'https://fleetplane.io/problems/store-unavailable');
  assert.match(String(refused.body.detail), /No space left on device|SQLSTATE 53100/, String(refused.body.detail));
  assert.equal(refused.retryAfter, '5');
  // Reads still work while it is full, and the refused tenant is not there.
  const miss = await app.inject({ method: 'GET', url: `/v1/tenants/${refusedSlug}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(miss.statusCode, 404, miss.body);

  await rm(filler);
  const later = await createTenant('after-room');
  assert.equal(later.status, 201, JSON.stringify(later.body));
  await app.close();
  await store.close();
  store = await open();
  const slugs = (await store.tenants.list({ limit: 5000 })).items.map((t) => t.slug).sort();
  assert.deepEqual(slugs, [...accepted, 'after-room'].sort(), 'a reopened store holds exactly the accepted tenants');
  app = await buildApp(await apiDeps(store, dataDir), { logger: false });
});
