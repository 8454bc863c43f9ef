#!/usr/bin/env bash
# The main job for a newcomer: start the server on the embedded store, onboard a sample tenant
# through the API, print what happened, stop. Installs npm dependencies when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
exec node --import tsx src/demo/main.ts "$@"
