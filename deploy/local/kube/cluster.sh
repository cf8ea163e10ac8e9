#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, for `make cluster` and the
# cluster tests: etcd, the control plane, a containerd of its own with the
# CRI on, the kubelet, kube-proxy and CoreDNS as processes of the host, pods
# on a bridge of their own; the tokengate image loaded into the node and the
# chart installed against the host's PostgreSQL and Kafka.
# Usage: cluster.sh up | install | info | start | down | stop (= down) | kubectl ARGS
#   up       starts the cluster (binaries built once by build.sh) and waits for the node and DNS
#   start    up unless running, install, info: `make cluster`
#   install  loads the image into the node and `helm upgrade --install`s the chart
#   info     prints how to reach the page, the edges and kubectl
#   down     stops everything `up` started, by pid, and removes what it made on the host:
#            containers, mounts, network namespaces, the bridge, iptables chains, cgroups
#   kubectl  runs the cluster's kubectl with its kubeconfig
# Env: KUBE_STATE (default .local/kube; the kubeconfig is $KUBE_STATE/kubeconfig);
#      CLUSTER_PG_PORT, CLUSTER_PG_USER (postgres), CLUSTER_PG_PASSWORD: the host's PostgreSQL on
#        127.0.0.1 (port and PGPASSWORD by default from what `make run` wrote in .local/stack.env);
#      CLUSTER_DATABASE (tokengate_cluster): the cluster's own database there, made when missing;
#      CLUSTER_KAFKA_PORT: the host Kafka's listener for pods (kafka.sh KAFKA_CLUSTER_LISTENER;
#        default: stack.env's Kafka port + 2); CLUSTER_VALUES: more values files, space-separated;
#      CLUSTER_KEYCLOAK_URL: the host's Keycloak (default: make run's with AUTH=keycloak; empty: the
#        dummy login); CLUSTER_FORWARD_PORT (8100): where `kubectl port-forward` puts the api for
#        browsers (the redirect URI; the realm admits http://127.0.0.1:*);
#      TOKENGATE_IMAGE (default tokengate:<the chart's appVersion>).
# Network: nothing leaves this machine. Pods live in 198.18.0.0/16, Services in
# 198.19.0.0/16, both in the benchmark range 198.18.0.0/15, and an iptables chain
# drops that range towards any interface but the cluster's bridge. Pods reach the
# host only on the bridge address, where socat forwards PostgreSQL, Kafka and Keycloak
# (browsers on the host use that address too: one Keycloak issuer for both).
# One cluster per machine (the bridge and its address are fixed).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
# shellcheck source=deploy/local/kube/kube-lib.sh
source "$HERE/kube-lib.sh"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
STATE="${KUBE_STATE:-$LOCAL/kube}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"
RUN="$STATE/run"
LOGS="$STATE/logs"
PKI="$STATE/pki"
KUBECONFIG_FILE="$STATE/kubeconfig"
NAMESPACE=tokengate
RELEASE=tokengate
HELM="$LOCAL/bin/helm"
KUBECTL="$KUBE_BIN/kubectl"
CTR=(ctr --address "$STATE/containerd/containerd.sock" -n k8s.io)
API_URL="https://$BRIDGE_IP:6443"
# Which state directory owns the machine's one cluster.
OWNER=/run/tokengate-kube.owner

log() { echo "cluster: $*"; }
kubectl_() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# poll SECONDS WHAT COMMAND...: runs COMMAND until it succeeds, or fails after SECONDS.
poll() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "cluster: $what: not within the time limit (logs: $LOGS)" >&2; return 1; }
    sleep 0.2
  done
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_process NAME COMMAND...: in its own session, logging to $LOGS/NAME.log, pid in $RUN/NAME.pid.
start_process() {
  local name=$1
  shift
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

# Running, not a zombie: whoever reaps orphans here may take its time.
running() {
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)"
  [ -n "$state" ] && [ "$state" != Z ]
}

alive() { [ -f "$RUN/$1.pid" ] && running "$(cat "$RUN/$1.pid")"; }

