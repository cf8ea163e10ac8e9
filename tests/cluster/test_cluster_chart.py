"""The helm chart on a real single-node Kubernetes: the cluster of
deploy/local/kube/cluster.sh (the script `make cluster` runs) started in a
state directory of its own, the image loaded into its node and the chart
installed, with 2 replicas of api and http2kafka. Pods reach the tests'
PostgreSQL (a database of their own) and a Kafka broker started here with a
listener advertised on the cluster's bridge, as the script expects of the host.
Every edge pod is asked directly, by its pod IP: a Service would hide which
replica answered. It must not touch `make cluster`'s own state (.local/kube)."""
import datetime
import json
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

import stack

REPO = pathlib.Path(__file__).resolve().parents[2]
CLUSTER = REPO / "deploy" / "local" / "kube" / "cluster.sh"
KAFKA = REPO / "deploy" / "local" / "kafka.sh"
# The cluster's bridge address (deploy/local/kube/kube-lib.sh): pods reach the host there.
BRIDGE_IP = "198.18.0.1"
SERVICES = ("authority", "api", "http2kafka", "consumer")
TOPIC = "input.runs"


def run(command, env, timeout):
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{command[0]} {command[1]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


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
        yield cluster_port
    finally:
        run([str(KAFKA), "stop"], env, 60)


@pytest.fixture(scope="module")
def cluster(kafka):
    """The cluster up (node Ready, DNS answering), taken down after the module's tests."""
    database = f"tg_cluster_{os.getpid()}"
    pg_port = urllib.parse.urlsplit(stack.admin_url()).port
    # Short: the containerd socket lives in it.
    state = tempfile.mkdtemp(prefix="tg-kube-", dir="/tmp")
    env = {**os.environ, "KUBE_STATE": state, "CLUSTER_PG_PORT": str(pg_port), "CLUSTER_KAFKA_PORT": str(kafka),
           "CLUSTER_DATABASE": database, "CLUSTER_VALUES": str(pathlib.Path(__file__).parent / "values.yaml")}
    try:
        run([str(CLUSTER), "up"], env, 300)
        yield env
    finally:
        run([str(CLUSTER), "down"], env, 180)
        shutil.rmtree(state, ignore_errors=True)
        stack.psql(stack.admin_url(), f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def kubectl(env, *args):
    return json.loads(run([str(CLUSTER), "kubectl", "-n", "tokengate", *args, "-o", "json"], env, 60))


@pytest.fixture(scope="module")
def release(cluster):
    """`helm install` of the chart (cluster.sh install: it waits until every pod is Ready)."""
    run([str(CLUSTER), "install"], cluster, 420)
    return cluster


def timestamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def service_pods(env):
    pods = kubectl(env, "get", "pods", "-l", "app.kubernetes.io/instance=tokengate")["items"]
    return [p for p in pods if p["metadata"]["labels"].get("app.kubernetes.io/component") in SERVICES]


def ready_since(pod):
    ready = [c for c in pod["status"].get("conditions", []) if c["type"] == "Ready" and c["status"] == "True"]
    return timestamp(ready[0]["lastTransitionTime"]) if ready else None


def test_the_migration_job_completes_before_any_service_pod_exists(release):
    # The hook Job is deleted once it succeeds; the job controller's event stays.
    events = kubectl(release, "get", "events")["items"]
    completed = [e for e in events if e["involvedObject"]["kind"] == "Job" and e["reason"] == "Completed"
                 and e["involvedObject"]["name"] == "tokengate-migrate"]
    assert completed, "no Completed event of the migration Job"
    migrated = timestamp(completed[-1]["lastTimestamp"])
    pods = service_pods(release)
    assert {p["metadata"]["labels"]["app.kubernetes.io/component"] for p in pods} == set(SERVICES)
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


def event():
    return {"eventTime": datetime.datetime.now(datetime.timezone.utc).isoformat(), "eventType": "START",
            "producer": "https://example.test/cluster-test", "run": {"runId": str(uuid.uuid4()), "facets": {}},
            "job": {"namespace": "cluster", "name": "job", "facets": {}}, "inputs": [], "outputs": []}


def answer(pod, token):
    """What one edge pod says to `token`: the api its /v1/users/me, http2kafka an event (201: in Kafka)."""
    ip, component = pod
    if component == "api":
        return requests.get(f"http://{ip}:8000/v1/users/me", headers=stack.bearer(token), timeout=5).status_code
    return requests.post(f"http://{ip}:8002/v1/openlineage", json=event(), headers=stack.bearer(token),
                         timeout=10).status_code


def test_a_token_made_through_the_api_service_works_on_every_edge_pod_until_revoked(release):
    service = kubectl(release, "get", "service", "tokengate-api")["spec"]
    api = f"http://{service['clusterIP']}:{service['ports'][0]['port']}"
    access = stack.login(api, user="alice")
    token = stack.create_token(api, access, name="cluster")
    edges = [(p["status"]["podIP"], p["metadata"]["labels"]["app.kubernetes.io/component"])
             for p in service_pods(release)
             if p["metadata"]["labels"]["app.kubernetes.io/component"] in ("api", "http2kafka")]
    assert sorted(component for _, component in edges) == ["api", "api", "http2kafka", "http2kafka"]
    for pod in edges:
        assert answer(pod, token["content"]) == (200 if pod[1] == "api" else 201), pod

    response = requests.delete(f"{api}/v1/personal-tokens/{token['id']}", headers=stack.bearer(access), timeout=10)
    assert response.status_code == 204, response.text
    revoked = time.monotonic()
    accepting = set(edges)
    while accepting and time.monotonic() - revoked < 1.0:
        accepting = {pod for pod in accepting if answer(pod, token["content"]) != 401}
    assert not accepting, f"still accepted {time.monotonic() - revoked:.2f} s after the revocation by {accepting}"
