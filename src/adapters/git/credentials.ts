// Remote repo credentials reach git through GIT_ASKPASS and environment variables of the git child
// process only: never in the remote URL, never in .git/config, never in logs.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RemoteCredentials {
  username?: string;
  /** Token or password. */
  password: string;
}

export interface RemoteRepoConfig {
  /** https://… or ssh://… or file://… — without userinfo. */
  url: string;
  credentials?: RemoteCredentials;
  /** URL Argo CD should clone from, when it differs from the one Fleetplane pushes to. */
  argoURL?: string;
}

/** Strips user:password@ from a URL so it can be logged or stored. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}

const ASKPASS = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$FLEETPLANE_GIT_USERNAME" ;;
  *) printf '%s\\n' "$FLEETPLANE_GIT_PASSWORD" ;;
esac
`;

export interface AskpassHandle {
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/** Writes a tiny askpass script (mode 700, temp dir) and the env that makes git use it. */
export async function askpassEnv(creds: RemoteCredentials | undefined): Promise<AskpassHandle> {
  if (!creds) return { env: {}, dispose: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-askpass-'));
  const script = join(dir, 'askpass.sh');
  await writeFile(script, ASKPASS, { mode: 0o700 });
  await chmod(script, 0o700);
  return {
    env: {
      GIT_ASKPASS: script,
      GIT_TERMINAL_PROMPT: '0',
      FLEETPLANE_GIT_USERNAME: creds.username ?? 'fleetplane',
      FLEETPLANE_GIT_PASSWORD: creds.password,
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
