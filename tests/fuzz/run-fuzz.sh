#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (+ASan/UBSan) and runs each for a
# bounded time (FUZZ_SECONDS, default 60) from a seed corpus.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/build-fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTOKENGATE_FUZZ=ON -DTOKENGATE_SANITIZE=address,undefined -DBUILD_TESTING=ON >/dev/null
cmake --build "$BUILD" --target token_parser_fuzz

CORPUS="$ROOT/.local/fuzz/token_parser"
mkdir -p "$CORPUS"
cp -n "$ROOT"/tests/fuzz/seeds/* "$CORPUS"/ 2>/dev/null || true
"$BUILD/tests/fuzz/token_parser_fuzz" -max_total_time="$SECONDS_PER_TARGET" -max_len=8192 \
  -print_final_stats=1 "$CORPUS"
