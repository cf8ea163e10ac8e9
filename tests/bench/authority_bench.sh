#!/usr/bin/env bash
# VerifyToken vs grpc.health.v1.Health/Check on the same authority process,
# with ghz at 1, 8 and 32 concurrent callers, in one run. Prints a Markdown
# table; ratios matter more than absolutes on these shared machines.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="$ROOT/${BUILD_DIR:-build}"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
GHZ="$LOCAL/bin/ghz"
DURATION="${BENCH_DURATION:-8s}"
"$ROOT/deploy/local/go-tools.sh" ghz >/dev/null

export PG_DIR="$LOCAL/bench-postgres" PG_PORT="${BENCH_PG_PORT:-55434}" PG_FSYNC=off
WORK="$(mktemp -d)"
cleanup() {
  [ -n "${AUTHORITY_PID:-}" ] && kill "$AUTHORITY_PID" 2>/dev/null && wait "$AUTHORITY_PID" 2>/dev/null
  "$ROOT/deploy/local/postgres.sh" stop >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
"$ROOT/deploy/local/postgres.sh" start >/dev/null
"$ROOT/deploy/local/postgres.sh" createdb tokengate_bench

TOKENGATE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/tokengate_bench" \
TOKENGATE_SECRET_KEY="bench-secret-0123456789-0123456789-abcdef" \
TOKENGATE_GRPC_LISTEN=127.0.0.1:0 \
  "$BUILD_DIR/services/token_authority/token-authority" 2>"$WORK/authority.log" &
AUTHORITY_PID=$!
for _ in $(seq 1 200); do
  PORT="$(grep -oP 'listening on port \K[0-9]+' "$WORK/authority.log" || true)"
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "$PORT" ] || { cat "$WORK/authority.log"; exit 1; }

TOKEN="$("$LOCAL/venv/bin/python" - "$PORT" <<'PY'
import sys, time
sys.path.insert(0, "tests/support")
import authority_grpc
stub = authority_grpc.stub(f"127.0.0.1:{sys.argv[1]}")
print(stub.IssueToken(authority_grpc.pb.IssueTokenRequest(user_name="bench", name=f"bench-{time.time_ns()}"), timeout=5).content)
PY
)"

run() {  # name concurrency call proto data
  "$GHZ" --insecure --proto "$4" --import-paths "$ROOT/protos,$ROOT/tests/bench" --call "$3" \
    -d "$5" -c "$2" -z "$DURATION" --connections 1 -O json "127.0.0.1:$PORT" >"$WORK/$1-$2.json"
}
for c in 1 8 32; do
  run health "$c" grpc.health.v1.Health.Check "$ROOT/tests/bench/health.proto" '{}'
  run verify "$c" tokengate.v1.TokenAuthority.VerifyToken \
    "$ROOT/protos/tokengate/v1/token_authority.proto" "{\"token\":\"$TOKEN\"}"
done

"$LOCAL/venv/bin/python" - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def load(name, c):
    d = json.load(open(f"{work}/{name}-{c}.json"))
    lat = {p["percentage"]: p["latency"] / 1e6 for p in d.get("latencyDistribution") or []}
    codes = d["statusCodeDistribution"]
    # ghz cancels the calls in flight when the duration ends; anything else is a failure.
    errors = sum(n for code, n in codes.items() if code not in ("OK", "Canceled", "Unavailable"))
    cut = sum(n for code, n in codes.items() if code != "OK")
    assert errors == 0 and cut <= 2 * c, f"{name} at {c} callers: {codes}"
    return d["rps"], lat.get(50, 0), lat.get(99, 0)
print("| callers | Health/Check req/s | p50 ms | p99 ms | VerifyToken req/s | p50 ms | p99 ms | Verify/Health |")
print("|---|---|---|---|---|---|---|---|")
for c in (1, 8, 32):
    h, v = load("health", c), load("verify", c)
    print(f"| {c} | {h[0]:.0f} | {h[1]:.2f} | {h[2]:.2f} | {v[0]:.0f} | {v[1]:.2f} | {v[2]:.2f} | {v[0]/h[0]:.2f} |")
PY
