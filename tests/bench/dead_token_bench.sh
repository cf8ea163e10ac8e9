#!/usr/bin/env bash
# A flood of a dead token against a valid one, on one api process, in one run
# (issue 24): wrk at 32 keep-alive connections on GET /v1/users/me with a
# revoked token (401 from the negative cache; each presentation is a dead use
# to report) against the same with a valid token (200 from the verify cache),
# in interleaved rounds so drifting load on a shared machine hits both alike;
# medians are reported. Also the ReportTokenUses batches the api sent during
# the revoked rounds against the seconds they lasted (one batch per second at
# most), and the audit records the flood left (one). Loopback only; its own
# PostgreSQL cluster. Prints a Markdown table.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="$ROOT/${BUILD_DIR:-build}"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
ROUNDS="${BENCH_ROUNDS:-5}"
ROUND_SECONDS="${BENCH_ROUND_SECONDS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
command -v wrk >/dev/null || { echo "dead_token_bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

export PG_DIR="$LOCAL/dead-token-bench-postgres" PG_PORT="${BENCH_PG_PORT:-55449}" PG_FSYNC=off
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  "$ROOT/deploy/local/postgres.sh" stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"$ROOT/deploy/local/postgres.sh" start >/dev/null
"$ROOT/deploy/local/postgres.sh" createdb tokengate_dead_bench >/dev/null 2>&1 || true
DB="postgresql://postgres@127.0.0.1:$PG_PORT/tokengate_dead_bench"

source "$ROOT/tests/bench/bench-lib.sh"

start authority "$BUILD_DIR/services/token_authority/token-authority" TOKENGATE_DATABASE_URL="$DB" \
  TOKENGATE_SECRET_KEY="bench-secret-0123456789-0123456789-abcdef" TOKENGATE_GRPC_LISTEN=127.0.0.1:0
start api "$BUILD_DIR/services/api/tokengate-api" TOKENGATE_AUTHORITY_ADDRESS="127.0.0.1:$PORT" \
  TOKENGATE_HTTP_LISTEN=127.0.0.1:0 TOKENGATE_AUTH_PROVIDER=dummy \
  TOKENGATE_ACCESS_TOKEN_SECRET="bench-api-secret-0123456789-0123456789"
API="http://127.0.0.1:$PORT"

ACCESS="$(curl -sf -X POST "$API/v1/auth/token" -d username=bench -d password=bench |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
create() {
  curl -sf -X POST "$API/v1/personal-tokens" -H "Authorization: Bearer $ACCESS" -d "{\"name\": \"$1-$(date +%s%N)\"}"
}
VALID="$(create valid | python3 -c 'import json,sys; print(json.load(sys.stdin)["content"])')"
DEAD_JSON="$(create dead)"
DEAD="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["content"])' "$DEAD_JSON")"
DEAD_ID="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$DEAD_JSON")"
curl -sf -o /dev/null -X DELETE -H "Authorization: Bearer $ACCESS" "$API/v1/personal-tokens/$DEAD_ID"
curl -sf -o /dev/null -H "Authorization: Bearer $VALID" "$API/v1/users/me"  # both answers cached
curl -s -o /dev/null -H "User-Agent:" -H "Authorization: Bearer $DEAD" "$API/v1/users/me"  # as wrk: no User-Agent

batches() { curl -sf "$API/metrics" | awk '$1 == "tokengate_dead_token_use_batches_total" {print $2}'; }
KEEP=(-H 'Connection: keep-alive')
BATCHES_BEFORE="$(batches)"
for round in $(seq 1 "$ROUNDS"); do
  wrk -t2 -c"$CONNECTIONS" -d"${ROUND_SECONDS}s" "${KEEP[@]}" -H "Authorization: Bearer $VALID" \
    "$API/v1/users/me" >"$WORK/valid.$round.txt"
  wrk -t2 -c"$CONNECTIONS" -d"${ROUND_SECONDS}s" "${KEEP[@]}" -H "Authorization: Bearer $DEAD" \
    "$API/v1/users/me" >"$WORK/dead.$round.txt"
done
# The one use (token, address, user agent) went out in the first batch after the warm-up request;
# wait (with a deadline) for the audit record it leaves.
records() { psql "$DB" -qtAc "SELECT count(*) FROM audit_event WHERE token_id = '$DEAD_ID' AND event = 'token.used_after_revocation'"; }
for _ in $(seq 1 100); do
  RECORDS="$(records)"
  [ "$RECORDS" != 0 ] && break
  sleep 0.1
done
BATCHES_AFTER="$(batches)"

python3 - "$WORK" "$ROUNDS" "$ROUND_SECONDS" "$BATCHES_BEFORE" "$BATCHES_AFTER" "$RECORDS" <<'PY'
import re, statistics, sys
work, rounds, seconds, before, after, records = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
    float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
def rps(name, expect_non2xx):
    values = []
    for r in range(1, rounds + 1):
        text = open(f"{work}/{name}.{r}.txt").read()
        assert "Socket errors" not in text, text
        assert ("Non-2xx" in text) == expect_non2xx, text
        values.append(float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)))
    return statistics.median(values)
valid, dead = rps("valid", False), rps("dead", True)
print("| case | req/s |")
print("|---|---|")
print(f"| GET /v1/users/me, valid token (verify cache) | {valid:.0f} |")
print(f"| GET /v1/users/me, revoked token (negative cache, use reported) | {dead:.0f} |")
print()
print(f"revoked / valid: {dead / valid:.2f} (target >= 0.95)")
print(f"ReportTokenUses batches: {after - before:.0f} over {rounds * seconds:.0f} s of flood "
      f"({rounds * 2 * seconds:.0f} s in all; at most one per second)")
print(f"audit records the flood left: {records} (expected 1)")
PY
