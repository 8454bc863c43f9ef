// Maps apiVersion+kind to the REST resource (plural, namespaced) through API discovery, cached per
// group/version. A kind missing from a cached list triggers one refresh, so CRDs installed after
// the first lookup are found.
import { KindNotServedError, isNotFound } from './errors.ts';
import type { Transport } from './transport.ts';

export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

interface APIResourceList {
  resources: Array<{ name: string; kind: string; namespaced: boolean }>;
}

export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export class Discovery {
  private readonly cache = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(private readonly transport: Transport) {}

  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let info = (await this.list(apiVersion)).get(kind);
    if (!info) {
      this.cache.delete(apiVersion);
      info = (await this.list(apiVersion)).get(kind);
    }
    if (!info) throw new KindNotServedError(apiVersion, kind);
    return info;
  }

  /** Forget everything, e.g. after installing CRDs. */
  reset(): void {
    this.cache.clear();
  }

  private list(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    let entry = this.cache.get(apiVersion);
    if (!entry) {
      entry = this.fetch(apiVersion);
      this.cache.set(apiVersion, entry);
      // A failed lookup must not poison the cache.
      entry.catch(() => this.cache.delete(apiVersion));
    }
    return entry;
  }

  private async fetch(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const out = new Map<string, ResourceInfo>();
    try {
      const list = await this.transport.request<APIResourceList>({ method: 'GET', path: groupVersionPath(apiVersion) });
      for (const r of list.resources) {
        if (r.name.includes('/')) continue; // subresources such as deployments/status
        out.set(r.kind, { apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced });
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return out;
  }
}
