// Liveness, readiness (the store answers) and the OpenAPI document. All public.
import { ProblemError } from '../problem.ts';
import type { RouteModule } from '../context.ts';
import { coerceError } from '../../domain/errors.ts';

const routes: RouteModule = (app, { store }) => {
  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['health'], summary: 'Liveness', security: [] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { auth: 'public' }, schema: { tags: ['health'], summary: 'Readiness: the store answers', security: [] } }, async () => {
    try {
      await store.ping();
    } catch (err) {
      throw new ProblemError('not-ready', 503, `store not reachable: ${coerceError(err).message}`);
    }
    return { status: 'ready', store: store.kind };
  });

  app.get('/openapi.json', { config: { auth: 'public' }, schema: { tags: ['meta'], summary: 'OpenAPI 3.1 document', security: [] } }, async () => app.swagger());
};

export default routes;
