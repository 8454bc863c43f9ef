#!/usr/bin/env bash
# Builds the web console (web/: Vite + React + Mantine) into web/dist, which `fleetplane serve`
# serves at /. Installs web/'s own npm dependencies when missing or stale; skips the build when
# nothing under web/ changed since the last one (a content hash kept in web/dist/.source-hash).
# web/dist is build output: gitignored, never committed.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "console: installing web/ npm dependencies" >&2
  npm ci --no-audit --no-fund >&2
fi
hash=$(cat package-lock.json vite.config.ts tsconfig.json index.html $(find src -type f | sort) | sha256sum | cut -c1-16)
if [ -f dist/.source-hash ] && [ "$(cat dist/.source-hash)" = "$hash" ] && [ -f dist/index.html ]; then
  echo "console: web/dist is up to date ($hash)" >&2
  exit 0
fi
echo "console: building web/ (type-check + vite build)" >&2
npx tsc --noEmit -p tsconfig.json
npx vite build --logLevel warn >&2
echo "$hash" > dist/.source-hash
echo "console: built web/dist ($hash)" >&2
