#!/usr/bin/env bash
# Starts the real parts the tests need (a throw-away PostgreSQL and a Kafka
# broker under .local/test-*), runs every registered test with ctest, and
# stops what it started, whatever the outcome. ctest's summary is the last line.
#   tests/run-tests.sh [ctest arguments]          e.g. -R 'py.unit' -LE image
#   tests/run-tests.sh --pytest FILE [pytest arguments]
#                                                 one Python test file (or, with
#                                                 -k NAME, one case) in the same
#                                                 environment, without ctest
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="$ROOT/${BUILD_DIR:-build}"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"

PYTEST_FILE=""
if [ "${1:-}" = "--pytest" ]; then
  [ -f "${2:-}" ] || { echo "usage: $0 --pytest FILE [-k NAME] [pytest arguments]" >&2; exit 2; }
  PYTEST_FILE="$(realpath "$2")"  # the run's cwd is the repository
  shift 2
fi

# Ports below the kernel's ephemeral range (32768+), so a client socket never holds them.
export PG_DIR="$LOCAL/test-postgres" PG_PORT="${TEST_PG_PORT:-25433}" PG_FSYNC=off
export KAFKA_DIR="$LOCAL/test-kafka" KAFKA_PORT="${TEST_KAFKA_PORT:-29092}"
# A second listener, SASL_PLAINTEXT with the PLAIN mechanism, for the tests of the Kafka clients' SASL
# (given to kafka.sh only: a test that starts a broker of its own gets none).
KAFKA_SASL_PORT="${TEST_KAFKA_SASL_PORT:-$((KAFKA_PORT + 2))}" KAFKA_SASL_USER=tokengate-test
KAFKA_SASL_PASSWORD=tokengate-test-sasl

cleanup() {
  "$ROOT/deploy/local/kafka.sh" stop >/dev/null 2>&1 || true
  "$ROOT/deploy/local/postgres.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$ROOT/deploy/local/postgres.sh" start
KAFKA_SASL_PORT="$KAFKA_SASL_PORT" KAFKA_SASL_USER="$KAFKA_SASL_USER" KAFKA_SASL_PASSWORD="$KAFKA_SASL_PASSWORD" \
  "$ROOT/deploy/local/kafka.sh" start

export TOKENGATE_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
export TOKENGATE_TEST_PG_DIR="$PG_DIR"
export TOKENGATE_TEST_KAFKA="127.0.0.1:$KAFKA_PORT"
export TOKENGATE_TEST_KAFKA_DIR="$KAFKA_DIR"
export TOKENGATE_TEST_KAFKA_SASL="127.0.0.1:$KAFKA_SASL_PORT"
export TOKENGATE_TEST_KAFKA_SASL_USER="$KAFKA_SASL_USER" TOKENGATE_TEST_KAFKA_SASL_PASSWORD="$KAFKA_SASL_PASSWORD"
export TOKENGATE_TEST_VENV="$LOCAL/venv"
export TOKENGATE_ROOT="$ROOT"

if [ -n "$PYTEST_FILE" ]; then
  # What tg_add_pytest gives a registered file: the build dir and the repository as cwd.
  export TOKENGATE_BUILD_DIR="$BUILD_DIR"
  cd "$ROOT"
  set +e
  "$ROOT/tests/pytest.sh" "$PYTEST_FILE" "$@"
  status=$?
  set -e
  exit "$status"
fi

cd "$BUILD_DIR"
set +e
ctest --output-on-failure --timeout 600 -j "${TEST_JOBS:-2}" "$@" | tee "$LOCAL/last-test-run.log"
status=${PIPESTATUS[0]}
set -e
# ctest's own summary as the very last line, so a run that ran nothing shows.
grep -E '^[0-9]+% tests passed' "$LOCAL/last-test-run.log" | tail -1 || echo "0 passed, 0 failed"
exit "$status"