# ---- up --------------------------------------------------------------------

# cert NAME CN [O] [SAN]: a key and a certificate signed by the cluster's CA.
cert() {
  local name=$1 cn=$2 org=${3:-} san=${4:-} subject="/CN=$2"
  [ -n "$org" ] && subject="/O=$org/CN=$cn"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -out "$PKI/$name.crt" \
    -extfile <(printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s' \
                 "$([ -n "$san" ] && echo serverAuth,clientAuth || echo clientAuth)" \
                 "$([ -n "$san" ] && echo "subjectAltName=$san")") 2>/dev/null
  rm -f "$PKI/$name.csr"
}

kubeconfig() {  # NAME (the key pair's name) → $STATE/NAME.kubeconfig
  cat >"$STATE/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: tokengate-local
    cluster:
      server: $API_URL
      certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
  - name: $1
    user:
      client-certificate-data: $(base64 -w0 "$PKI/$1.crt")
      client-key-data: $(base64 -w0 "$PKI/$1.key")
contexts:
  - name: tokengate-local
    context: {cluster: tokengate-local, user: $1, namespace: $NAMESPACE}
current-context: tokengate-local
EOF
}

make_pki() {
  rm -rf "$PKI"
  mkdir -p "$PKI"
  (
    umask 077
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=tokengate-local-kubernetes-ca" -days 365 \
      -out "$PKI/ca.crt" 2>/dev/null
    cert apiserver kube-apiserver "" "IP:$BRIDGE_IP,IP:$SERVICE_CIDR_FIRST,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
    cert admin tokengate-admin system:masters
    cert kubelet "system:node:$NODE_NAME" system:nodes
    cert controller-manager system:kube-controller-manager
    cert scheduler system:kube-scheduler
    cert kube-proxy system:kube-proxy
    cert coredns tokengate:coredns
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/service-account.key" 2>/dev/null
    openssl ec -in "$PKI/service-account.key" -pubout -out "$PKI/service-account.pub" 2>/dev/null
  )
  for name in admin kubelet controller-manager scheduler kube-proxy coredns; do kubeconfig "$name"; done
  cp "$STATE/admin.kubeconfig" "$KUBECONFIG_FILE"
}

# The bridge exists before any pod so the API server and CoreDNS can bind its address.
make_network() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  ip addr replace "$BRIDGE_IP/16" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Host-to-Service packets (kube-proxy rewrites them) leave by the bridge, never the default route.
  ip route replace "$SERVICE_CIDR" dev "$BRIDGE"
  iptables -N "$ISOLATE_CHAIN" 2>/dev/null || iptables -F "$ISOLATE_CHAIN"
  # The host talking to its own bridge address (kubectl to the API server) goes by loopback.
  iptables -A "$ISOLATE_CHAIN" -o lo -j RETURN
  iptables -A "$ISOLATE_CHAIN" -s "$ISOLATED_RANGE" ! -o "$BRIDGE" -j DROP
  iptables -A "$ISOLATE_CHAIN" -d "$ISOLATED_RANGE" ! -o "$BRIDGE" -j DROP
  local hook
  for hook in FORWARD OUTPUT; do
    iptables -C "$hook" -j "$ISOLATE_CHAIN" 2>/dev/null || iptables -I "$hook" 1 -j "$ISOLATE_CHAIN"
  done
  # Pod to Service to pod on the same bridge goes through kube-proxy's iptables rules.
  echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
  mkdir -p "$STATE/cni/net.d"
  cat >"$STATE/cni/net.d/10-tokengate.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "tokengate",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "198.18.1.1", "gateway": "$BRIDGE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "loopback"}
  ]
}
EOF
}

start_etcd() {
  local client peer
  client=$(free_port)
  peer=$(free_port)
  echo "http://127.0.0.1:$client" >"$RUN/etcd-url"
  start_process etcd etcd --name tokengate-local --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "tokengate-local=http://127.0.0.1:$peer" \
    --quota-backend-bytes 1073741824 --logger zap --log-level warn
  poll 30 "etcd answering" curl -fsS "http://127.0.0.1:$client/health"
}

