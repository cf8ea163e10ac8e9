"""The seed's story, shared by the end-to-end test (processes) and the image
test (containers): a person logs in, creates a personal token, an ETL job
emits lineage with it through the real openlineage-python client, the API
shows what was emitted, then the token is revoked and stops working on both
edges. `start_system` takes how to start one service, so the same settings
and assertions run against either."""
import contextlib
import datetime
import uuid

import requests
from confluent_kafka.admin import AdminClient, NewTopic
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import HttpConfig, HttpTransport

import stack

PRODUCER = "https://github.com/tokengate/tests/e2e"


@contextlib.contextmanager
def kafka_topic(bootstrap, prefix="e2e"):
    """A new topic with 3 partitions for the duration of the block."""
    topic = f"{prefix}-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 3, 1)], request_timeout=30)[topic].result(timeout=60)
    try:
        yield topic
    finally:
        admin.delete_topics([topic], request_timeout=30)[topic].result(timeout=60)


def start_system(start, database_url, kafka, topic):
    """The four services, each started by `start(program, env)` (which returns
    a started service with .address and .url), listening on 127.0.0.1."""
    authority = start("token-authority", stack.env_of({
        "database_url": database_url, "secret_key": stack.AUTHORITY_SECRET,
        "grpc_listen": "127.0.0.1:0"}))
    api = start("tokengate-api", stack.env_of({
        "authority_address": authority.address, "http_listen": "127.0.0.1:0",
        "access_token_secret": stack.API_SECRET, "http_threads": 8, "database_url": database_url,
        "auth_provider": "dummy"}))
    edge = start("http2kafka", stack.env_of({
        "authority_address": authority.address, "http_listen": "127.0.0.1:0",
        "kafka_bootstrap_servers": kafka, "kafka_topic": topic}))
    consumer = start("lineage-consumer", stack.env_of({
        "database_url": database_url, "kafka_bootstrap_servers": kafka, "kafka_topic": topic,
        "kafka_group_id": f"e2e-{uuid.uuid4().hex[:8]}", "http_listen": "127.0.0.1:0",
        "batch_wait_ms": 50}))
    return {"authority": authority, "api": api, "edge": edge, "consumer": consumer}


def emit_spark_like_run(edge_url, token, job_name):
    config = HttpConfig.from_dict({"type": "http", "url": edge_url, "endpoint": "/v1/openlineage",
                                   "compression": "gzip", "auth": {"type": "api_key", "apiKey": token}})
    client = OpenLineageClient(transport=HttpTransport(config))
    run = Run(runId=str(uuid.uuid4()))
    job = Job(namespace="spark://cluster:7077", name=job_name)
    inputs = [InputDataset(namespace="hdfs://nn:8020", name="/warehouse/in")]
    outputs = [OutputDataset(namespace="postgres://db:5432", name="analytics.public.out")]
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(RunEvent(eventType=state, eventTime=datetime.datetime.now(datetime.timezone.utc).isoformat(),
                             run=run, job=job, producer=PRODUCER, inputs=inputs, outputs=outputs))
    return run.runId


def get(api_url, path, token):
    return requests.get(f"{api_url}{path}", headers=stack.bearer(token), timeout=10)


def run_story(api_url, edge_url):
    access = stack.login(api_url, user="etl-owner")
    token = stack.create_token(api_url, access, name="spark-etl")["content"]
    assert get(api_url, "/v1/users/me", token).json() == {"name": "etl-owner"}

    job_name = f"daily-{uuid.uuid4().hex[:8]}"
    run_id = emit_spark_like_run(edge_url, token, job_name)

    def datasets():
        items = get(api_url, "/v1/datasets?search_query=analytics.public.out", token).json()["items"]
        items += get(api_url, "/v1/datasets?search_query=warehouse/in", token).json()["items"]
        return {item["data"]["name"]: item["data"] for item in items}

    seen = stack.eventually(lambda: len(datasets()) == 2 and datasets(), timeout=30)
    assert seen, "both datasets should be listed"
    assert seen["/warehouse/in"]["location"]["name"] == "nn:8020"
    assert seen["analytics.public.out"]["location"]["type"] == "postgres"

    runs = stack.eventually(lambda: [r for r in get(api_url, "/v1/runs?search_query=" + job_name, token)
                                     .json()["items"] if r["id"] == run_id and r["data"]["status"] == "SUCCEEDED"],
                            timeout=30)
    assert runs, "the run should be SUCCEEDED"
    jobs = get(api_url, f"/v1/jobs?search_query={job_name}", token).json()["items"]
    assert [j["data"]["name"] for j in jobs] == [job_name]

    listed = requests.get(f"{api_url}/v1/personal-tokens", headers=stack.bearer(access), timeout=10).json()
    [mine] = [item for item in listed["items"] if item["data"]["name"] == "spark-etl"]
    assert requests.delete(f"{api_url}/v1/personal-tokens/{mine['id']}", headers=stack.bearer(access),
                           timeout=10).status_code == 204

    assert stack.eventually(lambda: get(api_url, "/v1/users/me", token).status_code == 401, timeout=1.5)
    event = {"eventType": "START", "eventTime": "2026-11-28T12:00:00Z", "producer": PRODUCER,
             "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "spark://cluster:7077", "name": job_name}}
    assert stack.eventually(lambda: requests.post(f"{edge_url}/v1/openlineage", json=event,
                                                  headers=stack.bearer(token), timeout=10).status_code == 401,
                            timeout=1.5)
