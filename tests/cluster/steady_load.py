"""A steady, modest load through the cluster's Services while a test breaks
or upgrades something: OpenLineage events to http2kafka (each with its own
runId, remembered when acknowledged), authorized reads on the api, and a
revoked token offered to both edges (which must never be accepted). One
thread per kind, each at a fixed rate, a new connection per request (as a
load balancer's clients would open them). It only records; tests judge."""
import dataclasses
import datetime
import threading
import time
import uuid

import requests

import stack


@dataclasses.dataclass
class Answer:
    kind: str       # "event", "read" or "revoked"
    at: float       # time.monotonic() when sent
    seconds: float  # how long the answer took
    status: int     # 0: no answer (connection refused, reset, timeout)
    run_id: str = ""


def event(run_id):
    return {"eventTime": datetime.datetime.now(datetime.timezone.utc).isoformat(), "eventType": "START",
            "producer": "https://example.test/cluster-load", "run": {"runId": run_id, "facets": {}},
            "job": {"namespace": "cluster-load", "name": "steady", "facets": {}}, "inputs": [], "outputs": []}


class SteadyLoad:
    def __init__(self, api_url, edge_url, token, revoked_token, rate=10.0):
        self.api_url, self.edge_url = api_url, edge_url
        self.token, self.revoked = token, revoked_token
        self.interval = 1.0 / rate
        self.answers = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(send,), daemon=True)
                        for send in (self._event, self._read, self._revoked)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _loop(self, send):
        next_at = time.monotonic()
        while not self.stopping.is_set():
            started = time.monotonic()
            answer = send()
            answer.at, answer.seconds = started, time.monotonic() - started
            with self.lock:
                self.answers.append(answer)
            next_at += self.interval
            self.stopping.wait(max(0.0, next_at - time.monotonic()))

    def _status(self, method, url, token, **kwargs):
        try:
            return requests.request(method, url, headers=stack.bearer(token), timeout=10, **kwargs).status_code
        except requests.RequestException:
            return 0

    def _event(self):
        run_id = str(uuid.uuid4())
        status = self._status("POST", f"{self.edge_url}/v1/openlineage", self.token, json=event(run_id))
        return Answer("event", 0, 0, status, run_id)

    def _read(self):
        return Answer("read", 0, 0, self._status("GET", f"{self.api_url}/v1/users/me", self.token))

    def _revoked(self):
        # Alternately at each edge.
        with self.lock:
            count = sum(1 for a in self.answers if a.kind == "revoked")
        if count % 2:
            return Answer("revoked", 0, 0, self._status("POST", f"{self.edge_url}/v1/openlineage", self.revoked,
                                                        json=event(str(uuid.uuid4()))))
        return Answer("revoked", 0, 0, self._status("GET", f"{self.api_url}/v1/users/me", self.revoked))

    # --- what the tests judge ---

    def snapshot(self):
        with self.lock:
            return list(self.answers)

    def failed(self, since=0.0, until=float("inf")):
        """Reads and events that were not answered 200/201, by kind."""
        expected = {"event": 201, "read": 200}
        out = {"event": [], "read": []}
        for a in self.snapshot():
            if a.kind in expected and since <= a.at < until and a.status != expected[a.kind]:
                out[a.kind].append(a)
        return out

    def revoked_accepted(self):
        return [a for a in self.snapshot() if a.kind == "revoked" and a.status in (200, 201)]

    def acknowledged_run_ids(self):
        return {a.run_id for a in self.snapshot() if a.kind == "event" and a.status == 201}

    def slowest(self):
        return max((a.seconds for a in self.snapshot() if a.kind in ("event", "read")), default=0.0)

    def count(self):
        return sum(1 for a in self.snapshot() if a.kind in ("event", "read"))
