// The marketplace transports `serve` sends through, chosen by FLEETPLANE_MARKETPLACES (aws, azure,
// gcp). Credentials come from each cloud's own default chain (the AWS SDK's, @azure/identity's or a
// client secret, Google's application default credentials); nothing is sent for a marketplace not listed.
import { awsMeteringTransport } from './aws.ts';
import { azureMeteringTransport, azureTokenProvider } from './azure.ts';
import { gcpServiceControlTransport } from './gcp.ts';
import type { MarketplaceSettings } from './settings.ts';
import type { MarketplaceTransports } from './types.ts';

export type * from './types.ts';
export { MarketplaceCallError } from './types.ts';
export { marketplaceSettingsFromEnv, type MarketplaceSettings } from './settings.ts';

export async function marketplaceTransports(s: MarketplaceSettings): Promise<MarketplaceTransports> {
  const t: MarketplaceTransports = {};
  if (s.enabled.includes('aws')) t.aws = awsMeteringTransport({ ...(s.awsRegion ? { region: s.awsRegion } : {}) });
  if (s.enabled.includes('azure')) t.azure = azureMeteringTransport({ token: await azureTokenProvider(s.azure ?? {}) });
  if (s.enabled.includes('gcp')) t.gcp = gcpServiceControlTransport();
  return t;
}
