"""The helm chart on a real single-node Kubernetes: the cluster of
deploy/local/kube/cluster.sh (the script `make cluster` runs) started in a
state directory of its own, the image loaded into its node and the chart
installed, with 2 replicas of api and http2kafka and the keycloak provider.
Pods reach the tests' PostgreSQL (a database of their own), a Kafka broker
started here with a listener advertised on the bridge, as the script expects
of the host, and a Keycloak (deploy/local/keycloak.sh, the realm of
deploy/keycloak/) forwarded on the bridge as cluster.sh forwards make run's,
where this test and its Chromium reach it too (one issuer for all). Browsers reach the api through `kubectl
port-forward` on 127.0.0.1 (the realm's redirect URIs). Edge pods are also
asked directly, by pod IP, where a Service would
hide which replica answered. Tests run in file order: the ones that upgrade,
kill or drain come last and leave every Deployment Available. Measurements go
to <build>/cluster-measurements.json. It must not touch `make cluster`'s own
state (.local/kube)."""
import datetime
import html
import json
import re
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import uuid

import pytest
import requests
import yaml
from confluent_kafka import Consumer, TopicPartition

import seed_story
import stack
from steady_load import SteadyLoad, event

REPO = pathlib.Path(__file__).resolve().parents[2]
CLUSTER = REPO / "deploy" / "local" / "kube" / "cluster.sh"
KAFKA = REPO / "deploy" / "local" / "kafka.sh"
# The cluster's bridge address (deploy/local/kube/kube-lib.sh): pods reach the host there.
BRIDGE_IP = "198.18.0.1"
NAMESPACE = "tokengate"
SERVICES = ("authority", "api", "http2kafka", "consumer")
EDGES = ("api", "http2kafka")
PORTS = {"api": 8000, "http2kafka": 8002}
TOPIC = "input.runs"
KEYCLOAK_SH = REPO / "deploy" / "local" / "keycloak.sh"
BROWSER_DIR = REPO / "tests" / "e2e" / "browser"
CLIENT_SECRET = next(c["secret"] for c in json.loads((REPO / "deploy/keycloak/tokengate-realm.json").read_text())
                     ["clients"] if c["clientId"] == "tokengate")
MEASUREMENTS = pathlib.Path(os.environ.get("TOKENGATE_BUILD_DIR", REPO / "build")) / "cluster-measurements.json"


