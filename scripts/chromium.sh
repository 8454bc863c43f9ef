#!/usr/bin/env bash
# Chromium for the console's browser tests and bench (Debian's `chromium` package; playwright-core
# drives it; a browser download of Playwright's own does not work here and is never tried).
#   eval "$(bash scripts/chromium.sh ensure)"   # exports FLEETPLANE_CHROMIUM
# `ensure` installs the package when the binary is missing (apt-get update first, waiting up to 15
# minutes for the dpkg lock others may hold) and checks that it runs. Only `export` lines go to
# stdout; all chatter to stderr.
set -euo pipefail

log() { printf 'chromium.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_bin() {
  if [ -n "${FLEETPLANE_CHROMIUM:-}" ] && [ -x "$FLEETPLANE_CHROMIUM" ]; then echo "$FLEETPLANE_CHROMIUM"; return; fi
  for b in /usr/bin/chromium /usr/bin/chromium-browser; do [ -x "$b" ] && { echo "$b"; return; }; done
  return 1
}

install_chromium() {
  [ "$(id -u)" = 0 ] || die "Chromium is not installed and I am not root; run: apt-get install chromium"
  log "installing Chromium from Debian packages (apt-get; a few minutes the first time)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update >&2
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends chromium fonts-dejavu-core >&2 || die "apt-get install chromium failed"
}

cmd_ensure() {
  local bin
  if ! bin="$(find_bin)"; then
    install_chromium
    bin="$(find_bin)" || die "chromium binary not found after install"
  fi
  "$bin" --version >&2 || die "$bin does not run"
  echo "export FLEETPLANE_CHROMIUM=$bin"
}

case "${1:-ensure}" in
  ensure) cmd_ensure ;;
  *) die "usage: chromium.sh ensure" ;;
esac
