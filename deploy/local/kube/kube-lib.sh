# Sourced by the scripts of deploy/local/kube/ (not run): the pinned versions,
# where the build cache and the cluster's state live, and small helpers.
KUBE_VERSION=v1.34.4
COREDNS_VERSION=v1.12.4
KUBE_CACHE_ROOT="${TOKENGATE_CACHE_DIR:-$HOME/.cache/tokengate}"
KUBE_CACHE="${TOKENGATE_KUBE_CACHE:-$KUBE_CACHE_ROOT/kube-$KUBE_VERSION}"
KUBE_BIN="$KUBE_CACHE/bin"
# The sandbox image's name: only ever imported, never pulled.
PAUSE_IMAGE=tokengate.local/pause:3.10

die() { echo "${0##*/}: $*" >&2; exit 1; }

# The machine's one cluster network, inside the benchmark range 198.18.0.0/15
# (never routed off a machine): pods in the first half, Services in the second.
BRIDGE=tgkube0
BRIDGE_IP=198.18.0.1
POD_CIDR=198.18.0.0/16
SERVICE_CIDR=198.19.0.0/16
SERVICE_CIDR_FIRST=198.19.0.1
ISOLATED_RANGE=198.18.0.0/15
ISOLATE_CHAIN=TOKENGATE-KUBE-ISOLATE
NODE_NAME=tokengate-node
