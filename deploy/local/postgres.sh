#!/usr/bin/env bash
# A throw-away PostgreSQL cluster under .local/, on a non-default port.
# Usage: postgres.sh start|stop|status|createdb NAME
# Env: PG_DIR (default .local/postgres), PG_PORT (default 55432).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PG_DIR="${PG_DIR:-${TOKENGATE_LOCAL_DIR:-$ROOT/.local}/postgres}"
PG_DIR="$(mkdir -p "$PG_DIR" && cd "$PG_DIR" && pwd)"  # the server runs elsewhere: no relative paths
PG_PORT="${PG_PORT:-55432}"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"

# initdb refuses to run as root, so the cluster belongs to the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running() {
  [ -f "$PG_DIR/data/postmaster.pid" ] && as_owner "$PGBIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1
}

case "${1:-}" in
  start)
    if running; then echo "postgres: already running on port $PG_PORT"; exit 0; fi
    if port_in_use "$PG_PORT"; then
      echo "postgres: port $PG_PORT is already in use (set PG_PORT)" >&2; exit 1
    fi
    if [ "$(id -u)" = 0 ]; then
      install -d -o postgres -g postgres "$PG_DIR" "$PG_DIR/sock"
    else
      mkdir -p "$PG_DIR/sock"
    fi
    if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
      as_owner "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale >"$PG_DIR/initdb.log"
    fi
    as_owner "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
      -o "-p $PG_PORT -k $PG_DIR/sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${PG_FSYNC:-on}" \
      start >/dev/null
    echo "postgres: running on 127.0.0.1:$PG_PORT ($PG_DIR)"
    ;;
  stop)
    if running; then as_owner "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null; fi
    echo "postgres: stopped"
    ;;
  status)
    running
    ;;
  createdb)
    name="${2:?database name}"
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtAc \
      "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
      psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qc "CREATE DATABASE \"$name\""
    ;;
  *)
    echo "usage: $0 start|stop|status|createdb NAME" >&2; exit 2
    ;;
esac
