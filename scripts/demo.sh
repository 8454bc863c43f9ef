#!/usr/bin/env bash
# `npm run demo`: the product at its real scale on the embedded default (demo/main.ts; `-- --exit`,
# `-- --small` for the 4-tenant tour, `-- --reset`).
# On a fresh machine it installs what it needs: npm dependencies, then the testbed (3 local
# Kubernetes clusters; the first run builds Kubernetes from Go modules, ~15 min, cached after), and the
# demo itself starts the testbed's real Argo CD (first run builds it, ~8 min, cached after).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm dependencies"
  npm ci --no-audit --no-fund
fi
echo "== web console (served by fleetplane serve at /)"
bash scripts/console-build.sh
echo "== Prometheus (Debian package; the rollouts' metric gate reads the demo's own)"
eval "$(bash scripts/prometheus.sh ensure)" || echo "   (no Prometheus: the demo runs its rollouts without the metric gate)"
echo "== testbed: 3 local clusters (reused when running; first run builds Kubernetes, ~15 min)"
npm run --silent testbed -- up --clusters 3
exec node --import tsx demo/main.ts "$@"
