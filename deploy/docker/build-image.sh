#!/usr/bin/env bash
# `make image`: builds deploy/docker/Dockerfile from the binaries `make`
# built in $BUILD_DIR. Starts a Docker engine and makes the Debian base first
# when needed (deploy/local/docker.sh), prepares the build context in
# $BUILD_DIR/image-context (the binaries without debug info, Swagger UI,
# the token page: nothing else of the repository, .local/ or build trees),
# and tags the image tokengate:<version>, the name the helm chart deploys.
# Writes the image id to $BUILD_DIR/image-id; the build log to $BUILD_DIR/image-build.log.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
BUILD_DIR="${BUILD_DIR:-build}"
[[ "$BUILD_DIR" = /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
CONTEXT="$BUILD_DIR/image-context"
SWAGGER="$LOCAL/npm/node_modules/swagger-ui-dist"
BASE_IMAGE="${TOKENGATE_BASE_IMAGE:-tokengate-base:bookworm}"
declare -A BINARIES=([token-authority]=token_authority [tokengate-api]=api
                     [http2kafka]=http2kafka [lineage-consumer]=consumer [tokengate]=cli)

fail() { echo "build-image: $*" >&2; exit 1; }

sanitize="$(sed -n 's/^TOKENGATE_SANITIZE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)"
[ -z "$sanitize" ] || fail "$BUILD_DIR is a sanitizer build ($sanitize); the image packages a plain build (BUILD_DIR=build)"
[ -f "$SWAGGER/swagger-ui-bundle.js" ] || fail "no Swagger UI in $SWAGGER (deploy/local/npm-assets.sh)"

rm -rf "$CONTEXT"
mkdir -p "$CONTEXT/bin" "$CONTEXT/swagger-ui-dist"
for binary in "${!BINARIES[@]}"; do
  built="$BUILD_DIR/services/${BINARIES[$binary]}/$binary"
  [ -x "$built" ] || fail "$built is not built (make build)"
  strip --strip-debug -o "$CONTEXT/bin/$binary" "$built"
done
# Source maps and build logs are for Swagger UI's developers, not for /docs.
find "$SWAGGER" -maxdepth 1 -type f ! -name '*.map' ! -name 'log.*' -exec cp {} "$CONTEXT/swagger-ui-dist/" \;
cp -r "$ROOT/web" "$CONTEXT/web"

# "token-authority 0.1.0 (revision <hash>)": the labels say what the binaries say.
read -r _ version _ revision < <("$CONTEXT/bin/token-authority" --version)
revision="${revision%)}"
IMAGE="${TOKENGATE_IMAGE:-tokengate:$version}"

"$ROOT/deploy/local/docker.sh" base
echo "build-image: building $IMAGE (revision $revision) from $CONTEXT"
if ! docker build --network host -f "$ROOT/deploy/docker/Dockerfile" \
       --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "VERSION=$version" \
       --build-arg "REVISION=$revision" --iidfile "$BUILD_DIR/image-id" -t "$IMAGE" \
       "$CONTEXT" >"$BUILD_DIR/image-build.log" 2>&1; then
  tail -30 "$BUILD_DIR/image-build.log" >&2
  fail "docker build failed (log: $BUILD_DIR/image-build.log)"
fi
size="$(docker image inspect -f '{{.Size}}' "$IMAGE")"
echo "build-image: $IMAGE $(cat "$BUILD_DIR/image-id") $((size / 1000000)) MB"
