// Applies pending migrations and exits: `node --import tsx src/cli/migrate.ts`.
// An entry point like `serve`, configured the same way (src/config.ts): FLEETPLANE_DATABASE_URL
// (PostgreSQL) or FLEETPLANE_DATA_DIR (embedded, default ./.fleetplane, as serve).
// Prints one JSON line {"applied":[ids]}; several copies may run at once against one server.
import { loadConfig } from '../config.ts';
import { openDb } from '../adapters/store/db.ts';
import { migrate } from '../adapters/store/migrate.ts';
import { coerceError } from '../domain/errors.ts';

let db: Awaited<ReturnType<typeof openDb>> | undefined;
try {
  const { store } = loadConfig(process.env);
  db = await openDb({ databaseUrl: store.databaseUrl, dataDir: store.dataDir, maxConnections: 1 });
  const applied = await migrate(db);
  process.stdout.write(`${JSON.stringify({ applied })}\n`);
} catch (err) {
  process.stderr.write(`migrate: ${coerceError(err).message}\n`);
  process.exitCode = 1;
} finally {
  await db?.close();
}
