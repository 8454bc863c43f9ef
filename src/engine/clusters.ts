// The one write path from the engine to clusters. Drivers get a ClusterClient from fencedClient:
// every apply and delete first checks the running operation's lease (LeaseKeeper.assertHeld: a
// refused heartbeat or the local deadline, checked now rather than when a timer runs, since timers
// run late on a starved event loop) and its abort signal, and the request carries that signal, so
// an in-flight write is cut when the lease is lost. No driver can write without the fence.
//
// Each write is published on the diagnostics channel WRITES_CHANNEL ({worker, operation, cluster,
// verb, ref, phase: start|end, at}); nothing is done when nobody subscribes. The crash-safety test
// subscribes in its `serve` processes (test/helpers/write-recorder.ts) to prove that no object is
// written by two workers at once.
import { channel } from 'node:diagnostics_channel';
import type { KubeClient } from '../adapters/kube/index.ts';
import { PermanentError } from '../domain/errors.ts';
import type { ObjectRef } from '../domain/types.ts';
import { refOf } from '../domain/kinds.ts';
import type { ClusterClient } from './drivers/types.ts';

export interface WriteFence {
  /** Throws unless this worker may still write for the operation (the lease keeper's check). */
  assertLease(): void;
  /** Aborted when the lease is lost or the worker stops. */
  signal: AbortSignal;
  worker: string;
  operation: string;
  /** Wall clock for the write events (comparable across processes). */
  now(): Date;
}

export const WRITES_CHANNEL = 'fleetplane:cluster-write';

export interface WriteEvent {
  worker: string;
  operation: string;
  cluster: string;
  verb: 'apply' | 'patch' | 'delete';
  /** kind/namespace/name */
  ref: string;
  phase: 'start' | 'end';
  /** Epoch ms. */
  at: number;
}

const writes = channel(WRITES_CHANNEL);

export const refString = (r: ObjectRef): string => `${r.kind}/${r.namespace ?? ''}/${r.name}`;

export function fencedClient(cluster: string, kube: KubeClient, fence: WriteFence): ClusterClient {
  const event = (verb: WriteEvent['verb'], ref: ObjectRef, phase: WriteEvent['phase']): void => {
    if (!writes.hasSubscribers) return;
    writes.publish({ worker: fence.worker, operation: fence.operation, cluster, verb, ref: refString(ref), phase, at: fence.now().getTime() } satisfies WriteEvent);
  };
  async function write<T>(verb: WriteEvent['verb'], ref: ObjectRef, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    fence.assertLease();
    fence.signal.throwIfAborted();
    event(verb, ref, 'start');
    try {
      return await call(fence.signal);
    } finally {
      event(verb, ref, 'end');
    }
  }
  return {
    cluster,
    apply: (obj, opts = {}) => write('apply', refOf(obj), (signal) => kube.apply(obj, {
      force: opts.force ?? false, dryRun: opts.dryRun ?? false, ...(opts.fieldManager ? { fieldManager: opts.fieldManager } : {}), precondition: opts.precondition ?? false, signal,
    })),
    mergePatch: (ref, patch) => write('patch', ref, (signal) => kube.mergePatchIfExists(ref, patch, { signal })),
    delete: (ref, opts = {}) => write('delete', ref, (signal) => kube.delete(ref, { ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}), signal })),
    get: (ref) => kube.get(ref, { signal: fence.signal }),
    list: (q) => kube.list(q.apiVersion, q.kind, listOptions(q, fence.signal)),
  };
}

/** For drift checks (no lease held): reads only; a write is refused before it reaches the cluster. */
export function readOnlyClient(cluster: string, kube: KubeClient, signal?: AbortSignal): ClusterClient {
  const refuse = (): Promise<never> => Promise.reject(new PermanentError(`cluster ${cluster}: this client only reads (drift check)`));
  return {
    cluster,
    apply: refuse,
    mergePatch: refuse,
    delete: refuse,
    get: (ref) => kube.get(ref, signal ? { signal } : {}),
    list: (q) => kube.list(q.apiVersion, q.kind, listOptions(q, signal)),
  };
}

function listOptions(q: { namespace?: string; labelSelector?: string }, signal?: AbortSignal) {
  return { ...(q.namespace ? { namespace: q.namespace } : {}), ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}), ...(signal ? { signal } : {}) };
}
