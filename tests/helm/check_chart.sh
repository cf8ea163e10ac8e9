#!/usr/bin/env bash
# Checks helm/tokengate without a cluster: helm lint, `helm template` with the
# default values and with ci/all-options-values.yaml piped to
# `kubeconform -strict`, and that values.schema.json turns bad values away
# with a message naming the bad value. Exits non-zero on the first failure.
#
# Tools and schemas come from deploy/local/go-tools.sh (in .local/).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
local_dir=${TOKENGATE_LOCAL_DIR:-$repo/.local}
chart=$repo/helm/tokengate
helm=$local_dir/bin/helm
kubeconform=$local_dir/bin/kubeconform
# Must match k8s_version in deploy/local/go-tools.sh.
k8s_version=1.37.2
schemas=$local_dir/share/kubernetes-json-schema
# The Prometheus Operator's ServiceMonitor and PrometheusRule, from its CRDs.
crd_schemas=$local_dir/share/crd-json-schema

for tool in "$helm" "$kubeconform"; do
  [[ -x $tool ]] || { echo "check_chart: $tool missing; run deploy/local/go-tools.sh" >&2; exit 1; }
done
[[ -d $schemas/v$k8s_version-standalone-strict ]] ||
  { echo "check_chart: no Kubernetes $k8s_version schemas in $schemas; run deploy/local/go-tools.sh k8s-schemas" >&2; exit 1; }
[[ -f $crd_schemas/monitoring.coreos.com/servicemonitor_v1.json ]] ||
  { echo "check_chart: no Prometheus Operator CRD schemas in $crd_schemas; run deploy/local/go-tools.sh crd-schemas" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1" >&2; failed=$((failed + 1)); }

kubeconform_strict() {
  # No fallback location: a kind without a local schema is an error, never a skip.
  "$kubeconform" -strict -summary -kubernetes-version "$k8s_version" \
    -schema-location "$schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$crd_schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "$@"
}

# The defaults need the Keycloak settings no default can guess (values.schema.json requires them).
keycloak=$chart/ci/keycloak-values.yaml
if "$helm" lint --strict "$chart" -f "$keycloak" && "$helm" lint --strict "$chart" -f "$chart/ci/all-options-values.yaml"; then
  pass "helm lint"
else
  fail "helm lint"
fi

render_and_validate() {
  local label=$1
  shift
  if "$helm" template tokengate "$chart" --namespace tokengate "$@" | kubeconform_strict; then
    pass "helm template ($label) | kubeconform -strict"
  else
    fail "helm template ($label) | kubeconform -strict"
  fi
}
render_and_validate "default values + Keycloak settings" -f "$keycloak"
render_and_validate "all options" -f "$chart/ci/all-options-values.yaml"

# A validator that accepts anything would make the two checks above worthless:
# a manifest with a misspelt field must be refused, for a Kubernetes kind and a CRD's.
# expect_unknown_field_refused KIND FIELD: the manifest on stdin has FIELD misspelt.
expect_unknown_field_refused() {
  cat >"$work/misspelt.yaml"
  if kubeconform_strict "$work/misspelt.yaml" >"$work/out" 2>&1; then
    fail "kubeconform -strict accepted an unknown $1 field"
  elif grep -q "additional properties '$2' not allowed" "$work/out"; then
    pass "kubeconform -strict refuses an unknown $1 field"
  else
    fail "kubeconform -strict failed on the $1 for another reason: $(cat "$work/out")"
  fi
}
expect_unknown_field_refused Service prots <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: misspelt
spec:
  prots:
    - port: 80
EOF
expect_unknown_field_refused ServiceMonitor prot <<'EOF'
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: misspelt
spec:
  selector: {}
  endpoints:
    - prot: metrics
EOF

# expect_rejected LABEL EXPECTED-MESSAGE-PART: values on stdin must make
# `helm template` fail, naming what is wrong.
expect_rejected() {
  cat >"$work/bad-values.yaml"
  if "$helm" template tokengate "$chart" -f "$keycloak" -f "$work/bad-values.yaml" >/dev/null 2>"$work/err"; then
    fail "bad values accepted: $1"
  elif grep -qF -- "$2" "$work/err"; then
    pass "bad values rejected: $1"
  else
    fail "bad values rejected without the expected message ($2): $1: $(cat "$work/err")"
  fi
}
expect_rejected "replica count as a word" "at '/api/replicaCount': got string, want integer" <<'EOF'
api:
  replicaCount: two
EOF
expect_rejected "misspelt value name" "additional properties 'replicaCont' not allowed" <<'EOF'
authority:
  replicaCont: 3
EOF
expect_rejected "unknown sslmode" "at '/postgresql/sslmode': value must be one of" <<'EOF'
postgresql:
  sslmode: sometimes
EOF
expect_rejected "mTLS without certificates" "at '/tls/authority/secretName': minLength" <<'EOF'
tls:
  enabled: true
EOF
expect_rejected "SASL without a user" "at '/kafka/sasl/username'" <<'EOF'
kafka:
  sasl:
    enabled: true
EOF
expect_rejected "short signing key, not echoed" "each secret at least 32 characters" <<'EOF'
signingKeys: k1:tooshort
EOF
if grep -q tooshort "$work/err"; then
  fail "a rejected signing key was echoed in the error"
fi
expect_rejected "Keycloak provider without its settings" "at '/auth/keycloak/serverUrl'" <<'EOF'
auth:
  keycloak:
    serverUrl: ""
EOF
expect_rejected "dummy provider without the second switch" "at '/auth/allowDummy': value must be true" <<'EOF'
auth:
  provider: dummy
EOF
expect_rejected "OIDC client secret not from a Secret" "at '/auth/clientSecret/existingSecret': minLength" <<'EOF'
auth:
  clientSecret:
    existingSecret: ""
EOF

echo "$passed passed, $failed failed"
((failed == 0))
