// The one rule for "does this tenant exist, as far as the API is concerned": a tenant that was
// offboarded (deletedAt set) is gone, answered 404 like one that never existed.
import type { Store } from '../../domain/ports/store.ts';
import type { Tenant } from '../../domain/types.ts';
import { notFound } from '../auth.ts';

export async function visibleTenant(store: Store, slug: string): Promise<Tenant> {
  const t = await store.tenants.get(slug);
  if (!t || t.deletedAt) throw notFound(`tenant "${slug}"`);
  return t;
}