start_control_plane() {
  start_process kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --etcd-servers "$(cat "$RUN/etcd-url")" --bind-address "$BRIDGE_IP" --advertise-address "$BRIDGE_IP" \
    --secure-port 6443 --service-cluster-ip-range "$SERVICE_CIDR" \
    --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/service-account.pub" \
    --service-account-signing-key-file "$PKI/service-account.key" \
    --authorization-mode Node,RBAC --allow-privileged=false --profiling=false \
    --enable-admission-plugins NodeRestriction --event-ttl 1h
  poll 60 "kube-apiserver ready" kubectl_ get --raw /readyz
  # Neither serves HTTPS (secure port 0): one process each, nobody to elect.
  start_process kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$STATE/controller-manager.kubeconfig" --secure-port 0 --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$PKI/service-account.key" --root-ca-file "$PKI/ca.crt" \
    --service-cluster-ip-range "$SERVICE_CIDR"
  start_process kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig "$STATE/scheduler.kubeconfig" --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" --secure-port 0 --leader-elect=false
}

start_containerd() {
  local dir="$STATE/containerd"
  mkdir -p "$dir"
  [ ${#dir} -le 90 ] || die "$dir is too long for a unix socket path; set KUBE_STATE to a shorter directory"
  # A containerd of its own: Docker's runs with the CRI off.
  cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
plugin_dir = ""
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd-ttrpc.sock"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The VM has no CAP_SYS_RESOURCE: runc cannot lower oom_score_adj below the parent's.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
EOF
  start_process containerd containerd --config "$dir/config.toml"
  poll 30 "containerd answering" "${CTR[@]}" version
  "${CTR[@]}" images import "$KUBE_CACHE/pause-image.tar" >/dev/null
}

start_kubelet() {
  # The pods' resolv.conf: the cluster's DNS only, never the host's resolvers.
  echo "nameserver $BRIDGE_IP" >"$STATE/resolv.conf"
  cat >"$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $BRIDGE_IP
port: 10250
readOnlyPort: 0
healthzPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$STATE/containerd/containerd.sock
# The VM runs cgroup v1, which Kubernetes 1.34 keeps in maintenance mode.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$BRIDGE_IP]
clusterDomain: cluster.local
resolvConf: $STATE/resolv.conf
# Nothing can be pulled here: never collect the imported images, never evict for a full disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
rotateCertificates: false
serializeImagePulls: false
EOF
  start_process kubelet "$KUBE_BIN/kubelet" --config "$STATE/kubelet.yaml" \
    --kubeconfig "$STATE/kubelet.kubeconfig" --root-dir "$STATE/kubelet" --cert-dir "$STATE/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$BRIDGE_IP"
}

start_kube_proxy() {
  # Loopback is left alone: no NodePorts on 127.0.0.1, and no route_localnet.
  start_process kube-proxy "$KUBE_BIN/kube-proxy" --kubeconfig "$STATE/kube-proxy.kubeconfig" \
    --hostname-override "$NODE_NAME" --proxy-mode iptables --cluster-cidr "$POD_CIDR" \
    --iptables-localhost-nodeports=false --nodeport-addresses "$BRIDGE_IP/32" \
    --healthz-bind-address "$BRIDGE_IP:10256" --metrics-bind-address "$BRIDGE_IP:10249" \
    --conntrack-max-per-core 0
}

start_coredns() {
  kubectl_ apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "tokengate:coredns"}
rules:
  - apiGroups: [""]
    resources: [services, namespaces, pods, endpoints]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "tokengate:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "tokengate:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "tokengate:coredns"}]
EOF
  # Cluster names only: no `forward`, so no query leaves the machine.
  cat >"$STATE/Corefile" <<EOF
