#!/usr/bin/env bash
# Regenerates the parameter tables of helm/tokengate/README.md from the
# `## @param` annotations in helm/tokengate/values.yaml, with Bitnami's
# readme-generator-for-helm (installed by deploy/local/npm-assets.sh). The
# README's text outside "## Parameters" is written by hand and kept as it is.
# --check: regenerate into a temporary copy and fail, showing the difference,
# when the committed README is not what the values say (the test). Never
# edits values.yaml or values.schema.json.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
CHART="$ROOT/helm/tokengate"
GENERATOR="$LOCAL/npm-tools/node_modules/.bin/readme-generator"

[ -x "$GENERATOR" ] || { echo "chart-readme: $GENERATOR missing; run deploy/local/npm-assets.sh" >&2; exit 1; }

generate() {  # README path; the generator's chatter is shown only when it fails
  local log
  log=$(mktemp)
  if ! "$GENERATOR" --values "$CHART/values.yaml" --readme "$1" >"$log" 2>&1; then
    grep -E '^ERROR' "$log" >&2 || cat "$log" >&2
    rm -f "$log"
    echo "chart-readme: every value in values.yaml needs a '## @param name description' line" >&2
    return 1
  fi
  rm -f "$log"
}

if [ "${1:-}" = "--check" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$CHART/README.md" "$work/README.md"
  generate "$work/README.md"
  if ! diff -u "$CHART/README.md" "$work/README.md"; then
    echo "chart-readme: helm/tokengate/README.md is out of date; run 'make docs'" >&2
    exit 1
  fi
  echo "helm/tokengate/README.md matches values.yaml"
else
  generate "$CHART/README.md"
fi
