// KubeClient: server-side apply, get, paginated list, delete against one cluster.
import { InputError } from '../../domain/errors.ts';
import { refOf } from '../../domain/kinds.ts';
import { FIELD_MANAGER, type KubeObject, type ObjectRef } from '../../domain/types.ts';
import { mapLimit, type Settled } from './concurrency.ts';
import { Discovery, groupVersionPath, type ResourceInfo } from './discovery.ts';
import { isGone, isNotFound } from './errors.ts';
import { loadKubeConfig, Transport, type KubeconfigSource } from './transport.ts';

export interface ApplyOptions {
  /** Take ownership of fields another manager owns (SSA `force`). Off unless chosen explicitly. */
  force?: boolean;
  /** Server-side dry run (`dryRun=All`): full validation and admission, nothing persisted. */
  dryRun?: boolean;
  /** Defaults to FIELD_MANAGER (`fleetplane`). */
  fieldManager?: string;
  /** Namespace for namespaced objects that carry none. */
  defaultNamespace?: string;
  /**
   * Keep the object's metadata.resourceVersion: the apply then succeeds only while the live object
   * is at that version (409 Conflict otherwise), for read-modify-write. Off: the version is dropped.
   */
  precondition?: boolean;
  /** Aborts the request in flight (the caller may no longer write, e.g. it lost its lease). */
  signal?: AbortSignal;
}

export interface ListOptions {
  namespace?: string;
  /** Aborts the request in flight. */
  signal?: AbortSignal;
  labelSelector?: string | Record<string, string>;
  fieldSelector?: string;
  /** Page size for `limit`/`continue` pagination (default 500). */
  pageSize?: number;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  /** Aborts the request in flight. */
  signal?: AbortSignal;
}

const MAX_RELISTS = 3;

export function selectorString(sel: string | Record<string, string>): string {
  return typeof sel === 'string' ? sel : Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',');
}

/** Wraps each call (metrics): `verb` is apply, patch, get, list or delete. */
export type CallTimer = <T>(verb: string, call: () => Promise<T>) => Promise<T>;

const untimed: CallTimer = (_verb, call) => call();

/**
 * The metadata an apply sends: SSA rejects managedFields; resourceVersion turns the apply into a
 * precondition, which only a caller that read the object asks for.
 */
function applyMetadata(m: KubeObject['metadata'], precondition: boolean): KubeObject['metadata'] {
  const { managedFields: _mf, resourceVersion: rv, ...rest } = m;
  return precondition && rv ? { ...rest, resourceVersion: rv } : rest;
}

export class KubeClient {
  readonly discovery: Discovery;

  constructor(readonly transport: Transport, private readonly timed: CallTimer = untimed) {
    this.discovery = new Discovery(transport);
  }

  static fromKubeconfig(src: KubeconfigSource, timed?: CallTimer): KubeClient {
    return new KubeClient(new Transport(loadKubeConfig(src)), timed);
  }

  get server(): string {
    return this.transport.server;
  }

  private async path(ref: { apiVersion: string; kind: string; namespace?: string; name?: string }, defaultNamespace?: string): Promise<{ info: ResourceInfo; path: string }> {
    const info = await this.discovery.resolve(ref.apiVersion, ref.kind);
    const ns = ref.namespace ?? defaultNamespace;
    if (info.namespaced && !ns && ref.name !== undefined) throw new InputError(`${ref.kind} ${ref.name} is namespaced but has no namespace`, [{ field: '/metadata/namespace', message: 'required' }]);
    const nsPart = info.namespaced && ns ? `/namespaces/${encodeURIComponent(ns)}` : '';
    const namePart = ref.name !== undefined ? `/${encodeURIComponent(ref.name)}` : '';
    return { info, path: `${groupVersionPath(ref.apiVersion)}${nsPart}/${info.plural}${namePart}` };
  }

  /** Server-side apply of one object with field manager `fleetplane` and strict field validation. */
  apply<T extends KubeObject = KubeObject>(obj: KubeObject, opts: ApplyOptions = {}): Promise<T> {
    return this.timed('apply', () => this.applyOne<T>(obj, opts));
  }

  private async applyOne<T extends KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T> {
    if (!obj?.apiVersion || !obj.kind || !obj.metadata?.name) throw new InputError('object needs apiVersion, kind and metadata.name');
    const { info, path } = await this.path(refOf(obj), opts.defaultNamespace);
    const metadata = applyMetadata(obj.metadata, opts.precondition === true);
    if (info.namespaced && !metadata.namespace) metadata.namespace = opts.defaultNamespace;
    return this.transport.request<T>({
      method: 'PATCH',
      path,
      contentType: 'application/apply-patch+yaml',
      body: { ...obj, metadata },
      query: { fieldManager: opts.fieldManager ?? FIELD_MANAGER, fieldValidation: 'Strict', force: opts.force ? true : undefined, dryRun: opts.dryRun ? 'All' : undefined },
      signal: opts.signal,
    });
  }

