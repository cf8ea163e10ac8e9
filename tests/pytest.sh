#!/usr/bin/env bash
# Runs one pytest file with the project's venv; exit 5 (nothing collected)
# is a failure here, so a file that tests nothing cannot pass.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${TOKENGATE_TEST_VENV:-$ROOT/.local/venv}"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
