#!/usr/bin/env bash
# Builds, once per machine, what the local single-node Kubernetes of
# `make cluster` runs that Debian does not package: kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl
# v1.34.4 from the Go module proxy, CoreDNS by `go install`, and the pause
# image (the sandbox every pod starts from) from the kubernetes module's
# pause.c, packed as an image tarball: no container registry is reachable.
# Everything lands in a cache outside the clone ($TOKENGATE_KUBE_CACHE,
# default ~/.cache/tokengate/kube-v1.34.4) so every clone on the machine
# shares it; a finished cache (its .complete stamp) is left alone.
# It must not start anything: cluster.sh does that.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=deploy/local/kube/kube-lib.sh
source "$HERE/kube-lib.sh"

[ -f "$KUBE_CACHE/.complete" ] && exit 0
mkdir -p "$KUBE_CACHE_ROOT"
# Two checkouts (or `make cluster` and the tests) may ask at once: one builds, the other waits.
exec 9>"$KUBE_CACHE_ROOT/.kube-build.lock"
flock 9
[ -f "$KUBE_CACHE/.complete" ] && exit 0
command -v go >/dev/null || die "go is not on PATH (Debian: apt-get install golang, or /usr/local/go/bin)"
command -v gcc >/dev/null || die "no gcc (apt-get install gcc) for the pause image"

export GOPATH="$KUBE_CACHE_ROOT/go" GOCACHE="$KUBE_CACHE_ROOT/go/cache"
export GOFLAGS="-modcacherw" GOTOOLCHAIN=local GOWORK=off
mkdir -p "$GOPATH" "$KUBE_CACHE"
start=$SECONDS
# Low priority: the machine's cores are shared with builds and tests
# (KUBE_BUILD_NICE: a busy machine may starve a niceness of 19 for hours).
NICE=(nice -n "${KUBE_BUILD_NICE:-19}")

# module_dir MODULE@VERSION: the module's directory in the module cache (downloaded if needed).
module_dir() {
  (cd "$GOPATH" && go mod download -json "$1") | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])'
}

echo "kube-build: Kubernetes $KUBE_VERSION into $KUBE_CACHE (once per machine; several minutes on 2 cores)"
# The kubernetes module is built from a writable copy: its go.mod points the
# staging modules at ./staging, which the module zip leaves out, so each
# replace is pointed at the published module of the same release instead.
src="$KUBE_CACHE/src"
rm -rf "$src"
cp -r "$(module_dir "k8s.io/kubernetes@$KUBE_VERSION")" "$src"
chmod -R u+w "$src"
rm -f "$src"/go.work "$src"/go.work.sum
staging_version="v0${KUBE_VERSION#v1}"
replaces=()
while read -r module; do
  case "$module" in
    k8s.io/sample-cli-plugin | k8s.io/sample-controller) replaces+=(-dropreplace="$module") ;;
    *) replaces+=(-replace="$module=$(module_dir "$module@$staging_version")") ;;
  esac
done < <(cd "$src" && go mod edit -json | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    if r["New"]["Path"].startswith("./staging/"):
        print(r["Old"]["Path"])')
(cd "$src" && go mod edit "${replaces[@]}")

# kubectl and helm read the version: an unstamped build says v0.0.0.
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
mkdir -p "$KUBE_BIN"
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
  echo "kube-build: $cmd"
  (cd "$src" && GOFLAGS="$GOFLAGS -mod=mod" CGO_ENABLED=0 "${NICE[@]}" \
     go build -trimpath -ldflags "$ldflags" -o "$KUBE_BIN/$cmd" "./cmd/$cmd")
done

echo "kube-build: coredns $COREDNS_VERSION"
GOBIN="$KUBE_BIN" CGO_ENABLED=0 "${NICE[@]}" go install -trimpath -ldflags "-s -w" \
  "github.com/coredns/coredns@$COREDNS_VERSION"

echo "kube-build: pause image $PAUSE_IMAGE"
gcc -Os -static -o "$KUBE_CACHE/pause" "$src/build/pause/linux/pause.c"
strip "$KUBE_CACHE/pause"
python3 "$HERE/image_tarball.py" "$KUBE_CACHE/pause" "$PAUSE_IMAGE" "$KUBE_CACHE/pause-image.tar"

# The copy was only needed to build; the module and build caches stay for a rebuild.
rm -rf "$src"
touch "$KUBE_CACHE/.complete"
echo "kube-build: done in $((SECONDS - start)) s"
