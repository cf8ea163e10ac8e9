"""What real emitters send reaches Kafka as Data.Rentgen's consumer expects
it: the openlineage-python client (HTTP transport, api_key auth, gzip) and a
Java-style chunked gzip POST, read back from the real broker: value bytes,
key, timestamp and headers."""
import datetime
import gzip
import uuid

import requests
from confluent_kafka import TIMESTAMP_CREATE_TIME
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.generated import parent_run
from openlineage.client.transport.http import HttpConfig, HttpTransport

from conftest import EVENTS, KAFKA, body_of, headers_of, issue, read_messages, run_event

PRODUCER = "https://github.com/tokengate/tests/openlineage-python"


class RecordingTransport(HttpTransport):
    """The client's own HTTP transport, remembering the JSON it compressed and sent."""

    def __init__(self, config):
        super().__init__(config)
        self.sent = []

    def _prepare_request(self, event_str):
        self.sent.append(event_str.encode("utf-8"))
        return super()._prepare_request(event_str)


def client_for(edge, token, **extra):
    config = HttpConfig.from_dict({"type": "http", "url": edge.url, "endpoint": EVENTS,
                                   "compression": "gzip",
                                   "auth": {"type": "api_key", "apiKey": token}, **extra})
    transport = RecordingTransport(config)
    return OpenLineageClient(transport=transport), transport


def event(state, job_name, run_id, when, parent=None):
    facets = {"parent": parent} if parent is not None else {}
    return RunEvent(eventType=state, eventTime=when.isoformat(), producer=PRODUCER,
                    run=Run(runId=run_id, facets=facets), job=Job(namespace="spark", name=job_name))


def millis(when):
    return int(when.timestamp() * 1000)


def test_python_client_events_arrive_with_key_timestamp_and_headers(authority_stub, edge, topic):
    issued = issue(authority_stub, user="emitter")
    client, transport = client_for(edge, issued.content)
    start = datetime.datetime(2024, 7, 5, 9, 4, 13, 979000, tzinfo=datetime.timezone.utc)
    end = start + datetime.timedelta(minutes=3, milliseconds=21)
    parent = parent_run.ParentRunFacet(
        run=parent_run.Run(runId=str(uuid.uuid4())),
        job=parent_run.Job(namespace="airflow", name="dag.task"),
        root=parent_run.Root(run=parent_run.RootRun(runId=str(uuid.uuid4())),
                             job=parent_run.RootJob(namespace="airflow", name="dag")))
    with_parent_run = str(uuid.uuid4())
    lone_run = str(uuid.uuid4())
    sent = [
        event(RunState.START, "with_parent", with_parent_run, start, parent),
        event(RunState.COMPLETE, "with_parent", with_parent_run, end, parent),
        event(RunState.START, "standalone", lone_run, start),
        event(RunState.COMPLETE, "standalone", lone_run, end),
    ]
    for e in sent:
        client.emit(e)  # Raises on any non-2xx answer.

    received = read_messages(KAFKA, topic, len(sent))
    expected_keys = ["run:airflow/dag", "run:airflow/dag", "run:spark/standalone", "run:spark/standalone"]
    request_ids = set()
    assert len(transport.sent) == len(sent)
    for message, e, value, key in zip(received, sent, transport.sent, expected_keys):
        assert message.value() == value
        assert message.key() == key.encode()
        assert message.timestamp() == (TIMESTAMP_CREATE_TIME, millis(datetime.datetime.fromisoformat(e.eventTime)))
        headers = headers_of(message)
        assert headers["content-type"] == "application/json"
        assert headers["reported-by-user-name"] == "emitter"
        assert str(uuid.UUID(headers["correlation_id"])) == headers["correlation_id"]
        request_ids.add(headers["correlation_id"])
    assert len(request_ids) == len(sent), "each request has its own correlation id"


def test_parent_without_root_keys_by_the_parent_job(authority_stub, edge, topic, writer_token):
    client, _ = client_for(edge, writer_token)
    parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=str(uuid.uuid4())),
                                       job=parent_run.Job(namespace="airflow", name="dag.task"))
    client.emit(event(RunState.START, "child", str(uuid.uuid4()), datetime.datetime.now(datetime.timezone.utc),
                      parent))
    (message,) = read_messages(KAFKA, topic, 1)
    assert message.key() == b"run:airflow/dag.task"


def test_client_request_id_becomes_the_correlation_id(edge, topic, writer_token):
    client, _ = client_for(edge, writer_token, custom_headers={"X-Request-ID": "trace-42.a:b"})
    client.emit(event(RunState.START, "traced", str(uuid.uuid4()), datetime.datetime.now(datetime.timezone.utc)))
    (message,) = read_messages(KAFKA, topic, 1)
    assert headers_of(message)["correlation_id"] == "trace-42.a:b"


def test_response_echoes_the_request_id(edge, writer_token):
    response = requests.post(edge.url + EVENTS, data=body_of(run_event()),
                             headers={"Authorization": f"Bearer {writer_token}", "X-Request-ID": "abc-123"},
                             timeout=10)
    assert response.status_code == 201, response.text
    assert response.content == b""
    assert response.headers["X-Request-ID"] == "abc-123"


def test_java_style_chunked_gzip_is_accepted(edge, topic, writer_token):
    sent = body_of(run_event(namespace="spark", name="chunked"))
    compressed = gzip.compress(sent)

    def chunks():  # A generator body makes requests use Transfer-Encoding: chunked.
        for i in range(0, len(compressed), 100):
            yield compressed[i:i + 100]

    response = requests.post(edge.url + EVENTS, data=chunks(), timeout=10,
                             headers={"Authorization": f"Bearer {writer_token}",
                                      "Content-Type": "application/json; charset=UTF-8",
                                      "Content-Encoding": "gzip"})
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 201, response.text
    (message,) = read_messages(KAFKA, topic, 1)
    assert message.value() == sent
    assert message.key() == b"run:spark/chunked"
