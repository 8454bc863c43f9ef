// One export pass in its own process (the SIGKILL test): the store (PostgreSQL) and the simulated
// time come from argv; AWS goes through the real SDK with its real HTTP handler to an endpoint on
// 127.0.0.1, Azure through the REST client to the same server. Prints the pass result.
import { openStore } from '../../src/adapters/store/index.ts';
import { awsMeteringTransport } from '../../src/adapters/marketplace/aws.ts';
import { azureMeteringTransport } from '../../src/adapters/marketplace/azure.ts';
import { DEFAULT_EXPORT_CONFIG } from '../../src/metering/export/config.ts';
import { Exporter } from '../../src/metering/export/exporter.ts';

const [databaseUrl, dataDir, endpoint, nowMs, owner] = process.argv.slice(2);
const store = await openStore({ databaseUrl, dataDir: dataDir!, maxConnections: 2 });
const exporter = new Exporter({
  exports: store.meteringExports,
  transports: {
    aws: awsMeteringTransport({ client: { endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' } } }),
    azure: azureMeteringTransport({ token: async () => 'test-token', baseUrl: `${endpoint}/azure/api` }),
  },
  config: DEFAULT_EXPORT_CONFIG, now: () => new Date(Number(nowMs)), owner: owner!,
});
process.stdout.write(`${JSON.stringify(await exporter.runOnce())}\n`);
await store.close();
