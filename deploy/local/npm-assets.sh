#!/usr/bin/env bash
# Installs the browser assets the api serves itself (Swagger UI from npm's
# swagger-ui-dist, pinned) under .local/npm, so /docs never needs a CDN.
# Skips the install when the pinned version is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
PREFIX="$LOCAL/npm"
SWAGGER_UI_VERSION=5.35.0

installed_version() {  # package → its installed version, or ""
  local manifest="$PREFIX/node_modules/$1/package.json"
  [ -f "$manifest" ] || return 0
  node -p "require(process.argv[1]).version" "$manifest"
}

command -v npm >/dev/null || { echo "npm-assets: npm is not on PATH (Debian: apt-get install npm)" >&2; exit 1; }
if [ "$(installed_version swagger-ui-dist)" != "$SWAGGER_UI_VERSION" ]; then
  mkdir -p "$PREFIX"
  echo "installing swagger-ui-dist@$SWAGGER_UI_VERSION into $PREFIX"
  npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --loglevel=error \
    "swagger-ui-dist@$SWAGGER_UI_VERSION" >/dev/null
fi
