#!/usr/bin/env bash
# gitleaks for the secret scan in npm test (test/integration/secret-scan.test.ts).
#   eval "$(bash scripts/gitleaks.sh ensure)"   # exports GITLEAKS_BIN
# `ensure` builds the gitleaks version pinned in scripts/gitleaks/go.mod (with go.sum) from its Go
# module, like the testbed builds its binaries, into ~/.cache/fleetplane/gitleaks/<version>/ (or
# $FLEETPLANE_CACHE_DIR), once; later runs only check that `gitleaks version` answers.
# Only `export` lines go to stdout; all chatter to stderr.
set -euo pipefail

log() { printf 'gitleaks.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MOD="$ROOT/scripts/gitleaks"
VERSION="$(sed -n 's|^[[:space:]]*github.com/zricethezav/gitleaks/v8 \(v[^ ]*\).*|\1|p' "$MOD/go.mod")"
[ -n "$VERSION" ] || die "no github.com/zricethezav/gitleaks/v8 in $MOD/go.mod"
DIR="${FLEETPLANE_CACHE_DIR:-$HOME/.cache/fleetplane}/gitleaks/$VERSION"

find_go() {
  for go in go /usr/local/go/bin/go; do
    if command -v "$go" >/dev/null 2>&1; then echo "$go"; return; fi
  done
  die "building gitleaks needs Go 1.26+ on PATH (or /usr/local/go/bin/go)"
}

cmd_ensure() {
  local bin="$DIR/gitleaks"
  if [ ! -x "$bin" ] || ! "$bin" version >/dev/null 2>&1; then
    local go; go="$(find_go)"
    log "building gitleaks $VERSION from its Go module into $DIR (once)"
    mkdir -p "$DIR"
    local started=$SECONDS
    # The version string gitleaks prints is set at link time, as its release builds do.
    (cd "$MOD" && CGO_ENABLED=0 GOFLAGS='-trimpath -buildvcs=false -mod=readonly' \
      "$go" build -p "${FLEETPLANE_GO_BUILD_JOBS:-2}" -ldflags "-s -w -X github.com/zricethezav/gitleaks/v8/version.Version=$VERSION" \
      -o "$bin.tmp" github.com/zricethezav/gitleaks/v8) >&2 || { rm -f "$bin.tmp"; die "go build of gitleaks $VERSION failed"; }
    mv "$bin.tmp" "$bin"
    log "built in $((SECONDS - started))s"
  fi
  "$bin" version >&2 || die "$bin does not run"
  printf 'export GITLEAKS_BIN=%q\n' "$bin"
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  *) die "usage: gitleaks.sh ensure" ;;
esac