cluster.local:53 {
  bind $BRIDGE_IP
  errors
  ready $BRIDGE_IP:8181
  kubernetes cluster.local {
    kubeconfig $STATE/coredns.kubeconfig tokengate-local
  }
}
.:53 {
  bind $BRIDGE_IP
  template ANY ANY {
    rcode NXDOMAIN
  }
}
EOF
  start_process coredns "$KUBE_BIN/coredns" -conf "$STATE/Corefile"
}

# socat on the bridge address: pods reach the host's services as a cluster reaches managed ones.
start_forwarders() {
  local port
  for port in "$HOST_PG_PORT" "$HOST_KAFKA_PORT" $HOST_KEYCLOAK_PORT; do
    start_process "forward-$port" socat "TCP-LISTEN:$port,bind=$BRIDGE_IP,reuseaddr,fork" "TCP:127.0.0.1:$port"
  done
}

node_ready() {
  kubectl_ get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True
}

up() {
  local start=$SECONDS
  if [ -f "$OWNER" ] && [ "$(cat "$OWNER")" != "$STATE" ]; then
    die "another cluster runs from $(cat "$OWNER") (cluster.sh down there first): one per machine"
  fi
  alive kube-apiserver && die "already running from $STATE (make cluster-stop first)"
  "$HERE/build.sh"
  host_services
  for tool in etcd containerd ctr socat iptables; do command -v "$tool" >/dev/null || die "no $tool (deploy/local/install-deps.sh cluster)"; done
  [ -x /usr/lib/cni/bridge ] || die "no CNI plugins in /usr/lib/cni (deploy/local/install-deps.sh cluster)"
  echo "$STATE" >"$OWNER"
  # A half-started cluster is of no use: take it down, keep its logs.
  trap 'echo "cluster: start failed (logs: $LOGS); removing what started" >&2; down' ERR
  mkdir -p "$RUN" "$LOGS"
  printf 'HOST_PG_PORT=%s\nHOST_KAFKA_PORT=%s\nHOST_KEYCLOAK_PORT=%s\n' "$HOST_PG_PORT" "$HOST_KAFKA_PORT" \
    "$HOST_KEYCLOAK_PORT" >"$RUN/host-services"
  make_pki
  make_network
  start_etcd
  start_control_plane
  start_containerd
  start_kubelet
  start_kube_proxy
  start_coredns
  start_forwarders
  poll 60 "node $NODE_NAME Ready" node_ready
  poll 30 "CoreDNS ready" curl -fsS "http://$BRIDGE_IP:8181/ready"
  # Pods need their namespace's default ServiceAccount, made by the controller manager.
  poll 30 "the default ServiceAccount" kubectl_ -n default get serviceaccount default
  trap - ERR
  log "up in $((SECONDS - start)) s (kubectl --kubeconfig $KUBECONFIG_FILE)"
}

# ---- install ------------------------------------------------------------------

# The host's PostgreSQL and Kafka: given, or those of `make run` (.local/stack.env).
host_services() {
  local env="$LOCAL/stack.env" url="" kafka="" password="" keycloak=""
  if [ -f "$env" ]; then
    url="$(sed -n 's/^TOKENGATE_DATABASE_URL=//p' "$env")"
    kafka="$(sed -n 's/^TOKENGATE_KAFKA_BOOTSTRAP_SERVERS=//p' "$env")"
    password="$(sed -n 's/^PGPASSWORD=//p' "$env")"
    if grep -qx 'TOKENGATE_AUTH_PROVIDER=keycloak' "$env"; then
      keycloak="$(sed -n 's/^TOKENGATE_KEYCLOAK_SERVER_URL=//p' "$env")"
    fi
  fi
  # make run keeps PostgreSQL's password here (0600).
  if [ -z "$password" ] && [ -r "$LOCAL/secrets/postgres_password" ]; then
    password="$(cat "$LOCAL/secrets/postgres_password")"
  fi
  HOST_PG_PASSWORD="${CLUSTER_PG_PASSWORD:-$password}"
  unset HOST_KEYCLOAK_PORT
  if [ -f "$RUN/host-services" ]; then source "$RUN/host-services"; fi
  # A running cluster keeps what it was started with (its forwarders).
  if [ -z "${HOST_KEYCLOAK_PORT+set}" ]; then
    HOST_KEYCLOAK_PORT=""
    if [ -n "${CLUSTER_KEYCLOAK_URL-$keycloak}" ]; then
      HOST_KEYCLOAK_PORT="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).port or 80)' \
        "${CLUSTER_KEYCLOAK_URL-$keycloak}")"
    fi
  fi
  HOST_PG_PORT="${CLUSTER_PG_PORT:-${HOST_PG_PORT:-$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).port or "")' "$url")}}"
  HOST_KAFKA_PORT="${CLUSTER_KAFKA_PORT:-${HOST_KAFKA_PORT:-${kafka:+$((${kafka##*:} + 2))}}}"
  FORWARD_PORT="${CLUSTER_FORWARD_PORT:-8100}"
  [ -n "$HOST_PG_PORT" ] && [ -n "$HOST_KAFKA_PORT" ] ||
    die "no host PostgreSQL/Kafka: start 'make run' (it writes $env) or set CLUSTER_PG_PORT and CLUSTER_KAFKA_PORT"
}

