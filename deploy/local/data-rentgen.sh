#!/usr/bin/env bash
# Installs Data.Rentgen itself (PyPI) into .local/data-rentgen, for the
# differential tests against it. It needs Python >= 3.12, which Debian 12 does
# not ship: the machine image has one under pyenv. Skipped when the pinned
# version is already there.
#
#   deploy/local/data-rentgen.sh      # or: install-deps.sh data-rentgen
# Env: TOKENGATE_PYTHON312 — a Python >= 3.12 interpreter to use instead of searching.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
VENV="$LOCAL/data-rentgen"
PIN="data-rentgen[server,postgres,http2kafka]==0.7.2"

if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.pin" 2>/dev/null)" = "$PIN" ]; then
  exit 0
fi

is_new_enough() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null
}

python=""
candidates=("${TOKENGATE_PYTHON312:-}" python3.13 python3.12 python3)
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]* /root/.pyenv/versions/3.1[2-9]*; do
  candidates+=("$dir/bin/python3")
done
for candidate in "${candidates[@]}"; do
  [ -n "$candidate" ] || continue
  path="$(command -v "$candidate" 2>/dev/null || true)"
  if [ -n "$path" ] && is_new_enough "$path"; then python="$path"; break; fi
done
if [ -z "$python" ]; then
  cat >&2 <<MSG
data-rentgen: Data.Rentgen needs Python >= 3.12 and none was found
  (looked for \$TOKENGATE_PYTHON312, python3.13, python3.12, python3 on PATH and pyenv versions 3.12+).
  Debian 12's python3 is 3.11, and PyPI carries no CPython. Install one — e.g. \`pyenv install 3.12\`
  or Debian 13's python3.12 — and set TOKENGATE_PYTHON312=/path/to/python3.12.
  The differential tests against Data.Rentgen (tests/e2e/test_data_rentgen_compat.py) need it.
MSG
  exit 1
fi

echo "data-rentgen: installing $PIN with $python ($("$python" --version 2>&1))"
rm -rf "$VENV"
"$python" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "$PIN"
echo "$PIN" > "$VENV/.pin"
