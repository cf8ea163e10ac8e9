#!/usr/bin/env bash
# `make stop`: SIGTERM each service (edges first, so they drain while the
# authority still answers), wait for it, then stop Keycloak (if started), Kafka
# and PostgreSQL.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=deploy/local/stack-lib.sh
source "$ROOT/deploy/local/stack-lib.sh"

for name in "${SERVICES[@]}"; do
  pidfile="$RUN_DIR/$name.pid"
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  # Gone before the signal: run.sh, watching from the foreground, must never see
  # a service that ended with its pid file still there (that means it crashed).
  rm -f "$pidfile"
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { echo "$name did not stop in 15 s; killing it" >&2; kill -KILL "$pid"; }
  fi
  echo "$name: stopped"
done
if [ -f "$LOCAL/keycloak/run/keycloak.pid" ]; then
  KEYCLOAK_DIR="$LOCAL/keycloak/run" "$ROOT/deploy/local/keycloak.sh" stop
fi
KAFKA_DIR="$LOCAL/kafka/run" KAFKA_PORT="${TOKENGATE_RUN_KAFKA_PORT:-9092}" "$ROOT/deploy/local/kafka.sh" stop
PG_DIR="$LOCAL/postgres" PG_PORT="${TOKENGATE_RUN_PG_PORT:-55432}" "$ROOT/deploy/local/postgres.sh" stop