install() {
  local start=$SECONDS version image database="${CLUSTER_DATABASE:-tokengate_cluster}"
  alive kube-apiserver || die "no cluster running from $STATE (cluster.sh up)"
  host_services
  version="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$ROOT/helm/tokengate/Chart.yaml")"
  image="${TOKENGATE_IMAGE:-tokengate:$version}"
  docker image inspect "$image" >/dev/null 2>&1 || die "no image $image in Docker (make image)"
  docker save "$image" | "${CTR[@]}" images import - >/dev/null
  local values=(-f "$HERE/values.yaml") file
  if [ -n "$HOST_KEYCLOAK_PORT" ]; then
    # make run's Keycloak and realm: the client's secret in a Secret of the namespace, and the
    # provider's values before CLUSTER_VALUES (a values file there may say otherwise).
    [ -r "$LOCAL/secrets/oidc_client_secret" ] || die "no $LOCAL/secrets/oidc_client_secret (make run AUTH=keycloak)"
    kubectl_ create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl_ apply -f - >/dev/null
    # Without the file's newline: the chart passes the key's bytes as they are.
    (umask 077; printf '%s' "$(cat "$LOCAL/secrets/oidc_client_secret")" >"$RUN/oidc-client-secret")
    kubectl_ -n "$NAMESPACE" create secret generic tokengate-local-oidc \
      --from-file=client-secret="$RUN/oidc-client-secret" --dry-run=client -o yaml | kubectl_ apply -f - >/dev/null
    cat >"$RUN/keycloak-values.yaml" <<EOF
auth:
  provider: keycloak
  allowDummy: false
  adminUsers: ""
  keycloak:
    serverUrl: http://$BRIDGE_IP:$HOST_KEYCLOAK_PORT
    realm: tokengate
  redirectUri: http://127.0.0.1:$FORWARD_PORT/v1/auth/callback
  clientSecret:
    existingSecret: tokengate-local-oidc
    key: client-secret
