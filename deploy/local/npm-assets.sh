#!/usr/bin/env bash
# Installs the npm packages the project uses, pinned, skipping what is there:
# - the browser assets the api serves itself (Swagger UI from npm's
#   swagger-ui-dist) under .local/npm, so /docs never needs a CDN;
# - the chart README's generator (@bitnami/readme-generator-for-helm) under
#   .local/npm-tools, a prefix of its own: npm prunes what a prefix's install
#   did not ask for, and the served assets must never depend on a tool's install.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
SWAGGER_UI_VERSION=5.35.0
README_GENERATOR_VERSION=2.7.2

installed_version() {  # prefix package → its installed version, or ""
  local manifest="$1/node_modules/$2/package.json"
  [ -f "$manifest" ] || return 0
  node -p "require(process.argv[1]).version" "$manifest"
}

ensure_installed() {  # prefix package version
  local prefix=$1 package=$2 version=$3
  [ "$(installed_version "$prefix" "$package")" = "$version" ] && return 0
  mkdir -p "$prefix"
  echo "installing $package@$version into $prefix"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error \
    "$package@$version" >/dev/null
}

command -v npm >/dev/null || { echo "npm-assets: npm is not on PATH (Debian: apt-get install npm)" >&2; exit 1; }
ensure_installed "$LOCAL/npm" swagger-ui-dist "$SWAGGER_UI_VERSION"
ensure_installed "$LOCAL/npm-tools" @bitnami/readme-generator-for-helm "$README_GENERATOR_VERSION"
