// The end of `npm run demo` without --exit: the fleet the tour built stays up for exploring in the
// web console, served by the demo's own `fleetplane serve` at /, until Ctrl-C (or SIGTERM); then the
// tour offboards everyone and stops the server as before. Tokens are printed for the person at the
// terminal to paste into the console's sign-in form (the console never takes one from a URL).
import type { ApiClient } from '../src/cli/client.ts';
import { note, say, title } from './ui.ts';

/** A tenant-admin token for one tenant: the console then shows that tenant only. */
async function tenantToken(client: ApiClient, tenant: string): Promise<string | null> {
  try {
    const r = await client.request<{ secret: string }>('POST', '/v1/tokens', { body: { name: `demo-${tenant}-admin`, role: 'tenant-admin', tenant } });
    return r.body.secret;
  } catch {
    return null;
  }
}

/** Prints the console's URL and the tokens, then (at a terminal, without --exit) waits for Ctrl-C or SIGTERM. */
export async function explore(client: ApiClient, o: { url: string; adminToken: string; tenant: string; wait: boolean }): Promise<void> {
  const scoped = await tenantToken(client, o.tenant);
  title('the web console: explore the fleet (Ctrl-C offboards everyone and stops)');
  note(`open ${o.url}/ and sign in with a token (paste it into the form):`);
  note(`  platform admin:          ${o.adminToken}`);
  if (scoped) note(`  ${o.tenant}'s admin (tenant): ${scoped}   (sees ${o.tenant} only)`);
  note('overview, rollouts (tenant x wave matrix), tenants, environment pages with revisions, diffs, drift, rollback, SLO, forecast');
  if (!o.wait) {
    note('not waiting (--exit, or stdin is not a terminal): the tour goes on and offboards everyone');
    return;
  }
  note('run the demo with --exit to skip this and finish at once');
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      say('');
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
