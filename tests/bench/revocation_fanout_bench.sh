#!/usr/bin/env bash
# Revocation fan-out: 1,000 WatchRevocations streams from one process against
# one authority, 100 revocations, then a restart mid-run that every stream must
# resume across with nothing missed (tests/bench/revocation_fanout.py). Prints
# Markdown tables; BENCH_STREAMS / BENCH_REVOCATIONS change the scale.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="$ROOT/${BUILD_DIR:-build}"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"

export PG_DIR="$LOCAL/bench-fanout-postgres" PG_PORT="${BENCH_PG_PORT:-55436}" PG_FSYNC=off
cleanup() { "$ROOT/deploy/local/postgres.sh" stop >/dev/null; }
trap cleanup EXIT
"$ROOT/deploy/local/postgres.sh" start >/dev/null
"$ROOT/deploy/local/postgres.sh" createdb tokengate_fanout

cd "$ROOT"
export GRPC_VERBOSITY="${GRPC_VERBOSITY:-ERROR}"  # the client library's own INFO lines (GOAWAY on restart)
"$LOCAL/venv/bin/python" "$ROOT/tests/bench/revocation_fanout.py" \
  "postgresql://postgres@127.0.0.1:$PG_PORT/tokengate_fanout" "$BUILD_DIR/services/token_authority/token-authority" \
  "$BUILD_DIR/tests/bench/revocation_fanout_client"
