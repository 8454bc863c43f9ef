// Detached process started by `argocd up`: the git smart HTTP server and the chart repository.
//   node --import tsx testbed/lib/argocd-fixtures-main.ts <argocd state dir>
import { pino } from 'pino';
import { credentialsFileAuthorizer, startGitHttpServer } from '../../src/adapters/git/http-server.ts';
import { FIXTURE_PORTS, fixtureDirs, startChartServer } from './argocd-fixtures.ts';

const state = process.argv[2];
if (!state) {
  console.error('usage: argocd-fixtures-main.ts <argocd state dir>');
  process.exit(2);
}
const dirs = fixtureDirs(state);
const logger = pino({ base: { component: 'argocd-fixtures' } });
const git = await startGitHttpServer({ root: dirs.git, port: FIXTURE_PORTS.git, authorize: credentialsFileAuthorizer(dirs.credentials), logger });
await startChartServer(dirs.charts, FIXTURE_PORTS.charts);
logger.info({ git: git.url, charts: `http://127.0.0.1:${FIXTURE_PORTS.charts}` }, 'serving');
