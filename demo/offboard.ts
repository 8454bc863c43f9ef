// Step (j): offboard every demo tenant (DELETE /v1/tenants/{slug}) so the clusters are left as found.
import { ApiError, type ApiClient } from '../src/cli/client.ts';
import type { OperationView } from '../src/cli/commands/ops.ts';
import { follow } from './tenants.ts';
import { note } from './ui.ts';

export async function offboardAll(client: ApiClient, slugs: string[]): Promise<void> {
  const ops: OperationView[] = [];
  for (const slug of slugs) {
    try {
      const { status, body } = await client.request<OperationView>('DELETE', `/v1/tenants/${slug}`);
      note(`DELETE /v1/tenants/${slug} → HTTP ${status}, operation ${body.id}`);
      ops.push(body);
    } catch (err) {
      // A tenant an earlier failed step never created: nothing to remove.
      if (err instanceof ApiError && err.status === 404) note(`${slug}: not there (never onboarded)`);
      else throw err;
    }
  }
  const done = await follow(client, ops.map((o) => o.id), 'offboarding', 240);
  const failed = done.filter((o) => o.state !== 'succeeded');
  for (const o of failed) note(`✗ ${o.tenant}: ${o.state}: ${o.error ?? ''}`);
  if (failed.length) throw new Error(`${failed.length} of ${done.length} offboardings did not succeed`);
}
