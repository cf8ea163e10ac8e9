"""Nothing acknowledged is ever lost: while a load runs, the broker (one of
this test's own, so other tests keep theirs) is killed with SIGKILL and started
again. Every event answered 201 is in the topic exactly once; every other event
was answered 503 with Retry-After within 2 s of its request (OpenLineage
clients give up after 5 s); the first 201 comes within 1 s of the broker
accepting writes again; the edge survives and exits cleanly."""
import collections
import concurrent.futures
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
import requests

from confluent_kafka import Producer

import stack
from conftest import EVENTS, body_of, create_topic, http2kafka, message_count, read_messages, run_event

ROOT = pathlib.Path(__file__).resolve().parents[3]
KAFKA_SH = ROOT / "deploy/local/kafka.sh"
SENDERS = 8
LOAD_DEADLINE = 240.0  # Hard bound on the load, whatever happens.
MAX_503_SECONDS = 2.0  # The issue's bound: well below the clients' 5 s timeout.
MAX_FIRST_201_SECONDS = 1.0  # After the broker accepts writes again.
PROBE = "probe"


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

    def kill(self):
        """SIGKILL, as a crashed or OOM-killed broker dies; returns once it is gone."""
        pid = int(pathlib.Path(self.dir, "kafka.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        assert stack.eventually(lambda: not os.path.exists(f"/proc/{pid}") or
                                pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z", timeout=10)


def first_write_accepted(bootstrap, topic, deadline):
    """Produces probe messages with a fast-retrying producer of its own until
    one is acknowledged; returns the monotonic time of that acknowledgement."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0,
                         "reconnect.backoff.ms": 10, "reconnect.backoff.max.ms": 50,
                         "message.timeout.ms": 300, "log_level": 0})
    acked = []
    while not acked and time.monotonic() < deadline:
        producer.produce(topic, value=json.dumps({PROBE: True}).encode(),
                         on_delivery=lambda err, _: err is None and acked.append(time.monotonic()))
        producer.flush(1.0)
    assert acked, "the restarted broker never accepted a write"
    return acked[0]


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
        self.timings = {}  # run id → (sent, answered), monotonic seconds
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.send) for _ in range(SENDERS)]

    def send(self):
        deadline = time.monotonic() + LOAD_DEADLINE
        with requests.Session() as session:
            while not self.stopping.is_set() and time.monotonic() < deadline:
                run_id = str(uuid.uuid4())
                sent = time.monotonic()
                response = session.post(self.url + EVENTS, data=body_of(run_event(run_id=run_id)), timeout=30,
                                        headers={"Authorization": f"Bearer {self.token}"})
                answered = time.monotonic()
                with self.lock:
                    self.outcomes[run_id] = (response.status_code, response.headers.get("Retry-After"))
                    self.timings[run_id] = (sent, answered)

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
    # The edge runs with its defaults: they are what the bounds are about.
    edge = http2kafka(authority.address, topic, bootstrap=broker.bootstrap, retry_after_seconds=1)
    try:
        with Load(edge.url, writer_token) as load:
            assert stack.eventually(lambda: load.count(201) >= 300, timeout=60), "no load got through"
            broker.kill()
            killed = time.monotonic()
            assert stack.eventually(lambda: load.count(503) >= 20, timeout=60), "no 503 while Kafka was down"
            accepted_before_restart = load.count(201)
            # The probe runs while the broker starts, so it sees the first moment it takes writes.
            probe = concurrent.futures.ThreadPoolExecutor(1).submit(
                first_write_accepted, broker.bootstrap, topic, time.monotonic() + 120)
            broker.run("start")
            writable = probe.result(timeout=120)
            assert stack.eventually(lambda: load.count(201) >= accepted_before_restart + 300, timeout=90), \
                "events are not accepted again after the broker came back"
        assert all(not t.is_alive() for t in load.threads)
    finally:
        edge.stop()

    statuses = collections.Counter(code for code, _ in load.outcomes.values())
    assert set(statuses) == {201, 503}, f"only 201 and 503 are allowed answers: {statuses}"
    assert all(retry == "1" for code, retry in load.outcomes.values() if code == 503)

    waits_503 = [load.timings[r][1] - load.timings[r][0] for r, (code, _) in load.outcomes.items() if code == 503]
    # Sent after the kill, so acknowledged by the restarted broker.
    first_201 = min(load.timings[r][1] for r, (code, _) in load.outcomes.items()
                    if code == 201 and load.timings[r][0] > killed)
    print(f"503s: {len(waits_503)}, slowest {max(waits_503):.3f} s; "
          f"first 201 {first_201 - writable:+.3f} s after the broker accepted a write")
    assert max(waits_503) <= MAX_503_SECONDS, f"a 503 took {max(waits_503):.3f} s"
    assert first_201 - writable <= MAX_FIRST_201_SECONDS, \
        f"the first 201 came {first_201 - writable:.3f} s after the broker accepted writes again"

    total = message_count(broker.bootstrap, topic)
    events = [json.loads(m.value()) for m in read_messages(broker.bootstrap, topic, total)]
    in_topic = collections.Counter(event["run"]["runId"] for event in events if PROBE not in event)
    print(f"answers: {dict(statuses)}; messages in the topic: {total}")
    acknowledged = [run_id for run_id, (code, _) in load.outcomes.items() if code == 201]
    missing = [run_id for run_id in acknowledged if in_topic[run_id] == 0]
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged events are not in the topic"
    duplicated = [run_id for run_id, n in in_topic.items() if n > 1]
    assert not duplicated, f"{len(duplicated)} events are in the topic more than once"
    assert set(in_topic) <= set(load.outcomes), "the topic holds only events this test sent"
