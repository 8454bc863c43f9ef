// Which marketplaces `serve` sends to (FLEETPLANE_MARKETPLACES) and their non-secret settings, parsed
// from the environment record serve passes in. Light on purpose: no SDK is loaded here.
import { InputError } from '../../domain/errors.ts';

export interface MarketplaceSettings {
  enabled: Array<'aws' | 'azure' | 'gcp'>;
  awsRegion?: string | undefined;
  azure?: { tenantId?: string | undefined; clientId?: string | undefined; clientSecret?: string | undefined };
}

/** Parses the settings from an environment record (serve passes process.env). */
export function marketplaceSettingsFromEnv(env: Record<string, string | undefined>): MarketplaceSettings {
  const names = (env.FLEETPLANE_MARKETPLACES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !['aws', 'azure', 'gcp'].includes(n));
  if (bad.length > 0) throw new InputError(`FLEETPLANE_MARKETPLACES: unknown marketplace ${bad.join(', ')} (aws, azure, gcp)`, [{ field: 'env:FLEETPLANE_MARKETPLACES', message: 'aws, azure or gcp' }]);
  return {
    enabled: names as MarketplaceSettings['enabled'],
    awsRegion: env.FLEETPLANE_AWS_MARKETPLACE_REGION || undefined,
    azure: { tenantId: env.FLEETPLANE_AZURE_TENANT_ID || undefined, clientId: env.FLEETPLANE_AZURE_CLIENT_ID || undefined, clientSecret: env.FLEETPLANE_AZURE_CLIENT_SECRET || undefined },
  };
}

