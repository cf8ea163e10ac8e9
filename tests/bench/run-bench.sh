#!/usr/bin/env bash
# `make bench`: every benchmark, one after another (they share 2 cores, so
# never in parallel). Each prints its own table; ratios within one table are
# the numbers to read.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
for bench in authority_bench.sh revocation_fanout_bench.sh api_bench.sh dead_token_bench.sh http2kafka_bench.sh consumer_bench.sh; do
  [ -x "$ROOT/tests/bench/$bench" ] || continue
  echo "== $bench"
  "$ROOT/tests/bench/$bench"
  echo
done
