// Cluster credentials may carry inline data only (src/adapters/kube/credential-policy.ts). An exec
// plugin, an auth-provider or a file reference is refused at registration with a 400 naming the
// field, and a kubeconfig stored around the API is refused again when a client is built: the plugin
// (a real shell command that would leave a marker file) never runs, through the live fleet probe.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, counts, harness, type Harness } from '../helpers/api-harness.ts';
import { getTestbed } from '../helpers/testbed.ts';

function kubeconfig(user: string, cluster = 'server: https://127.0.0.1:16410\n      certificate-authority-data: AAAA'): string {
  return `apiVersion: v1\nkind: Config\nclusters:\n  - name: c\n    cluster:\n      ${cluster}\nusers:\n  - name: u\n    user:\n      ${user}\ncontexts:\n  - name: c\n    context: {cluster: c, user: u}\ncurrent-context: c\n`;
}

for (const backend of BACKENDS) {
  describe(`cluster credentials are inline only (${backend})`, () => {
    let h: Harness;
    let dir: string;
    let marker: string;
    let exec: string;
    before(async () => {
      h = await harness(backend);
      dir = await mkdtemp(join(tmpdir(), 'fp-cred-'));
      marker = join(dir, 'plugin-ran');
      exec = `exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: ["-c", "touch ${marker}; echo '{\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"x\\"}}'"], interactiveMode: Never}`;
    });
    after(async () => {
      await h?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses exec plugins, auth providers and file references with a 400 naming the field, writing nothing', async () => {
      const cases: Array<[string, string]> = [
        [kubeconfig(exec), '/credentials/users/0/user/exec'],
        [kubeconfig('auth-provider: {name: gcp, config: {cmd-path: /bin/sh}}'), '/credentials/users/0/user/auth-provider'],
        [kubeconfig('token-file: /etc/shadow'), '/credentials/users/0/user/token-file'],
        [kubeconfig('client-key: /root/.ssh/id_rsa'), '/credentials/users/0/user/client-key'],
        [kubeconfig('client-certificate: /etc/passwd'), '/credentials/users/0/user/client-certificate'],
        [kubeconfig('token: t', 'server: https://127.0.0.1:16410\n      certificate-authority: /etc/ssl/private/key.pem'), '/credentials/clusters/0/cluster/certificate-authority'],
        [kubeconfig('token: t', 'server: https://127.0.0.1:16410\n      proxy-url: http://attacker.example:3128'), '/credentials/clusters/0/cluster/proxy-url'],
      ];
      const before = await counts(h.store);
      for (const [credentials, field] of cases) {
        const r = await h.req('POST', '/v1/clusters', { body: { name: 'evil', provider: 'local', region: 'r', apiServer: 'https://127.0.0.1:16410', credentials } });
        assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body)}`);
        assert.match(String(r.headers['content-type']), /application\/problem\+json/);
        assert.ok(r.body.errors?.some((e: { field: string }) => e.field === field), `${field}: ${JSON.stringify(r.body)}`);
      }
      assert.deepEqual(await counts(h.store), before);
      assert.equal(existsSync(marker), false, 'the exec plugin never ran');
    });

    it('a kubeconfig stored around the API is refused at use: the fleet probe reports it and the plugin never runs', async () => {
      await h.store.clusters.upsert({ name: 'smuggled', provider: 'local', region: 'r', labels: {}, role: 'shared', apiServer: 'https://127.0.0.1:16410', credentials: kubeconfig(exec) });
      const r = await h.req('GET', '/v1/fleet/health');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const row = r.body.byCluster.find((c: { cluster: string }) => c.cluster === 'smuggled');
      assert.equal(row.reachable, false);
      assert.match(row.error, /exec credential plugins would run a program/);
      assert.equal(existsSync(marker), false, 'the exec plugin never ran');
    });

    it('a real testbed kubeconfig (inline CA data and token) is accepted and probes the real cluster', async () => {
      const [cluster] = (await getTestbed({ clusters: 1 })).clusters;
      const credentials = await readFile(cluster!.kubeconfig, 'utf8');
      const r = await h.req('POST', '/v1/clusters', { body: { name: 'real', provider: 'local', region: 'r', apiServer: cluster!.apiServer, credentials } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const health = await h.req('GET', '/v1/fleet/health');
      assert.equal(health.status, 200);
      const row = health.body.byCluster.find((c: { cluster: string }) => c.cluster === 'real');
      assert.equal(row.reachable, true, JSON.stringify(row));
    });
  });
}
