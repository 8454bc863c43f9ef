// The object builders of an environment: each takes the resolved context and returns its objects.
// A new rendered kind is a builder here, plus its place in the one kind order (src/domain/kinds.ts).
import { renderConfig } from './config.ts';
import { monitoringObjects } from './monitoring/index.ts';
import { renderNamespace } from './namespace.ts';
import { renderNetwork, renderWaypoint } from './network.ts';
import { renderRbac } from './rbac.ts';
import { renderSecretStores } from './secret-store.ts';
import { renderAvailability, renderRoutes, renderServices } from './services.ts';
import type { Builder } from './types.ts';
import { renderWorkloads } from './workloads.ts';
import { renderGpuClaims, renderModelStorage } from './ai/model.ts';

/** Builders of every object but the monitoring ones (bulk rendering stencils those separately). */
export const OBJECT_BUILDERS: readonly Builder[] = [renderNamespace, renderNetwork, renderRbac, renderSecretStores, renderConfig, renderModelStorage, renderGpuClaims, renderWorkloads, renderServices, renderAvailability, renderRoutes, renderWaypoint];

/** Every builder: what renderEnvironment runs. */
export const BUILDERS: readonly Builder[] = [...OBJECT_BUILDERS, monitoringObjects];
