// Applies pending migrations and exits: `node --import tsx src/adapters/store/migrate-cli.ts`.
// Uses FLEETPLANE_DATABASE_URL (PostgreSQL) or FLEETPLANE_DATA_DIR (embedded, default ./.fleetplane/data).
// Prints one JSON line {"applied":[ids]}; several copies may run at once against one server.
import { openDb } from './db.ts';
import { migrate } from './migrate.ts';
import { coerceError } from '../../domain/errors.ts';

const db = await openDb({ databaseUrl: process.env.FLEETPLANE_DATABASE_URL, dataDir: process.env.FLEETPLANE_DATA_DIR ?? './.fleetplane/data', maxConnections: 1 });
try {
  const applied = await migrate(db);
  process.stdout.write(`${JSON.stringify({ applied })}\n`);
} catch (err) {
  process.stderr.write(`migrate: ${coerceError(err).message}\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}
