#!/usr/bin/env bash
# Prometheus for Fleetplane's tests and demo (Debian's `prometheus` package: server + promtool).
#   eval "$(bash scripts/prometheus.sh ensure)"   # exports PROMETHEUS_BIN, PROMTOOL_BIN
#   bash scripts/prometheus.sh start --target 127.0.0.1:8080 [--port 9090] [--data-dir DIR]
#   bash scripts/prometheus.sh stop [--data-dir DIR]
# `ensure` installs the package when the binaries are missing (apt-get update first) and checks
# that they run. Tests never use a system service: they start their own server on a free port with
# a temp data dir. `start` runs one in the background for the demo, scraping the control plane.
# Only `export` lines go to stdout; all chatter to stderr.
set -euo pipefail

log() { printf 'prometheus.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_bin() {
  local name="$1" var="$2"
  if [ -n "${!var:-}" ] && [ -x "${!var}" ]; then echo "${!var}"; return; fi
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  if [ -x "/usr/bin/$name" ]; then echo "/usr/bin/$name"; return; fi
  return 1
}

install_prometheus() {
  [ "$(id -u)" = 0 ] || die "Prometheus is not installed and I am not root; run: apt-get install prometheus"
  log "installing Prometheus from Debian packages (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # Other scripts may be installing packages at the same time: wait for the dpkg lock.
  apt-get -o DPkg::Lock::Timeout=600 update >&2
  # policy-rc.d 101: the package's postinstall must not start a system-wide server for us.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends prometheus >&2 || { [ $created = 1 ] && rm -f "$policy"; die "apt-get install prometheus failed"; }
  if [ $created = 1 ]; then rm -f "$policy"; fi
}

cmd_ensure() {
  local prom tool
  if ! prom="$(find_bin prometheus PROMETHEUS_BIN)" || ! tool="$(find_bin promtool PROMTOOL_BIN)"; then
    install_prometheus
    prom="$(find_bin prometheus PROMETHEUS_BIN)" || die "prometheus binary not found after install"
    tool="$(find_bin promtool PROMTOOL_BIN)" || die "promtool binary not found after install"
  fi
  "$tool" --version >&2 || die "$tool does not run"
  "$prom" --version >&2 || die "$prom does not run"
  printf 'export PROMETHEUS_BIN=%q PROMTOOL_BIN=%q\n' "$prom" "$tool"
}

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA_DIR="${FLEETPLANE_PROMETHEUS_DIR:-${FLEETPLANE_CACHE_DIR:-$HOME/.cache/fleetplane}/prometheus}"

cmd_start() {
  local port=9090 target="127.0.0.1:${FLEETPLANE_PORT:-8080}"
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) port="$2"; shift 2 ;;
      --target) target="$2"; shift 2 ;;
      --data-dir) DATA_DIR="$2"; shift 2 ;;
      *) die "unknown option $1 (use --port, --target, --data-dir)" ;;
    esac
  done
  eval "$(cmd_ensure)"
  mkdir -p "$DATA_DIR/data"
  # The control plane's own alert rules (src/observability/control-plane.ts).
  # runbook_url: FLEETPLANE_RUNBOOK_URL, else the scraped serve's /runbooks.
  (cd "$ROOT" && FP_TARGET="$target" node --import tsx -e "Promise.all([import('./src/observability/control-plane.ts'), import('./src/render/monitoring/runbooks.ts')]).then(([m, r]) => process.stdout.write(m.controlPlaneRulesYaml({ runbookBase: r.resolveRunbookBase(process.env.FLEETPLANE_RUNBOOK_URL, 'http://' + process.env.FP_TARGET) })))") \
    >"$DATA_DIR/control-plane-rules.yaml" || die "could not generate the control-plane rules"
  if [ -f "$DATA_DIR/pid" ] && kill -0 "$(cat "$DATA_DIR/pid")" 2>/dev/null; then
    log "already running (pid $(cat "$DATA_DIR/pid")) on $(cat "$DATA_DIR/port")"; return
  fi
  cat >"$DATA_DIR/prometheus.yml" <<YAML
global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files:
  - $DATA_DIR/control-plane-rules.yaml
scrape_configs:
  - job_name: fleetplane
    metrics_path: /metrics
    static_configs:
      - targets: ['$target']
YAML
  "$PROMTOOL_BIN" check config "$DATA_DIR/prometheus.yml" >&2 || die "invalid generated config"
  "$PROMTOOL_BIN" check rules "$DATA_DIR/control-plane-rules.yaml" >&2 || die "invalid control-plane rules"
  nohup "$PROMETHEUS_BIN" --config.file="$DATA_DIR/prometheus.yml" --storage.tsdb.path="$DATA_DIR/data" \
    --web.listen-address="127.0.0.1:$port" >"$DATA_DIR/prometheus.log" 2>&1 &
  echo $! >"$DATA_DIR/pid"
  echo "127.0.0.1:$port" >"$DATA_DIR/port"
  log "started pid $! on http://127.0.0.1:$port scraping $target (log: $DATA_DIR/prometheus.log)"
}

cmd_stop() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --data-dir) DATA_DIR="$2"; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  if [ -f "$DATA_DIR/pid" ] && kill -0 "$(cat "$DATA_DIR/pid")" 2>/dev/null; then
    kill "$(cat "$DATA_DIR/pid")" && log "stopped pid $(cat "$DATA_DIR/pid")"
  else
    log "not running"
  fi
  rm -f "$DATA_DIR/pid"
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) die "usage: prometheus.sh ensure | start [--target HOST:PORT] [--port N] [--data-dir DIR] | stop" ;;
esac