EOF
    values+=(-f "$RUN/keycloak-values.yaml")
  fi
  # The cluster's own database: its migration Job must not migrate the local stack's.
  local psql=(psql -h 127.0.0.1 -p "$HOST_PG_PORT" -U "${CLUSTER_PG_USER:-postgres}" -d postgres -v ON_ERROR_STOP=1 -qtA)
  PGPASSWORD="$HOST_PG_PASSWORD" "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$database'" |
    grep -q 1 || PGPASSWORD="$HOST_PG_PASSWORD" "${psql[@]}" -c "CREATE DATABASE \"$database\"" ||
    die "cannot create database $database on 127.0.0.1:$HOST_PG_PORT"
  for file in ${CLUSTER_VALUES:-}; do values+=(-f "$file"); done
  KUBECONFIG="$KUBECONFIG_FILE" "$HELM" upgrade --install "$RELEASE" "$ROOT/helm/tokengate" \
    --namespace "$NAMESPACE" --create-namespace "${values[@]}" \
    --set-string "image.repository=${image%:*},image.tag=${image##*:}" \
    --set-string "postgresql.host=$BRIDGE_IP,postgresql.database=$database" --set "postgresql.port=$HOST_PG_PORT" \
    --set-string "postgresql.user=${CLUSTER_PG_USER:-postgres},postgresql.password=$HOST_PG_PASSWORD" \
    --set-string "kafka.bootstrapServers=$BRIDGE_IP:$HOST_KAFKA_PORT" \
    --wait --timeout 5m >"$LOGS/helm.log" 2>&1 || { tail -20 "$LOGS/helm.log" >&2; die "helm install failed"; }
  log "image $image loaded, chart installed in $((SECONDS - start)) s"
}

