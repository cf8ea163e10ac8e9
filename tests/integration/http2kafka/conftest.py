"""Shared pieces of the http2kafka tests, all real: a token authority on a
fresh database, personal tokens issued through it, a topic of its own per test
on the test Kafka broker (TOKENGATE_TEST_KAFKA), the http2kafka binary, and a
Kafka consumer that reads what the edge wrote."""
import datetime
import gzip
import json
import os
import pathlib
import sys
import time
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "support"))
import authority_grpc  # noqa: E402
import stack  # noqa: E402

KAFKA = os.environ["TOKENGATE_TEST_KAFKA"]
EVENTS = "/v1/openlineage"


@pytest.fixture(scope="module")
def authority():
    with stack.fresh_database("tg_h2k") as db:
        service = stack.authority(db)
        yield service
        service.stop()


@pytest.fixture(scope="module")
def authority_stub(authority):
    return authority_grpc.stub(authority.address)


def issue(stub, scopes=(), user="alice"):
    """A new personal token (IssueTokenResponse: .token.id, .content)."""
    request = authority_grpc.pb.IssueTokenRequest(user_name=user, name=f"t-{uuid.uuid4().hex[:12]}",
                                                  scopes=list(scopes))
    return stub.IssueToken(request, timeout=10)


@pytest.fixture(scope="module")
def writer_token(authority_stub):
    return issue(authority_stub, user="writer").content


def create_topic(bootstrap, name=None, partitions=1):
    name = name or f"h2k-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)], request_timeout=30)[name].result(timeout=60)
    return name


def delete_topic(bootstrap, name):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.delete_topics([name], request_timeout=30)[name].result(timeout=60)


@pytest.fixture
def topic():
    name = create_topic(KAFKA)
    yield name
    delete_topic(KAFKA, name)


def http2kafka(authority_address, topic, bootstrap=KAFKA, **settings):
    """A started http2kafka writing to `topic`."""
    env = stack.env_of({"authority_address": authority_address, "http_listen": "127.0.0.1:0",
                        "kafka_bootstrap_servers": bootstrap, "kafka_topic": topic, **settings})
    return stack.Service("http2kafka", env).start()


@pytest.fixture
def edge(authority, topic):
    service = http2kafka(authority.address, topic)
    yield service
    service.stop()


def message_count(bootstrap, topic):
    """Messages in the (single-partition) topic: its high watermark."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"count-{uuid.uuid4().hex}"})
    try:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=20)
        return high
    finally:
        consumer.close()


def read_messages(bootstrap, topic, count, timeout=30.0):
    """The first `count` messages of `topic` (all partitions), polling up to `timeout`."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"read-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        metadata = consumer.list_topics(topic, timeout=20)
        consumer.assign([TopicPartition(topic, p, 0) for p in metadata.topics[topic].partitions])
        messages = []
        deadline = time.monotonic() + timeout
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None:
                continue
            assert message.error() is None, message.error()
            messages.append(message)
        assert len(messages) == count, f"read {len(messages)} of {count} messages from {topic}"
        return messages
    finally:
        consumer.close()


def headers_of(message):
    return {name: value.decode() for name, value in (message.headers() or [])}


def run_event(event_type="START", namespace="ns", name="etl", parent=None, run_id=None,
              event_time=None):
    """A minimal valid RunEvent as a dict."""
    event = {
        "eventTime": event_time or datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "eventType": event_type,
        "producer": "https://github.com/tokengate/tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id or str(uuid.uuid4()), "facets": {}},
        "job": {"namespace": namespace, "name": name, "facets": {}},
        "inputs": [],
        "outputs": [],
    }
    if parent is not None:
        event["run"]["facets"]["parent"] = parent
    return event


def body_of(event):
    return json.dumps(event, separators=(",", ":")).encode()


def gzipped(event):
    return gzip.compress(body_of(event))
