#!/usr/bin/env bash
# Builds the Go-written tools the chart checks, the gRPC benchmarks and the
# docs/cli.md's gRPC examples use (helm, kubeconform, ghz, grpcurl) with `go install`, and the Kubernetes and
# Prometheus Operator CRD JSON schemas kubeconform validates against, all under .local/ so the repo tree stays clean.
#
#   deploy/local/go-tools.sh                  # everything
#   deploy/local/go-tools.sh helm kubeconform # only these
#
# Names: helm kubeconform ghz grpcurl k8s-schemas crd-schemas. A tool is rebuilt only when its
# binary is missing or was built from another version than the pin below.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
local_dir=${TOKENGATE_LOCAL_DIR:-$repo/.local}

# Pins: the newest releases the Go module proxy serves that build with Go 1.26.
helm_version=v3.22.0
kubeconform_version=v0.8.0
ghz_version=v0.121.0
grpcurl_version=v1.9.4
# The Kubernetes release whose OpenAPI spec the schemas are generated from;
# k8s.io/kubernetes ships it as api/openapi-spec/swagger.json.
k8s_version=v1.37.2
# The Prometheus Operator release whose CRDs (ServiceMonitor, PrometheusRule)
# the chart's monitoring objects are checked against.
prometheus_operator_version=v0.85.0

export GOBIN=$local_dir/bin
export GOPATH=$local_dir/go
export GOCACHE=$local_dir/go/cache
# The module cache is read-only by default; writable, `rm -rf .local` just works.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"
# Use the machine's Go; never fetch a toolchain behind our back.
export GOTOOLCHAIN=local

schema_dir=$local_dir/share/kubernetes-json-schema/$k8s_version-standalone-strict
crd_schema_dir=$local_dir/share/crd-json-schema

die() { echo "go-tools: $*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH (Debian: apt-get install golang, or /usr/local/go/bin)"
mkdir -p "$GOBIN" "$GOPATH" "$GOCACHE"

# built_version BINARY MODULE: the module version the binary was built from, or "".
built_version() {
  [[ -x $1 ]] || return 0
  go version -m "$1" 2>/dev/null | awk -v m="$2" '$1 == "mod" && $2 == m { print $3 }'
}

# install NAME MODULE PACKAGE VERSION [go-install flags...]
install_tool() {
  local name=$1 module=$2 package=$3 version=$4
  shift 4
  if [[ $(built_version "$GOBIN/$name" "$module") == "$version" ]]; then
    echo "go-tools: $name $version already in $GOBIN"
    return
  fi
  echo "go-tools: building $name $version ..."
  local start=$SECONDS
  go install "$@" "$package@$version"
  echo "go-tools: $name $version built in $((SECONDS - start)) s"
}

build_helm() {
  # `go install` skips helm's Makefile, which stamps the version and the
  # Kubernetes version helm assumes for .Capabilities (from its client-go,
  # v0.37 = 1.37, the same release as the schemas); without it `helm version`
  # is vague and charts are rendered for Kubernetes 1.20.
  local k8s_minor=${k8s_version#v1.}
  k8s_minor=${k8s_minor%%.*}
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
  local pkg
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
  done
  install_tool helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$helm_version" -ldflags "$ldflags"
}

build_kubeconform() {
  install_tool kubeconform github.com/yannh/kubeconform \
    github.com/yannh/kubeconform/cmd/kubeconform "$kubeconform_version" \
    -ldflags "-s -w -X main.version=$kubeconform_version"
}

build_ghz() {
  install_tool ghz github.com/bojand/ghz github.com/bojand/ghz/cmd/ghz "$ghz_version" \
    -ldflags "-s -w -X main.version=$ghz_version"
}

build_grpcurl() {
  install_tool grpcurl github.com/fullstorydev/grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl \
    "$grpcurl_version" -ldflags "-s -w -X main.version=$grpcurl_version"
}

# kubeconform normally downloads schemas from GitHub at run time; this network
# reaches only package registries. The Kubernetes OpenAPI spec comes from the
# Go module proxy instead (checksum-verified against sum.golang.org) and is
# turned into the same per-kind strict JSON schemas locally.
build_k8s_schemas() {
  local converter=$repo/deploy/local/k8s_openapi_to_jsonschema.py stamp
  # A changed converter makes different schemas: the stamp names the one used.
  stamp=$(sha256sum "$converter" | cut -d' ' -f1)
  if [[ $(cat "$schema_dir/.converter-sha256" 2>/dev/null) == "$stamp" ]]; then
    echo "go-tools: Kubernetes $k8s_version schemas already in $schema_dir"
    return
  fi
  echo "go-tools: generating Kubernetes $k8s_version JSON schemas ..."
  local start=$SECONDS module_dir
  # From a folder without go.mod, so no project module is consulted or touched.
  module_dir=$(cd "$GOPATH" && go mod download -json "k8s.io/kubernetes@$k8s_version" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$schema_dir.tmp"
  python3 "$converter" "$module_dir/api/openapi-spec/swagger.json" "$schema_dir.tmp"
  echo "$stamp" >"$schema_dir.tmp/.converter-sha256"
  rm -rf "$schema_dir"
  mv "$schema_dir.tmp" "$schema_dir"
  echo "go-tools: schemas generated in $((SECONDS - start)) s"
}

build_crd_schemas() {
  local converter=$repo/deploy/local/crd_to_jsonschema.py stamp
  stamp="$prometheus_operator_version $(sha256sum "$converter" | cut -d' ' -f1)"
  if [[ $(cat "$crd_schema_dir/.stamp" 2>/dev/null) == "$stamp" ]]; then
    echo "go-tools: Prometheus Operator $prometheus_operator_version CRD schemas already in $crd_schema_dir"
    return
  fi
  echo "go-tools: generating Prometheus Operator $prometheus_operator_version CRD schemas ..."
  local module_dir crds
  # The module (4 MB) carries the CRDs as YAML; from a folder without go.mod, as above.
  module_dir=$(cd "$GOPATH" && go mod download -json \
    "github.com/prometheus-operator/prometheus-operator@$prometheus_operator_version" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  crds=$module_dir/example/prometheus-operator-crd
  rm -rf "$crd_schema_dir.tmp"
  python3 "$converter" "$crd_schema_dir.tmp" "$crds/monitoring.coreos.com_servicemonitors.yaml" \
    "$crds/monitoring.coreos.com_prometheusrules.yaml"
  echo "$stamp" >"$crd_schema_dir.tmp/.stamp"
  rm -rf "$crd_schema_dir"
  mv "$crd_schema_dir.tmp" "$crd_schema_dir"
}

all=(helm kubeconform ghz grpcurl k8s-schemas crd-schemas)
(($# > 0)) && wanted=("$@") || wanted=("${all[@]}")
for name in "${wanted[@]}"; do
  case $name in
    helm) build_helm ;;
    kubeconform) build_kubeconform ;;
    ghz) build_ghz ;;
    grpcurl) build_grpcurl ;;
    k8s-schemas) build_k8s_schemas ;;
    crd-schemas) build_crd_schemas ;;
    *) die "unknown tool '$name' (known: ${all[*]})" ;;
  esac
done