  /**
   * JSON merge patch (RFC 7386) of one existing object, or of its `status` subresource, with strict
   * field validation. Unlike apply it never creates the object (404 when absent) and takes the fields
   * it sets from any other manager without a conflict (an Update, recorded under `fieldManager`).
   */
  mergePatch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>, opts: { subresource?: 'status'; dryRun?: boolean; fieldManager?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.timed('patch', async () => {
      const { path } = await this.path(ref);
      return this.transport.request<T>({
        method: 'PATCH',
        path: opts.subresource ? `${path}/${opts.subresource}` : path,
        contentType: 'application/merge-patch+json',
        body: patch,
        query: { fieldManager: opts.fieldManager ?? FIELD_MANAGER, fieldValidation: 'Strict', dryRun: opts.dryRun ? 'All' : undefined },
        signal: opts.signal,
      });
    });
  }

  /** The object, or null when it does not exist. */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef, opts: { signal?: AbortSignal } = {}): Promise<T | null> {
    return this.timed('get', async () => {
      const { path } = await this.path(ref);
      try {
        return await this.transport.request<T>({ method: 'GET', path, signal: opts.signal });
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  /** All objects of a kind (all namespaces unless `namespace`), paging through `continue` tokens.
   *  An expired token (HTTP 410) restarts the list from the beginning. */
  list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<T[]> {
    return this.timed('list', async () => {
      const { path } = await this.path({ apiVersion, kind, ...(opts.namespace ? { namespace: opts.namespace } : {}) });
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.listPages<T>(path, apiVersion, kind, opts);
        } catch (err) {
          if (!isGone(err) || attempt >= MAX_RELISTS) throw err;
        }
      }
    });
  }

  private async listPages<T extends KubeObject>(path: string, apiVersion: string, kind: string, opts: ListOptions): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.transport.request<{ items: T[]; metadata?: { continue?: string } }>({
        method: 'GET',
        path,
        query: { labelSelector: opts.labelSelector ? selectorString(opts.labelSelector) : undefined, fieldSelector: opts.fieldSelector, limit: opts.pageSize ?? 500, continue: token },
        signal: opts.signal,
      });
      // List items omit apiVersion/kind; fill them so items can be applied or referenced directly.
      for (const it of page.items) items.push({ ...it, apiVersion, kind });
      token = page.metadata?.continue || undefined;
    } while (token);
    return items;
  }

  /**
   * mergePatch, null when the object does not exist: the GitOps driver strips Argo CD's tracking
   * annotation this way (an Update can remove fields another field manager owns; an apply cannot).
   */
  async mergePatchIfExists<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>, opts: { signal?: AbortSignal; fieldManager?: string } = {}): Promise<T | null> {
    try {
      return await this.mergePatch<T>(ref, patch, opts);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** Deletes one object; false when it was already gone. */
  delete(ref: ObjectRef, opts: DeleteOptions = {}): Promise<boolean> {
    return this.timed('delete', () => this.deleteOne(ref, opts));
  }

  private async deleteOne(ref: ObjectRef, opts: DeleteOptions): Promise<boolean> {
    const { path } = await this.path(ref);
    try {
      await this.transport.request({
        method: 'DELETE',
        path,
        query: { dryRun: opts.dryRun ? 'All' : undefined },
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: opts.propagationPolicy ?? 'Background', ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}) },
        signal: opts.signal,
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async deleteAll(refs: ObjectRef[], opts: DeleteOptions & { concurrency?: number } = {}): Promise<Settled<boolean>[]> {
    return mapLimit(refs, opts.concurrency ?? 8, (r) => this.delete(r, opts));
  }

  /** GET /version: also the cheapest probe of a cluster (`timeoutMs` short for a probe). */
  /** GET /readyz: resolves with its body (`ok`) when the API server is ready, throws otherwise. */
  readyz(opts: { timeoutMs?: number } = {}): Promise<string> {
    return this.timed('get', () => this.transport.request<string>({ method: 'GET', path: '/readyz', text: true, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) }));
  }

  version(opts: { timeoutMs?: number } = {}): Promise<{ gitVersion: string; major: string; minor: string }> {
    return this.timed('get', () => this.transport.request({ method: 'GET', path: '/version', ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) }));
  }
}
