#!/usr/bin/env bash
# Redis for the testbed's Argo CD (its controllers and repo server cache manifests and app state in Redis).
#   eval "$(bash scripts/redis.sh ensure)"   # exports FLEETPLANE_REDIS_ADDR, FLEETPLANE_REDIS_PASSWORD, REDIS_SERVER_BIN
#   bash scripts/redis.sh status | stop
# `ensure` reuses the server already answering on 127.0.0.1:$FLEETPLANE_REDIS_PORT (default 16379);
# otherwise installs `redis-server` from Debian packages when missing (no system service is started)
# and starts our own on 127.0.0.1 only, with a password, no persistence (the data is a cache), state
# in a cache dir outside the checkout. Only `export` lines go to stdout; all chatter to stderr.
set -euo pipefail

PORT="${FLEETPLANE_REDIS_PORT:-16379}"
HOST=127.0.0.1
CACHE_ROOT="${FLEETPLANE_CACHE_DIR:-$HOME/.cache/fleetplane}"
STATE_DIR="$CACHE_ROOT/redis"

log() { printf 'redis.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_bin() {
  if [ -n "${REDIS_SERVER_BIN:-}" ] && [ -x "$REDIS_SERVER_BIN" ]; then echo "$REDIS_SERVER_BIN"; return; fi
  if command -v redis-server >/dev/null 2>&1; then command -v redis-server; return; fi
  if [ -x /usr/bin/redis-server ]; then echo /usr/bin/redis-server; return; fi
  return 1
}

install_redis() {
  [ "$(id -u)" = 0 ] || die "redis-server is not installed and I am not root; run: apt-get install redis-server"
  log "installing redis-server from Debian packages (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update >&2
  # policy-rc.d 101: the package's postinstall must not start a system-wide server on 6379 for us.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends redis-server >&2 || { [ $created = 1 ] && rm -f "$policy"; die "apt-get install redis-server failed"; }
  if [ $created = 1 ]; then rm -f "$policy"; fi
}

password() {
  local f="$STATE_DIR/password"
  if [ ! -s "$f" ]; then (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$f"); fi
  cat "$f"
}

# PING with AUTH over bash's /dev/tcp: no redis-cli needed. Prints the reply line.
ping() {
  local pw="$1" reply
  exec 3<>"/dev/tcp/$HOST/$PORT" || return 1
  printf 'AUTH %s\r\nPING\r\n' "$pw" >&3
  reply="$(timeout 5 head -n 2 <&3 | tr -d '\r' | tr '\n' ' ')" || true
  exec 3<&- 3>&-
  echo "$reply"
}

answering() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

start_server() {
  local bin="$1" pw="$2"
  log "starting redis-server on $HOST:$PORT (state: $STATE_DIR)"
  # 9>&-: the server must not inherit (and hold forever) the ensure lock.
  "$bin" --bind "$HOST" --port "$PORT" --protected-mode yes --requirepass "$pw" \
    --save '' --appendonly no --dir "$STATE_DIR" --maxmemory 256mb --maxmemory-policy allkeys-lru \
    --daemonize yes --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log" </dev/null >&2 9>&- ||
    die "redis-server did not start; log: $STATE_DIR/redis.log"
  for _ in $(seq 1 100); do
    answering && return 0
    sleep 0.1
  done
  tail -n 20 "$STATE_DIR/redis.log" >&2 || true
  die "redis-server is not answering on $HOST:$PORT; log: $STATE_DIR/redis.log"
}

print_exports() {
  printf 'export FLEETPLANE_REDIS_ADDR=%q FLEETPLANE_REDIS_PASSWORD=%q REDIS_SERVER_BIN=%q\n' "$HOST:$PORT" "$1" "$2"
}

cmd_ensure() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/ensure.lock"
  flock -w 180 9 || die "timed out waiting for $STATE_DIR/ensure.lock"
  local bin pw reply
  bin="$(find_bin)" || { install_redis; bin="$(find_bin)" || die "no redis-server after installing it"; }
  pw="$(password)"
  if answering; then
    reply="$(ping "$pw")"
    case "$reply" in
      *PONG*) log "reusing the server on $HOST:$PORT" ;;
      *) die "a server answers on $HOST:$PORT but not to our password ($reply); set FLEETPLANE_REDIS_PORT to use another port" ;;
    esac
  else
    start_server "$bin" "$pw"
  fi
  print_exports "$pw" "$bin"
}

cmd_status() {
  if answering; then log "running on $HOST:$PORT ($(ping "$(password)"))"; else log "not running on $HOST:$PORT"; exit 1; fi
}

cmd_stop() {
  local pidfile="$STATE_DIR/redis.pid" pid
  [ -f "$pidfile" ] || { log "not running (no $pidfile)"; return; }
  pid="$(cat "$pidfile")"
  # Only a pid that is still our redis-server (a recycled pid is left alone).
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "redis-server $HOST:$PORT"; then
    kill "$pid" && log "stopped pid $pid"
  else
    log "not running (stale $pidfile)"
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  *) die "usage: $0 ensure|status|stop" ;;
esac
