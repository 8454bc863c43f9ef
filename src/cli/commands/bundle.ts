// fleetplane bundle …: the self-managed customer's side (docs/self-managed.md). Everything but the
// uploads works offline, with only the bundle, the vendor's public key and the customer's kubeconfig:
//   verify      signature, checksums, no added files, license (signed, this tenant, unexpired)
//   preflight   the above plus the cluster: Kubernetes version, CRDs, storage class, GPU nodes,
//               quota headroom, permissions, license entitlements
//   install     the above, then server-side apply in order, prune what the last install had and
//               this one dropped, wait for the rollouts (--timeout); writes a signed install report
//               (with each rollout's state), and uploads it with --upload
//   import-report  (air-gapped) uploads a report file later with a tenant-admin token
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { KubeClient } from '../../adapters/kube/index.ts';
import { installBundle } from '../../selfmanaged/install.ts';
import { preflight } from '../../selfmanaged/preflight.ts';
import { signReport, type InstallReport } from '../../selfmanaged/report.ts';
import { BundleRefused, readBundle, verifyBundle, type VerifiedBundle } from '../../selfmanaged/verify.ts';
import { ApiClient, CliError } from '../client.ts';
import { ctx, enc } from '../context.ts';
import { io } from '../io.ts';

interface BundleFlags { key: string; kubeconfig?: string; context?: string }

async function verified(path: string, o: BundleFlags): Promise<VerifiedBundle> {
  const pem = await readFile(o.key, 'utf8').catch(() => {
    throw new CliError(`--key ${o.key}: cannot read the vendor's public key`, 2);
  });
  const files = await readBundle(path).catch(() => {
    throw new CliError(`${path}: not a bundle directory or .tar.gz`, 2);
  });
  try {
    return verifyBundle(files, pem, new Date());
  } catch (err) {
    if (err instanceof BundleRefused) throw new CliError(`bundle refused, nothing applied: ${err.message}`, 1);
    throw err;
  }
}

function kubeOf(o: BundleFlags): KubeClient {
  const path = o.kubeconfig ?? process.env.KUBECONFIG;
  if (!path) throw new CliError('--kubeconfig (or KUBECONFIG) names the cluster to install on', 2);
  return KubeClient.fromKubeconfig({ path, ...(o.context ? { context: o.context } : {}) });
}

const bundleOptions = (c: Command): Command => c
  .requiredOption('--key <pem>', "the vendor's bundle signing key (GET /v1/bundles/signing-key)")
  .option('--kubeconfig <path>', 'the cluster (default KUBECONFIG)').option('--context <name>', 'kubeconfig context');

export default function register(program: Command): void {
  const bundle = program.command('bundle').description("self-managed bundles, on the customer's side: verify, preflight, install/upgrade, install reports");

  bundleOptions(bundle.command('verify <bundle>').description('check signature, checksums and license offline')).action(async (path: string, o: BundleFlags) => {
    const b = await verified(path, o);
    const pinned = b.images.filter((i) => i.digest).length;
    io().out(`ok: ${b.index.tenant}/${b.index.environment} ${b.index.blueprint}@${b.index.version} revision ${b.index.revision}; license ${b.license.id} until ${b.license.expiresAt}; ${pinned}/${b.images.length} images pinned by digest\n`);
  });

  bundleOptions(bundle.command('preflight <bundle>').description("check the cluster against the bundle's requirements (read-only)")).action(async (path: string, o: BundleFlags) => {
    const b = await verified(path, o);
    const r = await preflight(kubeOf(o), b.requirements, b.license, { tenant: b.index.tenant, environment: b.index.environment, namespace: b.index.placement.namespace });
    for (const c of r.checks) io().out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.message}\n`);
    if (!r.ok) throw new CliError('preflight failed', 1);
  });

  bundleOptions(bundle.command('install <bundle>').description('verify, preflight, then install or upgrade in place (server-side apply, prune)'))
    .option('--report-file <path>', 'where the signed install report goes (default install-report-<id>.json)')
    .option('--upload', 'send the report to --server with the bundle\'s report token (online installs)')
    .option('--timeout <duration>', 'how long to wait for the rollouts: 300s, 10m (0: do not wait)', '300s')
    .action(async (path: string, o: BundleFlags & { reportFile?: string; upload?: boolean; timeout: string }, cmd: Command) => {
      const m = /^(\d{1,6})(s|m)?$/.exec(o.timeout);
      if (!m) throw new CliError(`--timeout "${o.timeout}" is not a duration (300s, 10m)`, 2);
      const timeoutMs = Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
      const b = await verified(path, o);
      if (!b.reportToken) throw new CliError('report.key is missing from the bundle', 1);
      const rollout = timeoutMs > 0 ? { timeoutMs, pollMs: 1000, now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) } : undefined;
      const body = await installBundle(kubeOf(o), b, { now: () => new Date(), progress: (l) => io().out(`${l}\n`), ...(rollout ? { rollout } : {}) });
      const report = signReport(b.reportToken, body);
      const file = o.reportFile ?? `install-report-${report.id}.json`;
      await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
      io().out(`${report.result}: ${report.message}\nreport: ${file}\n`);
      if (o.upload) {
        const server = ctx(cmd).client.opts.server;
        await new ApiClient({ server, token: b.reportToken }).request('POST', '/v1/install-reports', { body: report });
        io().out(`report sent to ${server}\n`);
      }
      if (report.result !== 'installed') throw new CliError(report.message, 1);
    });

  bundle.command('import-report <file>').description('upload a signed install report from a file (air-gapped installs; a tenant-admin token)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      let report: InstallReport;
      try {
        report = JSON.parse(await readFile(file, 'utf8')) as InstallReport;
      } catch {
        throw new CliError(`${file}: not a JSON install report`, 2);
      }
      const c = ctx(cmd);
      const { status } = await c.client.request('POST', `/v1/tenants/${enc(String(report.tenant))}/install-reports`, { body: report });
      io().out(`${status === 201 ? 'imported' : 'already imported'}: ${report.tenant}/${report.environment} ${report.version} (${report.result})\n`);
    });
}
