// Credentials of one testbed cluster: a service-account signing key, static bearer tokens for the
// admin and each control-plane component (a token file keeps this free of a CA toolchain), and
// kubeconfigs. The API server generates its own self-signed serving cert and CA in --cert-dir.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { run } from './exec.ts';

/** Identities with a static token; RBAC's bootstrap bindings already cover the system: users. */
export const IDENTITIES = {
  admin: { user: 'fleetplane-admin', groups: ['system:masters'] },
  'kube-controller-manager': { user: 'system:kube-controller-manager', groups: [] },
  'kube-scheduler': { user: 'system:kube-scheduler', groups: [] },
  kwok: { user: 'kwok-controller', groups: ['system:masters'] },
} as const;
export type Identity = keyof typeof IDENTITIES;

export interface ClusterFiles {
  dir: string;
  certDir: string;
  caFile: string;
  tokenFile: string;
  saKey: string;
  saPub: string;
  kubeconfig: (who: Identity) => string;
}

export function clusterFiles(dir: string): ClusterFiles {
  const certDir = path.join(dir, 'pki');
  return {
    dir,
    certDir,
    caFile: path.join(certDir, 'ca.crt'),
    tokenFile: path.join(dir, 'secrets', 'tokens.csv'),
    saKey: path.join(dir, 'secrets', 'sa.key'),
    saPub: path.join(dir, 'secrets', 'sa.pub'),
    kubeconfig: (who) => (who === 'admin' ? path.join(dir, 'kubeconfig') : path.join(dir, 'secrets', `${who}.kubeconfig`)),
  };
}

/** Creates keys and the token file once; reruns keep them so existing kubeconfigs stay valid. */
export async function ensureSecrets(f: ClusterFiles): Promise<void> {
  await fs.mkdir(path.dirname(f.tokenFile), { recursive: true, mode: 0o700 });
  await fs.mkdir(f.certDir, { recursive: true, mode: 0o700 });
  if (!existsSync(f.saKey)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await fs.writeFile(f.saKey, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    await fs.writeFile(f.saPub, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o600 });
  }
  if (!existsSync(f.tokenFile)) {
    const lines = Object.entries(IDENTITIES).map(([id, v], i) => {
      const token = randomBytes(24).toString('hex');
      return `${token},${v.user},uid-${i}-${id},"${v.groups.join(',')}"`;
    });
    await fs.writeFile(f.tokenFile, lines.join('\n') + '\n', { mode: 0o600 });
  }
}

async function tokenOf(f: ClusterFiles, who: Identity): Promise<string> {
  const user = IDENTITIES[who].user;
  const line = (await fs.readFile(f.tokenFile, 'utf8')).split('\n').find((l) => l.split(',')[1] === user);
  if (!line) throw new Error(`token for ${user} missing in ${f.tokenFile}`);
  return line.split(',')[0]!;
}

/** The API server writes its serving cert followed by its CA; kubeconfigs trust only the CA. */
export async function extractCa(f: ClusterFiles): Promise<string> {
  const pem = await fs.readFile(path.join(f.certDir, 'apiserver.crt'), 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
  const ca = blocks[blocks.length - 1];
  if (!ca) throw new Error(`no certificate in ${f.certDir}/apiserver.crt`);
  await fs.writeFile(f.caFile, ca);
  return ca;
}

export async function writeKubeconfigs(f: ClusterFiles, name: string, server: string): Promise<void> {
  const ca = Buffer.from(await fs.readFile(f.caFile)).toString('base64');
  for (const who of Object.keys(IDENTITIES) as Identity[]) {
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server, 'certificate-authority-data': ca } }],
      users: [{ name: `${name}-${who}`, user: { token: await tokenOf(f, who) } }],
      contexts: [{ name, context: { cluster: name, user: `${name}-${who}` } }],
      'current-context': name,
    };
    await fs.writeFile(f.kubeconfig(who), YAML.stringify(config), { mode: 0o600 });
  }
}

export async function adminToken(f: ClusterFiles): Promise<string> {
  return tokenOf(f, 'admin');
}

/**
 * A CA and a serving certificate it signs for `ips` (e.g. a webhook served by a host process),
 * made once with openssl and kept: ca.crt, ca.key, tls.crt, tls.key in `dir`. The API server trusts
 * the CA through the webhook configuration's caBundle.
 */
export async function ensureServingCert(dir: string, ips: string[], cn: string): Promise<{ ca: string; cert: string; key: string }> {
  const files = { ca: path.join(dir, 'ca.crt'), caKey: path.join(dir, 'ca.key'), cert: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key') };
  if (![files.ca, files.caKey, files.cert, files.key].every((f) => existsSync(f))) {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const ext = path.join(dir, 'tls.ext');
    const csr = path.join(dir, 'tls.csr');
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.caKey, '-out', files.ca, '-days', '3650', '-subj', `/CN=${cn}-ca`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.key, '-out', csr, '-subj', `/CN=${cn}`]);
    await fs.writeFile(ext, `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
    await openssl(['x509', '-req', '-in', csr, '-CA', files.ca, '-CAkey', files.caKey, '-CAcreateserial', '-out', files.cert, '-days', '3650', '-extfile', ext]);
    for (const f of [files.caKey, files.key]) await fs.chmod(f, 0o600);
  }
  return { ca: files.ca, cert: files.cert, key: files.key };
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args);
}
