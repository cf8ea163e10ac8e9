#!/usr/bin/env bash
# Installs what the build, the tests and the local stack need, skipping what
# is there: Debian packages, the Python venv under .local/, and (by argument)
# the Kafka jars, the Go tools, the npm assets, Keycloak, Data.Rentgen (to compare against)
# and the Debian parts of `make cluster`'s Kubernetes (its own binaries: deploy/local/kube/build.sh).
# Usage: install-deps.sh [kafka] [go-tools] [npm] [keycloak] [data-rentgen] [cluster]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
mkdir -p "$LOCAL"

PACKAGES=(
  cmake ninja-build g++ pkg-config make
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libpq-dev libssl-dev libpistache-dev librdkafka-dev libsimdjson-dev zlib1g-dev
  libgtest-dev libgmock-dev libcjose-dev libjansson-dev libcurl4-openssl-dev
  postgresql postgresql-contrib
  clang libclang-rt-14-dev clang-format-14
  kcat wrk openssl curl python3-venv chromium prometheus
  openjdk-17-jre-headless maven
  docker.io debootstrap
)

# Only `make cluster` and the cluster tests run these.
CLUSTER_PACKAGES=(etcd-server containerd containernetworking-plugins socat conntrack iptables)
for extra in "$@"; do
  [ "$extra" = cluster ] && PACKAGES+=("${CLUSTER_PACKAGES[@]}")
done

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test tools live in a venv; reinstalled only when the requirements change.
VENV="$LOCAL/venv"
REQ="$ROOT/tests/requirements.txt"
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
if ! cmp -s "$REQ" "$VENV/.requirements.txt"; then
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
  cp "$REQ" "$VENV/.requirements.txt"
fi

for extra in "$@"; do
  case "$extra" in
    kafka) "$ROOT/deploy/local/kafka.sh" install ;;
    go-tools) "$ROOT/deploy/local/go-tools.sh" ;;
    npm) "$ROOT/deploy/local/npm-assets.sh" ;;
    keycloak) "$ROOT/deploy/local/keycloak.sh" install ;;
    data-rentgen) "$ROOT/deploy/local/data-rentgen.sh" ;;
    cluster) "$ROOT/deploy/local/go-tools.sh" helm ;;
    *) echo "unknown extra '$extra'" >&2; exit 2 ;;
  esac
done
