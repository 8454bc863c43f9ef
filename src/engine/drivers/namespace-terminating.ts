// A namespace an earlier removal deleted stays, Terminating, until everything in it is gone (seconds
// to minutes: pods, finalizers). Meanwhile the API server refuses to create anything in it ("unable to
// create new content in namespace … because it is being terminated") and what is updated there is
// deleted with it. So delivering into it (an environment moved back to a cluster it just left,
// re-onboarded right after offboarding) waits, as a parked step, until it is gone, then creates it anew.
import { StepWaitingError } from '../../domain/errors.ts';
import type { DriverContext } from './types.ts';

/** How soon a delivery parked on a terminating namespace looks again. */
export const TERMINATING_RECHECK_MS = 2_000;

const TERMINATING = /because it is being terminated/;

/** The step's wait for `namespace` on ctx's cluster to finish terminating. */
export function namespaceTerminating(ctx: DriverContext, namespace: string, since?: string): StepWaitingError {
  return new StepWaitingError(
    `namespace ${namespace} on ${ctx.cluster.name} is still being deleted${since ? ` (since ${since})` : ''}: delivering once it is gone`,
    TERMINATING_RECHECK_MS,
  );
}

/** Parks the step (StepWaitingError) while the environment's namespace is Terminating; one GET. */
export async function waitWhileNamespaceTerminates(ctx: DriverContext): Promise<void> {
  const namespace = ctx.environment.placement.namespace;
  const ns = await ctx.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
  const since = ns?.metadata.deletionTimestamp as string | undefined;
  if (since) throw namespaceTerminating(ctx, namespace, since);
}

/** An apply refused because its namespace is Terminating, as the step's wait; any other error as it was. */
export function asTerminatingWait(ctx: DriverContext, err: Error): Error {
  return TERMINATING.test(err.message) ? namespaceTerminating(ctx, ctx.environment.placement.namespace) : err;
}
