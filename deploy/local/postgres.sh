#!/usr/bin/env bash
# A throw-away PostgreSQL cluster under .local/, on a non-default port.
# Usage: postgres.sh start|stop|status|createdb NAME
# Env: PG_DIR (default .local/postgres), PG_PORT (default 55432),
#      PG_PASSWORD_FILE (optional; make run sets it): a TCP login needs that
#      password (scram-sha-256); only the cluster's own OS user gets in without
#      one, through the Unix socket (peer). Each start applies it, so a cluster
#      made with trust, or a changed file, takes the password at the next start.
#      Unset (the tests' throw-away cluster): every local connection is trusted.
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

# The OS user that owns the cluster: the one `peer` lets in through the socket.
owner_name() {
  if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

# SQL as the cluster's owner through the socket: works with and without PG_PASSWORD_FILE.
owner_psql() {
  as_owner psql -h "$PG_DIR/sock" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}

# pg_hba.conf of PG_PASSWORD_FILE mode: no `trust` line left.
write_auth_config() {
  as_owner tee "$PG_DIR/data/pg_hba.conf" >/dev/null <<EOF
# Written by deploy/local/postgres.sh at each start (PG_PASSWORD_FILE is set).
local all postgres peer map=owner
host  all all 127.0.0.1/32 scram-sha-256
EOF
  printf 'owner %s postgres\n' "$(owner_name)" | as_owner tee "$PG_DIR/data/pg_ident.conf" >/dev/null
}

# The SCRAM-SHA-256 verifier of the password (RFC 5802/7677, as PostgreSQL
# stores it): the server never receives the password itself, so it cannot
# reach a log line or pg_stat_activity.
scram_verifier() {
  python3 - "$1" <<'PY'
import base64, hashlib, hmac, os, sys
password = open(sys.argv[1], "rb").read().strip()
salt, iterations = os.urandom(16), 4096
salted = hashlib.pbkdf2_hmac("sha256", password, salt, iterations)
client_key = hmac.new(salted, b"Client Key", "sha256").digest()
server_key = hmac.new(salted, b"Server Key", "sha256").digest()
b64 = lambda data: base64.b64encode(data).decode()
print(f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}")
PY
}

set_password() {
  echo "ALTER ROLE postgres PASSWORD '$(scram_verifier "$PG_PASSWORD_FILE")'" | owner_psql
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running() {
  [ -f "$PG_DIR/data/postmaster.pid" ] && as_owner "$PGBIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1
}

case "${1:-}" in
  start)
    if running; then
      if [ -n "${PG_PASSWORD_FILE:-}" ]; then
        write_auth_config
        as_owner "$PGBIN/pg_ctl" -D "$PG_DIR/data" reload >/dev/null
        set_password
      fi
      echo "postgres: already running on port $PG_PORT"; exit 0
    fi
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
    # Before the server starts: a cluster once made with trust never serves a trusting login again.
    if [ -n "${PG_PASSWORD_FILE:-}" ]; then write_auth_config; fi
    as_owner "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
      -o "-p $PG_PORT -k $PG_DIR/sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${PG_FSYNC:-on}" \
      start >/dev/null
    if [ -n "${PG_PASSWORD_FILE:-}" ]; then
      set_password
      echo "postgres: running on 127.0.0.1:$PG_PORT ($PG_DIR), password login (scram-sha-256)"
    else
      echo "postgres: running on 127.0.0.1:$PG_PORT ($PG_DIR), trusting every local connection"
    fi
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
    owner_psql -c "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
      owner_psql -c "CREATE DATABASE \"$name\""
    ;;
  *)
    echo "usage: $0 start|stop|status|createdb NAME" >&2; exit 2
    ;;
esac
