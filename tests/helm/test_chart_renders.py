"""What helm/tokengate renders must say what its values say.

Each test renders the chart with `helm template` (the helm built by
deploy/local/go-tools.sh) and a values override, then reads the objects back.
"""

import base64
import functools
import os
import pathlib
import re
import subprocess
import tempfile

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "tokengate"
LOCAL_DIR = pathlib.Path(os.environ.get("TOKENGATE_LOCAL_DIR", REPO / ".local"))
HELM = LOCAL_DIR / "bin" / "helm"
RELEASE = "tg"
FULLNAME = "tg-tokengate"
COMPONENTS = ("authority", "api", "http2kafka", "consumer")
TLS_VALUES = {"tls": {"enabled": True,
                      "authority": {"secretName": "authority-cert"},
                      "api": {"secretName": "api-cert"},
                      "http2kafka": {"secretName": "h2k-cert"}}}


@functools.lru_cache(maxsize=None)
def _render(values_yaml):
    if not HELM.is_file():
        pytest.fail(f"{HELM} missing: run deploy/local/go-tools.sh helm")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as values_file:
        values_file.write(values_yaml)
        values_file.flush()
        result = subprocess.run(
            [str(HELM), "template", RELEASE, str(CHART), "--namespace", "lineage",
             "-f", values_file.name],
            capture_output=True, text=True, check=False)
    return result


# What every real install must add to the defaults (ci/keycloak-values.yaml).
KEYCLOAK_VALUES = yaml.safe_load((CHART / "ci" / "keycloak-values.yaml").read_text())


def _merged(base, override):
    out = dict(base)
    for key, value in override.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def render(values=None, base=KEYCLOAK_VALUES):
    """The rendered objects, as a list of dicts; `values` over `base`."""
    result = _render(yaml.safe_dump(_merged(base, values or {})))
    assert result.returncode == 0, f"helm template failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_error(values, base=KEYCLOAK_VALUES):
    result = _render(yaml.safe_dump(_merged(base, values)))
    assert result.returncode != 0, "helm template accepted values it should refuse"
    return result.stderr


def find(objects, kind, name):
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def deployment(objects, component):
    return find(objects, "Deployment", f"{FULLNAME}-{component}")


def container(workload):
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return only


def env_of(workload):
    return {e["name"]: e for e in container(workload).get("env", [])}


def migration_job(objects):
    return find(objects, "Job", f"{FULLNAME}-migrate")


def secret_refs(objects):
    """(secret name, key) of every secretKeyRef in every pod template."""
    refs = set()
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job"):
            for env in container(obj).get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
    return refs


@pytest.mark.parametrize("component,replicas", [
    ("authority", 3), ("api", 4), ("http2kafka", 5), ("consumer", 6)])
def test_deployment_replicas_follow_replica_count(component, replicas):
    objects = render({component: {"replicaCount": replicas}})
    assert deployment(objects, component)["spec"]["replicas"] == replicas


