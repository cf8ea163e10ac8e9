#!/usr/bin/env bash
# The api edge under wrk, in one run, loopback only: GET /v1/users/me with a
# bearer personal token (verify cache warm) vs GET /monitoring/ping on the
# same api process; ping again with the same Authorization header (same
# request bytes, so the difference left is authorization alone); ping and
# users/me without a Connection header (HTTP/1.1's default: persistent, as
# Go clients, wrk and ingress controllers rely on) against keep-alive; and the
# cold path (a second api with the verify cache off: one VerifyToken RPC per
# request). ~10 s per case, as 5 interleaved rounds of 2 s so that drifting
# load on a shared machine hits every case alike; medians are reported.
# Prints a Markdown table; fails on any non-2xx answer or socket error.
# BENCH_PERF=1 also samples the warm api with `perf record -g` during its first
# users/me round and prints the top of `perf report`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="$ROOT/${BUILD_DIR:-build}"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
ROUNDS="${BENCH_ROUNDS:-5}"
ROUND_DURATION="${BENCH_ROUND_DURATION:-2s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
WRK_THREADS="${BENCH_WRK_THREADS:-2}"
command -v wrk >/dev/null || { echo "api_bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

# A cluster of its own, so it never meets the authority benchmark's.
export PG_DIR="$LOCAL/api-bench-postgres" PG_PORT="${BENCH_PG_PORT:-55435}" PG_FSYNC=off
WORK="$(mktemp -d)"
PIDS=()
STARTED_PG=""
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [ -n "$STARTED_PG" ] && "$ROOT/deploy/local/postgres.sh" stop >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
if ! "$ROOT/deploy/local/postgres.sh" status; then
  "$ROOT/deploy/local/postgres.sh" start >/dev/null
  STARTED_PG=1
fi
"$ROOT/deploy/local/postgres.sh" createdb tokengate_api_bench

source "$ROOT/tests/bench/bench-lib.sh"

start authority "$BUILD_DIR/services/token_authority/token-authority" \
  TOKENGATE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/tokengate_api_bench" \
  TOKENGATE_SECRET_KEY="bench-secret-0123456789-0123456789-abcdef" \
  TOKENGATE_GRPC_LISTEN=127.0.0.1:0
API_ENV=(TOKENGATE_AUTHORITY_ADDRESS="127.0.0.1:$PORT" TOKENGATE_HTTP_LISTEN=127.0.0.1:0 TOKENGATE_AUTH_PROVIDER=dummy
         TOKENGATE_ACCESS_TOKEN_SECRET="bench-api-secret-0123456789-0123456789")
start api-warm "$BUILD_DIR/services/api/tokengate-api" "${API_ENV[@]}"
WARM_PORT="$PORT"
WARM_PID="${PIDS[-1]}"
start api-cold "$BUILD_DIR/services/api/tokengate-api" "${API_ENV[@]}" TOKENGATE_VERIFY_CACHE_ENABLED=false
COLD_PORT="$PORT"

WARM="http://127.0.0.1:$WARM_PORT"
ACCESS="$(curl -sf -X POST "$WARM/v1/auth/token" -d username=bench -d password=bench |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
TOKEN="$(curl -sf -X POST "$WARM/v1/personal-tokens" -H "Authorization: Bearer $ACCESS" \
  -d "{\"name\": \"bench-$(date +%s%N)\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["content"])')"
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "$WARM/v1/users/me"  # warm the cache

run() {  # case round url [extra wrk args…]
  local name="$1" round="$2" url="$3"; shift 3
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$ROUND_DURATION" --latency "$@" "$url" \
    >"$WORK/$name.$round.txt"
}
KEEP=(-H 'Connection: keep-alive')
for round in $(seq 1 "$ROUNDS"); do
  run ping "$round" "$WARM/monitoring/ping" "${KEEP[@]}"
  run ping-default "$round" "$WARM/monitoring/ping"
  if [ "$round" = 1 ] && [ -n "${BENCH_PERF:-}" ]; then
    perf record -q -g -F 999 -p "$WARM_PID" -o "$WORK/perf.data" -- sleep "${ROUND_DURATION%s}" \
      >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  run me-warm "$round" "$WARM/v1/users/me" -H "Authorization: Bearer $TOKEN" "${KEEP[@]}"
  if [ "$round" = 1 ] && [ -n "${BENCH_PERF:-}" ]; then
    wait "$PERF_PID" || true
    perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio >"$WORK/perf.report" 2>/dev/null
    grep -E '^ +[0-9.]+%' "$WORK/perf.report" | sed -n 1,40p >"$WORK/perf.txt"
  fi
  run me-default "$round" "$WARM/v1/users/me" -H "Authorization: Bearer $TOKEN"
  run ping-same-bytes "$round" "$WARM/monitoring/ping" -H "Authorization: Bearer $TOKEN" "${KEEP[@]}"
  run me-cold "$round" "http://127.0.0.1:$COLD_PORT/v1/users/me" -H "Authorization: Bearer $TOKEN" "${KEEP[@]}"
done

python3 - "$WORK" "$ROUNDS" <<'PY'
import re, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
def one(name, round):
    text = open(f"{work}/{name}.{round}.txt").read()
    assert "Non-2xx" not in text and "Socket errors" not in text, f"{name}:\n{text}"
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = {int(p): float(v) * UNITS[u] for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)$", text, re.M)}
    return rps, lat[50], lat[99]
def load(name):  # medians over the rounds
    runs = [one(name, r) for r in range(1, rounds + 1)]
    return tuple(statistics.median(run[i] for run in runs) for i in range(3))
ping = load("ping")[0]
rows = [("GET /monitoring/ping", "ping"),
        ("GET /monitoring/ping, no Connection header", "ping-default"),
        ("GET /v1/users/me, bearer personal token, cache warm", "me-warm"),
        ("GET /v1/users/me, cache warm, no Connection header", "me-default"),
        ("GET /monitoring/ping with the same Authorization header", "ping-same-bytes"),
        ("GET /v1/users/me, cache off (one VerifyToken RPC each)", "me-cold")]
print("| case | req/s | p50 ms | p99 ms | vs ping |")
print("|---|---|---|---|---|")
for label, name in rows:
    rps, p50, p99 = load(name)
    print(f"| {label} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {rps / ping:.2f} |")
print()
print("No Connection header vs keep-alive (target >= 0.95): "
      f"ping {load('ping-default')[0] / ping:.2f}, "
      f"users/me {load('me-default')[0] / load('me-warm')[0]:.2f}")
PY
if [ -s "$WORK/perf.txt" ]; then
  echo; echo "perf, warm api during GET /v1/users/me, self time:"
  awk '{printf "%s %s %s %s\n", $1, $2, $3, $4}' "$WORK/perf.txt"
fi
