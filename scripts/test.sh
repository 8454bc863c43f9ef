#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (npm deps, PostgreSQL and
# Prometheus from Debian packages, Schemathesis from PyPI, gitleaks and the testbed's Kubernetes
# binaries built from Go modules, all cached outside the checkout), starts the services on
# 127.0.0.1, then runs type-check, lint and every test (Redocly CLI, an npm dev dependency, lints
# the OpenAPI document in test/integration/api-openapi-lint.test.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "npm dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

step "type-check and lint"
npx tsc --noEmit -p tsconfig.json
npx eslint . --max-warnings=-1

step "web console (web/ -> web/dist; skipped when unchanged)"
bash scripts/console-build.sh

step "Chromium for the browser tests (Debian package; installed once)"
eval "$(bash scripts/chromium.sh ensure)"  # exports FLEETPLANE_CHROMIUM

step "PostgreSQL"
eval "$(bash scripts/postgres.sh ensure)"   # exports FLEETPLANE_TEST_DATABASE_URL

step "Prometheus"
eval "$(bash scripts/prometheus.sh ensure)" # exports PROMETHEUS_BIN, PROMTOOL_BIN

step "Schemathesis for the API fuzz test (PyPI, into a virtualenv in the cache; installed once)"
eval "$(bash scripts/schemathesis.sh ensure)" # exports SCHEMATHESIS_BIN

step "gitleaks for the secret scan (built from its Go module into the cache; built once)"
eval "$(bash scripts/gitleaks.sh ensure)" # exports GITLEAKS_BIN

step "testbed clusters (builds Kubernetes from Go modules on first run; cached after)"
npm run --silent testbed -- up --clusters 3 --no-build-rest

# What only some tests need builds and starts in the background while the suite runs: Argo CD (and
# the helm it renders charts with) for the GitOps tests, then the previous Kubernetes minor for the
# upgrade tests, then KServe's manager for the AI test. On a cold machine that overlaps ≈ 25 min of
# compiling with tests that mostly wait on clusters. Those tests call `argocdUp` / `buildAll` /
# `kserveUp` themselves, which take the same locks, so they wait for this job (or do it themselves)
# and never see half a binary; they run last (below), so they rarely wait at all. (KServe is only
# built here: kserveUp starts it on fp-3 when the AI test needs it.)
rest_log="$(mktemp -t fleetplane-build-rest.XXXXXX.log)"
{ npm run --silent testbed -- argocd up && npm run --silent testbed -- build && npm run --silent testbed -- build --only kserve; } >"$rest_log" 2>&1 &
rest_pid=$!

step "tests"
# Unit tests sit next to the code (src/**/*.test.ts); integration tests use the real services above.
# Node 20's runner takes no globs, so list the files.
mapfile -t all < <(find src test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
# Files that need the background job's components (they call argocdUp, kserveUp or buildAll) go last.
mapfile -t late < <(grep -l -E 'argocdUp\(|kserveUp\(|buildAll\(' "${all[@]}" | sort)
mapfile -t early < <(printf '%s\n' "${all[@]}" | grep -v -x -F -f <(printf '%s\n' "${late[@]}"))
# Within each group the longest files start first (from the cold run's per-file times), so no
# lane is left with one long file at the end; only an order: a file missing here still runs.
long=(api-fuzz-admin api-fuzz-tenant cluster-outage-testbed engine-fleet engine-lifecycle api-bundles
  ai-render-strict serve-sigkill-lifecycle api-fuzz-cross prescale rollouts cli cluster-evacuate-testbed
  engine-ai-kserve argocd-gitops cluster-upgrade-testbed rollout-every-type)
longest_first() {
  local f n
  for n in "${long[@]}"; do for f in "$@"; do [ "$(basename "$f" .test.ts)" = "$n" ] && echo "$f"; done; done
  for f in "$@"; do printf '%s\n' "${long[@]}" | grep -q -x -F "$(basename "$f" .test.ts)" || echo "$f"; done
}
mapfile -t early < <(longest_first "${early[@]}")
mapfile -t late < <(longest_first "${late[@]}")
files=("${early[@]}" "${late[@]}")
echo "${#files[@]} test files (${#late[@]} of them last: they need Argo CD, helm, KServe or the previous Kubernetes minor)"
status=0
# Three lanes on two cores: most integration files wait on clusters, Argo CD or a fuzzer's round
# trips rather than compute (the cold run's lanes summed to 89 min for a 51-minute suite on two);
# every test waits on conditions, never on time, so a busier machine only makes them slower.
# --test-force-exit: a file ends when its tests and hooks have, even if a socket or timer it leaked
# would keep its process alive (apiserver-outage hung 19 min after passing in a loaded run).
node --import tsx --test --test-concurrency="${FLEETPLANE_TEST_CONCURRENCY:-3}" --test-timeout=1200000 --test-force-exit "${files[@]}" || status=$?
if ! wait "$rest_pid"; then
  echo "background build of the remaining testbed components failed:" >&2
  tail -20 "$rest_log" >&2
  status=1
fi
exit "$status"