@pytest.mark.parametrize("component", ["authority", "api", "http2kafka"])
def test_autoscaled_deployment_leaves_replicas_to_its_hpa(component):
    objects = render({component: {"autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 7}}})
    assert "replicas" not in deployment(objects, component)["spec"]
    hpa = find(objects, "HorizontalPodAutoscaler", f"{FULLNAME}-{component}")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 7)
    assert hpa["spec"]["scaleTargetRef"]["name"] == f"{FULLNAME}-{component}"


def test_consumer_has_no_hpa_whatever_the_edges_do():
    objects = render({c: {"autoscaling": {"enabled": True}} for c in ("authority", "api", "http2kafka")})
    hpas = {o["metadata"]["name"] for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    assert hpas == {f"{FULLNAME}-authority", f"{FULLNAME}-api", f"{FULLNAME}-http2kafka"}


def test_every_pod_runs_the_configured_repository_and_tag():
    objects = render({"image": {"repository": "registry.example.com/tokengate", "tag": "9.8.7"}})
    workloads = [deployment(objects, c) for c in COMPONENTS] + [migration_job(objects)]
    assert {container(w)["image"] for w in workloads} == {"registry.example.com/tokengate:9.8.7"}


def test_image_tag_defaults_to_the_chart_app_version():
    app_version = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
    assert container(deployment(render(), "api"))["image"] == f"tokengate:{app_version}"


def test_image_digest_wins_over_the_tag():
    digest = "sha256:" + "ab" * 32
    objects = render({"image": {"tag": "1.0.0", "digest": digest}})
    assert container(deployment(objects, "authority"))["image"] == f"tokengate@{digest}"


@pytest.mark.parametrize("component,binary", [
    ("authority", "token-authority"), ("api", "tokengate-api"),
    ("http2kafka", "http2kafka"), ("consumer", "lineage-consumer")])
def test_each_component_runs_its_own_binary_from_the_one_image(component, binary):
    assert container(deployment(render(), component))["command"] == [binary]


def test_chart_secret_is_rendered_and_referenced_without_existing_secret():
    objects = render({"signingKeys": "k1:" + "x" * 32})
    secret = find(objects, "Secret", FULLNAME)
    assert {"signing-keys", "database-password"} <= set(secret["data"])
    # Plus the OIDC client's Secret, which the chart never creates.
    assert {name for name, _ in secret_refs(objects)} == {FULLNAME, f"{FULLNAME}-migrate", "tokengate-oidc-client"}


def test_existing_secret_is_referenced_and_no_secret_is_rendered():
    objects = render({
        "existingSecret": "ops-credentials",
        "existingSecretKeys": {"signingKeys": "jwt", "databasePassword": "pg",
                               "kafkaSaslPassword": "sasl"},
        "kafka": {"sasl": {"enabled": True, "username": "tg"}}})
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Secret"] == []
    assert secret_refs(objects) == {("ops-credentials", "jwt"), ("ops-credentials", "pg"),
                                    ("ops-credentials", "sasl"), ("tokengate-oidc-client", "client-secret"),
                                    ("ops-credentials", "access-token-secret"), ("ops-credentials", "session-secret")}


def test_signing_keys_reach_the_authority_and_no_other_component():
    objects = render()
    holders = [c for c in COMPONENTS if "TOKENGATE_SIGNING_KEYS" in env_of(deployment(objects, c))]
    assert holders == ["authority"]


def test_migration_job_gets_signing_keys_since_migrate_validates_the_whole_config():
    assert "TOKENGATE_SIGNING_KEYS" in env_of(migration_job(render()))


def _decoded(secret, key):
    return base64.b64decode(secret["data"][key]).decode()


def test_given_signing_keys_are_stored_verbatim():
    keys = "k2:" + "n" * 32 + ",k1:" + "o" * 40
    secret = find(render({"signingKeys": keys}), "Secret", FULLNAME)
    assert _decoded(secret, "signing-keys") == keys


def test_generated_signing_key_is_the_same_in_the_secret_and_the_migration_hook():
    objects = render()
    main = _decoded(find(objects, "Secret", FULLNAME), "signing-keys")
    hook = _decoded(find(objects, "Secret", f"{FULLNAME}-migrate"), "signing-keys")
    assert main == hook
    assert re.fullmatch(r"k1:[A-Za-z0-9]{48}", main)


def test_database_password_comes_from_the_secret_not_the_configmap():
    objects = render({"postgresql": {"password": "pg-pass-Zq81"}})
    configmap = find(objects, "ConfigMap", FULLNAME)
    assert "pg-pass-Zq81" not in yaml.safe_dump(configmap)
    assert configmap["data"]["TOKENGATE_DATABASE_URL"] == (
        "postgresql://tokengate@postgresql:5432/tokengate?sslmode=prefer")
    password = env_of(deployment(objects, "authority"))["PGPASSWORD"]
    assert password["valueFrom"]["secretKeyRef"] == {"name": FULLNAME, "key": "database-password"}


def test_database_password_goes_only_to_pods_that_open_the_database():
    objects = render()
    holders = [c for c in COMPONENTS if "PGPASSWORD" in env_of(deployment(objects, c))]
    assert holders == ["authority", "api", "consumer"]


def test_network_policy_selects_the_authority_pods():
    policy = find(render(), "NetworkPolicy", f"{FULLNAME}-authority")
    assert policy["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "tokengate", "app.kubernetes.io/instance": RELEASE,
        "app.kubernetes.io/component": "authority"}
    assert policy["spec"]["policyTypes"] == ["Ingress"]


def test_network_policy_admits_only_api_and_http2kafka_pods_on_the_grpc_port():
    policy = find(render(), "NetworkPolicy", f"{FULLNAME}-authority")
    rule, metrics_rule = policy["spec"]["ingress"]
    # Any peer (the cluster's Prometheus) on the metrics port, and on it alone.
    assert metrics_rule == {"ports": [{"port": 8004, "protocol": "TCP"}]}
    peers = [peer["podSelector"]["matchLabels"] for peer in rule["from"]]
    assert all(set(peer) == {"app.kubernetes.io/name", "app.kubernetes.io/instance",
                             "app.kubernetes.io/component"} for peer in peers)
    assert all(peer["app.kubernetes.io/instance"] == RELEASE for peer in peers)
    assert sorted(peer["app.kubernetes.io/component"] for peer in peers) == ["api", "http2kafka"]
    assert rule["ports"] == [{"port": 50051, "protocol": "TCP"}]


def test_network_policy_peers_match_the_edge_pods_labels():
    objects = render()
    peers = find(objects, "NetworkPolicy", f"{FULLNAME}-authority")["spec"]["ingress"][0]["from"]
    for peer, edge in zip(peers, ("api", "http2kafka")):
        pod_labels = deployment(objects, edge)["spec"]["template"]["metadata"]["labels"]
        assert peer["podSelector"]["matchLabels"].items() <= pod_labels.items()


def test_network_policy_is_left_out_when_disabled():
    objects = render({"authority": {"networkPolicy": {"enabled": False}}})
    assert [o for o in objects if o["kind"] == "NetworkPolicy"] == []


@pytest.mark.parametrize("component,secret", [
    ("authority", "authority-cert"), ("api", "api-cert"), ("http2kafka", "h2k-cert")])
def test_tls_certificates_are_mounted_from_each_components_secret(component, secret):
    workload = deployment(render(TLS_VALUES), component)
    volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == secret
    mounts = {m["name"]: m for m in container(workload)["volumeMounts"]}
    assert mounts["tls"] == {"name": "tls", "mountPath": "/etc/tokengate/tls", "readOnly": True}
    env = env_of(workload)
    assert {name: env[name]["value"] for name in env if name.startswith("TOKENGATE_TLS_")} == {
        "TOKENGATE_TLS_CERT_FILE": "/etc/tokengate/tls/tls.crt",
        "TOKENGATE_TLS_KEY_FILE": "/etc/tokengate/tls/tls.key",
        "TOKENGATE_TLS_CA_FILE": "/etc/tokengate/tls/ca.crt"}


@pytest.mark.parametrize("component", COMPONENTS)
def test_no_tls_material_when_tls_is_disabled(component):
    workload = deployment(render(), component)
    assert "tls" not in {v["name"] for v in workload["spec"]["template"]["spec"]["volumes"]}
    assert not [name for name in env_of(workload) if name.startswith("TOKENGATE_TLS_")]


def test_tls_client_policy_reaches_only_the_authority():
    policy = "edge-a=*;edge-b=VerifyToken"
    objects = render({**TLS_VALUES, "tls": {**TLS_VALUES["tls"], "clientPolicy": policy}})
    holders = {c: env_of(deployment(objects, c)).get("TOKENGATE_TLS_CLIENT_POLICY") for c in COMPONENTS}
    assert holders == {"authority": {"name": "TOKENGATE_TLS_CLIENT_POLICY", "value": policy},
                       "api": None, "http2kafka": None, "consumer": None}


def test_consumer_gets_no_tls_material_since_it_never_calls_the_authority():
    workload = deployment(render(TLS_VALUES), "consumer")
    assert "tls" not in {v["name"] for v in workload["spec"]["template"]["spec"]["volumes"]}


def test_authority_probes_use_native_grpc_health_in_plaintext():
    authority = container(deployment(render(), "authority"))
    assert authority["livenessProbe"]["grpc"] == {"port": 50051}
    assert authority["readinessProbe"]["grpc"] == {"port": 50051}


def test_authority_probes_fall_back_to_tcp_under_mtls():
    authority = container(deployment(render(TLS_VALUES), "authority"))
    assert authority["readinessProbe"]["tcpSocket"] == {"port": "grpc"}
    assert "grpc" not in authority["readinessProbe"]


@pytest.mark.parametrize("component,port_name,port,ready_path", [
    ("api", "http", 8000, "/monitoring/ready"), ("http2kafka", "http", 8002, "/monitoring/ready"),
    ("consumer", "metrics", 8003, "/monitoring/ping")])
def test_http_components_probe_monitoring_on_their_port(component, port_name, port, ready_path):
    """Edges are ready only while their revocation stream is open; all stay live while they answer."""
    main = container(deployment(render(), component))
    assert main["readinessProbe"]["httpGet"] == {"path": ready_path, "port": port_name}
    assert main["livenessProbe"]["httpGet"] == {"path": "/monitoring/ping", "port": port_name}
    assert {"name": port_name, "containerPort": port, "protocol": "TCP"} in main["ports"]


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook():
    annotations = migration_job(render())["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert set(annotations["helm.sh/hook-delete-policy"].split(",")) == {
        "before-hook-creation", "hook-succeeded"}


def test_migration_job_runs_token_authority_migrate():
    job = container(migration_job(render()))
    assert (job["command"], job["args"]) == (["token-authority"], ["migrate"])


def test_migration_job_needs_nothing_created_after_the_hooks():
    # On a first install, hooks run before the ConfigMap, Secret and ServiceAccount exist.
    objects = render()
    job = migration_job(objects)
    pod = job["spec"]["template"]["spec"]
    assert "envFrom" not in container(job)
    assert "serviceAccountName" not in pod
    hook_secret = find(objects, "Secret", f"{FULLNAME}-migrate")
    assert hook_secret["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(hook_secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"])
    password = env_of(job)["PGPASSWORD"]["valueFrom"]["secretKeyRef"]
    assert password["name"] == f"{FULLNAME}-migrate"


def test_migration_job_is_left_out_when_disabled():
    objects = render({"migration": {"enabled": False}})
    assert [o for o in objects if o["kind"] == "Job"] == []


def test_kafka_tls_and_sasl_reach_the_configmap_and_the_kafka_clients():
    objects = render({"kafka": {"tls": {"enabled": True},
                                "sasl": {"enabled": True, "mechanism": "SCRAM-SHA-256",
                                         "username": "lineage", "password": "kafka-pass-Yy3"}}})
    data = find(objects, "ConfigMap", FULLNAME)["data"]
    assert (data["TOKENGATE_KAFKA_SECURITY_PROTOCOL"], data["TOKENGATE_KAFKA_SASL_MECHANISM"],
            data["TOKENGATE_KAFKA_SASL_USERNAME"]) == ("SASL_SSL", "SCRAM-SHA-256", "lineage")
    assert "kafka-pass-Yy3" not in yaml.safe_dump(data)
    holders = [c for c in COMPONENTS
               if "TOKENGATE_KAFKA_SASL_PASSWORD" in env_of(deployment(objects, c))]
    assert holders == ["authority", "http2kafka", "consumer"]  # The authority for its audit trail.


def test_audit_trail_goes_to_the_kafka_brokers_by_default():
    data = find(render({"kafka": {"bootstrapServers": "k1:9092,k2:9092"}}), "ConfigMap", FULLNAME)["data"]
    assert (data["TOKENGATE_AUDIT_KAFKA_BROKERS"], data["TOKENGATE_AUDIT_TOPIC"],
            data["TOKENGATE_AUDIT_RETENTION_DAYS"]) == ("k1:9092,k2:9092", "tokengate.audit", "365")


def test_audit_trail_kept_in_postgresql_only_needs_no_kafka_password_in_the_authority():
    objects = render({"audit": {"publishToKafka": False},
                      "kafka": {"sasl": {"enabled": True, "username": "lineage", "password": "p"}}})
    assert "TOKENGATE_AUDIT_KAFKA_BROKERS" not in find(objects, "ConfigMap", FULLNAME)["data"]
    assert "TOKENGATE_KAFKA_SASL_PASSWORD" not in env_of(deployment(objects, "authority"))


def test_schema_rejects_an_audit_retention_of_zero_days():
    assert "retentionDays" in render_error({"audit": {"retentionDays": 0}})


def test_kafka_is_plaintext_by_default():
    data = find(render(), "ConfigMap", FULLNAME)["data"]
    assert data["TOKENGATE_KAFKA_SECURITY_PROTOCOL"] == "PLAINTEXT"
    assert "TOKENGATE_KAFKA_SASL_MECHANISM" not in data


def test_edges_dial_the_authority_service_by_its_cluster_name():
    objects = render()
    service = find(objects, "Service", f"{FULLNAME}-authority")
    data = find(objects, "ConfigMap", FULLNAME)["data"]
    assert data["TOKENGATE_AUTHORITY_ADDRESS"] == (
        f"{service['metadata']['name']}.lineage.svc:{service['spec']['ports'][0]['port']}")


def test_pod_config_checksum_changes_when_the_config_does():
    def checksum(values):
        pod = deployment(render(values), "api")["spec"]["template"]["metadata"]
        return pod["annotations"]["checksum/config"]
    assert checksum({}) != checksum({"config": {"maxDurationDays": 30}})


@pytest.mark.parametrize("component", COMPONENTS)
def test_pods_run_as_non_root_on_a_read_only_root_filesystem(component):
    workload = deployment(render(), component)
    assert workload["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    security = container(workload)["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]


def test_service_links_are_off_so_they_cannot_shadow_tokengate_variables():
    objects = render()
    assert all(deployment(objects, c)["spec"]["template"]["spec"]["enableServiceLinks"] is False
               for c in COMPONENTS)


@pytest.mark.parametrize("component", ["api", "http2kafka"])
def test_ingress_routes_its_hostname_to_the_edge_service(component):
    objects = render({component: {"ingress": {"enabled": True, "hostname": "edge.example.com",
                                              "tlsSecretName": "edge-cert"}}})
    ingress = find(objects, "Ingress", f"{FULLNAME}-{component}")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "edge.example.com"
    assert rule["http"]["paths"][0]["backend"]["service"] == {
        "name": f"{FULLNAME}-{component}", "port": {"name": "http"}}
    assert ingress["spec"]["tls"] == [{"hosts": ["edge.example.com"], "secretName": "edge-cert"}]


def test_no_ingress_by_default():
    assert [o for o in render() if o["kind"] == "Ingress"] == []


def test_consumer_service_exposes_only_metrics():
    service = find(render(), "Service", f"{FULLNAME}-consumer-metrics")
    assert [p["name"] for p in service["spec"]["ports"]] == ["metrics"]


def test_schema_rejects_a_replica_count_that_is_not_a_number():
    assert "at '/authority/replicaCount': got string, want integer" in render_error(
        {"authority": {"replicaCount": "three"}})


def test_rejected_signing_keys_are_not_echoed():
    error = render_error({"signingKeys": "k1:leaky-but-short"})
    assert "at least 32 characters" in error
    assert "leaky-but-short" not in error


def _leaf_paths(node, prefix=""):
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _leaf_paths(value, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix


def _values_and_params():
    text = (CHART / "values.yaml").read_text()
    return yaml.safe_load(text), set(re.findall(r"^## @param (\S+)", text, flags=re.MULTILINE))


def test_every_value_is_documented_with_a_param_line():
    values, documented = _values_and_params()
    undocumented = [path for path in _leaf_paths(values)
                    if not any(path == d or path.startswith(d + ".") for d in documented)]
    assert undocumented == []


def test_every_param_line_names_an_existing_value():
    values, documented = _values_and_params()
    leaves = list(_leaf_paths(values))
    stale = [d for d in documented
             if not any(leaf == d or leaf.startswith(d + ".") for leaf in leaves)]
    assert stale == []


# --- human login (auth.*) ---------------------------------------------------------

def test_defaults_alone_are_refused_until_keycloak_is_configured():
    error = render_error({}, base={})
    for path in ("/auth/keycloak/serverUrl", "/auth/keycloak/realm", "/auth/redirectUri",
                 "/auth/clientSecret/existingSecret"):
        assert f"at '{path}'" in error


def test_the_api_logs_in_through_keycloak_by_default():
    env = env_of(deployment(render(), "api"))
    assert env["TOKENGATE_AUTH_PROVIDER"]["value"] == "keycloak"
    assert env["TOKENGATE_KEYCLOAK_SERVER_URL"]["value"] == "https://keycloak.example.com"
    assert env["TOKENGATE_KEYCLOAK_REALM"]["value"] == "data"
    assert env["TOKENGATE_OIDC_REDIRECT_URI"]["value"] == "https://api.tokengate.example.com/v1/auth/callback"
    assert "TOKENGATE_AUTH_ALLOW_DUMMY" not in env


def test_client_secret_comes_from_the_named_secret_only():
    objects = render()
    env = env_of(deployment(objects, "api"))
    assert env["TOKENGATE_OIDC_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "tokengate-oidc-client", "key": "client-secret"}
    for component in ("authority", "http2kafka", "consumer"):
        assert "TOKENGATE_OIDC_CLIENT_SECRET" not in env_of(deployment(objects, component))


def test_generic_oidc_issuer_replaces_the_keycloak_settings():
    env = env_of(deployment(render({"auth": {"provider": "oidc", "oidc": {"issuer": "https://login.example.com/t1"}}}),
                            "api"))
    assert env["TOKENGATE_OIDC_ISSUER"]["value"] == "https://login.example.com/t1"
    assert "TOKENGATE_KEYCLOAK_SERVER_URL" not in env


def test_oidc_without_an_issuer_is_refused():
    assert "at '/auth/oidc/issuer'" in render_error({"auth": {"provider": "oidc"}})


def test_dummy_needs_both_switches_and_then_says_so():
    assert "at '/auth/allowDummy': value must be true" in render_error({"auth": {"provider": "dummy"}}, base={})
    env = env_of(deployment(render({"auth": {"provider": "dummy", "allowDummy": True}}, base={}), "api"))
    assert env["TOKENGATE_AUTH_PROVIDER"]["value"] == "dummy"
    assert env["TOKENGATE_AUTH_ALLOW_DUMMY"]["value"] == "true"
    assert "TOKENGATE_OIDC_CLIENT_SECRET" not in env


def test_no_affinity_pins_browsers_to_one_api_replica():
    # Sessions live in PostgreSQL: any replica serves any browser, behind any load balancer.
    objects = render({"api": {"ingress": {"enabled": True, "annotations": {"team": "data"}}}})
    assert "sessionAffinity" not in find(objects, "Service", f"{FULLNAME}-api")["spec"]
    annotations = find(objects, "Ingress", f"{FULLNAME}-api")["metadata"]["annotations"]
    assert annotations == {"team": "data"}


def test_every_api_replica_gets_the_same_session_and_access_token_keys_from_the_secret():
    objects = render()
    secret = find(objects, "Secret", FULLNAME)
    env = env_of(deployment(objects, "api"))
    for variable, key in (("TOKENGATE_SESSION_SECRET", "session-secret"),
                          ("TOKENGATE_ACCESS_TOKEN_SECRET", "access-token-secret")):
        assert env[variable]["valueFrom"]["secretKeyRef"]["name"] == FULLNAME
        assert env[variable]["valueFrom"]["secretKeyRef"]["key"] == key
        assert re.fullmatch(r"[A-Za-z0-9]{48}", _decoded(secret, key)), key
    holders = [c for c in COMPONENTS if "TOKENGATE_SESSION_SECRET" in env_of(deployment(objects, c))]
    assert holders == ["api"]


def test_with_an_existing_secret_missing_session_keys_leave_the_api_startable():
    objects = render({"existingSecret": "ops-credentials"})
    ref = env_of(deployment(objects, "api"))["TOKENGATE_SESSION_SECRET"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "ops-credentials", "key": "session-secret", "optional": True}


def test_serving_pods_keep_serving_while_their_endpoints_are_removed():
    # A rolling update with no preStop pause refused connections (tests/cluster: the upgrade test).
    objects = render()
    for component in ("authority", "api", "http2kafka"):
        assert container(deployment(objects, component))["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert "lifecycle" not in container(deployment(objects, "consumer"))
    off = render({"termination": {"preStopSleepSeconds": 0}})
    assert "lifecycle" not in container(deployment(off, "api"))


def test_admin_role_settings_reach_the_api():
    env = env_of(deployment(render({"auth": {"adminClaim": "groups", "adminRole": "/ops/tokengate"}}), "api"))
    assert env["TOKENGATE_ADMIN_CLAIM"]["value"] == "groups"
    assert env["TOKENGATE_ADMIN_ROLE"]["value"] == "/ops/tokengate"
    assert "TOKENGATE_ADMIN_USERS" not in env


def test_trusted_proxies_reach_every_component_through_the_configmap():
    objects = render({"config": {"trustedProxies": "10.42.0.0/16"}})
    assert find(objects, "ConfigMap", FULLNAME)["data"]["TOKENGATE_TRUSTED_PROXIES"] == "10.42.0.0/16"
    assert "TOKENGATE_TRUSTED_PROXIES" not in find(render(), "ConfigMap", FULLNAME)["data"]


NOTICES = {"notices": {"publicUrl": "https://tokens.example.org",
                       "smtp": {"url": "smtp://mail.example.org:587", "from": "noreply@example.org",
                                "username": "notices", "password": "smtp-pass-Zz9"},
                       "webhook": {"url": "https://hooks.example.org/tokens",
                                   "secret": "webhook-secret-0123456789"}}}


def test_notices_are_off_by_default_and_the_api_gets_its_leak_report_rate():
    objects = render()
    assert not [name for name in env_of(deployment(objects, "authority")) if "SMTP" in name or "WEBHOOK" in name]
    assert env_of(deployment(objects, "api"))["TOKENGATE_LEAK_REPORT_RATE"]["value"] == "10/min"


def test_notice_settings_reach_the_authority_only_and_their_secrets_come_from_the_secret():
    objects = render(NOTICES)
    env = env_of(deployment(objects, "authority"))
    assert (env["TOKENGATE_SMTP_URL"]["value"], env["TOKENGATE_WEBHOOK_URL"]["value"],
            env["TOKENGATE_PUBLIC_URL"]["value"]) == ("smtp://mail.example.org:587",
                                                      "https://hooks.example.org/tokens",
                                                      "https://tokens.example.org")
    assert env["TOKENGATE_SMTP_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": FULLNAME, "key": "smtp-password"}
    assert env["TOKENGATE_WEBHOOK_SECRET"]["valueFrom"]["secretKeyRef"] == {"name": FULLNAME,
                                                                          "key": "webhook-secret"}
    secret = find(objects, "Secret", FULLNAME)["data"]
    assert base64.b64decode(secret["webhook-secret"]).decode() == "webhook-secret-0123456789"
    # The migration job validates the whole config: a webhook without its secret would stop it.
    for holder in [migration_job(objects)] + [deployment(objects, c) for c in ("api", "http2kafka", "consumer")]:
        assert not [n for n in env_of(holder) if "SMTP" in n or "WEBHOOK" in n]
    assert "smtp-pass-Zz9" not in yaml.safe_dump(find(objects, "ConfigMap", FULLNAME))


def test_notices_without_their_link_or_secret_are_refused():
    assert "notices.publicUrl" in render_error({"notices": {"webhook": {"url": "https://h.example.org",
                                                                        "secret": "0123456789abcdef"}}})
    short = _merged(NOTICES, {"notices": {"webhook": {"secret": "short"}}})
    assert "notices.webhook.secret" in render_error(short)
    assert "starttls" in render_error(_merged(NOTICES, {"notices": {"smtp": {"starttls": "maybe"}}}))


def test_no_monitoring_objects_by_default():
    kinds = {o["kind"] for o in render()}
    assert not kinds & {"ServiceMonitor", "PrometheusRule"}
    assert not [o for o in render() if o["metadata"]["name"].endswith("-dashboard")]


def test_service_monitor_scrapes_each_component_on_the_port_that_serves_metrics():
    objects = render({"metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "prom"}}}})
    monitor = find(objects, "ServiceMonitor", FULLNAME)
    assert monitor["metadata"]["labels"]["release"] == "prom"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["lineage"]}
    ports = {e["port"] for e in monitor["spec"]["endpoints"]}
    assert all(e["path"] == "/metrics" for e in monitor["spec"]["endpoints"])
    selected = [o for o in objects if o["kind"] == "Service"
                and monitor["spec"]["selector"]["matchLabels"].items() <= o["metadata"]["labels"].items()]
    scraped = {o["metadata"]["labels"]["app.kubernetes.io/component"]
               for o in selected for p in o["spec"]["ports"] if p["name"] in ports}
    assert scraped == set(COMPONENTS)


def test_authority_serves_metrics_on_its_named_port():
    objects = render()
    authority = deployment(objects, "authority")
    assert env_of(authority)["TOKENGATE_METRICS_LISTEN"]["value"] == "0.0.0.0:8004"
    assert {"name": "metrics", "containerPort": 8004, "protocol": "TCP"} in container(authority)["ports"]
    service_ports = find(objects, "Service", f"{FULLNAME}-authority")["spec"]["ports"]
    assert {"name": "metrics", "port": 8004, "targetPort": "metrics", "protocol": "TCP",
            "appProtocol": "http"} in service_ports


def test_dashboard_comes_with_scraping_labelled_for_the_grafana_sidecar():
    import json
    objects = render({"metrics": {"serviceMonitor": {"enabled": True}}})
    dashboard = find(objects, "ConfigMap", f"{FULLNAME}-dashboard")
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(dashboard["data"]["tokengate.json"])["uid"] == "tokengate"


def test_logs_are_json_in_the_cluster():
    configmap = find(render(), "ConfigMap", FULLNAME)
    assert configmap["data"]["TOKENGATE_LOG_FORMAT"] == "json"
    assert find(render({"config": {"logFormat": "text"}}), "ConfigMap", FULLNAME)["data"][
        "TOKENGATE_LOG_FORMAT"] == "text"
