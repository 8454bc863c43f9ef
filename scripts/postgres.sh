#!/usr/bin/env bash
# PostgreSQL for Fleetplane's tests.
#   eval "$(bash scripts/postgres.sh ensure)"   # exports FLEETPLANE_TEST_DATABASE_URL
#   bash scripts/postgres.sh status | stop
# `ensure` reuses a server already answering on 127.0.0.1:$FLEETPLANE_PG_PORT (default 54329);
# otherwise installs PostgreSQL from Debian packages when missing, initdb's a throwaway cluster in
# a cache dir outside the checkout and starts it on 127.0.0.1 only, password auth, tuned for tests
# (fsync off: the data is disposable). Only `export` lines go to stdout; all chatter to stderr.
set -euo pipefail

PORT="${FLEETPLANE_PG_PORT:-54329}"
HOST=127.0.0.1
CACHE_ROOT="${FLEETPLANE_CACHE_DIR:-$HOME/.cache/fleetplane}"
STATE_DIR="$CACHE_ROOT/postgres"
DB_USER=fleetplane
DB_NAME=fleetplane

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

answering() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

pg_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  return 1
}

install_postgres() {
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and I am not root; install it (apt-get install postgresql) or start a server on $HOST:$PORT"
  log "installing PostgreSQL from Debian packages (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends postgresql >&2
}

# Postgres refuses to run as root; as root we run it as the `postgres` system user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_pg_user() {
  [ "$(id -u)" = 0 ] || return 0
  id postgres >/dev/null 2>&1 && return 0
  log "creating system user postgres"
  useradd --system --user-group --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
}

# The data dir must be reachable by the postgres user; ~ of root (0700) is not, so fall back there.
data_dir() {
  if [ "$(id -u)" != 0 ]; then echo "$STATE_DIR/data"; return; fi
  if id postgres >/dev/null 2>&1 && runuser -u postgres -- test -x "$STATE_DIR" 2>/dev/null; then
    echo "$STATE_DIR/data"
  else
    echo "/var/cache/fleetplane/postgres/data"
  fi
}

# The password lives next to the data dir it belongs to, so a wiped ~/.cache cannot leave a server
# whose password nobody knows (as root the data is under /var/cache, outside ~).
password_file() { echo "$(dirname "$(data_dir)")/password"; }

password() {
  if [ -n "${FLEETPLANE_PG_PASSWORD:-}" ]; then echo "$FLEETPLANE_PG_PASSWORD"; return; fi
  local f
  f="$(password_file)"
  if [ ! -s "$f" ]; then
    mkdir -p "$(dirname "$f")"
    if [ "$f" != "$STATE_DIR/password" ] && [ -s "$STATE_DIR/password" ]; then
      (umask 077; cp "$STATE_DIR/password" "$f") # where earlier versions kept it
    else
      (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$f")
    fi
  fi
  cat "$f"
}

init_cluster() {
  local bin="$1" data="$2" pw="$3" pwfile
  log "initdb $data"
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$(dirname "$data")"
  chmod 700 "$data"
  pwfile="$(mktemp)"
  printf '%s\n' "$pw" >"$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
  as_pg "$bin/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-local=scram-sha-256 \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >&2 || { rm -f "$pwfile"; die "initdb failed"; }
  rm -f "$pwfile"
  as_pg tee -a "$data/postgresql.conf" >/dev/null <<CONF
# Fleetplane test server: loopback only, disposable data.
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
CONF
}

start_cluster() {
  local bin="$1" data="$2"
  log "starting PostgreSQL on $HOST:$PORT"
  # 9>&-: the server must not inherit (and hold forever) the ensure lock.
  as_pg "$bin/pg_ctl" -D "$data" -l "$data/../postgres.log" -w -t 60 start </dev/null >&2 9>&- || {
    tail -n 20 "$data/../postgres.log" >&2 || true
    die "PostgreSQL did not start; log: $data/../postgres.log"
  }
}

# Creates the fleetplane role (CREATEDB: tests create a database per file) and database; idempotent.
provision() {
  local bin="$1" pw="$2"
  PGPASSWORD="$pw" "$bin/psql" -h "$HOST" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$pw';
  END IF;
END \$\$;
-- Tests drop their databases WITH (FORCE); that must be able to end an autovacuum worker in them.
GRANT pg_signal_backend TO $DB_USER;
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME')
\gexec
SQL
}

# A server we did not start (or whose password file was lost) must fail here, not in every test.
check_login() {
  local bin
  bin="$(pg_bindir)" || return 0 # no client tools to check with; the tests will say it
  PGPASSWORD="$1" PGCONNECT_TIMEOUT=5 "$bin/psql" -h "$HOST" -p "$PORT" -U "$DB_USER" -d "$DB_NAME" -qAtc 'SELECT 1' >/dev/null 2>&1 ||
    die "a server answers on $HOST:$PORT but rejects user $DB_USER; set FLEETPLANE_PG_PASSWORD, or FLEETPLANE_PG_PORT to use another port"
}

print_exports() {
  local pw="$1"
  echo "export FLEETPLANE_TEST_DATABASE_URL='postgres://$DB_USER:$pw@$HOST:$PORT/$DB_NAME'"
}

cmd_ensure() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/ensure.lock"
  # Two test runs starting at once must not both initdb; the started server never inherits fd 9.
  flock -w 180 9 || die "timed out waiting for $STATE_DIR/ensure.lock"
  local bin data pw
  if answering; then
    log "reusing the server on $HOST:$PORT"
    pw="$(password)"
    check_login "$pw"
    # A server provisioned by an older script lacks newer grants; best effort (it may not be ours).
    if bin="$(pg_bindir)"; then provision "$bin" "$pw" 2>/dev/null || log "could not re-provision roles on $HOST:$PORT (not our superuser password); continuing"; fi
    print_exports "$pw"
    return
  fi
  bin="$(pg_bindir)" || { install_postgres; bin="$(pg_bindir)" || die "no initdb after installing postgresql"; }
  ensure_pg_user
  data="$(data_dir)"
  if [ -f "$data/PG_VERSION" ] && [ -z "${FLEETPLANE_PG_PASSWORD:-}" ] && [ ! -s "$(password_file)" ]; then
    # Disposable test data whose password was lost (an older layout kept it under ~/.cache): start over.
    log "no password for the existing data dir $data: re-creating it"
    rm -rf "$data"
  fi
  pw="$(password)"
  [ -f "$data/PG_VERSION" ] || init_cluster "$bin" "$data" "$pw"
  start_cluster "$bin" "$data"
  provision "$bin" "$pw"
  print_exports "$pw"
}

cmd_status() {
  if answering; then log "running on $HOST:$PORT (data: $(data_dir))"; else log "not running on $HOST:$PORT"; exit 1; fi
}

cmd_stop() {
  local bin data
  data="$(data_dir)"
  bin="$(pg_bindir)" || die "PostgreSQL is not installed"
  [ -f "$data/postmaster.pid" ] || { log "not running (no $data/postmaster.pid)"; return; }
  as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >&2
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  *) die "usage: $0 ensure|status|stop" ;;
esac
