// fleetplane license …: self-managed licenses as files (src/selfmanaged/license.ts, docs/self-managed.md).
//   issue     the vendor signs a license offline with its bundle signing key (FLEETPLANE_SECRET_KEY or
//             the server's data directory, as `serve` finds it): license.json + license.sig
//   inspect   what a license says (tenant, entitlements, expiry), without checking it
//   verify    the customer's check: signed by the vendor's public key, for the tenant, unexpired
// A renewed license needs no new bundle: license.json/.sig sit outside SHA256SUMS, so the customer
// drops the new pair next to it. Every failure is one line; bad flags or files exit 2, a license
// that does not hold exits 1.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { bundleSigner } from '../../adapters/store/index.ts';
import { ConfigError, loadConfig } from '../../config.ts';
import { LicenseError, signLicense, verifyLicense, type License } from '../../selfmanaged/license.ts';
import { CliError } from '../client.ts';
import { ctx } from '../context.ts';
import { io } from '../io.ts';
import { render } from '../output.ts';

const SLUG = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function count(flag: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new CliError(`${flag} must be a whole number >= ${min}, not "${v}"`, 2);
    return n;
  };
}

/** An RFC 3339 time, or a duration from now: 30d, 12h. */
function expiry(v: string, now: Date): Date {
  const rel = /^(\d{1,5})([dh])$/.exec(v);
  const at = rel ? new Date(now.getTime() + Number(rel[1]) * (rel[2] === 'd' ? 86_400_000 : 3_600_000)) : new Date(v);
  if (Number.isNaN(at.getTime()) || (!rel && !/^\d{4}-\d{2}-\d{2}/.test(v))) throw new CliError(`--expires "${v}" is neither a date (2027-12-01T00:00:00Z) nor a duration (365d, 12h)`, 2);
  if (at.getTime() <= now.getTime()) throw new CliError(`--expires ${at.toISOString()} is not in the future`, 2);
  return at;
}

async function readLicense(file: string): Promise<{ bytes: Buffer; license: License }> {
  const bytes = await readFile(file).catch(() => {
    throw new CliError(`${file}: cannot read the license file`, 2);
  });
  let license: License;
  try {
    license = JSON.parse(bytes.toString('utf8')) as License;
  } catch {
    throw new CliError(`${file}: not JSON`, 2);
  }
  if (license?.kind !== 'License' || typeof license.tenant !== 'string' || typeof license.expiresAt !== 'string' || typeof license.entitlements !== 'object') {
    throw new CliError(`${file}: not a Fleetplane License (kind, tenant, expiresAt, entitlements)`, 2);
  }
  return { bytes, license };
}

const sigFor = (file: string, sig?: string) => sig ?? join(dirname(file), 'license.sig');

export default function register(program: Command): void {
  const license = program.command('license').description('self-managed licenses: issue (vendor, offline), inspect, verify (customer, offline)');

  license.command('issue').description('sign a license with the bundle signing key of this Fleetplane (FLEETPLANE_SECRET_KEY or --data-dir); writes license.json and license.sig')
    .requiredOption('--tenant <slug>', 'the tenant the license is for')
    .requiredOption('--expires <when>', 'expiry: an RFC 3339 time or a duration from now (365d, 12h)')
    .requiredOption('--max-environments <n>', 'environments the tenant may run at once on its clusters (>= 1)', count('--max-environments', 1))
    .option('--max-gpus <n>', 'GPUs one environment may reserve (default 0)', count('--max-gpus', 0), 0)
    .option('--data-dir <dir>', "the server's data directory, whose secret.key signs (default FLEETPLANE_DATA_DIR)")
    .option('--out <dir>', 'where license.json and license.sig go (default .)', '.')
    .action(async (o: { tenant: string; expires: string; maxEnvironments: number; maxGpus: number; dataDir?: string; out: string }) => {
      if (!SLUG.test(o.tenant)) throw new CliError(`--tenant "${o.tenant}" is not a tenant slug (lowercase letters, digits, dashes)`, 2);
      const now = new Date();
      const expiresAt = expiry(o.expires, now);
      let store: { dataDir: string; secretKey?: string };
      try {
        store = loadConfig(process.env, o.dataDir ? { dataDir: o.dataDir } : {}).store;
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message, 2);
        throw err;
      }
      // Never make a new key here: a license signed by a key no server has verifies nowhere.
      if (!store.secretKey && !existsSync(join(store.dataDir, 'secret.key'))) {
        throw new CliError(`no signing key: set FLEETPLANE_SECRET_KEY or --data-dir to the server's data directory (${store.dataDir}/secret.key does not exist)`, 2);
      }
      const signer = await bundleSigner(store);
      const doc: License = {
        apiVersion: 'fleetplane.io/v1alpha1', kind: 'License', id: randomUUID(), tenant: o.tenant, issuedAt: now.toISOString(), expiresAt: expiresAt.toISOString(),
        entitlements: { maxEnvironments: o.maxEnvironments, maxGpus: o.maxGpus },
      };
      const { json, sig } = signLicense(signer, doc);
      await mkdir(o.out, { recursive: true });
      await writeFile(join(o.out, 'license.json'), json);
      await writeFile(join(o.out, 'license.sig'), sig);
      io().out(`issued license ${doc.id} for ${doc.tenant} until ${doc.expiresAt} (max ${o.maxEnvironments} environments, ${o.maxGpus} GPUs; key ${signer.keyId}): ${join(o.out, 'license.json')}, ${join(o.out, 'license.sig')}\n`);
    });

  license.command('inspect <license.json>').description('show what a license says (not a check: use verify)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const { license: l } = await readLicense(file);
      const c = ctx(cmd);
      const expired = !(Date.parse(l.expiresAt) > Date.now());
      const row = { ...l, expired };
      io().out(`${render(row, c.format, [row], [
        ['TENANT', (r) => r.tenant], ['ID', (r) => r.id], ['ISSUED', (r) => r.issuedAt], ['EXPIRES', (r) => r.expiresAt], ['EXPIRED', (r) => r.expired],
        ['MAX-ENVS', (r) => r.entitlements.maxEnvironments], ['MAX-GPUS', (r) => r.entitlements.maxGpus],
      ])}\n`);
    });

  license.command('verify <license.json>').description("check a license offline: the vendor's signature, the tenant, the expiry")
    .requiredOption('--key <pem>', "the vendor's bundle signing key (GET /v1/bundles/signing-key)")
    .option('--sig <path>', 'the detached signature (default license.sig next to the license)')
    .option('--tenant <slug>', 'the tenant it must be for (default: the one it names)')
    .action(async (file: string, o: { key: string; sig?: string; tenant?: string }) => {
      const { bytes, license: l } = await readLicense(file);
      const pem = await readFile(o.key, 'utf8').catch(() => {
        throw new CliError(`--key ${o.key}: cannot read the vendor's public key`, 2);
      });
      const sig = await readFile(sigFor(file, o.sig)).catch(() => undefined);
      try {
        verifyLicense(bytes, sig, pem, { tenant: o.tenant ?? l.tenant, now: new Date() });
      } catch (err) {
        if (err instanceof LicenseError) throw new CliError(`license refused: ${err.message}`, 1);
        // A key that is not a public key PEM.
        throw new CliError(`--key ${o.key}: not a public key (${(err as Error).message.split('\n')[0]})`, 2);
      }
      io().out(`ok: license ${l.id} for ${l.tenant} until ${l.expiresAt} (max ${l.entitlements.maxEnvironments} environments, ${l.entitlements.maxGpus} GPUs)\n`);
    });
}
