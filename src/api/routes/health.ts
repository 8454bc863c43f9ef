// Liveness, readiness (the store answers) and the OpenAPI document. All public.
import { Type } from '@sinclair/typebox';
import { ProblemError } from '../problem.ts';
import type { RouteModule } from '../context.ts';
import { coerceError } from '../../domain/errors.ts';
import { Open, OpenWith } from '../responses.ts';

const routes: RouteModule = (app, { store }) => {
  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['health'], summary: 'Liveness', security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }, { description: 'The process answers' }) } } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { config: { auth: 'public' }, schema: { tags: ['health'], summary: 'Readiness: the store answers', security: [], response: { 200: Type.Object({ status: Type.Literal('ready'), store: Type.Union([Type.Literal('embedded'), Type.Literal('postgres')]) }, { description: 'The store answers' }) } } }, async () => {
    try {
      await store.ping();
    } catch (err) {
      throw new ProblemError('not-ready', 503, `store not reachable: ${coerceError(err).message}`);
    }
    return { status: 'ready' as const, store: store.kind };
  });

  app.get('/openapi.json', { config: { auth: 'public' }, schema: { tags: ['meta'], summary: 'OpenAPI 3.1 document', security: [], response: { 200: OpenWith({ openapi: Type.String(), info: Open('title, version, license'), paths: Open('every operation') }, 'This document') } } }, async () => app.swagger() as unknown as { openapi: string; info: object; paths: object });
};

export default routes;
