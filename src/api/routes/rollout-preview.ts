// `POST /v1/rollouts:preview` (admin only, like rollouts): what a rollout of a release would do now,
// before anything is written: waves, skipped environments and why, maintenance-window holds, and per
// environment the objects added, changed (field paths) and removed and the change in requested CPU,
// memory and GPUs (src/engine/rollouts/preview.ts, src/plan/rollout-preview.ts).
import type { Static } from '@sinclair/typebox';
import { previewRolloutOf } from '../../engine/rollouts/preview.ts';
import type { RouteModule } from '../context.ts';
import { RolloutCreate } from './rollouts.ts';
import { RolloutPreviewSchema } from '../responses.ts';

const routes: RouteModule = (app, { store, now, render }) => {
  app.post('/v1/rollouts::preview', {
    config: { auth: 'admin' },
    schema: { tags: ['rollouts'], summary: 'What-if preview of a rollout: waves, skipped environments, per-environment object diffs and resource changes; writes nothing', body: RolloutCreate, response: { 200: RolloutPreviewSchema } },
  }, async (req) => previewRolloutOf(store, req.body as Static<typeof RolloutCreate>, now(), render));
};

export default routes;