info() {
  local api h2k forward login
  api="$(kubectl_ get service "$RELEASE-api" -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}')"
  h2k="$(kubectl_ get service "$RELEASE-http2kafka" -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}')"
  forward="$KUBECTL --kubeconfig $KUBECONFIG_FILE -n $NAMESPACE port-forward service/$RELEASE-api $FORWARD_PORT:8000"
  if [ -n "$HOST_KEYCLOAK_PORT" ]; then
    login="  Log in        through make run's Keycloak (alice / alice-password) on http://127.0.0.1:$FORWARD_PORT/
                 (the redirect URI) once this runs:  $forward
  Keycloak       http://$BRIDGE_IP:$HOST_KEYCLOAK_PORT/ for pods and browsers alike (one issuer)"
  else
    login="  Log in        dummy: any user, admin is an administrator"
  fi
  cat <<EOF

tokengate runs on Kubernetes $KUBE_VERSION (namespace $NAMESPACE; 'make cluster-stop' removes it all).

  kubectl        $KUBECTL --kubeconfig $KUBECONFIG_FILE get pods
                 (or: export KUBECONFIG=$KUBECONFIG_FILE)
  API            http://$api/     (tokens page; Swagger UI at /docs)
  http2kafka     http://$h2k/v1/openlineage
$login
  The Service addresses answer on this machine only (kube-proxy's rules). From elsewhere on it, or
  under a fixed port:  $forward
  Pods reach the host's PostgreSQL 127.0.0.1:$HOST_PG_PORT and Kafka 127.0.0.1:$HOST_KAFKA_PORT at $BRIDGE_IP.
  Logs: $LOGS/ (kubelet, kube-apiserver, ...), and kubectl logs for the pods.
EOF
}

# ---- down ------------------------------------------------------------------

# stop_process NAME [GRACE]: SIGTERM to its process group (start_process made it a
# session leader: socat's forks serving a connection, the kubelet's helpers), SIGKILL
# after GRACE seconds (default 5). All state goes with the cluster: nothing to save.
stop_process() {
  local name=$1 grace=${2:-5} pid
  [ -f "$RUN/$name.pid" ] || return 0
  pid="$(cat "$RUN/$name.pid")"
  if running "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 $((grace * 10))); do running "$pid" || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
}

# One container gone, and with a sandbox its network namespace (and so its veth).
remove_container() {
  local id=$1 netns
  netns="$("${CTR[@]}" containers info "$id" 2>/dev/null | python3 -c '
import json, sys
spec = json.load(sys.stdin).get("Spec") or {}
for ns in (spec.get("linux") or {}).get("namespaces") or []:
    if ns.get("type") == "network" and ns.get("path", "").startswith("/var/run/netns/"):
        print(ns["path"])' || true)"
  for _ in $(seq 1 50); do
    "${CTR[@]}" tasks delete "$id" >/dev/null 2>&1 && break
    "${CTR[@]}" tasks list -q 2>/dev/null | grep -qx "$id" || break
    sleep 0.1
  done
  "${CTR[@]}" containers delete "$id" >/dev/null 2>&1 || true
  if [ -n "$netns" ]; then
    umount "$netns" 2>/dev/null || true
    rm -f "$netns"
  fi
}

# The pods' processes, through our containerd: every task killed, then the containers
# removed side by side (one by one takes seconds).
remove_containers() {
  [ -S "$STATE/containerd/containerd.sock" ] && "${CTR[@]}" version >/dev/null 2>&1 || return 0
  local id
  for id in $("${CTR[@]}" tasks list -q 2>/dev/null); do
    "${CTR[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
  done
  for id in $("${CTR[@]}" containers list -q 2>/dev/null); do remove_container "$id" & done
  wait
  rmdir /var/run/netns 2>/dev/null || true
}

unmount_under() {  # every mount below a directory, deepest first
  local dir=$1
  awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r mnt; do
    umount "$mnt" 2>/dev/null || umount -l "$mnt"
  done
}

remove_cgroups() {
  local controller
  for controller in /sys/fs/cgroup/*/; do
    [ -d "$controller/kubepods" ] || continue
    find "$controller/kubepods" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# The KUBE-* chains of kube-proxy and the kubelet (KUBE-FIREWALL, the canaries), IPv4 and IPv6:
# the cluster is the machine's only one, so every such chain is its.
remove_kube_chains() {
  local cmd table rule chain
  for cmd in iptables ip6tables; do
    for table in filter nat mangle; do
      "$cmd" -t "$table" -S 2>/dev/null | { grep -E '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*-j KUBE-' || true; } |
        while read -r rule; do
          # shellcheck disable=SC2086  # the rule's words, as iptables printed them
          "$cmd" -t "$table" ${rule/-A/-D}
        done
      for chain in $("$cmd" -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ {print $2}'); do
        "$cmd" -t "$table" -F "$chain"
      done
      for chain in $("$cmd" -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ {print $2}'); do
        "$cmd" -t "$table" -X "$chain"
      done
    done
  done
}

remove_network() {
  [ -x "$KUBE_BIN/kube-proxy" ] && "$KUBE_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  remove_kube_chains
  local hook
  for hook in FORWARD OUTPUT; do
    while iptables -D "$hook" -j "$ISOLATE_CHAIN" 2>/dev/null; do :; done
  done
  iptables -F "$ISOLATE_CHAIN" 2>/dev/null && iptables -X "$ISOLATE_CHAIN"
  ip route del "$SERVICE_CIDR" dev "$BRIDGE" 2>/dev/null || true
  ip link del "$BRIDGE" 2>/dev/null || true
}

down() {
  local start=$SECONDS name
  # The node agents first, so nothing restarts the pods being removed.
  for name in kubelet kube-proxy coredns kube-scheduler kube-controller-manager; do stop_process "$name"; done
  remove_containers
  stop_process containerd
  for name in "$RUN"/forward-*.pid; do [ -e "$name" ] && stop_process "$(basename "$name" .pid)"; done
  # The API server drains its watches for 10 s or more; nobody is left to watch.
  stop_process kube-apiserver 1
  stop_process etcd
  unmount_under "$STATE"
  remove_cgroups
  remove_network
  # The cluster's state goes with it: a new one starts from a fresh etcd and PKI. The
  # node's image store (containerd/root) stays, as Docker's does: removing it takes long.
  rm -rf "$STATE/etcd" "$STATE/containerd/state" "$STATE/kubelet" "$STATE/cni" "$RUN"
  [ "$(cat "$OWNER" 2>/dev/null)" = "$STATE" ] && rm -f "$OWNER"
  log "stopped and removed in $((SECONDS - start)) s"
}

case "${1:-}" in
  up) up ;;
  install) install ;;
  info) host_services; info ;;
  # A running cluster gets the chart (and a newer image) again.
  start) alive kube-apiserver || up; install; info ;;
  down | stop) down ;;
  kubectl) shift; exec "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@" ;;
  *) echo "usage: $0 up|install|info|start|down|kubectl ARGS..." >&2; exit 2 ;;
esac
