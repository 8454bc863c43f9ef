#!/usr/bin/env bash
# Schemathesis (PyPI) for the API fuzz test (test/integration/api-fuzz-{tenant,cross,admin}.test.ts).
#   eval "$(bash scripts/schemathesis.sh ensure)"   # exports SCHEMATHESIS_BIN
# `ensure` creates a virtualenv outside the checkout, keyed by the Schemathesis version and a hash of
# scripts/schemathesis/requirements.txt (every package pinned), and installs those pins into it once;
# later runs only check that `st --version` answers. Needs python3 with venv (3.10+).
# Only `export` lines go to stdout; all chatter to stderr.
set -euo pipefail

log() { printf 'schemathesis.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REQS="$ROOT/scripts/schemathesis/requirements.txt"
VERSION="$(sed -n 's/^schemathesis==//p' "$REQS")"
[ -n "$VERSION" ] || die "no schemathesis== pin in $REQS"
HASH="$(grep -v '^#' "$REQS" | sha256sum | cut -c1-12)"
VENV="${FLEETPLANE_CACHE_DIR:-$HOME/.cache/fleetplane}/schemathesis/$VERSION-$HASH"

cmd_ensure() {
  local st="$VENV/bin/st"
  # `.complete` is written last: a half-finished install is thrown away and redone.
  if [ ! -f "$VENV/.complete" ] || ! "$st" --version >/dev/null 2>&1; then
    command -v python3 >/dev/null || die "python3 is needed for Schemathesis"
    log "installing Schemathesis $VERSION into $VENV (once)"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV" >&2 || die "python3 -m venv failed"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$REQS" >&2 || { rm -rf "$VENV"; die "pip install -r $REQS failed"; }
    touch "$VENV/.complete"
  fi
  "$st" --version >&2 || die "$st does not run"
  printf 'export SCHEMATHESIS_BIN=%q\n' "$st"
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  *) die "usage: schemathesis.sh ensure" ;;
esac