def run(command, env, timeout):
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{command[0]} {command[1]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def measured(name, value):
    """Adds `name` to the measurements file (the numbers the issue asks to report) and returns it."""
    data = json.loads(MEASUREMENTS.read_text()) if MEASUREMENTS.exists() else {}
    data[name] = value
    MEASUREMENTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return value


@pytest.fixture(scope="module")
def kafka(tmp_path_factory):
    """A broker whose second listener advertises the bridge address, with the events topic."""
    env = {**os.environ, "KAFKA_DIR": str(tmp_path_factory.mktemp("kafka")),
           "KAFKA_PORT": str(stack.free_port()), "KAFKA_CONTROLLER_PORT": str(stack.free_port())}
    cluster_port = stack.free_port()
    env["KAFKA_CLUSTER_LISTENER"] = f"{BRIDGE_IP}:{cluster_port}"
    run([str(KAFKA), "start"], env, 120)
    try:
        run([str(KAFKA), "create-topic", TOPIC, "2"], env, 60)
        yield {"cluster_port": cluster_port, "bootstrap": f"127.0.0.1:{env['KAFKA_PORT']}"}
    finally:
        run([str(KAFKA), "stop"], env, 60)


@pytest.fixture(scope="module")
def cluster(kafka):
    """The cluster up (node Ready, DNS answering), taken down after the module's tests."""
    database = f"tg_cluster_{os.getpid()}"
    pg_port = urllib.parse.urlsplit(stack.admin_url()).port
    # Short: the containerd socket lives in it.
    state = tempfile.mkdtemp(prefix="tg-kube-", dir="/tmp")
    env = {**os.environ, "KUBE_STATE": state, "CLUSTER_PG_PORT": str(pg_port),
           "CLUSTER_KAFKA_PORT": str(kafka["cluster_port"]), "CLUSTER_DATABASE": database,
           "CLUSTER_VALUES": str(pathlib.Path(__file__).parent / "values.yaml"),
           # Never a `make run AUTH=keycloak` of this checkout: the test brings its own Keycloak.
           "CLUSTER_KEYCLOAK_URL": ""}
    MEASUREMENTS.unlink(missing_ok=True)
    started = time.monotonic()
    try:
        run([str(CLUSTER), "up"], env, 300)
        measured("cluster_up_seconds", round(time.monotonic() - started, 1))
        yield env
    finally:
        run([str(CLUSTER), "down"], env, 180)
        shutil.rmtree(state, ignore_errors=True)
        stack.psql(stack.admin_url(), f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


class Keycloak:
    """The realm's people log in here; started in the background while the chart installs. On
    127.0.0.1 behind a forwarder on the bridge: Keycloak sees a local client, which it lets use
    plain HTTP (198.18.0.0/15 is no private range to it)."""

    def __init__(self, run_dir):
        self.port = stack.free_port()
        self.url = f"http://{BRIDGE_IP}:{self.port}"
        self.env = {**os.environ, "KEYCLOAK_PORT": str(self.port), "KEYCLOAK_DIR": str(run_dir)}
        self.forwarder = subprocess.Popen(["socat", f"TCP-LISTEN:{self.port},bind={BRIDGE_IP},reuseaddr,fork",
                                           f"TCP:127.0.0.1:{self.port}"], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
        self.starting = subprocess.Popen([str(KEYCLOAK_SH), "start"], env=self.env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True)

    def wait_started(self):
        output, _ = self.starting.communicate(timeout=180)
        assert self.starting.returncode == 0, f"keycloak.sh start: {output}"

    def stop(self):
        if self.starting.poll() is None:
            self.starting.wait(timeout=180)
        self.forwarder.terminate()
        self.forwarder.wait(timeout=30)
        run([str(KEYCLOAK_SH), "stop"], self.env, 60)

    def access_token(self, user):
        """A person's access token for scripts (the realm's public client, password grant)."""
        response = requests.post(f"{self.url}/realms/tokengate/protocol/openid-connect/token", timeout=10, data={
            "grant_type": "password", "client_id": "tokengate-cli", "username": user,
            "password": f"{user}-password", "scope": "openid"})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


@pytest.fixture(scope="module")
def keycloak(cluster, tmp_path_factory):
    kc = Keycloak(tmp_path_factory.mktemp("keycloak"))
    try:
        yield kc
    finally:
        kc.stop()


def kubectl_text(env, *args, timeout=60):
    return run([str(CLUSTER), "kubectl", "-n", NAMESPACE, *args], env, timeout)


def kubectl(env, *args):
    return json.loads(kubectl_text(env, *args, "-o", "json"))


@pytest.fixture(scope="module")
def release(cluster, keycloak, tmp_path_factory):
    """`helm install` of the chart (cluster.sh install: it waits until every pod is Ready; an
    api starts while Keycloak is still starting, and finds it at the first login)."""
    forward_port = stack.free_port()
    values = tmp_path_factory.mktemp("values") / "keycloak.yaml"
    values.write_text(yaml.safe_dump({"auth": {
        "keycloak": {"serverUrl": keycloak.url},
        "redirectUri": f"http://127.0.0.1:{forward_port}/v1/auth/callback"}}))
    env = {**cluster, "CLUSTER_VALUES": f"{cluster['CLUSTER_VALUES']} {values}", "FORWARD_PORT": str(forward_port)}
    run([str(CLUSTER), "kubectl", "create", "namespace", NAMESPACE], env, 60)
    kubectl_text(env, "create", "secret", "generic", "tokengate-oidc-client",
                 f"--from-literal=client-secret={CLIENT_SECRET}")
    started = time.monotonic()
    run([str(CLUSTER), "install"], env, 420)
    measured("helm_install_seconds", round(time.monotonic() - started, 1))
    keycloak.wait_started()
    return env


def timestamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def service_pods(env, component=None):
    """The running pods of the release (all four components, or one)."""
    pods = kubectl(env, "get", "pods", "-l", "app.kubernetes.io/instance=tokengate")["items"]
    wanted = (component,) if component else SERVICES
    return [p for p in pods if p["metadata"]["labels"].get("app.kubernetes.io/component") in wanted
            and p["metadata"].get("deletionTimestamp") is None]


def component_of(pod):
    return pod["metadata"]["labels"]["app.kubernetes.io/component"]


def ready_since(pod):
    ready = [c for c in pod["status"].get("conditions", []) if c["type"] == "Ready" and c["status"] == "True"]
    return timestamp(ready[0]["lastTransitionTime"]) if ready else None


def service_url(env, component):
    spec = kubectl(env, "get", "service", f"tokengate-{component}")["spec"]
    return f"http://{spec['clusterIP']}:{spec['ports'][0]['port']}"


def all_available(env):
    """Every Deployment has all its replicas ready and up to date, no old pod lingers, and every pod
    says Ready itself (a Deployment's counts trail its pods' conditions under load)."""
    for deployment in kubectl(env, "get", "deployments")["items"]:
        status, wanted = deployment["status"], deployment["spec"]["replicas"]
        if status.get("readyReplicas") != wanted or status.get("updatedReplicas") != wanted \
                or status.get("replicas") != wanted:
            return False
    return all(ready_since(pod) is not None for pod in service_pods(env))


def answers_ping(url):
    try:
        return requests.get(f"{url}/monitoring/ping", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def wait_available(env, timeout=180):
    assert stack.eventually(lambda: all_available(env), timeout=timeout, interval=0.5), \
        kubectl_text(env, "get", "pods", "-o", "wide")
    # Ready pods reach a Service's rules only after kube-proxy's next sync: until then a Service with no
    # endpoint left refuses connections.
    for component in PORTS:
        url = service_url(env, component)
        assert stack.eventually(lambda: answers_ping(url), timeout=60, interval=0.5), \
            f"the {component} Service does not answer: {kubectl_text(env, 'get', 'endpointslices', '-o', 'wide')}"


def make_token(release, keycloak, user, name):
    """A personal token made through the api Service with a human credential from Keycloak."""
    api = service_url(release, "api")
    return stack.create_token(api, keycloak.access_token(user), name=name), api


def revoke(api, keycloak, user, token_id):
    response = requests.delete(f"{api}/v1/personal-tokens/{token_id}",
                               headers=stack.bearer(keycloak.access_token(user)), timeout=10)
    assert response.status_code == 204, response.text


def answer(pod, token):
    """What one edge pod says to `token`: the api its /v1/users/me, http2kafka an event (201: in Kafka)."""
    ip, component = pod["status"]["podIP"], component_of(pod)
    url = f"http://{ip}:{PORTS[component]}"
    try:
        if component == "api":
            return requests.get(f"{url}/v1/users/me", headers=stack.bearer(token), timeout=5).status_code
        return requests.post(f"{url}/v1/openlineage", json=event(str(uuid.uuid4())), headers=stack.bearer(token),
                             timeout=10).status_code
    except requests.RequestException:
        return 0


def run_ids_in_kafka(bootstrap, wanted, timeout=60.0):
    """Those of `wanted` found in the events topic, reading it from the start."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    found = set()
    try:
        metadata = consumer.list_topics(TOPIC, timeout=20)
        consumer.assign([TopicPartition(TOPIC, p, 0) for p in metadata.topics[TOPIC].partitions])
        deadline = time.monotonic() + timeout
        while found != wanted and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None or message.error() is not None:
                continue
            value = message.value().decode(errors="replace")
            found |= {run_id for run_id in wanted - found if run_id in value}
    finally:
        consumer.close()
    return found


# --- install ------------------------------------------------------------------

def test_the_migration_job_completes_before_any_service_pod_exists(release):
    # The hook Job is deleted once it succeeds; the job controller's event stays.
    events = kubectl(release, "get", "events")["items"]
    completed = [e for e in events if e["involvedObject"]["kind"] == "Job" and e["reason"] == "Completed"
                 and e["involvedObject"]["name"] == "tokengate-migrate"]
    assert completed, "no Completed event of the migration Job"
    migrated = timestamp(completed[-1]["lastTimestamp"])
    pods = service_pods(release)
    assert {component_of(p) for p in pods} == set(SERVICES)
    for pod in pods:
        name = pod["metadata"]["name"]
        assert timestamp(pod["metadata"]["creationTimestamp"]) >= migrated, f"{name} was made before the migration"
        assert ready_since(pod) is not None and ready_since(pod) >= migrated, f"{name} was Ready before the migration"


def test_every_deployment_is_available_with_all_its_replicas(release):
    deployments = {d["metadata"]["name"]: d for d in kubectl(release, "get", "deployments")["items"]}
    assert sorted(deployments) == sorted(f"tokengate-{s}" for s in SERVICES)
    for name, deployment in deployments.items():
        available = [c for c in deployment["status"]["conditions"] if c["type"] == "Available"]
        assert available and available[0]["status"] == "True", f"{name}: {deployment['status']}"
        assert deployment["status"].get("readyReplicas") == deployment["spec"]["replicas"], name
    assert deployments["tokengate-api"]["spec"]["replicas"] == 2
    assert deployments["tokengate-http2kafka"]["spec"]["replicas"] == 2


def test_no_service_pins_clients_to_a_pod(release):
    for component in EDGES:
        spec = kubectl(release, "get", "service", f"tokengate-{component}")["spec"]
        assert spec.get("sessionAffinity", "None") == "None", component


# --- the seed's story through the Services, and revocation on every pod ---------

@pytest.fixture
def port_forward(release):
    """`kubectl port-forward` of the api Service to 127.0.0.1 (the redirect URI's address)."""
    port = release["FORWARD_PORT"]
    forward = subprocess.Popen([str(CLUSTER), "kubectl", "-n", NAMESPACE, "port-forward", "service/tokengate-api",
                                f"{port}:8000"], env=release, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return requests.get(f"{url}/monitoring/ping", timeout=2).ok
        except requests.RequestException:
            return False

    try:
        assert stack.eventually(answers, timeout=30, interval=0.2), "kubectl port-forward did not answer"
        yield url
    finally:
        forward.terminate()
        forward.wait(timeout=30)


def edge_pods(release):
    pods = [p for p in service_pods(release) if component_of(p) in EDGES]
    assert sorted(component_of(p) for p in pods) == ["api", "api", "http2kafka", "http2kafka"]
    return pods


def test_the_seed_story_through_the_services_then_revocation_on_every_edge_pod(release, keycloak, port_forward):
    # Alice logs in through Keycloak in Chromium and creates a token on the page.
    assert (BROWSER_DIR / "node_modules/playwright-core").is_dir(), "run tests/e2e/browser/npm-install.sh"
    shots = pathlib.Path(stack.BUILD) / "cluster-keycloak-screenshots"
    browser = subprocess.run(["node", "keycloak_login.mjs", port_forward, "alice", "alice-password", str(shots)],
                             cwd=BROWSER_DIR, capture_output=True, text=True, timeout=120)
    assert browser.returncode == 0, f"{browser.stdout}\n{browser.stderr}"
    token = json.loads(browser.stdout.strip().splitlines()[-1])["token"]

    # An ETL job sends lineage with it through the http2kafka Service; the consumer pod writes it.
    api, edge = service_url(release, "api"), service_url(release, "http2kafka")
    job_name = f"daily-{uuid.uuid4().hex[:8]}"
    run_id = seed_story.emit_spark_like_run(edge, token, job_name)

    def runs():
        items = seed_story.get(api, f"/v1/runs?search_query={job_name}", token).json()["items"]
        return [r for r in items if r["id"] == run_id and r["data"]["status"] == "SUCCEEDED"]

    assert stack.eventually(runs, timeout=60), "the consumer pod should have written the run"
    datasets = seed_story.get(api, "/v1/datasets?search_query=analytics.public.out", token).json()
    assert [d["data"]["name"] for d in datasets["items"]] == ["analytics.public.out"]

    # Every edge pod takes it, until it is revoked; then every one refuses it within 1 s.
    edges = edge_pods(release)
    for pod in edges:
        assert answer(pod, token) == (200 if component_of(pod) == "api" else 201), pod["metadata"]["name"]
    listed = requests.get(f"{api}/v1/personal-tokens", headers=stack.bearer(keycloak.access_token("alice")),
                          timeout=10).json()
    [made] = [item for item in listed["items"] if item["data"]["name"] == "keycloak-browser"]
    revoke(api, keycloak, "alice", made["id"])
    revoked = time.monotonic()
    accepting = {p["metadata"]["name"]: p for p in edges}
    while accepting and time.monotonic() - revoked < 1.0:
        accepting = {name: p for name, p in accepting.items() if answer(p, token) != 401}
    assert not accepting, f"still accepted {time.monotonic() - revoked:.2f} s after the revocation by {list(accepting)}"


# --- browser sessions, any api pod --------------------------------------------

def log_in_at(pod_ip, callback_ip, user):
    """A session cookie: the login starts at one api pod, Keycloak sends the browser back to another."""
    browser = requests.Session()
    form = browser.get(f"http://{pod_ip}:8000/v1/auth/login", timeout=10)
    assert form.status_code == 200, form.text
    state = form.history[0].cookies["tokengate_login"]
    action = html.unescape(re.search(r'<form[^>]+action="([^"]+)"', form.text).group(1))
    # Keycloak marks its cookies Secure; a browser sends them over http to a private address, requests does not.
    for cookie in browser.cookies:
        cookie.secure = False
    signed_in = browser.post(action, data={"username": user, "password": f"{user}-password"},
                             allow_redirects=False, timeout=10)
    assert signed_in.status_code == 302, signed_in.text[:500]
    query = urllib.parse.urlsplit(signed_in.headers["Location"]).query
    callback = requests.get(f"http://{callback_ip}:8000/v1/auth/callback?{query}", allow_redirects=False,
                            cookies={"tokengate_login": state}, timeout=10)
    assert callback.status_code == 302, callback.text
    return callback.cookies["tokengate_session"]


def me_at(pod_ip, session):
    return requests.get(f"http://{pod_ip}:8000/v1/users/me", cookies={"tokengate_session": session}, timeout=10)


def test_a_browser_session_works_on_every_api_pod_and_outlives_the_pod_that_made_it(release):
    first, second = service_pods(release, "api")
    session = log_in_at(first["status"]["podIP"], second["status"]["podIP"], "bob")
    for pod in (first, second):
        answer_ = me_at(pod["status"]["podIP"], session)
        assert answer_.status_code == 200 and answer_.json()["name"] == "bob", answer_.text

    kubectl_text(release, "delete", "pod", second["metadata"]["name"], "--wait=true", timeout=120)
    wait_available(release)
    pods = service_pods(release, "api")
    assert second["metadata"]["name"] not in {p["metadata"]["name"] for p in pods}
    for pod in pods:
        assert me_at(pod["status"]["podIP"], session).status_code == 200, pod["metadata"]["name"]

    one, other = pods
    logout = requests.get(f"http://{one['status']['podIP']}:8000/v1/auth/logout", allow_redirects=False,
                          cookies={"tokengate_session": session}, timeout=10)
    assert logout.status_code == 302, logout.text
    ended = time.monotonic()
    assert stack.eventually(lambda: me_at(other["status"]["podIP"], session).status_code == 401, timeout=1.0), \
        "the session still works on the other pod"
    measured("session_logout_seen_by_other_pod_seconds", round(time.monotonic() - ended, 3))


# --- readiness ----------------------------------------------------------------

def edge_readiness(env):
    return {p["metadata"]["name"]: ready_since(p) is not None for p in service_pods(env) if component_of(p) in EDGES}


def test_an_edge_is_ready_only_while_its_revocation_stream_is_open(release):
    kubectl_text(release, "scale", "deployment", "tokengate-authority", "--replicas=0")
    try:
        # The probes: every 5 s, 3 failures in a row.
        stopped = time.monotonic()
        assert stack.eventually(lambda: not any(edge_readiness(release).values()), timeout=60, interval=0.5), \
            f"edges still Ready without an authority: {edge_readiness(release)}"
        measured("edges_not_ready_after_authority_gone_seconds", round(time.monotonic() - stopped, 1))
    finally:
        kubectl_text(release, "scale", "deployment", "tokengate-authority", "--replicas=2")
    back = time.monotonic()
    wait_available(release)
    measured("edges_ready_again_after_authority_back_seconds", round(time.monotonic() - back, 1))


# --- NetworkPolicy --------------------------------------------------------------

def matches(selector, pod):
    labels = pod["metadata"]["labels"]
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_the_authority_network_policy_selects_the_real_pods(release):
    # The bridge CNI does not enforce NetworkPolicy (none that does builds here), so the
    # policy's selectors are checked against the labels the running pods really carry.
    policy = kubectl(release, "get", "networkpolicy", "tokengate-authority")["spec"]
    pods = service_pods(release)
    guarded = {p["metadata"]["name"] for p in pods if matches(policy["podSelector"], p)}
    assert guarded == {p["metadata"]["name"] for p in pods if component_of(p) == "authority"}
    # Two rules: the edges to gRPC, anyone (Prometheus) to the metrics port.
    [grpc_rule] = [rule for rule in policy["ingress"] if "from" in rule]
    [metrics_rule] = [rule for rule in policy["ingress"] if "from" not in rule]
    admitted = {p["metadata"]["name"] for p in pods
                if any(matches(peer["podSelector"], p) for peer in grpc_rule["from"])}
    assert admitted == {p["metadata"]["name"] for p in pods if component_of(p) in EDGES}
    authority = service_pods(release, "authority")[0]
    ports = {port["name"]: port["containerPort"] for c in authority["spec"]["containers"]
             for port in c.get("ports", [])}
    assert [port["port"] for port in grpc_rule["ports"]] == [ports["grpc"]]
    assert [port["port"] for port in metrics_rule["ports"]] == [ports["metrics"]]
    assert set(ports) == {"grpc", "metrics"}, "every port the authority opens is in the policy"


# --- upgrade, kill -9 and drain under a steady load -------------------------------

@pytest.fixture
def load_tokens(release, keycloak):
    """A working token and a revoked one (already refused by every edge pod)."""
    token, api = make_token(release, keycloak, "carol", f"load-{uuid.uuid4().hex[:6]}")
    revoked, _ = make_token(release, keycloak, "carol", f"revoked-{uuid.uuid4().hex[:6]}")
    revoke(api, keycloak, "carol", revoked["id"])
    for pod in service_pods(release):
        if component_of(pod) in EDGES:
            assert stack.eventually(lambda: answer(pod, revoked["content"]) == 401, timeout=5)
    return token["content"], revoked["content"]


def steady_load(release, load_tokens):
    token, revoked = load_tokens
    return SteadyLoad(service_url(release, "api"), service_url(release, "http2kafka"), token, revoked)


def assert_no_event_lost(kafka, load):
    acknowledged = load.acknowledged_run_ids()
    assert acknowledged, "no event was acknowledged at all"
    missing = acknowledged - run_ids_in_kafka(kafka["bootstrap"], acknowledged)
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged events are not in Kafka"


def test_helm_upgrade_that_replaces_every_pod_under_load_loses_nothing(release, load_tokens, kafka, tmp_path):
    before = {p["metadata"]["name"] for p in service_pods(release)}
    rollout = tmp_path / "rollout.yaml"
    rollout.write_text(yaml.safe_dump({c: {"podAnnotations": {"tokengate.test/rollout": uuid.uuid4().hex}}
                                       for c in SERVICES}))
    env = {**release, "CLUSTER_VALUES": f"{release['CLUSTER_VALUES']} {rollout}"}
    with steady_load(release, load_tokens) as load:
        time.sleep(2)  # Some answers before the rollout, as a baseline.
        started = time.monotonic()
        run([str(CLUSTER), "install"], env, 420)
        wait_available(release)
        measured("helm_upgrade_seconds", round(time.monotonic() - started, 1))
        time.sleep(2)
    after = {p["metadata"]["name"] for p in service_pods(release)}
    assert not before & after, f"pods not replaced by the upgrade: {before & after}"
    failed = load.failed()
    measured("upgrade_requests", load.count())
    measured("upgrade_failed_requests", {kind: len(answers) for kind, answers in failed.items()})
    measured("upgrade_slowest_answer_seconds", round(load.slowest(), 3))
    assert not load.revoked_accepted(), "a revoked token was accepted during the rollout"
    assert_no_event_lost(kafka, load)
    assert not failed["event"] and not failed["read"], \
        f"failed during the rollout: { {k: [(round(a.at - started, 1), a.status) for a in v] for k, v in failed.items()} }"


def kill_9(env, pod):
    """SIGKILL to the pod's container, through the node's containerd (what an OOM kill does)."""
    container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    socket = pathlib.Path(env["KUBE_STATE"]) / "containerd" / "containerd.sock"
    run(["ctr", "--address", str(socket), "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", container_id], env, 30)


def restarts(pod):
    return pod["status"]["containerStatuses"][0]["restartCount"]


def test_kill_9_of_one_pod_of_each_service_under_load_loses_no_acknowledged_event(release, load_tokens, kafka):
    results = {}
    with steady_load(release, load_tokens) as load:
        for component in SERVICES:
            pod = service_pods(release, component)[0]
            name, restarted = pod["metadata"]["name"], restarts(pod)
            killed = time.monotonic()
            kill_9(release, pod)

            def recovered():
                [now] = [p for p in service_pods(release, component) if p["metadata"]["name"] == name]
                return restarts(now) > restarted and ready_since(now) is not None

            assert stack.eventually(recovered, timeout=120, interval=0.25), f"{name} did not come back"
            back = time.monotonic()
            wait_available(release)
            time.sleep(2)  # Answers after the recovery belong to this component's window.
            failed = load.failed(since=killed, until=time.monotonic())
            results[component] = {"pod_ready_again_seconds": round(back - killed, 1),
                                  "failed_events": len(failed["event"]), "failed_reads": len(failed["read"]),
                                  "last_failure_after_seconds": round(max(
                                      (a.at + a.seconds - killed for v in failed.values() for a in v), default=0), 1)}
    measured("kill_9", results)
    measured("kill_9_slowest_answer_seconds", round(load.slowest(), 3))
    assert not load.revoked_accepted(), "a revoked token was accepted while pods were killed"
    assert_no_event_lost(kafka, load)


def test_drain_respects_the_pod_disruption_budgets(release):
    [node] = kubectl(release, "get", "nodes")["items"]
    name = node["metadata"]["name"]
    drain = subprocess.run([str(CLUSTER), "kubectl", "drain", name, "--ignore-daemonsets", "--delete-emptydir-data",
                            "--timeout=30s"], env=release, capture_output=True, text=True, timeout=120, check=False)
    try:
        # One node: the evicted replica has nowhere to go, so the budget must keep the other.
        assert drain.returncode != 0, f"drain emptied the only node:\n{drain.stdout}"
        assert "disruption budget" in drain.stderr + drain.stdout, drain.stderr
        for component in ("authority", "api", "http2kafka"):
            ready = [p for p in service_pods(release, component) if ready_since(p) is not None]
            assert len(ready) == 1, f"{component}: {len(ready)} pods Ready after the drain"
        assert requests.get(f"{service_url(release, 'api')}/monitoring/ping", timeout=10).ok
    finally:
        run([str(CLUSTER), "kubectl", "uncordon", name], release, 60)
    wait_available(release)
