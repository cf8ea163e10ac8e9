#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (+ASan/UBSan) and runs each for a
# bounded time (FUZZ_SECONDS per target, default 15: about 2 minutes for all)
# from its seed corpus. FUZZ_TARGETS limits the run to some targets. The
# corpus grows under .local/fuzz/<target>/; crashes land in .local/fuzz/crashes/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/build-fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-15}"
TARGETS="${FUZZ_TARGETS:-token_parser request_framer gzip_inflater event_validator oidc_jws oidc_claims}"
LAUNCHER=()
if command -v ccache >/dev/null; then LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "${LAUNCHER[@]}" -DTOKENGATE_FUZZ=ON -DTOKENGATE_SANITIZE=address,undefined -DBUILD_TESTING=ON >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD" --target $(printf '%s_fuzz ' $TARGETS)

# UBSan findings are errors, not warnings that scroll by.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
mkdir -p "$ROOT/.local/fuzz/crashes"
for target in $TARGETS; do
  corpus="$ROOT/.local/fuzz/$target"
  mkdir -p "$corpus"
  cp -n "$ROOT/tests/fuzz/seeds/$target"/* "$corpus"/ 2>/dev/null || true  # keep what earlier runs found
  echo "== $target (${SECONDS_PER_TARGET}s)"
  "$BUILD/tests/fuzz/${target}_fuzz" -max_total_time="$SECONDS_PER_TARGET" -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$ROOT/.local/fuzz/crashes/${target}-" "$corpus"
done
