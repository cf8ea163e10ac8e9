"""Nothing acknowledged is ever lost: while a load runs, the broker (one of
this test's own, so other tests keep theirs) is stopped and started again.
Every event answered 201 is in the topic exactly once; every other event was
answered 503 with Retry-After; the edge survives and exits cleanly."""
import collections
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
import requests

import stack
from conftest import EVENTS, body_of, create_topic, http2kafka, message_count, read_messages, run_event

ROOT = pathlib.Path(__file__).resolve().parents[3]
KAFKA_SH = ROOT / "deploy/local/kafka.sh"
SENDERS = 8
LOAD_DEADLINE = 240.0  # Hard bound on the load, whatever happens.


class Broker:
    """A single-node broker of this test, started and stopped with deploy/local/kafka.sh."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tokengate-kafka-")
        self.port = stack.free_port()
        self.env = {**os.environ, "KAFKA_DIR": self.dir, "KAFKA_PORT": str(self.port),
                    "KAFKA_CONTROLLER_PORT": str(stack.free_port())}
        self.bootstrap = f"127.0.0.1:{self.port}"

    def run(self, command):
        result = subprocess.run([str(KAFKA_SH), command], env=self.env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, f"kafka.sh {command}: {result.stdout}{result.stderr}"


@pytest.fixture
def broker():
    broker = Broker()
    broker.run("start")
    try:
        yield broker
    finally:
        broker.run("stop")
        shutil.rmtree(broker.dir, ignore_errors=True)


class Load:
    """SENDERS threads posting events with unique run ids until told to stop."""

    def __init__(self, url, token):
        self.url = url
        self.token = token
        self.outcomes = {}  # run id → (status, Retry-After)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.send) for _ in range(SENDERS)]

    def send(self):
        deadline = time.monotonic() + LOAD_DEADLINE
        with requests.Session() as session:
            while not self.stopping.is_set() and time.monotonic() < deadline:
                run_id = str(uuid.uuid4())
                response = session.post(self.url + EVENTS, data=body_of(run_event(run_id=run_id)), timeout=30,
                                        headers={"Authorization": f"Bearer {self.token}"})
                with self.lock:
                    self.outcomes[run_id] = (response.status_code, response.headers.get("Retry-After"))

    def count(self, status):
        with self.lock:
            return sum(1 for code, _ in self.outcomes.values() if code == status)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)


def test_broker_outage_loses_no_acknowledged_event(authority, writer_token, broker):
    topic = create_topic(broker.bootstrap)
    edge = http2kafka(authority.address, topic, bootstrap=broker.bootstrap,
                      kafka_message_timeout_ms=3000, retry_after_seconds=1)
    try:
        with Load(edge.url, writer_token) as load:
            assert stack.eventually(lambda: load.count(201) >= 300, timeout=60), "no load got through"
            broker.run("stop")
            assert stack.eventually(lambda: load.count(503) >= 20, timeout=60), "no 503 while Kafka was down"
            accepted_before_restart = load.count(201)
            broker.run("start")
            assert stack.eventually(lambda: load.count(201) >= accepted_before_restart + 300, timeout=90), \
                "events are not accepted again after the broker came back"
        assert all(not t.is_alive() for t in load.threads)
    finally:
        edge.stop()

    statuses = collections.Counter(code for code, _ in load.outcomes.values())
    assert set(statuses) == {201, 503}, f"only 201 and 503 are allowed answers: {statuses}"
    assert all(retry == "1" for code, retry in load.outcomes.values() if code == 503)

    total = message_count(broker.bootstrap, topic)
    in_topic = collections.Counter(
        json.loads(m.value())["run"]["runId"] for m in read_messages(broker.bootstrap, topic, total))
    print(f"answers: {dict(statuses)}; messages in the topic: {total}")
    acknowledged = [run_id for run_id, (code, _) in load.outcomes.items() if code == 201]
    missing = [run_id for run_id in acknowledged if in_topic[run_id] == 0]
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged events are not in the topic"
    duplicated = [run_id for run_id, n in in_topic.items() if n > 1]
    assert not duplicated, f"{len(duplicated)} events are in the topic more than once"
    assert set(in_topic) <= set(load.outcomes), "the topic holds only events this test sent"
